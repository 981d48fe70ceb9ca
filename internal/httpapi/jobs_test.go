package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vodq/vodq/tasks"
)

func TestSubmitCreatesAJobAndResubmittingReturnsIt(t *testing.T) {
	t.Parallel()
	f := setup(t)
	body := `{"FunctionName":"ExampleFunc","FunctionArg":"XXX","job_id":"clip-42","max_retries":3}`

	first := f.call(t, "POST", "/v1/jobs", body)
	created := first.job(t, http.StatusCreated)
	if created.ID != "clip-42" || created.State != tasks.StateQueued || created.MaxRetries != 3 {
		t.Errorf("created = %+v", created)
	}
	if loc := first.header.Get("Location"); loc != "/v1/jobs/clip-42" {
		t.Errorf("Location = %q", loc)
	}

	again := f.call(t, "POST", "/v1/jobs", body).job(t, http.StatusOK)
	if again.ID != created.ID || !again.SubmittedAt.Equal(created.SubmittedAt) {
		t.Errorf("resubmission = %+v, want the first record %+v", again, created)
	}

	// Nothing was queued twice.
	info, err := asynq.NewInspectorFromRedisClient(f.rdb).GetQueueInfo("default")
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != 1 {
		t.Errorf("queue holds %d tasks, want 1", info.Size)
	}

	got := f.call(t, "GET", "/v1/jobs/clip-42", "").job(t, http.StatusOK)
	if got.Request.FunctionArg != "XXX" {
		t.Errorf("GET = %+v", got)
	}
}

func TestSubmitWithoutAJobIDMakesOne(t *testing.T) {
	t.Parallel()
	f := setup(t)
	job := f.call(t, "POST", "/v1/jobs", `{"FunctionName":"f","FunctionArg":"a"}`).
		job(t, http.StatusCreated)
	if tasks.ValidateJobID(job.ID) != nil {
		t.Errorf("made ID %q is not valid", job.ID)
	}
}

func TestSubmitRefusesBadInputNamingTheField(t *testing.T) {
	t.Parallel()
	f := setup(t)
	long := strings.Repeat("s", 51)
	tests := []struct {
		name, body, field, message string
	}{
		{"a SessionId over 50 characters",
			`{"FunctionName":"f","FunctionArg":"a","SessionId":"` + long + `"}`,
			"SessionId", "SessionId is 51 characters; the limit is 50"},
		{"a missing FunctionArg", `{"FunctionName":"f"}`, "FunctionArg", ""},
		{"an unknown field", `{"FunctionName":"f","FunctionArg":"a","Colour":"red"}`,
			"Colour", ""},
		{"a bad timeout", `{"FunctionName":"f","FunctionArg":"a","timeout":"soon"}`,
			"timeout", ""},
		{"a bad job ID", `{"FunctionName":"f","FunctionArg":"a","job_id":"-x"}`, "job_id", ""},
		{"a body that is not JSON", `FunctionName=f`, "", ""},
		{"an empty body", ``, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := f.call(t, "POST", "/v1/jobs", tt.body).apiErr(t, http.StatusBadRequest)
			if e.Error.Code != CodeInvalidRequest || e.Error.Field != tt.field {
				t.Errorf("error = %+v, want code %s field %q", e.Error, CodeInvalidRequest, tt.field)
			}
			if tt.message != "" && e.Error.Message != tt.message {
				t.Errorf("message = %q, want %q", e.Error.Message, tt.message)
			}
		})
	}
}

func TestABodyOverTheLimitIsRefusedWith413(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) { c.MaxBody = 1024 })
	body := `{"FunctionName":"f","FunctionArg":"` + strings.Repeat("x", 2000) + `"}`
	e := f.call(t, "POST", "/v1/jobs", body).apiErr(t, http.StatusRequestEntityTooLarge)
	if e.Error.Code != CodeBodyTooLarge {
		t.Errorf("code = %s", e.Error.Code)
	}
}

func TestGetAnswers404ForAnUnknownJobAnd400ForAnImpossibleID(t *testing.T) {
	t.Parallel()
	f := setup(t)
	e := f.call(t, "GET", "/v1/jobs/never-submitted", "").apiErr(t, http.StatusNotFound)
	if e.Error.Code != CodeNotFound {
		t.Errorf("code = %s", e.Error.Code)
	}
	e = f.call(t, "GET", "/v1/jobs/"+strings.Repeat("a", 200), "").apiErr(t, http.StatusBadRequest)
	if e.Error.Field != "id" {
		t.Errorf("field = %q, want id", e.Error.Field)
	}
	f.call(t, "DELETE", "/v1/jobs/never-submitted", "").apiErr(t, http.StatusNotFound)
}

func TestWaitReturnsWhenAWorkerEndsTheJob(t *testing.T) {
	t.Parallel()
	f := setup(t)
	startWorker(t, f)
	f.call(t, "POST", "/v1/jobs", `{"FunctionName":"echo","FunctionArg":"hi","job_id":"w1"}`).
		expect(t, http.StatusCreated)

	start := time.Now()
	job := f.call(t, "GET", "/v1/jobs/w1?wait=20s", "").job(t, http.StatusOK)
	if job.State != tasks.StateSucceeded || job.Outcome == nil || job.Outcome.Result != "hi" {
		t.Fatalf("job = %+v, want succeeded with Result hi", job)
	}
	if job.Outcome.RequestId == "" {
		t.Error("outcome has no RequestId")
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("wait took %s", d)
	}
}

func TestWaitReturnsTheCurrentRecordWhenTheWaitPasses(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.call(t, "POST", "/v1/jobs", `{"FunctionName":"f","FunctionArg":"a","job_id":"w2"}`).
		expect(t, http.StatusCreated)
	start := time.Now()
	job := f.call(t, "GET", "/v1/jobs/w2?wait=300ms", "").job(t, http.StatusOK)
	if job.State != tasks.StateQueued {
		t.Errorf("state = %s, want queued", job.State)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("answered after %s, before the wait passed", d)
	}
}

func TestWaitRefusesABadValueNamingWait(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, v := range []string{"soon", "-1s", "61s", "5m", "-3"} {
		e := f.call(t, "GET", "/v1/jobs/x?wait="+v, "").apiErr(t, http.StatusBadRequest)
		if e.Error.Field != "wait" {
			t.Errorf("wait=%s: field = %q, want wait", v, e.Error.Field)
		}
	}
	// A number of seconds is a valid wait too.
	f.call(t, "GET", "/v1/jobs/x?wait=1", "").apiErr(t, http.StatusNotFound)
}

func TestCancelEndsAQueuedJobAndIsSafeToRepeat(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.call(t, "POST", "/v1/jobs", `{"FunctionName":"f","FunctionArg":"a","job_id":"c1",`+
		`"process_in":"1h"}`).expect(t, http.StatusCreated)

	job := f.call(t, "DELETE", "/v1/jobs/c1", "").job(t, http.StatusOK)
	if job.State != tasks.StateCanceled {
		t.Fatalf("state = %s, want canceled", job.State)
	}

	// A retried DELETE finds its work done.
	again := f.call(t, "DELETE", "/v1/jobs/c1", "").job(t, http.StatusOK)
	if again.State != tasks.StateCanceled || !again.FinishedAt.Equal(job.FinishedAt) {
		t.Errorf("second DELETE = %+v, want the same canceled record", again)
	}
}

func TestCancelRefusesARunningJob(t *testing.T) {
	t.Parallel()
	f := setup(t)
	startWorker(t, f)
	f.call(t, "POST", "/v1/jobs", `{"FunctionName":"sleep:2s","FunctionArg":"a","job_id":"r1"}`).
		expect(t, http.StatusCreated)
	eventually(t, 10*time.Second, "job r1 never ran", func() bool {
		return f.call(t, "GET", "/v1/jobs/r1", "").job(t, 200).State == tasks.StateRunning
	})

	e := f.call(t, "DELETE", "/v1/jobs/r1", "").apiErr(t, http.StatusConflict)
	if e.Job == nil || e.Job.State != tasks.StateRunning {
		t.Errorf("409 carries job %+v, want the running record", e.Job)
	}
	done := f.call(t, "GET", "/v1/jobs/r1?wait=20s", "").job(t, http.StatusOK)
	if done.State != tasks.StateSucceeded {
		t.Errorf("after the refused cancel the job ended %s, want succeeded", done.State)
	}
	e = f.call(t, "DELETE", "/v1/jobs/r1", "").apiErr(t, http.StatusConflict)
	if e.Job == nil || e.Job.State != tasks.StateSucceeded {
		t.Errorf("cancel of an ended job: 409 carries %+v, want the succeeded record", e.Job)
	}
}

func TestUnknownPathsAndMethodsAnswerInJSON(t *testing.T) {
	t.Parallel()
	f := setup(t)
	e := f.call(t, "PUT", "/v1/jobs", "{}").apiErr(t, http.StatusMethodNotAllowed)
	if e.Error.Code != CodeMethodNotAllowed {
		t.Errorf("code = %s", e.Error.Code)
	}
	patch := f.call(t, "PATCH", "/v1/jobs/x", "{}")
	patch.apiErr(t, http.StatusMethodNotAllowed)
	if allow := patch.header.Get("Allow"); !strings.Contains(allow, "DELETE") {
		t.Errorf("Allow = %q, want it to list DELETE", allow)
	}
	f.call(t, "GET", "/v2/things", "").apiErr(t, http.StatusNotFound)
}

func TestRedisDownAnswers503(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.call(t, "POST", "/v1/jobs", `{"FunctionName":"f","FunctionArg":"a","job_id":"d1"}`).
		expect(t, http.StatusCreated)
	f.redis.Kill()

	for _, c := range []struct{ method, path, body string }{
		{"POST", "/v1/jobs", `{"FunctionName":"f","FunctionArg":"a"}`},
		{"POST", "/v1/jobs:batch", `{"jobs":[{"FunctionName":"f","FunctionArg":"a"}]}`},
		{"GET", "/v1/jobs/d1", ""},
		{"GET", "/v1/jobs/d1?wait=1s", ""},
		{"DELETE", "/v1/jobs/d1", ""},
	} {
		t.Run(fmt.Sprintf("%s %s", c.method, c.path), func(t *testing.T) {
			// The Redis client retries a refused connection for a while;
			// the cases wait it out side by side.
			t.Parallel()
			a := f.call(t, c.method, c.path, c.body)
			if e := a.apiErr(t, http.StatusServiceUnavailable); e.Error.Code != CodeUnavailable {
				t.Errorf("code = %s", e.Error.Code)
			}
			if strings.Contains(string(a.body), f.redis.Addr) {
				t.Errorf("the answer shows the Redis address: %s", a.body)
			}
		})
	}
	t.Run("GET /readyz", func(t *testing.T) {
		t.Parallel()
		f.call(t, "GET", "/readyz", "").expect(t, http.StatusServiceUnavailable)
	})
	t.Run("GET /healthz", func(t *testing.T) {
		t.Parallel()
		f.call(t, "GET", "/healthz", "").expect(t, http.StatusOK)
	})
}

func TestConcurrentSubmissionsOfOneIDCreateOneJob(t *testing.T) {
	t.Parallel()
	f := setup(t)
	const n = 10
	statuses := make(chan int, n)
	for range n {
		go func() {
			// Not f.call: only the test's own goroutine may fail it.
			req, _ := http.NewRequest("POST", f.url+"/v1/jobs",
				strings.NewReader(`{"FunctionName":"f","FunctionArg":"a","job_id":"same"}`))
			req.Header.Set("Authorization", "Bearer "+f.token)
			req.Header.Set("Content-Type", jsonType)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	count := map[int]int{}
	for range n {
		count[<-statuses]++
	}
	if count[http.StatusCreated] != 1 || count[http.StatusOK] != n-1 {
		t.Errorf("statuses = %v, want one 201 and %d 200", count, n-1)
	}
}

func TestShutdownEndsALongPollWithTheCurrentRecord(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.call(t, "POST", "/v1/jobs", `{"FunctionName":"f","FunctionArg":"a","job_id":"s1"}`).
		expect(t, http.StatusCreated)
	time.AfterFunc(300*time.Millisecond, func() { f.srv.Close() })
	start := time.Now()
	job := f.call(t, "GET", "/v1/jobs/s1?wait=60s", "").job(t, http.StatusOK)
	if job.State != tasks.StateQueued {
		t.Errorf("state = %s, want queued", job.State)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the poll lasted %s after shutdown began", d)
	}
}
