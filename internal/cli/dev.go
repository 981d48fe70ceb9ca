package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"

	"github.com/vodq/vodq/enqueue"
	"github.com/vodq/vodq/internal/config"
	"github.com/vodq/vodq/internal/emulator"
	"github.com/vodq/vodq/internal/logging"
	"github.com/vodq/vodq/internal/ops"
	"github.com/vodq/vodq/tasks"
)

// devPoll is how often the dev worker looks for due tasks: short, so a
// first look is quick.
const devPoll = 200 * time.Millisecond

func runDev(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "dev", "[FILE|-]")
	latency := fs.String("latency", "", "latency the emulator adds to each call (e.g. 20ms)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageError{errors.New("give at most one JSON Lines FILE")}
	}
	lat, err := emulator.ParseLatency(*latency)
	if err != nil {
		return usageError{fmt.Errorf("-latency: %w", err)}
	}
	if os.Getenv(config.Prefix+"_LOG_LEVEL") == "" {
		// A first look wants the outcomes and the summary, not every job's log.
		e.log = logging.New(e.Err, "warn", e.cfg.LogFormat)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// An embedded Redis: this mode is for a first look, never production.
	mr := miniredis.NewMiniRedis()
	if err := mr.StartAddr("127.0.0.1:0"); err != nil {
		return fmt.Errorf("start embedded redis: %w", err)
	}
	defer mr.Close()
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()

	id, key := emulatorCredentials()
	emu, err := emulator.Listen("127.0.0.1:0", emulator.Config{
		Credentials: map[string]string{id: key},
		Latency:     lat,
		Logger:      e.log.With("component", "emulator"),
	})
	if err != nil {
		return err
	}
	defer emu.Close()

	cfg := *e.cfg
	cfg.Tencent.Endpoint, cfg.Tencent.Scheme = emu.Addr, "http"
	cfg.Worker.RetryBase = min(cfg.Worker.RetryBase, 500*time.Millisecond)
	cfg.Worker.PollInterval = devPoll
	reg := ops.NewRegistry()
	w, err := newWorker(&cfg, rdb, common.NewCredential(id, key), reg, e.log)
	if err != nil {
		return err
	}
	defer w.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := w.Run(ctx); err != nil {
			e.log.Error("worker stopped", "error", err)
		}
	}()
	defer wg.Wait()
	defer cancel()

	producer := newProducer(&cfg, rdb)
	defer producer.Close()
	url, err := startDevServer(ctx, e, &cfg, rdb, reg)
	if err != nil {
		return err
	}

	if fs.NArg() == 0 {
		fmt.Fprintf(e.Err, "vodq dev is up: embedded Redis at %s, emulator at http://%s\n", mr.Addr(), emu.Addr)
		if url != "" {
			fmt.Fprintf(e.Err, "HTTP API and web UI at %s (UI: %s/ui/)\n", url, url)
			fmt.Fprintf(e.Err, "submit a job:\n  curl -s -X POST %s/v1/jobs -H 'Content-Type: application/json' \\\n"+
				"    -d '{\"FunctionName\":\"echo\",\"FunctionArg\":\"hello\"}'\n", url)
		}
		fmt.Fprintf(e.Err, "or from another shell:\n  VODQ_REDIS_URL=redis://%s/0 vodq enqueue -function echo -arg hello -wait\n", mr.Addr())
		fmt.Fprintln(e.Err, "Ctrl-C stops it (and everything in it: the Redis is in memory).")
		<-ctx.Done()
		return nil
	}

	r, closeFn, err := openInput(e, fs.Arg(0))
	if err != nil {
		return err
	}
	defer closeFn()
	return devRun(ctx, e, producer, r)
}

// devRun submits every job of r, prints each outcome as it ends and a
// summary on stderr.
func devRun(ctx context.Context, e *env, c *enqueue.Client, r io.Reader) error {
	start := time.Now()
	var specs []tasks.Spec
	var lineNos []int
	refused := 0
	err := readLines(r, func(n int, line []byte, tooLong bool) bool {
		var err error
		var spec tasks.Spec
		if tooLong {
			err = fmt.Errorf("line is longer than %d bytes", maxLine)
		} else {
			spec, err = tasks.DecodeSpec(line)
		}
		if err != nil {
			refused++
			_ = writeJSON(e.Out, submitLine{Line: n, Error: newLineError(err)})
			return true
		}
		specs = append(specs, spec)
		lineNos = append(lineNos, n)
		return true
	})
	if err != nil {
		return fmt.Errorf("read jobs: %w", err)
	}

	var ids []string
	for _, res := range c.SubmitMany(ctx, specs) {
		if res.Err != nil && !errors.Is(res.Err, enqueue.ErrDuplicate) {
			refused++
			_ = writeJSON(e.Out, submitLine{Line: lineNos[res.Index], Error: newLineError(res.Err)})
			continue
		}
		ids = append(ids, res.Job.ID)
	}
	fmt.Fprintf(e.Err, "submitted %d jobs (%d lines refused); running them...\n", len(ids), refused)

	jobs := make([]*tasks.Job, 0, len(ids))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			job, err := c.Wait(ctx, id)
			if err != nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			jobs = append(jobs, job)
			_ = writeJSON(e.Out, job)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	writeSummary(e.Err, jobs, refused, time.Since(start))
	return nil
}

func writeSummary(w io.Writer, jobs []*tasks.Job, refused int, wall time.Duration) {
	byState := map[tasks.State]int{}
	byCode := map[string]int{}
	retries := 0
	for _, j := range jobs {
		byState[j.State]++
		if j.State == tasks.StateFailed && j.Failure != nil {
			byCode[j.Failure.Code]++
		}
		if j.Attempts > 1 {
			retries += j.Attempts - 1
		}
	}
	var codes []string
	for c, n := range byCode {
		codes = append(codes, fmt.Sprintf("%s=%d", c, n))
	}
	sort.Strings(codes)
	fmt.Fprintf(w, "\n%d jobs ended in %s: %d succeeded, %d failed, %d canceled; %d lines refused\n",
		len(jobs), wall.Round(time.Millisecond), byState[tasks.StateSucceeded],
		byState[tasks.StateFailed], byState[tasks.StateCanceled], refused)
	if len(codes) > 0 {
		fmt.Fprintf(w, "failed by code: %s\n", strings.Join(codes, " "))
	}
	fmt.Fprintf(w, "extra attempts (retries and throttled calls): %d\n", retries)
}
