package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/vodq/vodq/internal/bench"
	"github.com/vodq/vodq/internal/config"
	"github.com/vodq/vodq/internal/emulator"
	"github.com/vodq/vodq/internal/logging"
)

// benchWorkerCommand is the hidden subcommand a benchmark's worker
// processes run.
const benchWorkerCommand = "bench-worker"

// benchFlags are the command line of `vodq bench`.
type benchFlags struct {
	procs, jobs, baselineJobs, quota, burst, concurrency, sdkRetries int
	rate                                                             float64
	latency, strategies, redisURL, endpoint                          string
	jsonOnly, matrix                                                 bool
}

func runBench(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench", "[flags]")
	var f benchFlags
	fs.IntVar(&f.procs, "p", bench.DefaultProcs, "worker processes")
	fs.IntVar(&f.jobs, "j", bench.DefaultJobs, "jobs per run")
	fs.StringVar(&f.latency, "latency", "20ms",
		`emulator call latency: "20ms", "10ms-30ms" (uniform) or "normal:800ms:100ms"`)
	fs.IntVar(&f.quota, "quota", bench.DefaultQuota, "API quota: calls in any 1-second window")
	fs.Float64Var(&f.rate, "rate", e.cfg.Worker.Rate,
		"fleet-wide rate of the limiter strategy; the default is $VODQ_RATE")
	fs.IntVar(&f.burst, "burst", e.cfg.Worker.Burst,
		"burst of the limiter strategy; the default is $VODQ_BURST")
	fs.IntVar(&f.concurrency, "concurrency", 0,
		"jobs per worker process at once; 0 sizes it from rate and latency (Little's law, 2x)")
	fs.StringVar(&f.strategies, "strategy", bench.DefaultStrategies,
		"comma list of strategies, run one after another")
	fs.IntVar(&f.sdkRetries, "sdk-retries", bench.DefaultSDKRetries,
		"the SDK's RateLimitExceededMaxRetries in the sdk-retry strategy")
	fs.StringVar(&f.redisURL, "redis", "",
		"Redis URL; default: a private redis-server, else $VODQ_REDIS_URL if set")
	fs.StringVar(&f.endpoint, "endpoint", "",
		"host:port of a running 'vodq emulator' instead of one in this process")
	fs.BoolVar(&f.jsonOnly, "json", false, "print only the JSON lines on stdout, no table")
	fs.BoolVar(&f.matrix, "matrix", false,
		"run every strategy at P=1,2,4 and latencies 20ms and 800ms")
	fs.IntVar(&f.baselineJobs, "baseline-jobs", 0,
		"with -matrix: jobs of the strategies other than limiter (0: same as -j)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usageError{errors.New("bench takes no arguments")}
	case f.procs < 1 || f.jobs < 1 || f.quota < 1:
		// Zero means a default to the bench package; on the command line
		// it is a mistake.
		return usageError{errors.New("-p, -j and -quota must be at least 1")}
	}

	cfg, err := benchConfig(e, &f, flagsSet(fs, "latency"), flagsSet(fs, "p"))
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	return benchReport(ctx, e, cfg, f.jsonOnly)
}

// benchConfig turns the flags into a bench.Config.
func benchConfig(e *env, f *benchFlags, latencySet, procsSet bool) (bench.Config, error) {
	strategies, err := bench.ParseStrategies(f.strategies)
	if err != nil {
		return bench.Config{}, usageError{fmt.Errorf("-strategy: %w", err)}
	}
	lat, err := emulator.ParseLatency(f.latency)
	if err != nil {
		return bench.Config{}, usageError{fmt.Errorf("-latency: %w", err)}
	}
	if f.endpoint != "" && (latencySet || f.matrix) {
		return bench.Config{}, usageError{errors.New("-latency and -matrix set the " +
			"in-process emulator; give the remote one its own -latency")}
	}
	if f.matrix && (latencySet || procsSet) {
		return bench.Config{}, usageError{errors.New(
			"-matrix sets the processes and latencies itself; leave out -p and -latency")}
	}
	exe, err := os.Executable()
	if err != nil {
		return bench.Config{}, fmt.Errorf("find the vodq binary for the worker processes: %w", err)
	}
	redisURL, err := benchRedis(f.redisURL)
	if err != nil {
		return bench.Config{}, err
	}

	runs := bench.Plan(strategies, f.procs, f.jobs, f.concurrency, lat)
	if f.matrix {
		runs = bench.Matrix(strategies, f.jobs, f.baselineJobs)
		for i := range runs {
			runs[i].Concurrency = f.concurrency
		}
	}
	id, key := emulatorCredentials()
	log := logging.New(e.Err, "info", e.cfg.LogFormat)
	if f.jsonOnly {
		log = logging.New(e.Err, "warn", e.cfg.LogFormat)
	}
	return bench.Config{
		Runs: runs, Quota: f.quota, Rate: f.rate, Burst: f.burst, SDKRetries: f.sdkRetries,
		RedisURL: redisURL, Endpoint: f.endpoint, SecretID: id, SecretKey: key,
		WorkerCommand: []string{exe, benchWorkerCommand},
		WorkerEnv:     benchWorkerEnv(),
		Logger:        log.With("component", "bench"),
	}, nil
}

// benchRedis picks the benchmark's Redis: the flag, else a private server
// (empty URL), else VODQ_REDIS_URL, but only when it is set: its default
// is a local Redis that may hold someone's data, and a benchmark loads it
// with thousands of jobs.
func benchRedis(flagURL string) (string, error) {
	switch {
	case flagURL != "":
		return flagURL, nil
	case bench.RedisServerAvailable():
		return "", nil
	}
	if url := os.Getenv(config.Prefix + "_REDIS_URL"); url != "" {
		return url, nil
	}
	return "", usageError{errors.New("redis-server is not on PATH to start a private Redis; " +
		"give one with -redis URL or VODQ_REDIS_URL (the run's keys are deleted after it)")}
}

// benchWorkerEnv quiets the worker processes' logs unless the user asked
// for a level, and turns off their HTTP endpoint, which they do not serve.
func benchWorkerEnv() []string {
	env := []string{config.Prefix + "_WORKER_ADDR="}
	if os.Getenv(config.Prefix+"_LOG_LEVEL") == "" {
		env = append(env, config.Prefix+"_LOG_LEVEL=warn")
	}
	return env
}

// benchReport runs the benchmark, printing a JSON line per run on stdout as
// each ends and the table on stderr at the end.
func benchReport(ctx context.Context, e *env, cfg bench.Config, jsonOnly bool) error {
	var (
		mu      sync.Mutex
		reports []bench.Report
	)
	err := bench.Run(ctx, cfg, func(r bench.Report) {
		mu.Lock()
		defer mu.Unlock()
		reports = append(reports, r)
		_ = writeJSON(e.Out, r)
		if !jsonOnly {
			cfg.Logger.Info("run done", slog.String("strategy", string(r.Strategy)),
				slog.Int("procs", r.Procs), slog.String("latency", r.Latency),
				slog.Float64("utilization", r.Utilization),
				slog.Int64("max_window", r.MaxWindow), slog.Int64("throttled", r.APIThrottled))
		}
	})
	if !jsonOnly && len(reports) > 0 {
		fmt.Fprintln(e.Err)
		if werr := bench.WriteTable(e.Err, reports); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}
