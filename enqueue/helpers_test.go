package enqueue_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/enqueue"
	"github.com/vodq/vodq/internal/redistest"
	"github.com/vodq/vodq/tasks"
)

var ctx = context.Background()

// fixture is one producer Client over its own redis-server, with an Asynq
// inspector to look at the queued tasks.
type fixture struct {
	srv    *redistest.Server
	rdb    *redis.Client
	client *enqueue.Client
	insp   *asynq.Inspector
}

func setup(t *testing.T, opts ...enqueue.ClientOption) *fixture {
	t.Helper()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	c := enqueue.New(rdb, opts...)
	t.Cleanup(func() { c.Close() })
	return &fixture{srv: srv, rdb: rdb, client: c, insp: asynq.NewInspectorFromRedisClient(rdb)}
}

func request(arg string) tasks.Request {
	return tasks.Request{FunctionName: "ExampleFunc", FunctionArg: arg}
}

// submit submits a job and fails the test on an error.
func (f *fixture) submit(t *testing.T, req tasks.Request, opts ...enqueue.Option) *tasks.Job {
	t.Helper()
	job, err := f.client.Submit(ctx, req, opts...)
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	return job
}

// task returns the Asynq task of job id in queue.
func (f *fixture) task(t *testing.T, queue, id string) *asynq.TaskInfo {
	t.Helper()
	info, err := f.insp.GetTaskInfo(queue, id)
	if err != nil {
		t.Fatalf("GetTaskInfo(%s, %s): %v", queue, id, err)
	}
	return info
}

// wantNoTask fails if job id has a task in queue.
func (f *fixture) wantNoTask(t *testing.T, queue, id string) {
	t.Helper()
	info, err := f.insp.GetTaskInfo(queue, id)
	if !errors.Is(err, asynq.ErrTaskNotFound) && !errors.Is(err, asynq.ErrQueueNotFound) {
		t.Errorf("GetTaskInfo(%s, %s) = %+v, %v; want no task", queue, id, info, err)
	}
}

// wantEmpty fails unless the Redis database holds no key at all.
func (f *fixture) wantEmpty(t *testing.T) {
	t.Helper()
	keys, err := f.rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Errorf("Redis holds %v, want nothing", keys)
	}
}

// near reports whether a and b are at most d apart.
func near(a, b time.Time, d time.Duration) bool {
	diff := a.Sub(b)
	return -d <= diff && diff <= d
}
