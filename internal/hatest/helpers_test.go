package hatest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"

	"github.com/vodq/vodq/enqueue"
	"github.com/vodq/vodq/internal/config"
	"github.com/vodq/vodq/internal/emulator"
	"github.com/vodq/vodq/internal/limiter"
	"github.com/vodq/vodq/internal/redisconn"
	"github.com/vodq/vodq/internal/vodclient"
	"github.com/vodq/vodq/tasks"
	"github.com/vodq/vodq/worker"
)

// The key pair the emulator accepts in these tests. It opens nothing else.
const (
	secretID  = "AKIDhatestOnly"
	secretKey = "hatest-secret-key"
)

// countingAPI wraps the API client and records every call by FunctionArg,
// which each test makes unique per job, so that a test can tell how many
// times each job reached the API and how each call ended.
type countingAPI struct {
	next     worker.API
	emu      *emulator.Server
	inFlight atomic.Int64

	mu    sync.Mutex
	byArg map[string]*callLog
}

// callLog is what the API saw of one job.
type callLog struct {
	// calls counts the calls made, whatever their end.
	calls int
	// ok holds the RequestId of each successful answer, in order.
	ok []string
	// failed holds the error code of each failed call, in order.
	failed []string
}

// newAPI starts an emulator with no quota (the limiter is not under test
// here) and returns a counting client for it.
func newAPI(t *testing.T) *countingAPI {
	t.Helper()
	emu, err := emulator.Listen("127.0.0.1:0", emulator.Config{
		Credentials: map[string]string{secretID: secretKey},
		Quota:       -1,
	})
	if err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() { emu.Close() })

	client, err := vodclient.New(vodclient.Config{
		Endpoint:   emu.Addr,
		Scheme:     "http",
		Timeout:    10 * time.Second,
		Credential: common.NewCredential(secretID, secretKey),
	})
	if err != nil {
		t.Fatalf("make API client: %v", err)
	}
	return &countingAPI{next: client, emu: emu, byArg: map[string]*callLog{}}
}

// ExecuteFunction implements worker.API.
func (a *countingAPI) ExecuteFunction(ctx context.Context, req *tasks.Request) (*tasks.Outcome, error) {
	a.inFlight.Add(1)
	defer a.inFlight.Add(-1)
	a.mu.Lock()
	l := a.byArg[req.FunctionArg]
	if l == nil {
		l = &callLog{}
		a.byArg[req.FunctionArg] = l
	}
	l.calls++
	a.mu.Unlock()

	out, err := a.next.ExecuteFunction(ctx, req)

	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		code := "unknown"
		var f *tasks.Failure
		if errors.As(err, &f) {
			code = f.Code
		}
		l.failed = append(l.failed, code)
		return nil, err
	}
	l.ok = append(l.ok, out.RequestId)
	return out, nil
}

// log returns a copy of what the API saw of the job with arg.
func (a *countingAPI) log(arg string) callLog {
	a.mu.Lock()
	defer a.mu.Unlock()
	l := a.byArg[arg]
	if l == nil {
		return callLog{}
	}
	return callLog{calls: l.calls, ok: slices.Clone(l.ok), failed: slices.Clone(l.failed)}
}

// totalOK counts the successful answers the wrapper saw.
func (a *countingAPI) totalOK() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	var n int64
	for _, l := range a.byArg {
		n += int64(len(l.ok))
	}
	return n
}

// logSink collects the workers' logs and prints their tail when the test
// fails: a failover makes them noisy, so they stay out of passing runs.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *logSink) tail(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	lines := strings.Split(strings.TrimRight(s.buf.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func newLogger(t *testing.T) *slog.Logger {
	t.Helper()
	sink := &logSink{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last worker logs:\n%s", sink.tail(150))
		}
	})
	return slog.New(slog.NewTextHandler(sink, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// openRedis opens a client through redisconn, as the vodq commands do, and
// closes it when the test ends.
func openRedis(t *testing.T, cfg config.Redis) redis.UniversalClient {
	t.Helper()
	rdb, err := redisconn.Open(cfg)
	if err != nil {
		t.Fatalf("open redis: %v", err)
	}
	t.Cleanup(func() { rdb.Close() })
	if err := redisconn.Ping(context.Background(), rdb, 5*time.Second); err != nil {
		t.Fatalf("redis does not answer: %v", err)
	}
	return rdb
}

// workerOptions are the settings of the workers a test starts.
type workerOptions struct {
	queues      map[string]int
	concurrency int
}

// startWorker runs a worker on its own client, as a separate process
// would, until the test ends.
func startWorker(t *testing.T, cfg config.Redis, api worker.API, log *slog.Logger, o workerOptions) {
	t.Helper()
	rdb := openRedis(t, cfg)
	lim, err := limiter.New(rdb, limiter.Config{Rate: 1000})
	if err != nil {
		t.Fatalf("make limiter: %v", err)
	}
	w, err := worker.New(rdb, api, lim, worker.Config{
		Queues:          o.queues,
		Concurrency:     o.concurrency,
		RetryBase:       100 * time.Millisecond,
		RetryMax:        time.Second,
		ShutdownTimeout: 2 * time.Second,
		PollInterval:    100 * time.Millisecond,
		Logger:          log,
	})
	if err != nil {
		t.Fatalf("make worker: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("worker stopped with an error: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("worker did not stop within 15s of its context ending")
		}
		w.Close()
	})
}

// submit submits one job and retries while Redis is unreachable, as a
// careful producer does: submitting the same job ID again is safe, and a
// duplicate answer means an earlier try got through. It returns how many
// tries failed.
func submit(ctx context.Context, c *enqueue.Client, id string, req tasks.Request,
	opts ...enqueue.Option) (failedTries int, err error) {
	opts = append(opts, enqueue.JobID(id))
	for {
		_, err := c.Submit(ctx, req, opts...)
		if err == nil || errors.Is(err, enqueue.ErrDuplicate) {
			return failedTries, nil
		}
		var fe *tasks.FieldError
		if errors.As(err, &fe) {
			return failedTries, err
		}
		failedTries++
		select {
		case <-ctx.Done():
			return failedTries, fmt.Errorf("job %s not accepted: %w (last error: %v)", id, ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitEnded polls the records of ids until each has ended, riding out Redis
// errors, and returns them by ID. It fails the test naming the jobs that
// did not end within d.
func waitEnded(t *testing.T, c *enqueue.Client, ids []string, d time.Duration) map[string]*tasks.Job {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(d)
	ended := map[string]*tasks.Job{}
	var lastErr error
	for {
		for _, id := range ids {
			if ended[id] != nil {
				continue
			}
			rec, err := c.Get(ctx, id)
			if err != nil {
				lastErr = err
				continue
			}
			if rec.State.Final() {
				ended[id] = rec
			}
		}
		if len(ended) == len(ids) {
			return ended
		}
		if time.Now().After(deadline) {
			var left []string
			for _, id := range ids {
				if ended[id] == nil {
					rec, _ := c.Get(ctx, id)
					left = append(left, fmt.Sprintf("%s (%s)", id, describe(rec)))
				}
			}
			t.Fatalf("%d of %d jobs did not end within %s: %s; last read error: %v",
				len(left), len(ids), d, strings.Join(first(left, 10), ", "), lastErr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func describe(rec *tasks.Job) string {
	if rec == nil {
		return "no record"
	}
	s := string(rec.State)
	if rec.Failure != nil {
		s += ", last error " + rec.Failure.Code
	}
	return s
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("and %d more", len(s)-n))
	}
	return s
}

// checkOutcome checks that a job ended succeeded with the emulator's echo
// of its FunctionArg, that the stored outcome is one the API gave, and that
// the API answered it with success exactly once.
func checkOutcome(t *testing.T, api *countingAPI, rec *tasks.Job, arg string) {
	t.Helper()
	if rec.State != tasks.StateSucceeded {
		t.Errorf("job %s ended %s (%v), want succeeded", rec.ID, rec.State, rec.Failure)
		return
	}
	if rec.Outcome == nil || rec.Outcome.Result != arg {
		t.Errorf("job %s: stored outcome %+v, want Result %q", rec.ID, rec.Outcome, arg)
		return
	}
	l := api.log(arg)
	if len(l.ok) != 1 {
		t.Errorf("job %s: the API answered it with success %d times (request IDs %v), want once",
			rec.ID, len(l.ok), l.ok)
		return
	}
	if rec.Outcome.RequestId != l.ok[0] {
		t.Errorf("job %s: stored RequestId %s, but the API's answer was %s",
			rec.ID, rec.Outcome.RequestId, l.ok[0])
	}
}

// waitQueuesDrained waits until no task of the queues is pending, active,
// scheduled or waiting for a retry, and returns their final sizes.
func waitQueuesDrained(t *testing.T, rdb redis.UniversalClient, queues []string) map[string]*asynq.QueueInfo {
	t.Helper()
	insp := asynq.NewInspectorFromRedisClient(rdb)
	deadline := time.Now().Add(15 * time.Second)
	for {
		infos := map[string]*asynq.QueueInfo{}
		busy := ""
		for _, q := range queues {
			info, err := insp.GetQueueInfo(q)
			if err != nil {
				busy = fmt.Sprintf("queue %s: %v", q, err)
				break
			}
			infos[q] = info
			if n := info.Pending + info.Active + info.Scheduled + info.Retry; n > 0 {
				busy = fmt.Sprintf("queue %s: %d pending, %d active, %d scheduled, %d retry",
					q, info.Pending, info.Active, info.Scheduled, info.Retry)
				break
			}
		}
		if busy == "" {
			return infos
		}
		if time.Now().After(deadline) {
			t.Fatalf("Asynq's queues did not drain within 15s: %s", busy)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
