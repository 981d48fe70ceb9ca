package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

func TestSuccess(t *testing.T) {
	t.Parallel()
	f := setup(t, Config{})
	c := f.client(t)

	t.Run("the SDK parses Result and RequestId", func(t *testing.T) {
		arg := `{"FileId":"5285890784246869930","Markup":"<b>&</b>"}`
		a := mustExecute(t, c, echo(arg))
		if a.Result != arg {
			t.Errorf("Result = %q, want %q", a.Result, arg)
		}
		if _, err := uuid.Parse(a.RequestId); err != nil {
			t.Errorf("RequestId %q is not a UUID: %v", a.RequestId, err)
		}
	})

	t.Run("every answer has its own RequestId", func(t *testing.T) {
		a, b := mustExecute(t, c, echo("x")), mustExecute(t, c, echo("x"))
		if a.RequestId == b.RequestId {
			t.Errorf("two calls share RequestId %s", a.RequestId)
		}
	})

	t.Run("all optional parameters are accepted", func(t *testing.T) {
		mustExecute(t, c, map[string]any{
			"FunctionName":   "ExampleFunc",
			"FunctionArg":    "x",
			"SubAppId":       1500000001,
			"SessionContext": "ctx",
			"SessionId":      "",
			"ExtInfo":        "ext",
		})
	})
}

func TestProtocol(t *testing.T) {
	t.Parallel()
	f := setup(t, Config{})

	t.Run("GET is refused as an unsupported protocol", func(t *testing.T) {
		if got := f.rawPost(t, http.MethodGet, "", nil, ""); got != codeUnsupportedProto {
			t.Fatalf("code = %s, want %s", got, codeUnsupportedProto)
		}
	})

	t.Run("a form body is refused as an invalid parameter", func(t *testing.T) {
		got := f.rawPost(t, http.MethodPost, "application/x-www-form-urlencoded", nil, "a=b")
		if got != codeInvalidParameter {
			t.Fatalf("code = %s, want %s", got, codeInvalidParameter)
		}
	})

	t.Run("the SDK's GET mode is refused", func(t *testing.T) {
		c := f.clientWith(t, common.NewCredential(testSecretID, testSecretKey), f.transport,
			func(p *profile.ClientProfile) { p.HttpProfile.ReqMethod = http.MethodGet })
		_, err := execute(t.Context(), c, echo("x"))
		wantCode(t, err, codeUnsupportedProto)
	})
}

func TestRouting(t *testing.T) {
	t.Parallel()
	f := setup(t, Config{})
	c := f.client(t)

	t.Run("another action is refused", func(t *testing.T) {
		req := tchttp.NewCommonRequest("vod", apiVersion, "DescribeMediaInfos")
		_, err := send(t.Context(), c, req, echo("x"))
		wantCode(t, err, codeInvalidAction)
	})

	t.Run("another version is refused", func(t *testing.T) {
		req := tchttp.NewCommonRequest("vod", "2017-03-12", apiAction)
		_, err := send(t.Context(), c, req, echo("x"))
		wantCode(t, err, codeNoSuchVersion)
	})
}

func TestBodySizeLimit(t *testing.T) {
	t.Parallel()
	f := setup(t, Config{})

	// The JSON around the argument takes the body just past the limit.
	_, err := execute(t.Context(), f.client(t), echo(strings.Repeat("a", MaxBodyBytes)))
	wantCode(t, err, codeRequestSizeLimit)
}

func TestControlRoutes(t *testing.T) {
	t.Parallel()
	f := setup(t, Config{})
	c := f.client(t)
	hc := &http.Client{Transport: f.transport}

	mustExecute(t, c, echo("x"))
	_, err := execute(t.Context(), c, map[string]any{"FunctionName": "fail:InternalError",
		"FunctionArg": "x"})
	wantCode(t, err, codeInternalError)

	t.Run("stats are served as JSON with snake_case keys", func(t *testing.T) {
		resp, err := hc.Get(f.url("/_emulator/stats"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"requests", "accepted", "throttled", "max_window",
			"by_code", "first_at", "last_at"} {
			if _, ok := got[k]; !ok {
				t.Errorf("stats lack key %q: %v", k, got)
			}
		}
		byCode, _ := got["by_code"].(map[string]any)
		if got["requests"] != 2.0 || byCode["OK"] != 1.0 || byCode[codeInternalError] != 1.0 {
			t.Errorf("stats = %v, want 2 requests, one OK and one InternalError", got)
		}
	})

	t.Run("reset zeroes the stats", func(t *testing.T) {
		resp, err := hc.Post(f.url("/_emulator/reset"), "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("status = %d, want 204", resp.StatusCode)
		}
		s := f.emu.Stats()
		if s.Requests != 0 || s.Accepted != 0 || len(s.ByCode) != 0 || !s.FirstAt.IsZero() {
			t.Fatalf("stats after reset = %+v, want zero", s)
		}
	})

	t.Run("the wrong method is refused", func(t *testing.T) {
		resp, err := hc.Get(f.url("/_emulator/reset"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("status = %d, want 405", resp.StatusCode)
		}
	})

	t.Run("control requests are not counted", func(t *testing.T) {
		if s := f.emu.Stats(); s.Requests != 0 {
			t.Fatalf("Requests = %d after control requests only, want 0", s.Requests)
		}
	})
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no credentials", Config{}, "Credentials"},
		{"an empty SecretId", Config{Credentials: map[string]string{"": "k"}}, "SecretId"},
		{"an empty SecretKey", Config{Credentials: map[string]string{"id": ""}}, "SecretKey"},
		{"a negative SessionTTL", Config{Credentials: map[string]string{"id": "k"},
			SessionTTL: -1}, "SessionTTL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want an error naming %s", err, tc.want)
			}
		})
	}
}
