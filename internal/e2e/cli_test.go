package e2e_test

import (
	"bufio"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vodq/vodq/internal/redistest"
	"github.com/vodq/vodq/tasks"
)

// The README's first command: every example job ends with the outcome its
// FunctionName asks for, and the bad lines are refused naming their field.
func TestDevRunsTheExamples(t *testing.T) {
	t.Parallel()
	specs := map[string]tasks.Spec{}
	badLines := map[int]bool{}
	f, err := os.Open("../../examples/jobs.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		spec, err := tasks.DecodeSpec(sc.Bytes())
		if err != nil {
			badLines[n] = true
			continue
		}
		specs[spec.JobID] = spec
	}
	if len(specs) < 150 || len(badLines) == 0 {
		t.Fatalf("examples hold %d good and %d bad lines; want a rich mix", len(specs), len(badLines))
	}

	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "VODQ_HTTP_ADDR=127.0.0.1:0"}
	code, out, errOut := run(t, env, "", "dev", "../../examples/jobs.jsonl")
	if code != 0 {
		t.Fatalf("vodq dev exited %d\nstderr:\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "succeeded") || !strings.Contains(errOut, "failed by code") {
		t.Errorf("summary missing from stderr:\n%s", errOut)
	}

	seen := map[string]bool{}
	refused := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var probe struct {
			Line  int `json:"line"`
			Error *struct {
				Field string `json:"field"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(line), &probe); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if probe.Error != nil {
			refused++
			if !badLines[probe.Line] || probe.Error.Field == "" {
				t.Errorf("refused line %d (field %q) is not one of the bad example lines", probe.Line, probe.Error.Field)
			}
			continue
		}
		var job tasks.Job
		if err := json.Unmarshal([]byte(line), &job); err != nil {
			t.Fatal(err)
		}
		seen[job.ID] = true
		checkOutcome(t, specs[job.ID], &job)
	}
	if len(seen) != len(specs) || refused != len(badLines) {
		t.Errorf("%d jobs reported of %d, %d lines refused of %d", len(seen), len(specs), refused, len(badLines))
	}
}

// checkOutcome checks a job against what its FunctionName asks the
// emulator for.
func checkOutcome(t *testing.T, spec tasks.Spec, job *tasks.Job) {
	t.Helper()
	name := spec.FunctionName
	parts := strings.Split(name, ":")
	switch parts[0] {
	case "fail":
		if job.State != tasks.StateFailed || job.Failure.Code != parts[1] {
			t.Errorf("%s (%s): %s %+v, want failed with %s", job.ID, name, job.State, job.Failure, parts[1])
		}
	case "flaky":
		n, _ := strconv.Atoi(parts[1])
		if job.State != tasks.StateSucceeded || job.Attempts != n+1 {
			t.Errorf("%s (%s): %s after %d attempts, want succeeded after %d", job.ID, name, job.State, job.Attempts, n+1)
		}
	default:
		if job.State != tasks.StateSucceeded || job.Outcome.Result != spec.FunctionArg || job.Outcome.RequestId == "" {
			t.Errorf("%s (%s): %s %+v, want the argument echoed", job.ID, name, job.State, job.Outcome)
		}
	}
}

func TestCLIEnqueueGetWaitCancel(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	env := s.env()
	s.start(t, env, "worker")

	code, out, errOut := run(t, env, "", "enqueue", "-function", "echo", "-arg", "hello", "-id", "cli-1", "-wait")
	if code != 0 {
		t.Fatalf("enqueue -wait exited %d: %s", code, errOut)
	}
	jobs := decodeJobs(t, out)
	if len(jobs) != 1 || jobs[0].State != tasks.StateSucceeded || jobs[0].Outcome.Result != "hello" {
		t.Fatalf("enqueue -wait printed %s", out)
	}

	code, out, _ = run(t, env, "", "get", "cli-1")
	if code != 0 || decodeJobs(t, out)[0].Outcome.RequestId != jobs[0].Outcome.RequestId {
		t.Errorf("get exited %d with %s", code, out)
	}
	code, out, _ = run(t, env, "", "get", "nope")
	if code != 1 || !strings.Contains(out, `"error":"not found"`) {
		t.Errorf("get of an unknown ID exited %d with %q", code, out)
	}

	// A failed job makes wait exit 1.
	code, out, _ = run(t, env, "", "enqueue", "-function", "fail:UnauthorizedOperation", "-arg", "x", "-wait")
	if code != 1 || decodeJobs(t, out)[0].Failure.Code != "UnauthorizedOperation" {
		t.Errorf("wait on a failed job exited %d with %s", code, out)
	}

	// Re-submitting an ID reports the existing job and runs nothing.
	code, out, _ = run(t, env, "", "enqueue", "-function", "echo", "-arg", "other", "-id", "cli-1")
	if code != 0 || !strings.Contains(out, `"duplicate":true`) || !strings.Contains(out, `"state":"succeeded"`) {
		t.Errorf("duplicate enqueue exited %d with %s", code, out)
	}

	code, out, _ = run(t, env, "", "enqueue", "-function", "echo", "-arg", "later", "-id", "cli-later", "-in", "1h")
	if code != 0 {
		t.Fatalf("enqueue -in exited %d: %s", code, out)
	}
	code, out, _ = run(t, env, "", "cancel", "cli-later")
	if code != 0 || decodeJobs(t, out)[0].State != tasks.StateCanceled {
		t.Errorf("cancel exited %d with %s", code, out)
	}
	code, out, _ = run(t, env, "", "cancel", "cli-later")
	if code != 0 || decodeJobs(t, out)[0].State != tasks.StateCanceled {
		t.Errorf("a second cancel exited %d with %s; want 0 and the canceled record", code, out)
	}
	code, _, _ = run(t, env, "", "cancel", "cli-1")
	if code != 1 {
		t.Errorf("cancel of an ended job exited %d, want 1", code)
	}
}

func TestCLIRejectsBadInputNamingTheField(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	env := s.env()

	cases := []struct {
		args  []string
		field string
	}{
		{[]string{"enqueue", "-function", "echo", "-arg", "x", "-session-id", strings.Repeat("s", 51)}, "SessionId"},
		{[]string{"enqueue", "-function", "echo", "-arg", ""}, "FunctionArg"},
		{[]string{"enqueue", "-function", "echo", "-arg", "x", "-id", "bad id"}, "job_id"},
		{[]string{"enqueue", "-function", "echo", "-arg", "x", "-max-retries", "101"}, "max_retries"},
		{[]string{"enqueue", "-function", "echo", "-arg", "x", "-session-context", strings.Repeat("c", 1001)}, "SessionContext"},
	}
	for _, c := range cases {
		code, _, errOut := run(t, env, "", c.args...)
		if code != 2 || !strings.Contains(errOut, c.field) {
			t.Errorf("vodq %s: exit %d, stderr %q; want 2 naming %s", c.args[len(c.args)-2], code, errOut, c.field)
		}
	}

	code, _, errOut := run(t, append(env, "VODQ_CONCURRENCY=0"), "", "worker")
	if code != 2 || !strings.Contains(errOut, "VODQ_CONCURRENCY") {
		t.Errorf("worker with VODQ_CONCURRENCY=0: exit %d, %q", code, errOut)
	}

	// A JSON Lines file: the bad lines are reported by number and field,
	// the good ones are queued, and the exit code says something was refused.
	input := `{"FunctionName":"echo","FunctionArg":"a","job_id":"file-1"}
{"FunctionName":"echo","FunctionArg":"b","SubAppId":-3}

{"FunctionName":"echo","FunctionArg":"c","job_id":"file-3"}
not json
`
	code, out, _ := run(t, env, input, "enqueue", "-f", "-")
	if code != 1 {
		t.Errorf("enqueue of a file with bad lines exited %d, want 1", code)
	}
	for _, want := range []string{`"line":1,"id":"file-1"`, `"line":2,"error":{"field":"SubAppId"`,
		`"line":4,"id":"file-3"`, `"line":5,"error"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}

func TestCLIFileWithAByteOrderMark(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	input := "\xef\xbb\xbf" + `{"FunctionName":"echo","FunctionArg":"a","job_id":"bom-1"}` + "\r\n"
	code, out, errOut := run(t, s.env(), input, "enqueue", "-f", "-")
	if code != 0 || !strings.Contains(out, `"id":"bom-1"`) {
		t.Errorf("enqueue of a file with a BOM: exit %d, %s %s", code, out, errOut)
	}
}

func TestCLIExitCodes(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	// Nothing listens on this Redis port.
	env := append(s.env(), "VODQ_REDIS_URL=redis://127.0.0.1:1/0")
	if code, _, errOut := run(t, env, "", "get", "x"); code != 3 {
		t.Errorf("get with Redis down: exit %d (%s), want 3", code, errOut)
	}
	if code, _, _ := run(t, s.env(), "", "get", "../x"); code != 1 {
		t.Errorf("get of an impossible ID: exit %d, want 1", code)
	}
	if code, _, _ := run(t, s.env(), "", "wait", "-timeout", "-1s", "x"); code != 2 {
		t.Errorf("wait -timeout -1s: exit %d, want 2", code)
	}
	if code, _, _ := run(t, s.env(), "", "worker", "extra"); code != 2 {
		t.Errorf("worker with an argument: exit %d, want 2", code)
	}

	// Two workers on one host with the same health port: the second says so.
	port, err := redistest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "VODQ_WORKER_ADDR=127.0.0.1:" + strconv.Itoa(port)
	s.start(t, s.env(addr), "worker")
	time.Sleep(500 * time.Millisecond)
	code, _, errOut := run(t, s.env(addr), "", "worker")
	if code != 2 || !strings.Contains(errOut, "VODQ_WORKER_ADDR") {
		t.Errorf("second worker on the same port: exit %d, %q", code, errOut)
	}
}
