package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"

	"github.com/vodq/vodq/enqueue"
	"github.com/vodq/vodq/internal/emulator"
	"github.com/vodq/vodq/internal/limiter"
	"github.com/vodq/vodq/internal/redistest"
	"github.com/vodq/vodq/internal/testutil"
	"github.com/vodq/vodq/internal/vodclient"
	"github.com/vodq/vodq/tasks"
	"github.com/vodq/vodq/worker"
)

const (
	secretID  = "AKIDworkertest"
	secretKey = "worker-test-key"
)

// fixture is one worker running against its own Redis and emulator.
type fixture struct {
	rdb      *redis.Client
	emu      *emulator.Server
	producer *enqueue.Client
}

type options struct {
	quota   int
	key     string // the key the worker signs with
	limiter bool
	lim     worker.Limiter // used instead of the Redis limiter when set
	cfg     worker.Config
}

func setup(t *testing.T, o options) *fixture {
	t.Helper()
	srv := redistest.Start(t)
	rdb := srv.Client(t)

	if o.quota == 0 {
		o.quota = -1
	}
	emu, err := emulator.Listen("127.0.0.1:0", emulator.Config{
		Credentials: map[string]string{secretID: secretKey},
		Quota:       o.quota,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })

	if o.key == "" {
		o.key = secretKey
	}
	api, err := vodclient.New(vodclient.Config{
		Endpoint:   emu.Addr,
		Scheme:     "http",
		Timeout:    10 * time.Second,
		Credential: common.NewCredential(secretID, o.key),
	})
	if err != nil {
		t.Fatal(err)
	}
	lim := o.lim
	if o.limiter {
		l, err := limiter.New(rdb, limiter.Config{Rate: 50})
		if err != nil {
			t.Fatal(err)
		}
		lim = l
	}

	cfg := o.cfg
	cfg.RetryBase = 20 * time.Millisecond
	cfg.RetryMax = 100 * time.Millisecond
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 10
	}
	cfg.PollInterval = 50 * time.Millisecond
	w, err := worker.New(rdb, api, lim, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	testutil.Run(t, w.Run)

	p := enqueue.New(rdb)
	t.Cleanup(func() { p.Close() })
	return &fixture{rdb: rdb, emu: emu, producer: p}
}

// run submits one job and waits for it to end.
func (f *fixture) run(t *testing.T, req tasks.Request, opts ...enqueue.Option) *tasks.Job {
	t.Helper()
	job, err := f.producer.Submit(context.Background(), req, opts...)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	return f.wait(t, job.ID)
}

func (f *fixture) wait(t *testing.T, id string) *tasks.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	job, err := f.producer.Wait(ctx, id)
	if err != nil {
		t.Fatalf("Wait(%s): %v", id, err)
	}
	return job
}

func wantFailure(t *testing.T, job *tasks.Job, code string, attempts int) {
	t.Helper()
	if job.State != tasks.StateFailed || job.Failure == nil || job.Failure.Code != code {
		t.Fatalf("job = %s %+v, want failed with %s", job.State, job.Failure, code)
	}
	if job.Attempts != attempts {
		t.Errorf("attempts = %d, want %d", job.Attempts, attempts)
	}
	if job.FinishedAt.IsZero() {
		t.Error("finished_at not set")
	}
}

func TestSuccessStoresResultAndRequestID(t *testing.T) {
	t.Parallel()
	f := setup(t, options{limiter: true})
	job := f.run(t, tasks.Request{FunctionName: "ExampleFunc", FunctionArg: "XXX"}, enqueue.JobID("ok-1"))

	if job.State != tasks.StateSucceeded || job.Outcome == nil {
		t.Fatalf("job = %s %+v, want succeeded", job.State, job.Failure)
	}
	if job.Outcome.Result != "XXX" || job.Outcome.RequestId == "" {
		t.Errorf("outcome = %+v, want Result XXX and a RequestId", job.Outcome)
	}
	if job.Attempts != 1 || job.StartedAt.IsZero() || job.FinishedAt.Before(job.StartedAt) {
		t.Errorf("attempts %d, started %v, finished %v", job.Attempts, job.StartedAt, job.FinishedAt)
	}
	got, err := f.producer.Get(context.Background(), "ok-1")
	if err != nil || got.Outcome == nil || got.Outcome.RequestId != job.Outcome.RequestId {
		t.Errorf("Get = %+v, %v; want the same outcome", got, err)
	}
}

func TestInternalErrorTwiceThenSuccess(t *testing.T) {
	t.Parallel()
	f := setup(t, options{})
	job := f.run(t, tasks.Request{FunctionName: "flaky:2:InternalError", FunctionArg: "a"})

	if job.State != tasks.StateSucceeded || job.Attempts != 3 {
		t.Fatalf("job = %s after %d attempts, want succeeded after 3", job.State, job.Attempts)
	}
	if job.Failure != nil {
		t.Errorf("failure %+v kept after success", job.Failure)
	}
	if n := f.emu.Emulator.Stats().ByCode["OK"]; n != 1 {
		t.Errorf("emulator answered OK %d times, want 1", n)
	}
}

func TestPermanentErrorEndsAtOnce(t *testing.T) {
	t.Parallel()
	f := setup(t, options{})
	job := f.run(t, tasks.Request{FunctionName: "fail:FailedOperation.InvalidVodUser", FunctionArg: "a"})
	wantFailure(t, job, "FailedOperation.InvalidVodUser", 1)
	if job.Failure.RequestId == "" || job.Failure.Message == "" {
		t.Errorf("failure %+v lacks message or RequestId", job.Failure)
	}
}

func TestThrottledCallsSpendNoRetries(t *testing.T) {
	t.Parallel()
	f := setup(t, options{limiter: true})
	job := f.run(t, tasks.Request{FunctionName: "flaky:3:RequestLimitExceeded", FunctionArg: "a"},
		enqueue.MaxRetries(0))

	if job.State != tasks.StateSucceeded {
		t.Fatalf("job = %s %+v, want succeeded although it has no retries", job.State, job.Failure)
	}
	if job.Attempts != 4 {
		t.Errorf("attempts = %d, want 4 (3 throttled calls and a success)", job.Attempts)
	}
}

func TestRetriesExhaustedKeepsLastCode(t *testing.T) {
	t.Parallel()
	f := setup(t, options{})
	job := f.run(t, tasks.Request{FunctionName: "fail:InternalError", FunctionArg: "a"},
		enqueue.MaxRetries(2))
	wantFailure(t, job, "InternalError", 3)
}

func TestSignatureExpireIsRetriedOnce(t *testing.T) {
	t.Parallel()
	f := setup(t, options{})
	job := f.run(t, tasks.Request{FunctionName: "fail:AuthFailure.SignatureExpire", FunctionArg: "a"})
	wantFailure(t, job, "AuthFailure.SignatureExpire", 2)

	job = f.run(t, tasks.Request{FunctionName: "flaky:1:AuthFailure.SignatureExpire", FunctionArg: "b"},
		enqueue.MaxRetries(0))
	if job.State != tasks.StateSucceeded || job.Attempts != 2 {
		t.Errorf("job = %s after %d attempts, want succeeded after 2", job.State, job.Attempts)
	}
}

func TestConfiguredTransientCodes(t *testing.T) {
	t.Parallel()
	f := setup(t, options{cfg: worker.Config{
		Classifier: tasks.NewClassifier([]string{"FailedOperation"}),
	}})
	job := f.run(t, tasks.Request{FunctionName: "flaky:1:FailedOperation", FunctionArg: "a"})
	if job.State != tasks.StateSucceeded || job.Attempts != 2 {
		t.Errorf("job = %s after %d attempts, want FailedOperation retried", job.State, job.Attempts)
	}
	job = f.run(t, tasks.Request{FunctionName: "flaky:1:InternalError", FunctionArg: "b"})
	wantFailure(t, job, "InternalError", 1)
}

func TestWrongKeyIsRefusedByTheAPI(t *testing.T) {
	t.Parallel()
	f := setup(t, options{key: "not-the-key"})
	job := f.run(t, tasks.Request{FunctionName: "echo", FunctionArg: "a"})
	wantFailure(t, job, "AuthFailure.SignatureFailure", 1)
}

func TestResubmittedJobRunsOnce(t *testing.T) {
	t.Parallel()
	f := setup(t, options{})
	ctx := context.Background()
	req := tasks.Request{FunctionName: "sleep:200ms", FunctionArg: "once"}

	// Ten producers race to submit the same ID.
	var wg sync.WaitGroup
	created := make(chan string, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			job, err := f.producer.Submit(ctx, req, enqueue.JobID("same"))
			switch {
			case err == nil:
				created <- job.ID
			case !errors.Is(err, enqueue.ErrDuplicate):
				t.Errorf("Submit: %v", err)
			}
		}()
	}
	wg.Wait()
	close(created)
	if n := len(created); n != 1 {
		t.Fatalf("%d submissions created the job, want 1", n)
	}
	f.wait(t, "same")

	// After it ended, the ID still refers to the same job.
	job, err := f.producer.Submit(ctx, req, enqueue.JobID("same"))
	var dup *enqueue.DuplicateError
	if !errors.As(err, &dup) || job.State != tasks.StateSucceeded {
		t.Fatalf("Submit after end = %v, %v; want the succeeded job and a DuplicateError", job, err)
	}
	time.Sleep(300 * time.Millisecond)
	if s := f.emu.Emulator.Stats(); s.Accepted != 1 {
		t.Errorf("the API was called %d times, want 1", s.Accepted)
	}
}

func TestMalformedPayloadFailsWithoutRetry(t *testing.T) {
	t.Parallel()
	f := setup(t, options{})
	aq := asynq.NewClientFromRedisClient(f.rdb)
	for id, payload := range map[string]string{
		"garbage":   "{not json",
		"no-arg":    `{"FunctionName":"echo"}`,
		"too-long":  `{"FunctionName":"echo","FunctionArg":"a","SessionId":"` + strings.Repeat("x", 51) + `"}`,
		"extra-key": `{"FunctionName":"echo","FunctionArg":"a","Oops":1}`,
	} {
		_, err := aq.Enqueue(asynq.NewTask(tasks.TypeExecuteFunction, []byte(payload)),
			asynq.TaskID(id), asynq.MaxRetry(5))
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"garbage", "no-arg", "too-long", "extra-key"} {
		// No producer wrote these records: the worker does when it runs.
		for start := time.Now(); time.Since(start) < 10*time.Second; {
			if _, err := f.producer.Get(context.Background(), id); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		job := f.wait(t, id)
		wantFailure(t, job, tasks.CodeBadPayload, 0)
	}
	if s := f.emu.Emulator.Stats(); s.Requests != 0 {
		t.Errorf("the API was called %d times for bad payloads", s.Requests)
	}
	// The worker archived the tasks instead of retrying them.
	insp := asynq.NewInspectorFromRedisClient(f.rdb)
	deadline := time.Now().Add(5 * time.Second)
	for {
		info, err := insp.GetQueueInfo("default")
		if err == nil && info.Archived == 4 && info.Retry == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue = %+v, %v; want 4 archived, none to retry", info, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestCanceledJobIsNotCalled(t *testing.T) {
	t.Parallel()
	f := setup(t, options{})
	ctx := context.Background()
	job, err := f.producer.Submit(ctx, tasks.Request{FunctionName: "echo", FunctionArg: "a"},
		enqueue.ProcessIn(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	canceled, err := f.producer.Cancel(ctx, job.ID)
	if err != nil || canceled.State != tasks.StateCanceled {
		t.Fatalf("Cancel = %+v, %v", canceled, err)
	}
	if again, err := f.producer.Cancel(ctx, job.ID); err != nil || again.State != tasks.StateCanceled {
		t.Errorf("second Cancel = %+v, %v; want the canceled record", again, err)
	}
	time.Sleep(time.Second)
	if s := f.emu.Emulator.Stats(); s.Requests != 0 {
		t.Errorf("the API was called %d times for a canceled job", s.Requests)
	}
	got, _ := f.producer.Get(ctx, job.ID)
	if got.State != tasks.StateCanceled || got.Failure.Code != tasks.CodeCanceled {
		t.Errorf("record = %+v, want canceled", got)
	}
}

func TestSessionIDFromJob(t *testing.T) {
	t.Parallel()
	f := setup(t, options{cfg: worker.Config{SessionIDFromJob: true}})
	f.run(t, tasks.Request{FunctionName: "echo", FunctionArg: "a"}, enqueue.JobID("sess-1"))

	// A second job that reuses the first one's SessionId is refused by the
	// API as a duplicate: the worker sent the job ID.
	job := f.run(t, tasks.Request{FunctionName: "echo", FunctionArg: "b", SessionId: "sess-1"})
	wantFailure(t, job, "InvalidParameterValue.SessionId", 1)
}

func TestRecordsAreJSON(t *testing.T) {
	t.Parallel()
	f := setup(t, options{})
	job := f.run(t, tasks.Request{FunctionName: "echo", FunctionArg: "a"})
	b, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	var back tasks.Job
	if err := json.Unmarshal(b, &back); err != nil || back.Outcome.Result != "a" {
		t.Errorf("round trip = %+v, %v", back, err)
	}
}

func TestJanitorEndsJobsWhoseTaskVanished(t *testing.T) {
	t.Parallel()
	f := setup(t, options{cfg: worker.Config{JanitorInterval: 200 * time.Millisecond}})
	ctx := context.Background()
	job, err := f.producer.Submit(ctx, tasks.Request{FunctionName: "echo", FunctionArg: "a"},
		enqueue.ProcessIn(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// An operator deletes the task in the web UI.
	insp := asynq.NewInspectorFromRedisClient(f.rdb)
	if err := insp.DeleteTask(job.Queue, job.ID); err != nil {
		t.Fatal(err)
	}
	got := f.wait(t, job.ID)
	wantFailure(t, got, tasks.CodeLost, 0)
}

// capacitySample runs 100 jobs calling function on a worker of the given
// concurrency and rate, and returns its logs once the capacity check has
// logged its verdict (or after 5 s).
func capacitySample(t *testing.T, concurrency int, rate float64, function string) string {
	t.Helper()
	var logs testutil.Buffer
	f := setup(t, options{cfg: worker.Config{
		Concurrency: concurrency,
		Rate:        rate,
		Logger:      slog.New(slog.NewJSONHandler(&logs, nil)),
	}})
	specs := make([]tasks.Spec, 100)
	for i := range specs {
		specs[i] = tasks.Spec{Request: tasks.Request{FunctionName: function, FunctionArg: "x"}}
	}
	for _, r := range f.producer.SubmitMany(context.Background(), specs) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		f.wait(t, r.Job.ID)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "needed_in_flight") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	return logs.String()
}

func TestCapacityCheckLogsAVerdictAfterASample(t *testing.T) {
	t.Parallel()
	out := capacitySample(t, 4, 100, "sleep:20ms")
	if !strings.Contains(out, `"fleet_concurrency":4`) || !strings.Contains(out, `"needed_in_flight"`) {
		t.Fatalf("no capacity verdict logged:\n%s", out)
	}
	if strings.Contains(out, "secret") || strings.Contains(out, secretKey) {
		t.Errorf("logs mention a secret:\n%s", out)
	}
}

func TestCapacityCheckWarnsWhenTheRateIsOutOfReach(t *testing.T) {
	t.Parallel()
	// 2 in flight at 10 ms or more a call cannot make 1000 calls a second.
	out := capacitySample(t, 2, 1000, "sleep:10ms")
	if !strings.Contains(out, "concurrency too low to reach the rate") {
		t.Fatalf("no warning:\n%s", out)
	}
}

func TestThrottledUntilTheDeadlineSpendsNoRetry(t *testing.T) {
	t.Parallel()
	f := setup(t, options{})
	ctx := context.Background()
	job, err := f.producer.Submit(ctx, tasks.Request{FunctionName: "fail:RequestLimitExceeded", FunctionArg: "a"},
		enqueue.MaxRetries(1), enqueue.Timeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspectorFromRedisClient(f.rdb)
	deadline := time.Now().Add(15 * time.Second)
	for {
		info, err := insp.GetTaskInfo(job.Queue, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		rec, _ := f.producer.Get(ctx, job.ID)
		if info.Retried != 0 || info.State == asynq.TaskStateArchived {
			t.Fatalf("task %s after %d retries; throttling must spend none", info.State, info.Retried)
		}
		if info.State == asynq.TaskStateRetry && rec.Attempts > 3 {
			if rec.State != tasks.StateRetrying || rec.Failure.Code != "RequestLimitExceeded" {
				t.Errorf("record = %s %+v, want retrying with RequestLimitExceeded", rec.State, rec.Failure)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("task never handed back: %s, record %+v", info.State, rec)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// With no retry at all, Asynq cannot hand the task back: it fails.
	last := f.run(t, tasks.Request{FunctionName: "fail:RequestLimitExceeded", FunctionArg: "b"},
		enqueue.MaxRetries(0), enqueue.Timeout(2*time.Second))
	if last.State != tasks.StateFailed || last.Failure.Code != "RequestLimitExceeded" {
		t.Errorf("job = %s %+v, want failed with RequestLimitExceeded", last.State, last.Failure)
	}
}

// brokenLimiter fails as a limiter whose Redis refuses its key would.
type brokenLimiter struct{}

func (brokenLimiter) Wait(context.Context) (time.Duration, error) {
	return 0, errors.New("NOPERM this user has no permissions to access the key")
}

func (brokenLimiter) Throttled(context.Context) (float64, error) { return 0, nil }

func TestLimiterFailureIsRetriedThenFails(t *testing.T) {
	t.Parallel()
	f := setup(t, options{lim: brokenLimiter{}})
	job := f.run(t, tasks.Request{FunctionName: "echo", FunctionArg: "a"}, enqueue.MaxRetries(1))
	wantFailure(t, job, tasks.CodeLimiter, 2)
	if s := f.emu.Emulator.Stats(); s.Requests != 0 {
		t.Errorf("the API was called %d times without a limiter grant", s.Requests)
	}
}

func TestEndlessThrottlingEndsAfterTheRetries(t *testing.T) {
	t.Parallel()
	f := setup(t, options{cfg: worker.Config{MaxThrottled: 3}})
	job := f.run(t, tasks.Request{FunctionName: "fail:RequestLimitExceeded", FunctionArg: "a"},
		enqueue.MaxRetries(1))
	// Two attempts of three throttled calls each: the throttle budget of an
	// attempt spent, the attempt counts as failed.
	wantFailure(t, job, "RequestLimitExceeded", 6)
	if !strings.Contains(job.Failure.Message, "throttled 3 times in a row") {
		t.Errorf("message %q does not say why it gave up", job.Failure.Message)
	}
}

func TestCancelOfARunningTaskInTheUIEndsTheJob(t *testing.T) {
	t.Parallel()
	f := setup(t, options{})
	ctx := context.Background()
	job, err := f.producer.Submit(ctx, tasks.Request{FunctionName: "sleep:5s", FunctionArg: "a"},
		enqueue.MaxRetries(3))
	if err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); ; {
		rec, _ := f.producer.Get(ctx, job.ID)
		if rec != nil && rec.State == tasks.StateRunning {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("job never started: %+v", rec)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// What the web UI's Cancel button does.
	if err := asynq.NewInspectorFromRedisClient(f.rdb).CancelProcessing(job.ID); err != nil {
		t.Fatal(err)
	}
	got := f.wait(t, job.ID)
	if got.State != tasks.StateCanceled || got.Failure.Code != tasks.CodeCanceled {
		t.Fatalf("job = %s %+v, want canceled", got.State, got.Failure)
	}
	// Asynq retries the task; the worker finds the job ended and does not
	// call again.
	time.Sleep(2 * time.Second)
	if s := f.emu.Emulator.Stats(); s.Accepted != 1 {
		t.Errorf("the API was called %d times, want 1", s.Accepted)
	}
}
