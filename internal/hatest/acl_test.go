package hatest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vodq/vodq/enqueue"
	"github.com/vodq/vodq/internal/config"
	"github.com/vodq/vodq/internal/redistest"
	"github.com/vodq/vodq/tasks"
)

// aclRules is the ACL that deploy/README.md recommends for vodq: its own
// keys and channels (vodq:* and asynq:*), and every command but the
// dangerous ones (KEYS, FLUSHALL, CONFIG, DEBUG, ...).
var aclRules = []string{"on", ">vodq-test-password", "resetkeys", "~vodq:*", "~asynq:*",
	"resetchannels", "&vodq:*", "&asynq:*", "+@all", "-@dangerous"}

// A producer and a worker that log in as an ACL user limited to vodq's keys
// and channels, with the dangerous commands denied, run jobs end to end:
// submit, retry, wait, cancel and the Inspector. The default user is
// switched off, so nothing runs unauthenticated.
func TestRestrictedACLUserRunsJobs(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	admin := srv.Client(t)
	ctx := context.Background()
	args := []any{"ACL", "SETUSER", "vodq"}
	for _, r := range aclRules {
		args = append(args, r)
	}
	if err := admin.Do(ctx, args...).Err(); err != nil {
		t.Fatalf("create the ACL user: %v", err)
	}
	if err := admin.Do(ctx, "ACL", "SETUSER", "default", "off").Err(); err != nil {
		t.Fatalf("switch the default user off: %v", err)
	}

	cfg := config.Redis{URL: fmt.Sprintf("redis://vodq:vodq-test-password@%s/0", srv.Addr)}
	rdb := openRedis(t, cfg)
	if err := rdb.Set(ctx, "other:key", "x", 0).Err(); err == nil || !strings.Contains(err.Error(), "NOPERM") {
		t.Fatalf("writing a key outside vodq's patterns: error %v, want NOPERM", err)
	}

	api := newAPI(t)
	startWorker(t, cfg, api, newLogger(t), workerOptions{concurrency: 5})
	c := enqueue.New(rdb)
	defer c.Close()

	const n = 12
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("acl-%02d", i)
		name := "echo"
		if i%4 == 0 {
			name = "flaky:1:InternalError"
		}
		req := tasks.Request{FunctionName: name, FunctionArg: ids[i]}
		if _, err := submit(ctx, c, ids[i], req); err != nil {
			t.Fatalf("submit: %v", err)
		}
	}
	later, err := c.Submit(ctx, tasks.Request{FunctionName: "echo", FunctionArg: "later"},
		enqueue.ProcessIn(time.Hour))
	if err != nil {
		t.Fatalf("submit a scheduled job: %v", err)
	}
	if _, err := c.Cancel(ctx, later.ID); err != nil {
		t.Errorf("cancel as the ACL user: %v", err)
	}

	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := c.Wait(wctx, ids[1]); err != nil {
		t.Fatalf("wait as the ACL user: %v", err)
	}
	ended := waitEnded(t, c, ids, 20*time.Second)
	for _, id := range ids {
		checkOutcome(t, api, ended[id], id)
	}
	waitQueuesDrained(t, rdb, []string{"default"})
	if _, err := asynq.NewInspectorFromRedisClient(rdb).Queues(); err != nil {
		t.Errorf("list queues as the ACL user: %v", err)
	}
}
