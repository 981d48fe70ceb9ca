package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/enqueue"
	"github.com/vodq/vodq/internal/emulator"
	"github.com/vodq/vodq/internal/redistest"
	"github.com/vodq/vodq/internal/testutil"
	"github.com/vodq/vodq/tasks"
)

const (
	secretID  = "AKIDe2etest"
	secretKey = "e2e-test-secret-key"
)

// vodqBin is the binary under test, built once by TestMain.
var vodqBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vodq-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	vodqBin = filepath.Join(dir, "vodq")
	build := exec.Command("go", "build", "-o", vodqBin, "../../cmd/vodq")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build vodq:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// stack is one Redis and one emulator for a test.
type stack struct {
	redis *redistest.Server
	rdb   *redis.Client
	emu   *emulator.Server
}

func newStack(t *testing.T) *stack {
	t.Helper()
	srv := redistest.Start(t)
	emu, err := emulator.Listen("127.0.0.1:0", emulator.Config{
		Credentials: map[string]string{secretID: secretKey},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	return &stack{redis: srv, rdb: srv.Client(t), emu: emu}
}

// env returns a clean environment for vodq pointed at the stack, plus extra
// KEY=VALUE pairs.
func (s *stack) env(extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"VODQ_REDIS_URL=" + s.redis.URL(0),
		"VODQ_ENDPOINT=" + s.emu.Addr,
		"VODQ_SCHEME=http",
		"VODQ_WORKER_ADDR=",
		"VODQ_LOG_FORMAT=json",
		"VODQ_LOG_LEVEL=debug",
		"VODQ_POLL_INTERVAL=100ms",
		"VODQ_RETRY_BASE=100ms",
		"TENCENTCLOUD_SECRET_ID=" + secretID,
		"TENCENTCLOUD_SECRET_KEY=" + secretKey,
	}
	return append(env, extra...)
}

// proc is a running vodq process.
type proc struct {
	cmd  *exec.Cmd
	out  *testutil.Buffer
	done chan struct{}
	err  error
}

func (s *stack) start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(vodqBin, args...), out: &testutil.Buffer{}, done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("vodq %s output:\n%s", strings.Join(args, " "), p.out.String())
		}
	})
	return p
}

// exited waits up to d for the process to exit.
func (p *proc) exited(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

// run runs vodq to the end and returns its exit code, stdout and stderr.
func run(t *testing.T, env []string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, vodqBin, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run vodq %v: %v", args, err)
	}
	return code, out.String(), errOut.String()
}

// waitState polls the record of id until pred holds or d passes.
func waitState(t *testing.T, c *enqueue.Client, id string, d time.Duration, pred func(*tasks.Job) bool) *tasks.Job {
	t.Helper()
	deadline := time.Now().Add(d)
	var last *tasks.Job
	for time.Now().Before(deadline) {
		job, err := c.Get(context.Background(), id)
		if err == nil {
			last = job
			if pred(job) {
				return job
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("job %s: condition not met within %s; last record %+v", id, d, last)
	return nil
}

func decodeJobs(t *testing.T, out string) []tasks.Job {
	t.Helper()
	var jobs []tasks.Job
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var j tasks.Job
		if err := json.Unmarshal([]byte(line), &j); err != nil {
			t.Fatalf("output line %q: %v", line, err)
		}
		jobs = append(jobs, j)
	}
	return jobs
}
