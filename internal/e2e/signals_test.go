package e2e_test

import (
	"context"
	"net/http"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vodq/vodq/enqueue"
	"github.com/vodq/vodq/internal/redistest"
	"github.com/vodq/vodq/tasks"
)

func running(j *tasks.Job) bool { return j.State == tasks.StateRunning }

// A worker killed with SIGKILL mid-call leaves its job to the fleet: Asynq
// recovers the task when the lease expires and another worker finishes it,
// with one stored outcome. A job with no retry left is ended as failed by
// the janitor instead of staying "running". Asynq's recovery takes 60 to
// 120 s (a 30 s lease, 30 s of grace, a 1-minute sweep), so this test is
// slow by design.
func TestSIGKILLMidJob(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	c := enqueue.New(s.rdb)
	defer c.Close()
	ctx := context.Background()

	retried, err := c.Submit(ctx, tasks.Request{FunctionName: "sleep:3s", FunctionArg: "with-retries"},
		enqueue.MaxRetries(3))
	if err != nil {
		t.Fatal(err)
	}
	last, err := c.Submit(ctx, tasks.Request{FunctionName: "sleep:3s", FunctionArg: "no-retry"},
		enqueue.MaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}

	env := s.env("VODQ_JANITOR_INTERVAL=1s")
	first := s.start(t, env, "worker")
	waitState(t, c, retried.ID, 20*time.Second, running)
	waitState(t, c, last.ID, 20*time.Second, running)
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.exited(5 * time.Second)

	s.start(t, env, "worker")
	wctx, cancel := context.WithTimeout(ctx, 170*time.Second)
	defer cancel()
	done, err := c.Wait(wctx, retried.ID)
	if err != nil {
		t.Fatalf("job %s did not end after its worker died: %v", retried.ID, err)
	}
	if done.State != tasks.StateSucceeded || done.Outcome.Result != "with-retries" {
		t.Fatalf("job = %s %+v, want succeeded", done.State, done.Failure)
	}
	if done.Attempts != 2 {
		t.Errorf("attempts = %d, want 2 (the killed one and the finishing one)", done.Attempts)
	}

	lost, err := c.Wait(wctx, last.ID)
	if err != nil {
		t.Fatalf("job %s with no retry left never ended: %v", last.ID, err)
	}
	if lost.State != tasks.StateFailed || lost.Failure.Code != tasks.CodeWorkerLost {
		t.Errorf("job = %s %+v, want failed with %s", lost.State, lost.Failure, tasks.CodeWorkerLost)
	}
	if n := s.emu.Emulator.Stats().ByCode["OK"]; n != 1 {
		t.Errorf("the API answered OK %d times, want 1", n)
	}
}

// SIGTERM lets a call shorter than the shutdown timeout finish and store
// its outcome before the process exits.
func TestSIGTERMLetsShortCallFinish(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	c := enqueue.New(s.rdb)
	defer c.Close()
	job, err := c.Submit(context.Background(), tasks.Request{FunctionName: "sleep:1500ms", FunctionArg: "short"})
	if err != nil {
		t.Fatal(err)
	}
	w := s.start(t, s.env("VODQ_SHUTDOWN_TIMEOUT=10s"), "worker")
	waitState(t, c, job.ID, 20*time.Second, running)
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !w.exited(12 * time.Second) {
		t.Fatal("worker did not exit after SIGTERM")
	}
	if w.err != nil {
		t.Errorf("worker exit: %v", w.err)
	}
	got, err := c.Get(context.Background(), job.ID)
	if err != nil || got.State != tasks.StateSucceeded {
		t.Fatalf("record after shutdown = %+v, %v; want succeeded", got, err)
	}
}

// SIGTERM during a call longer than the shutdown timeout interrupts it,
// puts the job back to retrying (never left "running") and hands its task
// back to the queue without spending a retry; the next worker finishes it.
func TestSIGTERMDuringLongCall(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	c := enqueue.New(s.rdb)
	defer c.Close()
	job, err := c.Submit(context.Background(), tasks.Request{FunctionName: "sleep:6s", FunctionArg: "long"},
		enqueue.MaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	w := s.start(t, s.env("VODQ_SHUTDOWN_TIMEOUT=1s"), "worker")
	waitState(t, c, job.ID, 20*time.Second, running)
	start := time.Now()
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !w.exited(10 * time.Second) {
		t.Fatal("worker did not exit after SIGTERM")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("shutdown took %s with a 1s timeout", took)
	}

	got, err := c.Get(context.Background(), job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != tasks.StateRetrying || got.Failure == nil || got.Failure.Code != tasks.CodeInterrupted {
		t.Fatalf("record after shutdown = %s %+v, want retrying with %s", got.State, got.Failure, tasks.CodeInterrupted)
	}
	info, err := asynq.NewInspectorFromRedisClient(s.rdb).GetTaskInfo(got.Queue, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if info.State == asynq.TaskStateActive || info.State == asynq.TaskStateArchived || info.Retried != 0 {
		t.Fatalf("task is %s after %d retries; want it back in the queue with no retry spent", info.State, info.Retried)
	}

	// Though the job has no retries, the next worker runs it to the end.
	s.start(t, s.env(), "worker")
	wctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done, err := c.Wait(wctx, job.ID)
	if err != nil || done.State != tasks.StateSucceeded {
		t.Fatalf("job = %+v, %v; want succeeded", done, err)
	}
}

// A worker started before Redis is alive at once, not ready until Redis
// answers, and stops cleanly if told to while it waits.
func TestWorkerWaitsForRedis(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	port, err := redistest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	// Nothing listens on Redis port 1.
	w := s.start(t, s.env("VODQ_REDIS_URL=redis://127.0.0.1:1/0", "VODQ_WORKER_ADDR="+addr), "worker")
	status := func(path string) int {
		c := http.Client{Timeout: 2 * time.Second}
		resp, err := c.Get("http://" + addr + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	deadline := time.Now().Add(10 * time.Second)
	for status("/healthz") != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("/healthz never answered while the worker waited for Redis")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := status("/readyz"); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d while Redis is down, want 503", got)
	}
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !w.exited(10 * time.Second) {
		t.Fatal("worker did not stop while waiting for Redis")
	}
	if w.err != nil {
		t.Errorf("stop while waiting for Redis: %v, want exit 0", w.err)
	}
}
