package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/internal/redisconn"
)

// Run makes every run of cfg, one after another, and calls report with each
// result as it comes. It stops at the first run that fails or when ctx
// ends, and returns that error; results reported so far stand.
func Run(ctx context.Context, cfg Config, report func(Report)) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return fmt.Errorf("bench config: %w", err)
	}

	shared := cfg.RedisURL != ""
	if !shared {
		srv, err := startRedis(ctx)
		if err != nil {
			return err
		}
		defer srv.stop()
		cfg.RedisURL = srv.URL
		cfg.Logger.Info("private redis-server started", "url", srv.URL)
	}
	rdb, err := OpenRedis(ctx, cfg.RedisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()

	b := &bencher{cfg: &cfg, rdb: rdb, tag: newBenchTag(), shared: shared}
	for i, spec := range cfg.Runs {
		cfg.Logger.Info("run starting", "run", fmt.Sprintf("%d/%d", i+1, len(cfg.Runs)),
			"strategy", spec.Strategy, "procs", spec.Procs, "jobs", spec.Jobs,
			"concurrency", spec.Concurrency, "latency", b.latencyText(spec))
		r, err := b.run(ctx, i, spec)
		if err != nil {
			return fmt.Errorf("run %d (%s, %d processes): %w", i+1, spec.Strategy,
				spec.Procs, err)
		}
		report(r)
	}
	return nil
}

// OpenRedis opens the single Redis server at url and checks that it
// answers. A benchmark and its worker processes both open their Redis this
// way, from the one URL, so that Sentinel or Cluster settings in the
// environment cannot send them to different places.
func OpenRedis(ctx context.Context, url string) (redis.UniversalClient, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, errors.New("the Redis URL is not a valid redis:// or rediss:// URL")
	}
	rdb := redis.NewClient(opt)
	if err := redisconn.Ping(ctx, rdb, 5*time.Second); err != nil {
		rdb.Close()
		return nil, err
	}
	return rdb, nil
}

// bencher makes the runs of one benchmark.
type bencher struct {
	cfg    *Config
	rdb    redis.UniversalClient
	tag    string
	shared bool // the Redis is not ours: clean up after each run
}

func (b *bencher) latencyText(spec RunSpec) string {
	if b.cfg.Endpoint != "" {
		return "remote"
	}
	return spec.Latency.String()
}

// run makes run i: a fresh emulator (or a reset one), fresh worker
// processes, its own queue and limiter, and the jobs.
func (b *bencher) run(ctx context.Context, i int, spec RunSpec) (Report, error) {
	cfg := b.cfg
	n := newNames(b.tag, i)
	r := Report{
		Strategy: spec.Strategy, Procs: spec.Procs, Concurrency: spec.Concurrency,
		Jobs: spec.Jobs, Latency: b.latencyText(spec), Quota: cfg.Quota, Note: spec.Note,
	}
	switch spec.Strategy {
	case StrategyLimiter:
		r.Rate = cfg.Rate
	case StrategySDKRetry:
		r.SDKRetries = cfg.SDKRetries
	}

	var a api
	if cfg.Endpoint != "" {
		a = newRemoteAPI(cfg.Endpoint)
	} else {
		local, err := startLocalAPI(cfg, spec.Latency)
		if err != nil {
			return r, err
		}
		a = local
	}
	defer a.close()
	if err := a.reset(ctx); err != nil {
		return r, err
	}

	jr := newJobRun(b.rdb, n, spec.Jobs)
	defer jr.close()
	if b.shared {
		defer func() {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if err := cleanup(cctx, b.rdb, n, jr.ids); err != nil {
				cfg.Logger.Warn("could not delete the run's keys", "error", err)
			}
		}()
	}

	dir, err := os.MkdirTemp("", "vodq-bench-sends-")
	if err != nil {
		return r, fmt.Errorf("make send log directory: %w", err)
	}
	defer os.RemoveAll(dir)

	opts := WorkerOptions{
		Endpoint: a.addr(), Queue: n.queue(), Strategy: spec.Strategy,
		LimiterName: n.limiter(), Rate: cfg.Rate, Burst: cfg.Burst,
		SDKRetries: cfg.SDKRetries, Concurrency: spec.Concurrency,
		PollInterval: cfg.PollInterval, SendLogDir: dir,
	}
	return b.measure(ctx, r, spec, a, jr, opts)
}

// measure starts the workers, runs the jobs, stops the workers and reads
// what they did.
func (b *bencher) measure(ctx context.Context, r Report, spec RunSpec, a api, jr *jobRun,
	opts WorkerOptions) (Report, error) {
	redisBefore, _ := redisCPU(ctx, b.rdb)
	cpuBefore := selfCPU()
	procs, err := startProcs(ctx, b.cfg, spec.Procs, opts.Args())
	if err != nil {
		return r, err
	}

	runCtx, cancel := context.WithTimeout(ctx, runTimeout(spec.Jobs, b.cfg))
	defer cancel()
	jobs, runErr := jr.run(runCtx)
	stopErr := stopProcs(procs)
	if runErr != nil {
		return r, runErr
	}
	if stopErr != nil {
		b.cfg.Logger.Warn("a worker process did not stop cleanly", "error", stopErr)
	}

	st, err := a.stats(ctx)
	if err != nil {
		return r, err
	}
	for _, p := range procs {
		r.Workers = append(r.Workers, p.usage())
	}
	r.BenchCPUSeconds = round3((selfCPU() - cpuBefore).Seconds())
	if after, err := redisCPU(ctx, b.rdb); err == nil {
		r.RedisCPUSeconds = round3(after - redisBefore)
	}
	sends, err := readSendLogs(opts.SendLogDir)
	if err != nil {
		return r, err
	}
	r.SentMaxWindow = int64(busiestWindow(sends, time.Second))
	r.summarize(st, jobs)
	return r, nil
}

// runTimeout bounds one run generously: five times as long as the jobs
// take at the quota, plus a minute for starting and stopping.
func runTimeout(jobs int, cfg *Config) time.Duration {
	perSecond := min(cfg.Rate, float64(cfg.Quota))
	return time.Minute + time.Duration(5*float64(jobs)/perSecond*float64(time.Second))
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
