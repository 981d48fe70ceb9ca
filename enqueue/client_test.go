package enqueue_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/enqueue"
	"github.com/vodq/vodq/internal/store"
	"github.com/vodq/vodq/tasks"
)

func TestSubmit(t *testing.T) {
	t.Parallel()

	t.Run("a job without an ID gets a UUIDv7 and is queued", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		before := time.Now()
		job := f.submit(t, request("XXX"))

		id, err := uuid.Parse(job.ID)
		if err != nil || id.Version() != 7 {
			t.Errorf("job ID %q is not a UUIDv7 (%v)", job.ID, err)
		}
		want := &tasks.Job{
			ID: job.ID, Queue: enqueue.DefaultQueue, State: tasks.StateQueued,
			Request: request("XXX"), MaxRetries: enqueue.DefaultMaxRetries,
			SubmittedAt: job.SubmittedAt,
		}
		if !reflect.DeepEqual(want, job) {
			t.Errorf("record mismatch (-want +got):\n-%+v\n+%+v", want, job)
		}
		if !near(job.SubmittedAt, before, 5*time.Second) {
			t.Errorf("submitted_at = %v, want about %v", job.SubmittedAt, before)
		}
		got, err := f.client.Get(ctx, job.ID)
		if err != nil || !reflect.DeepEqual(job, got) {
			t.Errorf("Get = %+v, %v; want %+v", got, err, job)
		}
	})

	t.Run("jobs without IDs get distinct IDs that sort by time", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		var ids []string
		for i := range 5 {
			ids = append(ids, f.submit(t, request(string(rune('a'+i)))).ID)
		}
		for i := 1; i < len(ids); i++ {
			if ids[i] <= ids[i-1] {
				t.Errorf("ID %s after %s does not sort later", ids[i], ids[i-1])
			}
		}
	})

	t.Run("the task carries the job ID, the request and the options", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		req := tasks.Request{
			FunctionName: "ExampleFunc", FunctionArg: `{"FileId":"5285890"}`,
			SubAppId: new(uint64), SessionContext: "ctx", SessionId: "sid", ExtInfo: "ext",
		}
		*req.SubAppId = 1500000001
		job := f.submit(t, req, enqueue.JobID("clip-42"), enqueue.Queue("critical"),
			enqueue.MaxRetries(4), enqueue.Timeout(90*time.Second))

		if job.ID != "clip-42" || job.Queue != "critical" || job.MaxRetries != 4 {
			t.Errorf("record = %+v, want clip-42 in critical with 4 retries", job)
		}
		info := f.task(t, "critical", "clip-42")
		payload, _ := json.Marshal(req)
		if info.ID != "clip-42" || info.Type != tasks.TypeExecuteFunction || info.Queue != "critical" {
			t.Errorf("task = %s %s in %s, want clip-42 %s in critical",
				info.ID, info.Type, info.Queue, tasks.TypeExecuteFunction)
		}
		if string(info.Payload) != string(payload) {
			t.Errorf("payload mismatch (-want +got):\n-%s\n+%s", payload, info.Payload)
		}
		if back, err := tasks.DecodeRequest(info.Payload); err != nil || !reflect.DeepEqual(req, back) {
			t.Errorf("payload decodes to %+v, %v; want %+v", back, err, req)
		}
		if info.MaxRetry != 4 || info.Timeout != 90*time.Second {
			t.Errorf("task max retry %d, timeout %v; want 4 and 1m30s", info.MaxRetry, info.Timeout)
		}
		if info.State != asynq.TaskStatePending {
			t.Errorf("task state = %v, want pending", info.State)
		}
		if info.Retention != enqueue.DefaultTaskRetention {
			t.Errorf("task retention = %v, want %v", info.Retention, enqueue.DefaultTaskRetention)
		}
	})

	t.Run("ProcessIn schedules the task", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		job := f.submit(t, request("later"), enqueue.ProcessIn(time.Hour))
		info := f.task(t, job.Queue, job.ID)
		if info.State != asynq.TaskStateScheduled {
			t.Errorf("task state = %v, want scheduled", info.State)
		}
		if want := time.Now().Add(time.Hour); !near(info.NextProcessAt, want, 5*time.Second) {
			t.Errorf("next process at %v, want about %v", info.NextProcessAt, want)
		}
		if job.State != tasks.StateQueued {
			t.Errorf("record state = %s, want queued", job.State)
		}
	})

	t.Run("ProcessAt schedules the task at that time", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		at := time.Now().Add(2 * time.Hour).Truncate(time.Second)
		job := f.submit(t, request("later"), enqueue.ProcessAt(at))
		info := f.task(t, job.Queue, job.ID)
		if info.State != asynq.TaskStateScheduled || !info.NextProcessAt.Equal(at) {
			t.Errorf("task = %v at %v, want scheduled at %v", info.State, info.NextProcessAt, at)
		}
	})

	t.Run("a duplicate job ID returns the existing record and queues nothing", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		first := f.submit(t, request("first"), enqueue.JobID("dup"))

		job, err := f.client.Submit(ctx, request("second"), enqueue.JobID("dup"), enqueue.Queue("other"))
		var dup *enqueue.DuplicateError
		if !errors.As(err, &dup) || !errors.Is(err, enqueue.ErrDuplicate) {
			t.Fatalf("second Submit = %v, want a *DuplicateError matching ErrDuplicate", err)
		}
		if !reflect.DeepEqual(first, dup.Job) || !reflect.DeepEqual(first, job) {
			t.Errorf("existing record mismatch (-want +got):\n-%+v\n+%+v (returned %+v)", first, dup.Job, job)
		}
		if msg := err.Error(); !strings.Contains(msg, "dup") || !strings.Contains(msg, "queued") {
			t.Errorf("error %q does not name the job and its state", msg)
		}

		pending, err := f.insp.ListPendingTasks(enqueue.DefaultQueue)
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) != 1 || string(pending[0].Payload) != `{"FunctionName":"ExampleFunc","FunctionArg":"first"}` {
			t.Errorf("pending tasks = %d, want only the first", len(pending))
		}
		f.wantNoTask(t, "other", "dup")
		if got, _ := f.client.Get(ctx, "dup"); !reflect.DeepEqual(first, got) {
			t.Errorf("record changed (-want +got):\n-%+v\n+%+v", first, got)
		}
	})

	t.Run("the ID of a canceled job cannot be reused", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.submit(t, request("a"), enqueue.JobID("once"))
		if _, err := f.client.Cancel(ctx, "once"); err != nil {
			t.Fatal(err)
		}
		job, err := f.client.Submit(ctx, request("a"), enqueue.JobID("once"))
		if !errors.Is(err, enqueue.ErrDuplicate) || job == nil || job.State != tasks.StateCanceled {
			t.Fatalf("Submit = %+v, %v; want the canceled record and ErrDuplicate", job, err)
		}
		f.wantNoTask(t, enqueue.DefaultQueue, "once")
	})

	t.Run("concurrent submissions of one ID create one job", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		const racers = 10
		errs := make([]error, racers)
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() {
				_, errs[i] = f.client.Submit(ctx, request("same"), enqueue.JobID("same"))
			})
		}
		wg.Wait()
		created := 0
		for _, err := range errs {
			switch {
			case err == nil:
				created++
			case !errors.Is(err, enqueue.ErrDuplicate):
				t.Errorf("Submit: %v", err)
			}
		}
		if created != 1 {
			t.Errorf("%d submissions created the job, want 1", created)
		}
		pending, err := f.insp.ListPendingTasks(enqueue.DefaultQueue)
		if err != nil || len(pending) != 1 {
			t.Errorf("pending tasks = %d, %v; want 1", len(pending), err)
		}
	})

	t.Run("a task whose record is late is a duplicate once the record appears", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		// Another producer has queued the task but not yet written the record.
		enqueueBare(t, f, "late")
		go func() {
			time.Sleep(50 * time.Millisecond)
			s := store.New(f.rdb, store.Options{})
			defer s.Close()
			job := &tasks.Job{ID: "late", Queue: enqueue.DefaultQueue, Request: request("other"), SubmittedAt: time.Now()}
			if _, _, err := s.Create(ctx, job); err != nil {
				t.Errorf("Create: %v", err)
			}
		}()
		job, err := f.client.Submit(ctx, request("mine"), enqueue.JobID("late"))
		var dup *enqueue.DuplicateError
		if !errors.As(err, &dup) || dup.Job.State != tasks.StateQueued || dup.Job.Request.FunctionArg != "other" {
			t.Fatalf("Submit = %+v, %v; want a DuplicateError with the other producer's record", job, err)
		}
	})

	t.Run("a task that never gets a record is still a duplicate", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		enqueueBare(t, f, "bare")
		start := time.Now()
		_, err := f.client.Submit(ctx, request("mine"), enqueue.JobID("bare"))
		var dup *enqueue.DuplicateError
		if !errors.As(err, &dup) || dup.Job == nil || dup.Job.ID != "bare" {
			t.Fatalf("Submit = %v, want a DuplicateError for bare", err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("Submit took %v to give up looking for the record", took)
		}
		if _, err := f.client.Get(ctx, "bare"); !errors.Is(err, enqueue.ErrNotFound) {
			t.Errorf("Get = %v; Submit must not write a record for another producer's task", err)
		}
	})
}

// enqueueBare queues a task for job id with no record, as a producer that
// died between its two writes leaves it.
func enqueueBare(t *testing.T, f *fixture, id string) {
	t.Helper()
	aq := asynq.NewClientFromRedisClient(f.rdb)
	task := asynq.NewTask(tasks.TypeExecuteFunction, []byte(`{"FunctionName":"f","FunctionArg":"a"}`))
	if _, err := aq.Enqueue(task, asynq.TaskID(id)); err != nil {
		t.Fatal(err)
	}
}

func TestSubmitRefusesInvalidJobs(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name  string
		req   tasks.Request
		opts  []enqueue.Option
		field string
	}{
		{"a missing FunctionName is refused", tasks.Request{FunctionArg: "a"}, nil, "FunctionName"},
		{"a missing FunctionArg is refused", tasks.Request{FunctionName: "f"}, nil, "FunctionArg"},
		{
			"a SessionId of 51 characters is refused",
			tasks.Request{FunctionName: "f", FunctionArg: "a", SessionId: strings.Repeat("é", 51)},
			nil, "SessionId",
		},
		{"a zero SubAppId is refused", tasks.Request{FunctionName: "f", FunctionArg: "a", SubAppId: new(uint64)}, nil, "SubAppId"},
		{"a bad job ID is refused", request("a"), []enqueue.Option{enqueue.JobID("a/b")}, "job_id"},
		{"a bad queue is refused", request("a"), []enqueue.Option{enqueue.Queue("a b")}, "queue"},
		{"101 retries are refused", request("a"), []enqueue.Option{enqueue.MaxRetries(101)}, "max_retries"},
		{"a timeout under a second is refused", request("a"), []enqueue.Option{enqueue.Timeout(time.Millisecond)}, "timeout"},
		{"a negative ProcessIn is refused", request("a"), []enqueue.Option{enqueue.ProcessIn(-time.Second)}, "process_in"},
		{
			"ProcessIn with ProcessAt is refused",
			request("a"),
			[]enqueue.Option{enqueue.ProcessIn(time.Minute), enqueue.ProcessAt(time.Now().Add(time.Hour))},
			"process_in",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			job, err := f.client.Submit(ctx, tt.req, tt.opts...)
			var fe *tasks.FieldError
			if !errors.As(err, &fe) || !errors.Is(err, tasks.ErrInvalid) {
				t.Fatalf("Submit = %+v, %v; want a *tasks.FieldError", job, err)
			}
			if fe.Field != tt.field {
				t.Errorf("field mismatch (-want +got):\n-%s\n+%s", tt.field, fe.Field)
			}
			if job != nil {
				t.Errorf("Submit returned %+v with its error", job)
			}
			f.wantEmpty(t)
		})
	}
}

func TestClientDefaults(t *testing.T) {
	t.Parallel()

	t.Run("the Client's defaults apply to jobs that set nothing", func(t *testing.T) {
		t.Parallel()
		f := setup(t, enqueue.WithQueue("low"), enqueue.WithMaxRetries(2),
			enqueue.WithTimeout(42*time.Second), enqueue.WithTaskRetention(10*time.Minute),
			enqueue.WithRetention(2*time.Hour))
		job := f.submit(t, request("a"))
		if job.Queue != "low" || job.MaxRetries != 2 {
			t.Errorf("record = %+v, want queue low and 2 retries", job)
		}
		info := f.task(t, "low", job.ID)
		if info.MaxRetry != 2 || info.Timeout != 42*time.Second || info.Retention != 10*time.Minute {
			t.Errorf("task max retry %d, timeout %v, retention %v; want 2, 42s, 10m",
				info.MaxRetry, info.Timeout, info.Retention)
		}
		ttl := f.rdb.PTTL(ctx, store.Key(job.ID)).Val()
		if ttl < 2*time.Hour-time.Minute || ttl > 2*time.Hour {
			t.Errorf("record PTTL = %v, want about 2h", ttl)
		}
	})

	t.Run("a job's own options override the Client's", func(t *testing.T) {
		t.Parallel()
		f := setup(t, enqueue.WithQueue("low"), enqueue.WithMaxRetries(2), enqueue.WithTimeout(42*time.Second))
		job := f.submit(t, request("a"), enqueue.Queue("high"), enqueue.MaxRetries(0), enqueue.Timeout(time.Hour))
		if job.Queue != "high" || job.MaxRetries != 0 {
			t.Errorf("record = %+v, want queue high and 0 retries", job)
		}
		info := f.task(t, "high", job.ID)
		if info.MaxRetry != 0 || info.Timeout != time.Hour {
			t.Errorf("task max retry %d, timeout %v; want 0 and 1h", info.MaxRetry, info.Timeout)
		}
	})

	t.Run("without options the package defaults apply", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		job := f.submit(t, request("a"))
		info := f.task(t, enqueue.DefaultQueue, job.ID)
		if info.MaxRetry != enqueue.DefaultMaxRetries || info.Timeout != enqueue.DefaultTimeout {
			t.Errorf("task max retry %d, timeout %v; want %d and %v",
				info.MaxRetry, info.Timeout, enqueue.DefaultMaxRetries, enqueue.DefaultTimeout)
		}
		ttl := f.rdb.PTTL(ctx, store.Key(job.ID)).Val()
		if ttl < store.DefaultRetention-time.Minute || ttl > store.DefaultRetention {
			t.Errorf("record PTTL = %v, want about %v", ttl, store.DefaultRetention)
		}
	})
}

// A Client default outside the limits a job's own option must meet would
// queue a task the record does not describe (WithMaxRetries(-1) stores -1
// but Asynq runs 0). Submit refuses such a job as it refuses the same
// option given to the job.
func TestClientDefaultsOutsideTheLimitsAreRefused(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name  string
		opt   enqueue.ClientOption
		field string
	}{
		{"negative default retries are refused", enqueue.WithMaxRetries(-1), "max_retries"},
		{"default retries over 100 are refused", enqueue.WithMaxRetries(1000), "max_retries"},
		{"a negative default timeout is refused", enqueue.WithTimeout(-time.Second), "timeout"},
		{"a default timeout over 24h is refused", enqueue.WithTimeout(48 * time.Hour), "timeout"},
		{"a default queue with bad characters is refused", enqueue.WithQueue("a b.c"), "queue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, tt.opt)
			job, err := f.client.Submit(ctx, request("a"))
			var fe *tasks.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("Submit error = %v (job returned: %t), want a *tasks.FieldError for %s",
					err, job != nil, tt.field)
			}
			f.wantEmpty(t)
		})
	}
}

// As everywhere in vodq, a zero setting means the default.
func TestZeroClientDefaultsMeanThePackageDefaults(t *testing.T) {
	t.Parallel()
	f := setup(t, enqueue.WithQueue(""), enqueue.WithTimeout(0))
	job, err := f.client.Submit(ctx, request("a"))
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if job.Queue != enqueue.DefaultQueue {
		t.Errorf("queue = %q, want %q", job.Queue, enqueue.DefaultQueue)
	}
	// Not Asynq's own default of 30 minutes.
	if info := f.task(t, job.Queue, job.ID); info.Timeout != enqueue.DefaultTimeout {
		t.Errorf("task timeout = %v, want %v", info.Timeout, enqueue.DefaultTimeout)
	}
}

func TestGet(t *testing.T) {
	t.Parallel()
	f := setup(t)
	job, err := f.client.Get(ctx, "nobody")
	if !errors.Is(err, enqueue.ErrNotFound) || job != nil {
		t.Fatalf("Get = %+v, %v; want ErrNotFound", job, err)
	}
	if !strings.Contains(err.Error(), "nobody") {
		t.Errorf("error %q does not name the job", err)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()

	t.Run("a queued job is canceled and its task deleted", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		job := f.submit(t, request("a"), enqueue.JobID("c"), enqueue.Queue("q1"))
		rec, err := f.client.Cancel(ctx, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rec.State != tasks.StateCanceled || rec.Failure == nil || rec.Failure.Code != tasks.CodeCanceled {
			t.Errorf("record = %s %+v, want canceled with %s", rec.State, rec.Failure, tasks.CodeCanceled)
		}
		f.wantNoTask(t, "q1", "c")
		if got, _ := f.client.Get(ctx, "c"); got == nil || got.State != tasks.StateCanceled {
			t.Errorf("Get = %+v, want canceled", got)
		}
	})

	t.Run("a scheduled job is canceled and its task deleted", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		job := f.submit(t, request("a"), enqueue.ProcessIn(time.Hour))
		if _, err := f.client.Cancel(ctx, job.ID); err != nil {
			t.Fatal(err)
		}
		f.wantNoTask(t, job.Queue, job.ID)
	})

	t.Run("a job waiting for a retry is canceled", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		job := f.submit(t, request("a"))
		s := store.New(f.rdb, store.Options{})
		t.Cleanup(func() { s.Close() })
		s.Start(ctx, job.ID, job.Queue, nil, 0)
		s.Retrying(ctx, job.ID, &tasks.Failure{Code: "InternalError"})
		rec, err := f.client.Cancel(ctx, job.ID)
		if err != nil || rec.State != tasks.StateCanceled {
			t.Errorf("Cancel = %+v, %v; want canceled", rec, err)
		}
	})

	t.Run("a second Cancel finds its work done and returns the same record", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		job := f.submit(t, request("a"))
		first, err := f.client.Cancel(ctx, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := f.client.Cancel(ctx, job.ID)
		if err != nil || rec == nil || rec.State != tasks.StateCanceled ||
			!rec.FinishedAt.Equal(first.FinishedAt) {
			t.Fatalf("second Cancel = %+v, %v; want the first cancel's record and no error", rec, err)
		}
	})

	t.Run("a running job is not canceled and keeps its task", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		job := f.submit(t, request("a"))
		s := store.New(f.rdb, store.Options{})
		t.Cleanup(func() { s.Close() })
		if _, _, err := s.Start(ctx, job.ID, job.Queue, nil, 0); err != nil {
			t.Fatal(err)
		}
		_, err := f.client.Cancel(ctx, job.ID)
		var se *enqueue.StateError
		if !errors.As(err, &se) || se.Job.State != tasks.StateRunning {
			t.Fatalf("Cancel = %v, want a StateError for a running job", err)
		}
		f.task(t, job.Queue, job.ID)
	})

	t.Run("an unknown job is ErrNotFound", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		rec, err := f.client.Cancel(ctx, "nobody")
		if !errors.Is(err, enqueue.ErrNotFound) || rec != nil {
			t.Errorf("Cancel = %+v, %v; want ErrNotFound", rec, err)
		}
		f.wantEmpty(t)
	})
}

func TestWait(t *testing.T) {
	t.Parallel()

	t.Run("a short deadline returns the context's error", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		job := f.submit(t, request("a"))
		wctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		rec, err := f.client.Wait(wctx, job.ID)
		if !errors.Is(err, context.DeadlineExceeded) || rec != nil {
			t.Errorf("Wait = %+v, %v; want DeadlineExceeded", rec, err)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("Wait took %v past a 100ms deadline", took)
		}
	})

	t.Run("an unknown job is ErrNotFound", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		if _, err := f.client.Wait(ctx, "nobody"); !errors.Is(err, enqueue.ErrNotFound) {
			t.Errorf("Wait = %v, want ErrNotFound", err)
		}
	})

	t.Run("a canceled job is returned at once", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		job := f.submit(t, request("a"))
		f.client.Cancel(ctx, job.ID)
		rec, err := f.client.Wait(ctx, job.ID)
		if err != nil || rec.State != tasks.StateCanceled {
			t.Errorf("Wait = %+v, %v; want canceled", rec, err)
		}
	})

	t.Run("a job that ends while waited on is returned with its outcome", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		job := f.submit(t, request("a"))
		go func() {
			time.Sleep(100 * time.Millisecond)
			s := store.New(f.rdb, store.Options{})
			defer s.Close()
			s.Succeed(ctx, job.ID, &tasks.Outcome{Result: "done", RequestId: "r-1"})
		}()
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		rec, err := f.client.Wait(wctx, job.ID)
		if err != nil || rec.Outcome == nil || rec.Outcome.Result != "done" {
			t.Errorf("Wait = %+v, %v; want the outcome done", rec, err)
		}
	})
}

func TestDial(t *testing.T) {
	t.Parallel()

	t.Run("a bad URL is refused without echoing it", func(t *testing.T) {
		t.Parallel()
		for _, url := range []string{
			"http://admin:hunter2@127.0.0.1:6379/0",
			"redis://admin:hunter2@127.0.0.1:notaport/0",
			"redis://admin:hunter2@127.0.0.1:6379/notadb",
			"redis://admin:hunter2@[::1/0",
			"hunter2",
			"",
		} {
			c, err := enqueue.Dial(url)
			if err == nil {
				c.Close()
				t.Errorf("Dial(%q) succeeded, want an error", url)
				continue
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "admin") {
				t.Errorf("Dial error %q leaks the URL's credentials", err)
			}
		}
	})

	t.Run("a good URL gives a working Client on that database", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		c, err := enqueue.Dial(f.srv.URL(3), enqueue.WithQueue("dialed"))
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		job, err := c.Submit(ctx, request("a"))
		if err != nil {
			t.Fatalf("Submit: %v", err)
		}
		if got, err := c.Get(ctx, job.ID); err != nil || got.Queue != "dialed" {
			t.Errorf("Get = %+v, %v; want the job in queue dialed", got, err)
		}
		db3 := redis.NewClient(&redis.Options{Addr: f.srv.Addr, DB: 3})
		t.Cleanup(func() { db3.Close() })
		if n := db3.Exists(ctx, store.Key(job.ID)).Val(); n != 1 {
			t.Errorf("record not in database 3")
		}
		f.wantEmpty(t) // database 0

		if err := c.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if _, err := c.Get(ctx, job.ID); err == nil {
			t.Error("Get after Close succeeded; Close must close a dialed connection")
		}
	})

	t.Run("Close of a Client from New leaves the caller's connection open", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		c := enqueue.New(f.rdb)
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.rdb.Ping(ctx).Err(); err != nil {
			t.Errorf("Ping after Close: %v", err)
		}
	})
}
