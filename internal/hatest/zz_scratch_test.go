package hatest

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"

	"github.com/vodq/vodq/enqueue"
	"github.com/vodq/vodq/internal/emulator"
	"github.com/vodq/vodq/internal/redistest"
	"github.com/vodq/vodq/internal/vodclient"
	"github.com/vodq/vodq/tasks"
	"github.com/vodq/vodq/worker"
)

func TestScratchLastAttemptShutdown(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	emu, err := emulator.Listen("127.0.0.1:0", emulator.Config{Credentials: map[string]string{"AKIDx": "k"}})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	api, _ := vodclient.New(vodclient.Config{Endpoint: emu.Addr, Scheme: "http", Credential: common.NewCredential("AKIDx", "k")})
	w, err := worker.New(rdb, api, nil, worker.Config{ShutdownTimeout: time.Second, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	c := enqueue.New(rdb)
	_, err = c.Submit(context.Background(), tasks.Request{FunctionName: "sleep:5s", FunctionArg: "x"}, enqueue.JobID("j1"), enqueue.MaxRetries(3))
	if err != nil {
		t.Fatal(err)
	}
	for {
		rec, _ := c.Get(context.Background(), "j1")
		if rec != nil && rec.State == tasks.StateRunning {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	cancel()
	<-done
	time.Sleep(time.Second)
	rec, _ := c.Get(context.Background(), "j1")
	t.Logf("record: state=%s failure=%+v", rec.State, rec.Failure)
	info, err := asynq.NewInspectorFromRedisClient(rdb).GetTaskInfo("default", "j1")
	t.Logf("task: %+v err=%v", info, err)
	if info != nil {
		t.Logf("task state=%v", info.State)
	}
}
