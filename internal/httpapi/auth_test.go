package httpapi

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const wrongToken = "wr0ng-Zk2-not-a-token-51ac"

func TestTokensGuardTheAPI(t *testing.T) {
	t.Parallel()
	const second = "second-t0ken-Lm4"
	f := setup(t, func(c *Config) { c.Tokens = append(c.Tokens, second) })
	path := "/v1/jobs/nobody"

	tests := []struct {
		name      string
		hdr       map[string]string
		status    int
		challenge string
	}{
		{"no header is refused", nil, 401, `Bearer realm="vodq"`},
		{"a wrong token is refused", map[string]string{"Authorization": "Bearer " + wrongToken},
			401, `Bearer realm="vodq", error="invalid_token"`},
		{"another scheme is refused", map[string]string{"Authorization": "Basic " + testToken},
			401, `Bearer realm="vodq"`},
		{"the first token passes", map[string]string{"Authorization": "Bearer " + testToken},
			404, ""},
		{"the second token passes", map[string]string{"Authorization": "bearer " + second},
			404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := f.callWith(t, "GET", path, "", tt.hdr)
			e := a.apiErr(t, tt.status)
			if tt.status != 401 {
				return
			}
			if e.Error.Code != CodeUnauthorized {
				t.Errorf("code = %s", e.Error.Code)
			}
			if got := a.header.Get("WWW-Authenticate"); got != tt.challenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.challenge)
			}
		})
	}
}

func TestWithoutTokensTheAPIIsOpen(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) { c.Tokens = nil })
	f.callWith(t, "POST", "/v1/jobs", `{"FunctionName":"f","FunctionArg":"a"}`,
		map[string]string{"Content-Type": jsonType}).expect(t, http.StatusCreated)
	f.callWith(t, "GET", "/ui/api/queues", "", nil).expect(t, http.StatusOK)
}

func TestABrowserSignsInToTheUIOnceWithTheQueryToken(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.callWith(t, "GET", "/ui/", "", nil).apiErr(t, http.StatusUnauthorized)
	f.callWith(t, "GET", "/ui/?token="+wrongToken, "", nil).apiErr(t, http.StatusUnauthorized)

	a := f.callWith(t, "GET", "/ui/queues/default?status=pending&token="+testToken, "", nil)
	a.expect(t, http.StatusSeeOther)
	if loc := a.header.Get("Location"); loc != "/ui/queues/default?status=pending" {
		t.Errorf("Location = %q, want the page without the token", loc)
	}
	c, err := http.ParseSetCookie(a.header.Get("Set-Cookie"))
	if err != nil {
		t.Fatalf("Set-Cookie: %v", err)
	}
	if c.Name != UICookie || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/ui" {
		t.Errorf("cookie = %+v, want %s, HttpOnly, SameSite=Strict, Path=/ui", c, UICookie)
	}
	if strings.Contains(c.Value, testToken) {
		t.Error("the cookie holds the token itself")
	}

	withCookie := map[string]string{"Cookie": c.Name + "=" + c.Value}
	page := f.callWith(t, "GET", "/ui/queues/default", "", withCookie)
	page.expect(t, http.StatusOK)
	if !strings.Contains(string(page.body), "<div id=\"root\">") {
		t.Errorf("the UI page is not the app: %.200s", page.body)
	}
	f.callWith(t, "GET", "/ui/api/queues", "", withCookie).expect(t, http.StatusOK)

	// The cookie opens the UI only, not the API.
	f.callWith(t, "GET", "/v1/jobs/x", "", withCookie).apiErr(t, http.StatusUnauthorized)
	// A forged cookie opens nothing.
	f.callWith(t, "GET", "/ui/api/queues", "",
		map[string]string{"Cookie": UICookie + "=" + wrongToken}).
		apiErr(t, http.StatusUnauthorized)
}

func TestOperatorEndpointsAreOpenOnlyWhenConfigured(t *testing.T) {
	t.Parallel()
	open := setup(t)
	closed := setup(t, func(c *Config) { c.OpenMetrics = false })
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		open.callWith(t, "GET", p, "", nil).expect(t, http.StatusOK)
		closed.callWith(t, "GET", p, "", nil).apiErr(t, http.StatusUnauthorized)
		closed.call(t, "GET", p, "").expect(t, http.StatusOK)
	}
}

func TestTokensNeverReachTheLog(t *testing.T) {
	t.Parallel()
	f := setup(t)
	bearer := func(tok string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + tok}
	}
	f.callWith(t, "GET", "/v1/jobs/x", "", bearer(wrongToken))
	f.call(t, "POST", "/v1/jobs", `{"FunctionName":"f","FunctionArg":"a"}`)
	f.callWith(t, "GET", "/ui/?token="+wrongToken, "", nil)
	signIn := f.callWith(t, "GET", "/ui/?token="+testToken, "", nil)
	f.callWith(t, "GET", "/ui/api/queues", "", nil)
	f.callWith(t, "GET", "/metrics", "", bearer(testToken))

	logs := f.logs.String()
	secrets := []string{testToken, wrongToken}
	if c, err := http.ParseSetCookie(signIn.header.Get("Set-Cookie")); err == nil {
		secrets = append(secrets, c.Value)
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the log holds a secret %q:\n%s", s, logs)
		}
	}

	// Each refusal is logged with what an operator needs.
	var refusals []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == "request refused" {
			refusals = append(refusals, rec)
		}
	}
	if len(refusals) != 3 {
		t.Fatalf("%d refusals logged, want 3:\n%s", len(refusals), logs)
	}
	for _, r := range refusals {
		for _, k := range []string{keyMethod, keyPath, keyRemoteAddr, keyReason} {
			if r[k] == nil || r[k] == "" {
				t.Errorf("refusal %v has no %s", r, k)
			}
		}
	}
}

func TestLoadTokensReadsTheFileSkippingBlanksAndComments(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "tokens")
	content := "# rotated monthly\n\n  file-one  \n#file-off\nfile-two\n\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadTokens([]string{"env-one", " ", ""}, file)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"env-one", "file-one", "file-two"}
	if !slices.Equal(got, want) {
		t.Errorf("LoadTokens = %q, want %q", got, want)
	}

	_, err = LoadTokens(nil, filepath.Join(t.TempDir(), "missing"))
	if err == nil || !strings.Contains(err.Error(), "VODQ_API_TOKENS_FILE") {
		t.Errorf("missing file: error %v, want one naming VODQ_API_TOKENS_FILE", err)
	}
}

func TestMatchComparesAgainstEveryToken(t *testing.T) {
	t.Parallel()
	a := newAuthenticator([]string{"a", "b", "c"}, nil)
	for _, tok := range []string{"a", "b", "c"} {
		if !a.validToken(tok) {
			t.Errorf("%q refused", tok)
		}
	}
	for _, tok := range []string{"", "ab", "A", "c "} {
		if a.validToken(tok) {
			t.Errorf("%q accepted", tok)
		}
	}
}
