package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/vodq/vodq/tasks"
)

func TestBatchAnswersEachJobOnItsOwn(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.call(t, "POST", "/v1/jobs", `{"FunctionName":"f","FunctionArg":"a","job_id":"b-old"}`).
		expect(t, http.StatusCreated)

	body := `{"jobs":[
		{"FunctionName":"f","FunctionArg":"a","job_id":"b-new"},
		{"FunctionName":"f","FunctionArg":"a","SessionId":"` + strings.Repeat("s", 51) + `"},
		{"FunctionName":"f","FunctionArg":"a","job_id":"b-old"},
		{"FunctionName":"f","FunctionArg":"a","Typo":1},
		{"FunctionName":"f","FunctionArg":"a"}
	]}`
	a := f.call(t, "POST", "/v1/jobs:batch", body)
	a.expect(t, http.StatusOK)
	var got struct {
		Results []batchResult `json:"results"`
	}
	if err := json.Unmarshal(a.body, &got); err != nil {
		t.Fatalf("decode: %v; body %s", err, a.body)
	}

	want := []struct {
		status int
		field  string
	}{{201, ""}, {400, "SessionId"}, {200, ""}, {400, "Typo"}, {201, ""}}
	if len(got.Results) != len(want) {
		t.Fatalf("%d results, want %d: %s", len(got.Results), len(want), a.body)
	}
	for i, w := range want {
		r := got.Results[i]
		if r.Index != i || r.Status != w.status {
			t.Errorf("result %d = index %d status %d, want index %d status %d",
				i, r.Index, r.Status, i, w.status)
		}
		switch {
		case w.status >= 400 && (r.Error == nil || r.Error.Field != w.field):
			t.Errorf("result %d: error %+v, want field %q", i, r.Error, w.field)
		case w.status < 400 && (r.Job == nil || r.Job.State != tasks.StateQueued):
			t.Errorf("result %d: job %+v, want a queued record", i, r.Job)
		}
	}
	if got.Results[0].Job.ID != "b-new" || got.Results[2].Job.ID != "b-old" {
		t.Errorf("records out of order: %s", a.body)
	}
	f.call(t, "GET", "/v1/jobs/b-new", "").expect(t, http.StatusOK)
}

func TestBatchRefusesAMalformedOrOversizedBatch(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) { c.MaxBody = 64 << 10 })
	tooMany := `{"jobs":[` + strings.Repeat(`{},`, MaxBatch) + `{}]}`
	tooBig := `{"jobs":[{"FunctionName":"f","FunctionArg":"` + strings.Repeat("x", 64<<10) + `"}]}`
	shape := `the body must be a JSON object {"jobs":[…]}`
	tests := []struct {
		name, body string
		status     int
		field      string
		message    string // a part of the message, when it matters
	}{
		{"no jobs", `{"jobs":[]}`, 400, "jobs", ""},
		{"jobs missing", `{}`, 400, "jobs", ""},
		{"jobs not an array", `{"jobs":{}}`, 400, "jobs", ""},
		{"an unknown key", `{"jobs":[],"dryRun":true}`, 400, "dryRun", ""},
		{"a body that is not JSON", `jobs`, 400, "", shape},
		{"an empty body", ``, 400, "", shape},
		{"an array", `[]`, 400, "", shape + ", not array"},
		{"an array of jobs", `[{"FunctionName":"f","FunctionArg":"a"}]`, 400, "", shape},
		{"a string", `"jobs"`, 400, "", shape + ", not string"},
		{"null", `null`, 400, "", shape + ", not null"},
		{"more jobs than MaxBatch", tooMany, 400, "jobs",
			"jobs holds 1001 jobs; the limit is 1000"},
		{"a body over the size limit", tooBig, 413, "", "65536 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := f.call(t, "POST", "/v1/jobs:batch", tt.body).apiErr(t, tt.status)
			if e.Error.Field != tt.field {
				t.Errorf("field = %q, want %q (%s)", e.Error.Field, tt.field, e.Error.Message)
			}
			want := CodeInvalidRequest
			if tt.status == 413 {
				want = CodeBodyTooLarge
			}
			if e.Error.Code != want {
				t.Errorf("code = %s, want %s", e.Error.Code, want)
			}
			if !strings.Contains(e.Error.Message, tt.message) {
				t.Errorf("message = %q, want it to hold %q", e.Error.Message, tt.message)
			}
			// The caller wrote JSON; the names of Go types mean nothing to it.
			for _, goName := range []string{"httpapi", "batchRequest", "Go value", "json:"} {
				if strings.Contains(e.Error.Message, goName) {
					t.Errorf("message = %q, which shows %q", e.Error.Message, goName)
				}
			}
		})
	}
}
