package httpapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"

	"github.com/vodq/vodq/enqueue"
	"github.com/vodq/vodq/internal/emulator"
	"github.com/vodq/vodq/internal/ops"
	"github.com/vodq/vodq/internal/redistest"
	"github.com/vodq/vodq/internal/testutil"
	"github.com/vodq/vodq/internal/vodclient"
	"github.com/vodq/vodq/tasks"
	"github.com/vodq/vodq/worker"
)

// testToken is the token of the fixture's server. It is long and odd so
// that a search of the logs for it cannot match by chance.
const testToken = "t0ken-Qx7-for-tests-only-9f3b"

// fixture is one server under test with its own Redis.
type fixture struct {
	redis  *redistest.Server
	rdb    *redis.Client
	client *enqueue.Client
	srv    *Server
	reg    *prometheus.Registry
	url    string
	token  string
	logs   *testutil.Buffer
}

// setup starts a Redis, a Server with testToken and open metrics (edit
// either through change), and an HTTP listener on 127.0.0.1.
func setup(t *testing.T, change ...func(*Config)) *fixture {
	t.Helper()
	rs := redistest.Start(t)
	rdb := rs.Client(t)
	client := enqueue.New(rdb, enqueue.WithRetention(time.Hour))
	t.Cleanup(func() { client.Close() })

	logs := &testutil.Buffer{}
	reg := ops.NewRegistry()
	cfg := Config{
		Client:      client,
		Redis:       rdb,
		Tokens:      []string{testToken},
		OpenMetrics: true,
		Registry:    reg,
		Logger: slog.New(slog.NewJSONHandler(logs,
			&slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, c := range change {
		c(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)

	tok := ""
	if len(cfg.Tokens) > 0 {
		tok = cfg.Tokens[0]
	}
	return &fixture{redis: rs, rdb: rdb, client: client, srv: srv, reg: reg,
		url: ts.URL, token: tok, logs: logs}
}

// answer is an HTTP answer, read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// call sends a request with the fixture's token and, as every client of
// the API must, the JSON content type.
func (f *fixture) call(t *testing.T, method, path, body string) answer {
	t.Helper()
	return f.callWith(t, method, path, body, map[string]string{
		"Authorization": "Bearer " + f.token, "Content-Type": jsonType})
}

// jsonType is the Content-Type the API takes.
const jsonType = "application/json"

// callWith sends a request with the given headers and no others. A "Host"
// entry replaces the Host header, which otherwise names the test server.
func (f *fixture) callWith(t *testing.T, method, path, body string,
	hdr map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, f.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{
	Timeout: 30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

// job decodes the answer as a job record, failing the test unless the
// status is want.
func (a answer) job(t *testing.T, want int) *tasks.Job {
	t.Helper()
	a.expect(t, want)
	var j tasks.Job
	if err := json.Unmarshal(a.body, &j); err != nil {
		t.Fatalf("decode job: %v; body %s", err, a.body)
	}
	return &j
}

// apiErr decodes the answer as an error, failing the test unless the
// status is want.
func (a answer) apiErr(t *testing.T, want int) errorBody {
	t.Helper()
	a.expect(t, want)
	var e errorBody
	if err := json.Unmarshal(a.body, &e); err != nil || e.Error == nil {
		t.Fatalf("decode error: %v; body %s", err, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	return e
}

func (a answer) expect(t *testing.T, want int) {
	t.Helper()
	if a.status != want {
		t.Fatalf("status = %d, want %d; body %s", a.status, want, a.body)
	}
}

// startWorker runs a real worker on the fixture's Redis, calling an
// emulator on 127.0.0.1, until the test ends. Its metrics go to the
// fixture's registry, as in vodq dev.
func startWorker(t *testing.T, f *fixture) {
	t.Helper()
	const id, key = "AKIDhttpapitest", "httpapi-test-key"
	emu, err := emulator.Listen("127.0.0.1:0", emulator.Config{
		Credentials: map[string]string{id: key}})
	if err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() { emu.Close() })
	api, err := vodclient.New(vodclient.Config{
		Region: "ap-guangzhou", Endpoint: emu.Addr, Scheme: "http",
		Credential: common.NewCredential(id, key), Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatalf("vodclient: %v", err)
	}
	w, err := worker.New(f.rdb, api, nil, worker.Config{
		Concurrency:     4,
		PollInterval:    100 * time.Millisecond,
		ShutdownTimeout: 5 * time.Second,
		Retention:       time.Hour,
		Registerer:      f.reg,
	})
	if err != nil {
		t.Fatalf("worker: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	testutil.Run(t, w.Run)
}

// eventually polls cond every 20 ms until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
