package limiter

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/vodq/vodq/internal/redistest"
)

// Environment of a helper process; its presence makes TestHelperProcess run.
const (
	envHelperAddr  = "VODQ_LIMITER_HELPER_ADDR"
	envHelperStart = "VODQ_LIMITER_HELPER_START"
	envHelperEnd   = "VODQ_LIMITER_HELPER_END"
)

const helperWaiters = 100

func TestTwoProcessesShareTheQuota(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)

	// Both processes start and stop on the same wall-clock instants, far
	// enough ahead to cover starting the binary.
	start := time.Now().Add(500 * time.Millisecond)
	end := start.Add(2500 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	var outs [2]bytes.Buffer
	var cmds [2]*exec.Cmd
	for i := range cmds {
		cmd := exec.CommandContext(ctx, os.Args[0],
			"-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(),
			envHelperAddr+"="+srv.Addr,
			envHelperStart+"="+strconv.FormatInt(start.UnixNano(), 10),
			envHelperEnd+"="+strconv.FormatInt(end.UnixNano(), 10),
		)
		cmd.Stdout = &outs[i]
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatalf("start helper %d: %v", i, err)
		}
		cmds[i] = cmd
	}

	var recs []record
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper %d: %v; output:\n%s", i, err, outs[i].String())
		}
		got := parseHelperOutput(t, &outs[i])
		if len(got) < 50 {
			t.Errorf("helper %d was granted only %d requests", i, len(got))
		}
		recs = append(recs, got...)
	}
	checkSchedule(t, recs, 100, 1)
}

// TestHelperProcess is one of the processes of TestTwoProcessesShareTheQuota.
// Run directly, it does nothing. It prints one line per grant:
// "grant <slot µs> <returned unix ns> <reply unix ns> <sleep ns>".
func TestHelperProcess(t *testing.T) {
	addr := os.Getenv(envHelperAddr)
	if addr == "" {
		return
	}
	start := envTime(t, envHelperStart)
	end := envTime(t, envHelperEnd)

	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	l, err := New(rdb, Config{Name: "processes", Rate: 100})
	if err != nil {
		t.Fatal(err)
	}

	time.Sleep(time.Until(start))
	ctx, cancel := context.WithDeadline(context.Background(), end)
	defer cancel()
	for _, r := range contend(t, ctx, l, helperWaiters) {
		fmt.Printf("grant %d %d %d %d\n",
			r.slot, r.at.UnixNano(), r.replied.UnixNano(), int64(r.sleep))
	}
}

func envTime(t *testing.T, name string) time.Time {
	t.Helper()
	ns, err := strconv.ParseInt(os.Getenv(name), 10, 64)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return time.Unix(0, ns)
}

func parseHelperOutput(t *testing.T, out *bytes.Buffer) []record {
	t.Helper()
	var recs []record
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "grant ")
		if !ok {
			continue
		}
		var slot, at, replied, sleep int64
		if _, err := fmt.Sscan(line, &slot, &at, &replied, &sleep); err != nil {
			t.Fatalf("parse helper line %q: %v", line, err)
		}
		recs = append(recs, record{
			grant: grant{
				slot:    slot,
				sleep:   time.Duration(sleep),
				replied: time.Unix(0, replied),
				calls:   1,
			},
			at: time.Unix(0, at),
		})
	}
	return recs
}
