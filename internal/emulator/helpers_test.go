package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

const (
	testSecretID  = "AKIDemulatorTest"
	testSecretKey = "emulator-test-secret-key"
)

// fixture is one emulator served on a loopback port for one test.
type fixture struct {
	srv       *Server
	emu       *Emulator
	transport *http.Transport
}

// setup serves an emulator for cfg, adding the test credentials when cfg
// has none. Everything is torn down with the test.
func setup(t *testing.T, cfg Config) *fixture {
	t.Helper()
	if cfg.Credentials == nil {
		cfg.Credentials = map[string]string{testSecretID: testSecretKey}
	}
	srv, err := Listen("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})

	return &fixture{srv: srv, emu: srv.Emulator, transport: newTestTransport(t)}
}

// newTestTransport returns a transport of the test's own: no proxy from
// the environment, and idle connections closed with the test.
func newTestTransport(t *testing.T) *http.Transport {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// client returns an SDK common client for the fixture, signing with the
// test credentials unless others are given.
func (f *fixture) client(t *testing.T, creds ...string) *common.Client {
	t.Helper()
	id, key := testSecretID, testSecretKey
	if len(creds) == 2 {
		id, key = creds[0], creds[1]
	}
	return f.clientWith(t, common.NewCredential(id, key), f.transport, nil)
}

// clientWith returns an SDK client over rt; edit may change the profile.
func (f *fixture) clientWith(t *testing.T, cred *common.Credential, rt http.RoundTripper,
	edit func(*profile.ClientProfile)) *common.Client {
	t.Helper()
	prof := profile.NewClientProfile()
	prof.HttpProfile.Endpoint = f.srv.Addr
	prof.HttpProfile.Scheme = "http"
	prof.HttpProfile.ReqMethod = "POST"
	prof.HttpProfile.ReqTimeout = 10
	if edit != nil {
		edit(prof)
	}
	return common.NewCommonClient(cred, "ap-guangzhou", prof).WithHttpTransport(rt)
}

// url returns the address of path on the fixture.
func (f *fixture) url(path string) string {
	return "http://" + f.srv.Addr + path
}

// answer is a successful call as the SDK parsed it.
type answer struct {
	Result    string
	RequestId string
}

// execute calls ExecuteFunction with params through the SDK.
func execute(ctx context.Context, c *common.Client, params map[string]any) (answer, error) {
	return send(ctx, c, tchttp.NewCommonRequest("vod", apiVersion, apiAction), params)
}

// send sends req with params and decodes the success envelope.
func send(ctx context.Context, c *common.Client, req *tchttp.CommonRequest,
	params map[string]any) (answer, error) {
	req.SetContext(ctx)
	if err := req.SetActionParameters(params); err != nil {
		return answer{}, err
	}
	resp := tchttp.NewCommonResponse()
	if err := c.Send(req, resp); err != nil {
		return answer{}, err
	}

	var body struct{ Response answer }
	if err := json.Unmarshal(resp.GetBody(), &body); err != nil {
		return answer{}, err
	}
	return body.Response, nil
}

// echo returns parameters for a call that succeeds.
func echo(arg string) map[string]any {
	return map[string]any{"FunctionName": "ExampleFunc", "FunctionArg": arg}
}

// mustExecute calls and fails the test on any error.
func mustExecute(t *testing.T, c *common.Client, params map[string]any) answer {
	t.Helper()
	a, err := execute(t.Context(), c, params)
	if err != nil {
		t.Fatalf("ExecuteFunction(%v): %v", params, err)
	}
	return a
}

// sdkError returns err as the SDK's error type, failing the test otherwise.
func sdkError(t *testing.T, err error) *tcerr.TencentCloudSDKError {
	t.Helper()
	var se *tcerr.TencentCloudSDKError
	if !errors.As(err, &se) {
		t.Fatalf("error = %v (%T), want *TencentCloudSDKError", err, err)
	}
	return se
}

// wantCode checks that err is an API answer with code and a RequestId, and
// returns its message.
func wantCode(t *testing.T, err error, code string) string {
	t.Helper()
	if err == nil {
		t.Fatalf("call succeeded, want error %s", code)
	}
	se := sdkError(t, err)
	if se.GetCode() != code {
		t.Fatalf("code = %s (%s), want %s", se.GetCode(), se.GetMessage(), code)
	}
	if se.GetRequestId() == "" {
		t.Errorf("error %s has no RequestId", code)
	}
	return se.GetMessage()
}

// rawPost sends a request built by hand and returns the error code of the
// answer ("" for a success), for the cases the SDK cannot produce.
func (f *fixture) rawPost(t *testing.T, method, contentType string, header http.Header,
	body string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, f.url("/"),
		strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := (&http.Client{Transport: f.transport}).Do(req)
	if err != nil {
		t.Fatalf("%s /: %v", method, err)
	}
	defer resp.Body.Close()

	var env errorBody
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", resp.StatusCode, b)
	}
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&env); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	if env.Response.RequestId == "" {
		t.Errorf("answer %s has no RequestId", b)
	}
	return env.Response.Error.Code
}

// manualClock is a clock that moves only when told, so quota windows and
// TTLs can be crossed without sleeping. It starts at the real time, as the
// SDK stamps requests with the real time.
type manualClock struct {
	base   time.Time
	offset atomic.Int64
}

func newManualClock() *manualClock {
	return &manualClock{base: time.Now()}
}

func (c *manualClock) Now() time.Time {
	return c.base.Add(time.Duration(c.offset.Load()))
}

func (c *manualClock) Advance(d time.Duration) {
	c.offset.Add(int64(d))
}
