package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// uiTask is a task as the UI's API shows it.
type uiTask struct {
	ID      string `json:"id"`
	Payload string `json:"payload"`
	Result  string `json:"result"`
}

func TestTheUIShowsTheRequestAndTheStoredOutcome(t *testing.T) {
	t.Parallel()
	f := setup(t)
	startWorker(t, f)
	f.call(t, "POST", "/v1/jobs", `{"FunctionName":"echo","FunctionArg":"shown-in-ui",`+
		`"job_id":"ui-1"}`).expect(t, http.StatusCreated)
	job := f.call(t, "GET", "/v1/jobs/ui-1?wait=20s", "").job(t, http.StatusOK)
	if job.Outcome == nil {
		t.Fatalf("job did not succeed: %+v", job)
	}

	// The worker acknowledges the task just after it writes the record.
	var list struct{ Tasks []uiTask }
	eventually(t, 5*time.Second, "the task never showed as completed", func() bool {
		a := f.call(t, "GET", "/ui/api/queues/default/completed_tasks", "")
		a.expect(t, http.StatusOK)
		if err := json.Unmarshal(a.body, &list); err != nil {
			t.Fatalf("decode: %v: %s", err, a.body)
		}
		return len(list.Tasks) == 1
	})
	got := list.Tasks[0]
	if got.ID != "ui-1" {
		t.Fatalf("task = %+v", got)
	}
	for _, want := range []string{`"state": "succeeded"`, `"Result": "shown-in-ui"`,
		`"RequestId": "` + job.Outcome.RequestId + `"`} {
		if !strings.Contains(got.Result, want) {
			t.Errorf("result %q lacks %s", got.Result, want)
		}
	}
	if !strings.Contains(got.Payload, "\n  \"FunctionArg\": \"shown-in-ui\"") {
		t.Errorf("payload is not the indented request: %q", got.Payload)
	}

	var one uiTask
	a := f.call(t, "GET", "/ui/api/queues/default/tasks/ui-1", "")
	if err := json.Unmarshal(a.body, &one); err != nil {
		t.Fatalf("decode: %v: %s", err, a.body)
	}
	if one.Result != got.Result {
		t.Errorf("task details result = %q, want %q", one.Result, got.Result)
	}
}

func TestTheUIKeepsThirdPartyContentOut(t *testing.T) {
	t.Parallel()
	f := setup(t)
	a := f.call(t, "GET", "/ui/", "")
	a.expect(t, http.StatusOK)
	csp := a.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || a.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers = %v", a.header)
	}
	if !strings.Contains(string(a.body), `window.FLAG_ROOT_PATH="\/ui"`) {
		t.Errorf("the page is not rooted at /ui: %.300s", a.body)
	}
}

func TestAReadOnlyUIRefusesChanges(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) { c.UIReadOnly = true })
	f.call(t, "POST", "/v1/jobs", `{"FunctionName":"f","FunctionArg":"a","job_id":"ro"}`).
		expect(t, http.StatusCreated)
	f.call(t, "DELETE", "/ui/api/queues/default/pending_tasks/ro", "").
		expect(t, http.StatusMethodNotAllowed)
	f.call(t, "GET", "/v1/jobs/ro", "").job(t, http.StatusOK)
}

func TestShowsResultMatchesOnlyResultAnswers(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]bool{
		"/ui/api/queues/default/completed_tasks": true,
		"/ui/api/queues/q-1/tasks/job:1":         true,
		"/ui/api/queues/default/pending_tasks":   false,
		"/ui/api/queues/default":                 false,
		"/ui/queues/default/tasks/x":             false,
		"/v1/jobs/x":                             false,
	} {
		if got := showsResult(path); got != want {
			t.Errorf("showsResult(%q) = %v, want %v", path, got, want)
		}
	}
}
