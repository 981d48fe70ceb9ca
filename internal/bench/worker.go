package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"

	"github.com/vodq/vodq/internal/limiter"
	"github.com/vodq/vodq/internal/vodclient"
	"github.com/vodq/vodq/worker"
)

// workerShutdown bounds a worker process's drain. By the time a run stops
// its workers every job has ended, so there is nothing to wait for.
const workerShutdown = 5 * time.Second

// WorkerOptions configure one worker process of a run. The Redis, the
// credentials and the region come from the process's own settings.
type WorkerOptions struct {
	// Endpoint is the emulator's host:port; calls use plain HTTP.
	Endpoint string
	// Queue is the only queue the worker serves.
	Queue string
	// Strategy decides the limiter and the SDK's retries.
	Strategy Strategy
	// LimiterName, Rate and Burst configure the limiter strategy.
	LimiterName string
	Rate        float64
	Burst       int
	// SDKRetries is the SDK's RateLimitExceededMaxRetries in the
	// sdk-retry strategy.
	SDKRetries int
	// Concurrency is the most jobs the process runs at once.
	Concurrency int
	// PollInterval is how often the worker looks for tasks when idle.
	PollInterval time.Duration
	// SendLogDir, when set, is a directory where the process writes a file
	// at exit: the time each API call was started, one Unix nanosecond
	// count per line.
	SendLogDir string
}

// Args returns the options as flags that ParseWorkerArgs reads back.
func (o WorkerOptions) Args() []string {
	return []string{
		"-endpoint", o.Endpoint,
		"-queue", o.Queue,
		"-strategy", string(o.Strategy),
		"-limiter", o.LimiterName,
		"-rate", strconv.FormatFloat(o.Rate, 'g', -1, 64),
		"-burst", strconv.Itoa(o.Burst),
		"-sdk-retries", strconv.Itoa(o.SDKRetries),
		"-concurrency", strconv.Itoa(o.Concurrency),
		"-poll", o.PollInterval.String(),
		"-send-log", o.SendLogDir,
	}
}

// ParseWorkerArgs reads the flags Args writes. Usage goes to usage.
func ParseWorkerArgs(args []string, usage io.Writer) (WorkerOptions, error) {
	var o WorkerOptions
	var strategy string
	fs := flag.NewFlagSet("bench-worker", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.StringVar(&o.Endpoint, "endpoint", "", "emulator host:port")
	fs.StringVar(&o.Queue, "queue", "", "queue to serve")
	fs.StringVar(&strategy, "strategy", string(StrategyLimiter), "strategy")
	fs.StringVar(&o.LimiterName, "limiter", "", "limiter name")
	fs.Float64Var(&o.Rate, "rate", 0, "limiter rate per second")
	fs.IntVar(&o.Burst, "burst", 1, "limiter burst")
	fs.IntVar(&o.SDKRetries, "sdk-retries", DefaultSDKRetries, "SDK rate-limit retries")
	fs.IntVar(&o.Concurrency, "concurrency", 0, "jobs at once")
	fs.DurationVar(&o.PollInterval, "poll", DefaultPollInterval, "idle poll interval")
	fs.StringVar(&o.SendLogDir, "send-log", "", "directory for the start times of the calls")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	st, err := ParseStrategies(strategy)
	if err != nil || len(st) != 1 {
		return o, fmt.Errorf("-strategy: want exactly one of %s", DefaultStrategies)
	}
	o.Strategy = st[0]
	switch {
	case o.Endpoint == "" || o.Queue == "":
		return o, errors.New("-endpoint and -queue are required")
	case o.Concurrency < 1:
		return o, fmt.Errorf("-concurrency must be at least 1, got %d", o.Concurrency)
	}
	return o, nil
}

// RunWorker runs one worker process of a run until ctx ends, then drains.
// It calls ready once the worker is built, just before it starts serving;
// the process then prints the line its parent waits for.
func RunWorker(ctx context.Context, rdb redis.UniversalClient, cred common.CredentialIface,
	region string, o WorkerOptions, log *slog.Logger, ready func()) error {
	vc := vodclient.Config{
		Region:     region,
		Endpoint:   o.Endpoint,
		Scheme:     "http",
		Credential: cred,
		MaxConns:   o.Concurrency,
	}
	if o.Strategy == StrategySDKRetry {
		vc.SDKRateLimitRetries = o.SDKRetries
	}
	client, err := vodclient.New(vc)
	if err != nil {
		return fmt.Errorf("make API client: %w", err)
	}
	api := &sendLog{api: client}

	// A nil Limiter means no limit; keep the interface nil, not a typed nil.
	var lim worker.Limiter
	var rate float64
	if o.Strategy == StrategyLimiter {
		rate = o.Rate
		l, err := limiter.New(rdb, limiter.Config{Name: o.LimiterName, Rate: o.Rate,
			Burst: o.Burst})
		if err != nil {
			return fmt.Errorf("make limiter: %w", err)
		}
		lim = l
	}

	w, err := worker.New(rdb, api, lim, worker.Config{
		Queues:          map[string]int{o.Queue: 1},
		Concurrency:     o.Concurrency,
		Rate:            rate,
		ShutdownTimeout: workerShutdown,
		Logger:          log,
		PollInterval:    o.PollInterval,
	})
	if err != nil {
		return fmt.Errorf("make worker: %w", err)
	}
	defer w.Close()

	ready()
	err = w.Run(ctx)
	if o.SendLogDir != "" {
		name := fmt.Sprintf("sends-%d", os.Getpid())
		err = errors.Join(err, api.write(filepath.Join(o.SendLogDir, name)))
	}
	return err
}
