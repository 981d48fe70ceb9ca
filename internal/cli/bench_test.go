package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vodq/vodq/internal/bench"
	"github.com/vodq/vodq/internal/redistest"
)

// buildVodq builds the vodq binary into a temporary directory: the
// benchmark starts its workers by re-running its own executable, which
// must therefore be the real command, not this test binary.
func buildVodq(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build vodq for this test: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "vodq")
	cmd := exec.Command(goBin, "build", "-o", bin, "github.com/vodq/vodq/cmd/vodq")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestBenchEndToEnd(t *testing.T) {
	t.Parallel()
	bin := buildVodq(t)
	srv := redistest.Start(t)
	rdb := srv.Client(t)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "bench", "-p", "2", "-j", "100", "-quota", "100",
		"-latency", "5ms", "-redis", srv.URL(0))
	// Nothing may fall back to a default Redis.
	cmd.Env = append(os.Environ(), "VODQ_REDIS_URL="+srv.URL(1))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("vodq bench: %v\nstderr:\n%s", err, stderr.String())
	}

	t.Run("every job of every strategy ends and each run prints a JSON line", func(t *testing.T) {
		var got []bench.Strategy
		sc := bufio.NewScanner(&stdout)
		for sc.Scan() {
			var r bench.Report
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatalf("stdout line does not parse: %v\n%s", err, sc.Text())
			}
			got = append(got, r.Strategy)
			if r.Jobs != 100 || r.Ended != 100 || r.Succeeded != 100 {
				t.Errorf("%s: jobs %d, ended %d, succeeded %d; want 100 each", r.Strategy,
					r.Jobs, r.Ended, r.Succeeded)
			}
			if len(r.Workers) != 2 {
				t.Errorf("%s: %d worker usages, want 2", r.Strategy, len(r.Workers))
			}
			for _, w := range r.Workers {
				if w.ExitStatus != 0 || w.UserCPU+w.SysCPU <= 0 || w.MaxRSSMiB <= 0 {
					t.Errorf("%s: worker usage %+v, want a clean exit and some CPU and memory",
						r.Strategy, w)
				}
			}
			if r.APIAccepted < 100 {
				t.Errorf("%s: the API accepted %d calls, want at least 100", r.Strategy,
					r.APIAccepted)
			}
		}
		want := []bench.Strategy{bench.StrategyLimiter, bench.StrategyConcurrencyOnly,
			bench.StrategySDKRetry}
		if strings.Join(strategyNames(got), ",") != strings.Join(strategyNames(want), ",") {
			t.Errorf("runs = %v, want %v", got, want)
		}
	})

	t.Run("the table goes to stderr", func(t *testing.T) {
		if !strings.Contains(stderr.String(), "util") ||
			!strings.Contains(stderr.String(), "concurrency-only") {
			t.Errorf("stderr holds no table:\n%s", stderr.String())
		}
	})

	t.Run("a shared Redis keeps none of the run's keys", func(t *testing.T) {
		keys, err := rdb.Keys(ctx, "*bench-*").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) > 0 {
			t.Errorf("%d keys left behind, such as %q", len(keys), keys[0])
		}
		if q := rdb.SMembers(ctx, "asynq:queues").Val(); len(q) > 0 {
			t.Errorf("asynq:queues still lists %v", q)
		}
	})
}

func strategyNames(ss []bench.Strategy) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}
