package hatest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/enqueue"
	"github.com/vodq/vodq/internal/config"
	"github.com/vodq/vodq/internal/redistest"
	"github.com/vodq/vodq/tasks"
)

const masterName = "mymaster"

// The master dies (SIGKILL) with calls in flight, and the producer goes on
// submitting through the outage; the Sentinels promote the replica and the
// run goes on through the same clients.
//
// What is asserted, and why it is strict:
//
//   - Every job the producer submitted was accepted (the producer retries
//     during the outage, as a careful one does; a retried submission that
//     had got through is answered as a duplicate).
//   - Every job ends succeeded, with the emulator's echo of its argument
//     and the RequestId of a real answer: none is lost.
//   - The API answered each job with success exactly once, and the
//     emulator's own count of successes equals the number of jobs: none
//     ran twice. A call that failed may be repeated (that is what retries
//     are for); such calls are logged.
//
// vodq promises at-least-once, not exactly-once: a worker that dies after
// the API answered and before the outcome is written calls the API again
// when the job is retried. That window is not opened here: the workers
// survive the failover, and a worker retries the outcome write for up to
// 30 s, which outlasts the failover. The other way to lose a write is
// Redis's asynchronous replication: a write the master acknowledged in the
// instant before it died may not have reached the replica. On loopback
// that window is microseconds wide; were it hit, the test would see a job
// that never ends or a second success, and fail.
//
// The master dies once every job of a first batch has reached the API, so
// that no job is between Asynq's dequeue and the handler's first write.
// A job caught there is handed back to Asynq, whose write fails during the
// outage and whose own later retry of that write never succeeds (Asynq
// v0.26 retries it with a context already canceled); Asynq's recoverer then
// re-runs the job after its 30 s lease, 60 to 120 s later, which is
// correct but too slow for this test.
//
// A planned SENTINEL FAILOVER is a different case, not tested here: the
// old master lives on and takes writes until the clients switch, and
// those writes are lost (about a second's worth when tried with this
// load). deploy/OPERATIONS.md tells operators to pause vodq first.
func TestSentinelFailoverLosesNoJob(t *testing.T) {
	t.Parallel()
	master := redistest.Start(t)
	replica := redistest.Start(t, "--replicaof", "127.0.0.1", strconv.Itoa(master.Port))
	waitReplicaSynced(t, replica)
	sentinels := make([]string, 3)
	for i := range sentinels {
		sentinels[i] = startSentinel(t, master.Addr)
	}
	waitSentinelsReady(t, sentinels, replica.Addr)

	cfg := config.Redis{URL: "redis://127.0.0.1/0", SentinelAddrs: sentinels, SentinelMaster: masterName}
	api := newAPI(t)
	log := newLogger(t)
	opts := workerOptions{concurrency: 10}
	startWorker(t, cfg, api, log, opts)
	startWorker(t, cfg, api, log, opts)
	rdb := openRedis(t, cfg)
	c := enqueue.New(rdb)
	defer c.Close()

	// Each call takes 200 ms at the API. The first batch is twice the
	// fleet's concurrency, so its second half is in flight when the master
	// dies; the rest are submitted during and after the outage.
	const batch, n = 40, 150
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("sentinel-%03d", i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	var submitted, failedTries atomic.Int64
	produce := func(ids []string, every time.Duration) error {
		for _, id := range ids {
			tries, err := submit(ctx, c, id, tasks.Request{FunctionName: "sleep:200ms", FunctionArg: id})
			failedTries.Add(int64(tries))
			if err != nil {
				return err
			}
			submitted.Add(1)
			time.Sleep(every)
		}
		return nil
	}
	if err := produce(ids[:batch], 5*time.Millisecond); err != nil {
		t.Fatalf("producer: %v", err)
	}
	waitCalled(t, api, ids[:batch])

	inFlight, done := api.inFlight.Load(), api.totalOK()
	killed := time.Now()
	master.Kill()
	produced := make(chan error, 1)
	go func() { produced <- produce(ids[batch:], 20*time.Millisecond) }()
	promoted := waitFailover(t, sentinels, replica.Addr, killed)
	t.Logf("master killed with %d jobs submitted, %d answered by the API and %d calls in flight; "+
		"the Sentinels promoted the replica %s later", batch, done, inFlight, promoted.Round(time.Millisecond))

	if err := <-produced; err != nil {
		t.Fatalf("producer: %v", err)
	}
	t.Logf("producer: %d jobs accepted, %d tries failed while Redis was away",
		submitted.Load(), failedTries.Load())

	ended := waitEnded(t, c, ids, 30*time.Second)
	var repeated []string
	rerun := 0
	for _, id := range ids {
		checkOutcome(t, api, ended[id], id)
		if l := api.log(id); l.calls > 1 {
			repeated = append(repeated, fmt.Sprintf("%s: %d calls, failures %v", id, l.calls, l.failed))
		}
		if ended[id].Attempts > 1 {
			rerun++
		}
	}
	t.Logf("%d jobs took more than one attempt, %d made more than one call", rerun, len(repeated))
	if len(repeated) > 0 {
		t.Logf("calls repeated after a failed call (allowed): %s", strings.Join(first(repeated, 10), "; "))
	}
	if ok := api.emu.Emulator.Stats().ByCode["OK"]; ok != n || api.totalOK() != n {
		t.Errorf("the emulator answered %d calls with success and the workers saw %d; want %d each",
			ok, api.totalOK(), n)
	}
	checkQueueSettled(t, rdb, c, n)
}

// waitCalled waits until every job of ids has reached the API and at least
// five calls are in flight.
func waitCalled(t *testing.T, api *countingAPI, ids []string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		waiting := 0
		for _, id := range ids {
			if api.log(id).calls == 0 {
				waiting++
			}
		}
		if waiting == 0 && api.inFlight.Load() >= 5 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run did not get going: %d jobs not called yet, %d calls in flight",
				waiting, api.inFlight.Load())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// checkQueueSettled checks that Asynq holds no task of the default queue
// still to run: each is completed, or left active with an ended job.
//
// A completion write that fails during the outage stays undone: Asynq
// v0.26 retries it with a context it has already canceled. The task then
// stays active until its lease expires and Asynq's recoverer hands it to a
// worker again, which finds the stored outcome and does not call the API.
// Such tasks are allowed here when their job has ended, and logged.
func checkQueueSettled(t *testing.T, rdb redis.UniversalClient, c *enqueue.Client, n int) {
	t.Helper()
	insp := asynq.NewInspectorFromRedisClient(rdb)
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := insp.GetQueueInfo("default")
		if err != nil {
			t.Fatalf("read queue default: %v", err)
		}
		left := info.Pending + info.Scheduled + info.Retry
		if left == 0 && info.Completed+info.Active == n {
			if info.Archived != 0 {
				t.Errorf("queue default: %d archived tasks, want 0", info.Archived)
			}
			checkActiveEnded(t, insp, c)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue default did not settle within 10s: %d pending, %d scheduled, %d retry, "+
				"%d active, %d completed of %d", info.Pending, info.Scheduled, info.Retry,
				info.Active, info.Completed, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func checkActiveEnded(t *testing.T, insp *asynq.Inspector, c *enqueue.Client) {
	t.Helper()
	active, err := insp.ListActiveTasks("default")
	if err != nil {
		t.Fatalf("list active tasks: %v", err)
	}
	for _, task := range active {
		rec, err := c.Get(context.Background(), task.ID)
		if err != nil || !rec.State.Final() {
			t.Errorf("task %s is still active but its job has not ended (%s, %v)", task.ID, describe(rec), err)
			continue
		}
		t.Logf("task %s left active by Asynq's lost completion write; its job has ended %s", task.ID, rec.State)
	}
}

// startSentinel starts a Sentinel watching the master at masterAddr, with
// quorum 2 and a 1 s down-after time, and returns its address.
func startSentinel(t *testing.T, masterAddr string) string {
	t.Helper()
	host, port, _ := strings.Cut(masterAddr, ":")
	var lastErr error
	for try := 0; try < 5; try++ {
		addr, err := runSentinel(t, host, port)
		if err == nil {
			return addr
		}
		lastErr = err
	}
	t.Fatalf("start sentinel: %v", lastErr)
	return ""
}

func runSentinel(t *testing.T, masterHost, masterPort string) (string, error) {
	port, err := redistest.FreePort()
	if err != nil {
		return "", err
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	lines := []string{
		"port " + strconv.Itoa(port),
		"bind 127.0.0.1",
		"dir " + dir,
		"logfile " + filepath.Join(dir, "sentinel.log"),
		fmt.Sprintf("sentinel monitor %s %s %s 2", masterName, masterHost, masterPort),
		"sentinel down-after-milliseconds " + masterName + " 1000",
		"sentinel failover-timeout " + masterName + " 10000",
		"sentinel parallel-syncs " + masterName + " 1",
	}
	// Sentinel rewrites its configuration file, so it must be writable.
	if err := os.WriteFile(conf, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return "", err
	}
	cmd := exec.Command(redistest.Binary(), conf, "--sentinel")
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("run redis-server --sentinel: %w", err)
	}
	stop := func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	sc := redis.NewSentinelClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer sc.Close()
	deadline := time.Now().Add(10 * time.Second)
	for sc.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			stop()
			log, _ := os.ReadFile(filepath.Join(dir, "sentinel.log"))
			return "", fmt.Errorf("sentinel at %s not ready after 10s; log: %s", addr, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(stop)
	return addr, nil
}

// waitReplicaSynced waits until the replica has loaded the master's data
// and follows its stream.
func waitReplicaSynced(t *testing.T, replica *redistest.Server) {
	t.Helper()
	c := replica.Client(t)
	deadline := time.Now().Add(15 * time.Second)
	for {
		info, err := c.Info(context.Background(), "replication").Result()
		if err == nil && strings.Contains(info, "master_link_status:up") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica %s not in sync after 15s: %v %s", replica.Addr, err, info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitSentinelsReady waits until every Sentinel knows the replica and the
// two other Sentinels, so that a failover can be agreed on.
func waitSentinelsReady(t *testing.T, sentinels []string, replicaAddr string) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for _, addr := range sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: addr})
		for {
			why := sentinelNotReady(ctx, sc, len(sentinels)-1, replicaAddr)
			if why == "" {
				break
			}
			if time.Now().After(deadline) {
				sc.Close()
				t.Fatalf("sentinel %s not ready after 20s: %s", addr, why)
			}
			time.Sleep(50 * time.Millisecond)
		}
		sc.Close()
	}
}

func sentinelNotReady(ctx context.Context, sc *redis.SentinelClient, peers int, replicaAddr string) string {
	others, err := sc.Sentinels(ctx, masterName).Result()
	if err != nil {
		return err.Error()
	}
	if len(others) != peers {
		return fmt.Sprintf("knows %d other sentinels, want %d", len(others), peers)
	}
	replicas, err := sc.Replicas(ctx, masterName).Result()
	if err != nil {
		return err.Error()
	}
	for _, r := range replicas {
		if r["ip"]+":"+r["port"] == replicaAddr && r["flags"] == "slave" &&
			r["master-link-status"] == "ok" {
			return ""
		}
	}
	return fmt.Sprintf("does not see replica %s in sync: %v", replicaAddr, replicas)
}

// waitFailover waits until every Sentinel names the replica as the master
// and the replica has taken the role, and returns how long that took from
// since.
func waitFailover(t *testing.T, sentinels []string, replicaAddr string, since time.Time) time.Duration {
	t.Helper()
	ctx := context.Background()
	deadline := since.Add(30 * time.Second)
	var wg sync.WaitGroup
	errs := make(chan string, len(sentinels))
	for _, addr := range sentinels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := redis.NewSentinelClient(&redis.Options{Addr: addr})
			defer sc.Close()
			for {
				got, err := sc.GetMasterAddrByName(ctx, masterName).Result()
				if err == nil && len(got) == 2 && got[0]+":"+got[1] == replicaAddr {
					return
				}
				if time.Now().After(deadline) {
					errs <- fmt.Sprintf("sentinel %s still names %v (%v)", addr, got, err)
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatalf("no failover within 30s of the master's death: %s", e)
	}
	return time.Since(since)
}
