package httpapi

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/vodq/vodq/tasks"
)

// noTokens runs a fixture's server without tokens, as vodq dev and a
// vodq serve on loopback do.
func noTokens(c *Config) { c.Tokens = nil }

// headers returns the fixture's token (when it has one), the JSON content
// type, and extra over them.
func (f *fixture) headers(extra map[string]string) map[string]string {
	h := map[string]string{"Content-Type": jsonType}
	if f.token != "" {
		h["Authorization"] = "Bearer " + f.token
	}
	maps.Copy(h, extra)
	return h
}

// paused reports whether queue q is paused.
func paused(t *testing.T, f *fixture, q string) bool {
	t.Helper()
	info, err := asynq.NewInspectorFromRedisClient(f.rdb).GetQueueInfo(q)
	if err != nil {
		t.Fatalf("queue %s: %v", q, err)
	}
	return info.Paused
}

func (a answer) forbidden(t *testing.T) errorBody {
	t.Helper()
	e := a.apiErr(t, http.StatusForbidden)
	if e.Error.Code != CodeForbidden {
		t.Errorf("code = %s, want %s", e.Error.Code, CodeForbidden)
	}
	return e
}

func TestThePagesOfTheUserTrialCannotSubmitOrPause(t *testing.T) {
	t.Parallel()
	f := setup(t, noTokens)
	f.call(t, "POST", "/v1/jobs", `{"FunctionName":"f","FunctionArg":"a","process_in":"1h"}`).
		expect(t, http.StatusCreated)

	// The two requests of the trial, with the headers curl sent: the
	// first as a rebinding page sends it, the second as a forged form.
	f.callWith(t, "POST", "/v1/jobs",
		`{"FunctionName":"echo","FunctionArg":"csrf","job_id":"csrf-1"}`, map[string]string{
			"Origin": "https://evil.example", "Host": "evil.example:8080",
			"Content-Type": "text/plain"}).forbidden(t)
	f.callWith(t, "POST", "/ui/api/queues/default:pause", "", map[string]string{
		"Origin": "https://evil.example", "Content-Type": "text/plain"}).forbidden(t)

	f.call(t, "GET", "/v1/jobs/csrf-1", "").apiErr(t, http.StatusNotFound)
	if paused(t, f, "default") {
		t.Error("the queue was paused")
	}
}

func TestWithoutTokensOnlyRequestsToALoopbackHostAreAnswered(t *testing.T) {
	t.Parallel()
	open := setup(t, noTokens)
	withTokens := setup(t)
	paths := map[string]int{"/v1/jobs/nobody": 404, "/ui/api/queues": 200, "/metrics": 200}
	tests := []struct {
		host     string
		loopback bool
	}{
		{"127.0.0.1:8080", true},
		{"127.0.0.1", true},
		{"127.1.2.3:80", true},
		{"localhost:8080", true},
		{"LocalHost", true},
		{"localhost.:8080", true},
		{"[::1]:8080", true},
		{"[::1]", true},
		{"[::ffff:127.0.0.1]:8080", true},
		{"evil.example:8080", false},
		{"evil.example", false},
		{"localhost.evil.example:8080", false},
		{"127.0.0.1.evil.example:8080", false},
		{"192.168.1.20:8080", false},
		{"0.0.0.0:8080", false},
		{"[::]:8080", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			hdr := map[string]string{"Host": tt.host}
			for path, status := range paths {
				a := open.callWith(t, "GET", path, "", hdr)
				if tt.loopback {
					a.expect(t, status)
					continue
				}
				e := a.forbidden(t)
				if !strings.Contains(e.Error.Message, "localhost, 127.0.0.1 or [::1]") {
					t.Errorf("message = %q, want it to say which hosts pass", e.Error.Message)
				}
			}
			// With tokens the server may sit behind any name.
			withTokens.callWith(t, "GET", "/v1/jobs/nobody", "", withTokens.headers(hdr)).
				apiErr(t, http.StatusNotFound)
		})
	}
}

func TestStateChangesFromAnotherOriginAreRefused(t *testing.T) {
	t.Parallel()
	modes := []struct {
		name   string
		change []func(*Config)
	}{
		{"without tokens", []func(*Config){noTokens}},
		{"with tokens", nil},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, mode.change...)
			own := f.url // http://127.0.0.1:PORT
			tests := []struct {
				name string
				hdr  map[string]string
				ok   bool
			}{
				{"a client that is not a browser passes", nil, true},
				{"the server's own origin passes", map[string]string{"Origin": own}, true},
				{"a same-origin fetch passes",
					map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": own}, true},
				{"a same-origin fetch through a proxy that rewrites Host passes",
					map[string]string{"Sec-Fetch-Site": "same-origin",
						"Origin": "https://vodq.example"}, true},
				{"the own origin with its default port written out passes",
					map[string]string{"Host": "localhost", "Origin": "http://localhost:80"}, true},
				{"another site is refused",
					map[string]string{"Origin": "https://evil.example"}, false},
				{"another port of the same host is refused",
					map[string]string{"Origin": "http://127.0.0.1:1"}, false},
				{"the same host and port over https is refused",
					map[string]string{"Origin": "https" + strings.TrimPrefix(own, "http")}, false},
				{"an opaque origin is refused", map[string]string{"Origin": "null"}, false},
				{"a cross-site fetch without Origin is refused",
					map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
				{"a same-site fetch is refused",
					map[string]string{"Sec-Fetch-Site": "same-site",
						"Origin": "http://localhost:1"}, false},
			}
			for i, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					// Each case has a queue and a job of its own to change.
					q, victim := fmt.Sprintf("q%d", i), fmt.Sprintf("v%d", i)
					id := fmt.Sprintf("n%d", i)
					f.call(t, "POST", "/v1/jobs", `{"FunctionName":"f","FunctionArg":"a",`+
						`"process_in":"1h","queue":"`+q+`","job_id":"`+victim+`"}`).
						expect(t, http.StatusCreated)

					hdr := f.headers(tt.hdr)
					submit := f.callWith(t, "POST", "/v1/jobs",
						`{"FunctionName":"f","FunctionArg":"a","job_id":"`+id+`"}`, hdr)
					pause := f.callWith(t, "POST", "/ui/api/queues/"+q+":pause", "", hdr)
					cancel := f.callWith(t, "DELETE", "/v1/jobs/"+victim, "", hdr)
					// Reading changes nothing, and the browser keeps the
					// answer from a page of another origin.
					f.callWith(t, "GET", "/v1/jobs/"+victim, "", hdr).expect(t, http.StatusOK)

					if tt.ok {
						submit.expect(t, http.StatusCreated)
						pause.expect(t, http.StatusNoContent)
						cancel.expect(t, http.StatusOK)
					} else {
						submit.forbidden(t)
						pause.forbidden(t)
						cancel.forbidden(t)
						f.call(t, "GET", "/v1/jobs/"+id, "").apiErr(t, http.StatusNotFound)
					}
					if got := paused(t, f, q); got != tt.ok {
						t.Errorf("queue paused = %v, want %v", got, tt.ok)
					}
					want := tasks.StateQueued
					if tt.ok {
						want = tasks.StateCanceled
					}
					job := f.call(t, "GET", "/v1/jobs/"+victim, "").job(t, http.StatusOK)
					if job.State != want {
						t.Errorf("victim job is %s, want %s", job.State, want)
					}
				})
			}
		})
	}
}
