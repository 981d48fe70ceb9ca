package hatest

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/enqueue"
	"github.com/vodq/vodq/internal/config"
	"github.com/vodq/vodq/internal/redistest"
	"github.com/vodq/vodq/tasks"
)

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// A producer and two workers on a three-master Redis Cluster run jobs on
// two queues that live on different masters. Every job ends with exactly
// one stored outcome, and Asynq's own keys (tasks, queues, leases, server
// heartbeats, retries, completed tasks) work across the cluster: each
// queue's keys share one hash slot.
func TestClusterRunsJobsEndToEnd(t *testing.T) {
	t.Parallel()
	nodes := startCluster(t, 3)
	var addrs []string
	for _, n := range nodes {
		addrs = append(addrs, n.Addr)
	}
	cfg := config.Redis{URL: "redis://" + nodes[0].Addr + "/0", ClusterAddrs: addrs}
	rdb := openRedis(t, cfg)
	if _, ok := rdb.(*redis.ClusterClient); !ok {
		t.Fatalf("redisconn.Open with cluster addresses returned a %T, want *redis.ClusterClient", rdb)
	}
	ctx := context.Background()

	queues := queuesOnDistinctMasters(t, rdb)
	checkQueueKeysShareASlot(t, rdb, queues)
	t.Logf("queues %q and %q live on different masters", queues[0], queues[1])

	api := newAPI(t)
	log := newLogger(t)
	opts := workerOptions{queues: map[string]int{queues[0]: 2, queues[1]: 1}, concurrency: 8}
	startWorker(t, cfg, api, log, opts)
	startWorker(t, cfg, api, log, opts)

	c := enqueue.New(rdb)
	defer c.Close()

	// Every fifth job fails once with a transient error, so retries go
	// through Asynq's retry set and forwarder on the cluster too.
	const n = 60
	specs := make([]tasks.Spec, n)
	ids := make([]string, n)
	for i := range specs {
		name := "echo"
		if i%5 == 0 {
			name = "flaky:1:InternalError"
		}
		ids[i] = fmt.Sprintf("cluster-%02d", i)
		specs[i] = tasks.Spec{
			JobID:   ids[i],
			Queue:   queues[i%2],
			Request: tasks.Request{FunctionName: name, FunctionArg: ids[i]},
		}
	}
	for _, r := range c.SubmitMany(ctx, specs) {
		if r.Err != nil {
			t.Fatalf("submit %s: %v", specs[r.Index].JobID, r.Err)
		}
	}

	// A job submitted twice runs once; a job not yet due can be canceled,
	// which deletes its Asynq task through the Inspector.
	_, err := c.Submit(ctx, specs[1].Request, enqueue.JobID(ids[1]), enqueue.Queue(queues[1]))
	if !errors.Is(err, enqueue.ErrDuplicate) {
		t.Errorf("second submission of %s: error %v, want ErrDuplicate", ids[1], err)
	}
	later, err := c.Submit(ctx, tasks.Request{FunctionName: "echo", FunctionArg: "later"},
		enqueue.JobID("cluster-later"), enqueue.Queue(queues[1]), enqueue.ProcessIn(time.Hour))
	if err != nil {
		t.Fatalf("submit a scheduled job: %v", err)
	}
	if rec, err := c.Cancel(ctx, later.ID); err != nil || rec.State != tasks.StateCanceled {
		t.Errorf("cancel the scheduled job: %v, %v; want it canceled", describe(rec), err)
	}

	// Wait wakes on the end message; on a cluster, PUBLISH reaches the
	// subscriber whichever master it went to.
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := c.Wait(wctx, ids[3]); err != nil {
		t.Fatalf("wait for %s: %v", ids[3], err)
	}
	ended := waitEnded(t, c, ids, 30*time.Second)

	for i, id := range ids {
		rec := ended[id]
		checkOutcome(t, api, rec, id)
		wantCalls, wantFailed := 1, 0
		if i%5 == 0 {
			wantCalls, wantFailed = 2, 1
		}
		if l := api.log(id); l.calls != wantCalls || len(l.failed) != wantFailed {
			t.Errorf("job %s: %d calls with failures %v, want %d calls with %d failure",
				id, l.calls, l.failed, wantCalls, wantFailed)
		}
		if rec.Queue != queues[i%2] {
			t.Errorf("job %s: record says queue %q, want %q", id, rec.Queue, queues[i%2])
		}
	}
	stats := api.emu.Emulator.Stats()
	if stats.ByCode["OK"] != n || stats.ByCode["InternalError"] != n/5 {
		t.Errorf("emulator answered %v, want OK=%d InternalError=%d", stats.ByCode, n, n/5)
	}

	insp := asynq.NewInspectorFromRedisClient(rdb)
	infos := waitQueuesDrained(t, rdb, queues)
	for _, q := range queues {
		if got := infos[q]; got.Completed != n/2 || got.Archived != 0 {
			t.Errorf("queue %s: %d completed and %d archived tasks, want %d and 0",
				q, got.Completed, got.Archived, n/2)
		}
	}
	if _, err := insp.GetTaskInfo(queues[1], later.ID); !errors.Is(err, asynq.ErrTaskNotFound) {
		t.Errorf("task of the canceled job: error %v, want ErrTaskNotFound", err)
	}
	servers, err := insp.Servers()
	if err != nil || len(servers) != 2 {
		t.Errorf("Asynq lists %d worker servers (error %v), want 2", len(servers), err)
	}

	// The data is spread: every master holds some of the keys.
	for _, node := range nodes {
		keys, err := node.Client(t).DBSize(ctx).Result()
		if err != nil || keys == 0 {
			t.Errorf("master %s holds %d keys (error %v), want some", node.Addr, keys, err)
		}
		t.Logf("master %s holds %d keys", node.Addr, keys)
	}
}

// startCluster starts n masters, splits the hash slots evenly between them,
// joins them and waits until every node reports the cluster ok.
func startCluster(t *testing.T, n int) []*redistest.Server {
	t.Helper()
	nodes := make([]*redistest.Server, n)
	buses := make([]int, n)
	for i := range nodes {
		args := []string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "2000"}
		// The bus listens on port+10000 unless told otherwise, which may be
		// taken or past 65535; Redis 7 takes an explicit port.
		if redisMajor(t) >= 7 {
			bus, err := redistest.FreePort()
			if err != nil {
				t.Fatalf("find a free port: %v", err)
			}
			buses[i] = bus
			args = append(args, "--cluster-port", strconv.Itoa(bus))
		}
		nodes[i] = redistest.Start(t, args...)
		if buses[i] == 0 {
			buses[i] = nodes[i].Port + 10000
		}
	}

	ctx := context.Background()
	clients := make([]*redis.Client, n)
	for i, node := range nodes {
		clients[i] = node.Client(t)
		// Distinct epochs spare the nodes a round of conflict resolution.
		if err := clients[i].Do(ctx, "CLUSTER", "SET-CONFIG-EPOCH", i+1).Err(); err != nil {
			t.Fatalf("node %s: set config epoch: %v", node.Addr, err)
		}
		lo, hi := slotRange(i, n)
		args := []any{"CLUSTER", "ADDSLOTS"}
		for s := lo; s <= hi; s++ {
			args = append(args, s)
		}
		if err := clients[i].Do(ctx, args...).Err(); err != nil {
			t.Fatalf("node %s: add slots %d-%d: %v", node.Addr, lo, hi, err)
		}
	}
	for i, node := range nodes[1:] {
		meet := []any{"CLUSTER", "MEET", "127.0.0.1", node.Port}
		if buses[i+1] != node.Port+10000 {
			meet = append(meet, buses[i+1])
		}
		if err := clients[0].Do(ctx, meet...).Err(); err != nil {
			t.Fatalf("cluster meet %s: %v", node.Addr, err)
		}
	}

	deadline := time.Now().Add(20 * time.Second)
	for i := 0; i < n; {
		info, err := clients[i].ClusterInfo(ctx).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") &&
			strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", n)) {
			i++
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s: cluster not ok after 20s: %v %s", nodes[i].Addr, err, info)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nodes
}

// slotRange returns the slots of the i-th of n masters.
func slotRange(i, n int) (lo, hi int) {
	return i * clusterSlots / n, (i+1)*clusterSlots/n - 1
}

var versionPattern = regexp.MustCompile(`v=(\d+)\.`)

// redisMajor returns the major version of redis-server.
func redisMajor(t *testing.T) int {
	t.Helper()
	out, err := exec.Command(redistest.Binary(), "--version").Output()
	if err != nil {
		t.Fatalf("redis-server --version: %v", err)
	}
	m := versionPattern.FindSubmatch(out)
	if m == nil {
		t.Fatalf("redis-server --version printed %q, with no v=MAJOR.", out)
	}
	v, _ := strconv.Atoi(string(m[1]))
	return v
}

// queuesOnDistinctMasters returns "default" and another queue name whose
// Asynq keys live on a different master.
func queuesOnDistinctMasters(t *testing.T, rdb redis.UniversalClient) []string {
	t.Helper()
	ctx := context.Background()
	master := func(q string) int {
		slot, err := rdb.ClusterKeySlot(ctx, "asynq:{"+q+"}:pending").Result()
		if err != nil {
			t.Fatalf("cluster keyslot: %v", err)
		}
		return int(slot) * 3 / clusterSlots
	}
	first := master("default")
	for _, q := range []string{"critical", "bulk", "low", "high", "video", "batch"} {
		if master(q) != first {
			return []string{"default", q}
		}
	}
	t.Fatal("no candidate queue name hashes to another master than default")
	return nil
}

// checkQueueKeysShareASlot checks that Asynq hash-tags every key of a queue
// with the queue name, which is what lets its multi-key scripts run on a
// cluster.
func checkQueueKeysShareASlot(t *testing.T, rdb redis.UniversalClient, queues []string) {
	t.Helper()
	ctx := context.Background()
	for _, q := range queues {
		prefix := "asynq:{" + q + "}:"
		want, err := rdb.ClusterKeySlot(ctx, prefix+"pending").Result()
		if err != nil {
			t.Fatalf("cluster keyslot: %v", err)
		}
		for _, k := range []string{"active", "scheduled", "retry", "archived", "completed",
			"lease", "paused", "t:some-task-id", "processed", "failed"} {
			got, err := rdb.ClusterKeySlot(ctx, prefix+k).Result()
			if err != nil {
				t.Fatalf("cluster keyslot: %v", err)
			}
			if got != want {
				t.Errorf("Asynq key %s%s is in slot %d, not %d with the queue's other keys",
					prefix, k, got, want)
			}
		}
	}
}
