package emulator

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

func TestSignature(t *testing.T) {
	t.Parallel()

	t.Run("a request signed with the wrong key is refused", func(t *testing.T) {
		t.Parallel()
		f := setup(t, Config{})
		_, err := execute(t.Context(), f.client(t, testSecretID, "not-the-key"), echo("x"))
		wantCode(t, err, codeSignatureFailure)
	})

	t.Run("an unknown SecretId is refused", func(t *testing.T) {
		t.Parallel()
		f := setup(t, Config{})
		_, err := execute(t.Context(), f.client(t, "AKIDunknown", testSecretKey), echo("x"))
		wantCode(t, err, codeSecretIDNotFound)
	})

	t.Run("any configured key pair is accepted", func(t *testing.T) {
		t.Parallel()
		f := setup(t, Config{Credentials: map[string]string{
			"AKIDone": "key-one",
			"AKIDtwo": "key-two",
		}})
		mustExecute(t, f.client(t, "AKIDone", "key-one"), echo("x"))
		mustExecute(t, f.client(t, "AKIDtwo", "key-two"), echo("x"))
	})

	for _, tc := range []struct {
		name string
		skew time.Duration
		want string
	}{
		{"a server clock six minutes ahead expires the signature", 6 * time.Minute,
			codeSignatureExpire},
		{"a server clock six minutes behind expires the signature", -6 * time.Minute,
			codeSignatureExpire},
		{"a server clock four minutes ahead is tolerated", 4 * time.Minute, ""},
		{"a server clock four minutes behind is tolerated", -4 * time.Minute, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, Config{Now: func() time.Time { return time.Now().Add(tc.skew) }})
			_, err := execute(t.Context(), f.client(t), echo("x"))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("call with skew %s: %v", tc.skew, err)
				}
				return
			}
			wantCode(t, err, tc.want)
		})
	}

	t.Run("a body altered after signing is refused", func(t *testing.T) {
		t.Parallel()
		f := setup(t, Config{})
		rt := &rewriteBody{base: f.transport, from: "pay-10", to: "pay-99"}
		c := f.clientWith(t, common.NewCredential(testSecretID, testSecretKey), rt, nil)

		_, err := execute(t.Context(), c, echo("pay-10"))
		wantCode(t, err, codeSignatureFailure)
		if rt.rewrites != 1 {
			t.Fatalf("the body was rewritten %d times, want 1", rt.rewrites)
		}
	})

	t.Run("an unsigned payload is accepted when the client opts out", func(t *testing.T) {
		t.Parallel()
		f := setup(t, Config{})
		c := f.clientWith(t, common.NewCredential(testSecretID, testSecretKey), f.transport,
			func(p *profile.ClientProfile) { p.UnsignedPayload = true })
		if got := mustExecute(t, c, echo("free")).Result; got != "free" {
			t.Fatalf("Result = %q, want %q", got, "free")
		}
	})

	t.Run("a scope for another service is refused", func(t *testing.T) {
		t.Parallel()
		f := setup(t, Config{})
		req := tchttp.NewCommonRequest("cvm", apiVersion, apiAction)
		_, err := send(t.Context(), f.client(t), req, echo("x"))
		wantCode(t, err, codeSignatureFailure)
	})

	t.Run("a missing Authorization header is refused", func(t *testing.T) {
		t.Parallel()
		f := setup(t, Config{})
		got := f.rawPost(t, http.MethodPost, "application/json", nil, `{}`)
		if got != codeAuthInvalid {
			t.Fatalf("code = %s, want %s", got, codeAuthInvalid)
		}
	})
}

// rewriteBody changes the body of requests after the SDK signed them, as a
// tampering proxy would.
type rewriteBody struct {
	base     http.RoundTripper
	from, to string
	rewrites int
}

func (rt *rewriteBody) RoundTrip(r *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	_ = r.Body.Close()
	if bytes.Contains(b, []byte(rt.from)) {
		rt.rewrites++
		b = bytes.ReplaceAll(b, []byte(rt.from), []byte(rt.to))
	}

	r = r.Clone(r.Context())
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
	return rt.base.RoundTrip(r)
}

func TestParseAuthorization(t *testing.T) {
	t.Parallel()
	sig := strings.Repeat("ab", 32)
	good := "TC3-HMAC-SHA256 Credential=AKID/2026-01-02/vod/tc3_request, " +
		"SignedHeaders=content-type;host, Signature=" + sig

	a, e := parseAuthorization(good)
	if e != nil {
		t.Fatalf("parseAuthorization(good): %v", e)
	}
	if a.secretID != "AKID" || a.date != "2026-01-02" || a.service != "vod" ||
		a.signature != sig || strings.Join(a.signedHeaders, ";") != "content-type;host" {
		t.Fatalf("parseAuthorization(good) = %+v", a)
	}

	headers := func(h string) string { return strings.Replace(good, "content-type;host", h, 1) }
	for _, tc := range []struct{ name, header string }{
		{"empty", ""},
		{"another algorithm", strings.Replace(good, "TC3-HMAC-SHA256", "TC3-HMAC-SHA1", 1)},
		{"no fields", "TC3-HMAC-SHA256"},
		{"a repeated field", good + ", Signature=" + sig},
		{"an unknown field", good + ", Extra=1"},
		{"a field without a value", strings.Replace(good, "Signature="+sig, "Signature", 1)},
		{"a short credential", strings.Replace(good, "/vod/tc3_request", "/vod", 1)},
		{"a wrong terminator", strings.Replace(good, "tc3_request", "tc2_request", 1)},
		{"an empty SecretId", strings.Replace(good, "=AKID/", "=/", 1)},
		{"host unsigned", headers("content-type")},
		{"headers out of order", headers("host;content-type")},
		{"uppercase header names", headers("Content-Type;host")},
		{"a repeated header", headers("content-type;content-type;host")},
		{"a short signature", strings.Replace(good, sig, sig[:10], 1)},
		{"an uppercase signature", strings.Replace(good, sig, strings.ToUpper(sig), 1)},
		{"a signature that is not hex", strings.Replace(good, sig, strings.Repeat("zz", 32), 1)},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			t.Parallel()
			_, e := parseAuthorization(tc.header)
			if e == nil || e.Code != codeAuthInvalid {
				t.Fatalf("parseAuthorization(%q) = %v, want %s", tc.header, e, codeAuthInvalid)
			}
		})
	}
}

func TestTimestampHeader(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		name, value, want string
	}{
		{"missing", "", codeMissingParameter},
		{"not a number", "soon", codeInvalidParameter},
		{"negative", "-5", codeInvalidParameter},
		{"five minutes off exactly", "1799999700", ""},
		{"five minutes and a second off", "1799999699", codeSignatureExpire},
		{"far in the future", "9999999999", codeSignatureExpire},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", nil)
			if tc.value != "" {
				r.Header.Set(headerTimestamp, tc.value)
			}
			_, e := checkTimestamp(r, now)
			var got string
			if e != nil {
				got = e.Code
			}
			if got != tc.want {
				t.Fatalf("checkTimestamp(%q) = %v, want code %q", tc.value, e, tc.want)
			}
		})
	}
}
