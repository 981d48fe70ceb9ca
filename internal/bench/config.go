package bench

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/vodq/vodq/internal/emulator"
)

// Strategy is how a fleet keeps under the quota; see the package doc.
type Strategy string

// The strategies a run can use.
const (
	StrategyLimiter         Strategy = "limiter"
	StrategyConcurrencyOnly Strategy = "concurrency-only"
	StrategySDKRetry        Strategy = "sdk-retry"
)

// DefaultStrategies is the comma list of strategies run when none is named:
// ours first, then the two it is compared with.
const DefaultStrategies = "limiter,concurrency-only,sdk-retry"

// Defaults of Config.
const (
	// DefaultProcs is the number of worker processes.
	DefaultProcs = 2
	// DefaultJobs is the number of jobs per run.
	DefaultJobs = 3000
	// DefaultQuota is the API's quota in calls per second.
	DefaultQuota = emulator.DefaultQuota
	// DefaultSDKRetries is the SDK's RateLimitExceededMaxRetries in the
	// sdk-retry strategy.
	DefaultSDKRetries = 3
	// DefaultPollInterval is how often idle workers look for tasks. Asynq's
	// own 1s and 5s would add seconds of idle time to a run of 30.
	DefaultPollInterval = 100 * time.Millisecond
)

// ParseStrategies reads a comma list such as DefaultStrategies. Repeats are
// kept: running one strategy twice shows the noise.
func ParseStrategies(s string) ([]Strategy, error) {
	var out []Strategy
	for _, part := range strings.Split(s, ",") {
		st := Strategy(strings.TrimSpace(part))
		switch st {
		case StrategyLimiter, StrategyConcurrencyOnly, StrategySDKRetry:
			out = append(out, st)
		case "":
		default:
			return nil, fmt.Errorf("unknown strategy %q; want %s", st, DefaultStrategies)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no strategy named; want some of " + DefaultStrategies)
	}
	return out, nil
}

// Config describes a benchmark: the runs to make and the fleet they share.
// Zero fields take their defaults, except where said.
type Config struct {
	// Runs lists the runs, one after another; see Plan and Matrix.
	Runs []RunSpec

	// Quota is the API's limit in calls per any one second (DefaultQuota).
	// The in-process emulator enforces it; utilization is measured
	// against it.
	Quota int
	// Rate and Burst configure the limiter strategy's limiter.Config.
	// Rate is required; Burst defaults to 1.
	Rate  float64
	Burst int
	// SDKRetries is the SDK's retry count in the sdk-retry strategy
	// (DefaultSDKRetries).
	SDKRetries int
	// PollInterval is the workers' poll interval (DefaultPollInterval).
	PollInterval time.Duration

	// RedisURL is the Redis the fleet shares. Empty means a private
	// redis-server on a free loopback port, started and stopped by Run.
	// A given Redis is never flushed: Run deletes only its own keys.
	RedisURL string
	// Endpoint is the host:port of a running emulator to call instead of
	// one in this process. It must serve GET /_emulator/stats and POST
	// /_emulator/reset; its own quota and latency apply.
	Endpoint string
	// SecretID and SecretKey sign the calls; the in-process emulator
	// accepts them. Required.
	SecretID, SecretKey string

	// WorkerCommand is the argv that starts a worker process, to which Run
	// appends the flags of WorkerOptions.Args. Required.
	WorkerCommand []string
	// WorkerEnv is added to the worker processes' environment, after this
	// process's own.
	WorkerEnv []string

	// Logger receives progress at info level and worker output at warn;
	// nil discards it.
	Logger *slog.Logger
}

// RunSpec is one run: a strategy, a fleet size and a call latency.
type RunSpec struct {
	Strategy Strategy
	// Procs is the number of worker processes (DefaultProcs).
	Procs int
	// Jobs is the number of jobs submitted (DefaultJobs).
	Jobs int
	// Concurrency is the most jobs one process runs at once; zero means
	// AutoConcurrency.
	Concurrency int
	// Latency is what the in-process emulator adds to each call. Ignored
	// with Config.Endpoint.
	Latency emulator.Latency
	// Note is shown beside the run's results, for example why it has
	// fewer jobs than the others.
	Note string
}

// Plan returns one RunSpec per strategy, all alike otherwise.
func Plan(strategies []Strategy, procs, jobs, concurrency int,
	lat emulator.Latency) []RunSpec {
	runs := make([]RunSpec, 0, len(strategies))
	for _, st := range strategies {
		runs = append(runs, RunSpec{Strategy: st, Procs: procs, Jobs: jobs,
			Concurrency: concurrency, Latency: lat})
	}
	return runs
}

// Validate reports the first setting of c that Run would refuse, naming it
// and its allowed range.
func (c Config) Validate() error {
	_, err := c.withDefaults()
	return err
}

// withDefaults returns c with its zero fields filled, runs included, and
// checks the rest. The caller's runs are left as they were.
func (c Config) withDefaults() (Config, error) {
	c.Runs = slices.Clone(c.Runs)
	if c.Quota == 0 {
		c.Quota = DefaultQuota
	}
	if c.Burst == 0 {
		c.Burst = 1
	}
	if c.SDKRetries == 0 {
		c.SDKRetries = DefaultSDKRetries
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case len(c.Runs) == 0:
		return c, errors.New("no runs to make")
	case c.Quota < 1:
		return c, fmt.Errorf("quota must be at least 1, got %d", c.Quota)
	case !(c.Rate > 0):
		return c, fmt.Errorf("rate must be above 0, got %g", c.Rate)
	case c.Burst < 1:
		return c, fmt.Errorf("burst must be at least 1, got %d", c.Burst)
	case len(c.WorkerCommand) == 0:
		return c, errors.New("no worker command")
	case c.SecretID == "" || c.SecretKey == "":
		return c, errors.New("no credentials for the emulator")
	}
	for i := range c.Runs {
		r := &c.Runs[i]
		if r.Procs == 0 {
			r.Procs = DefaultProcs
		}
		if r.Jobs == 0 {
			r.Jobs = DefaultJobs
		}
		switch {
		case r.Procs < 1 || r.Procs > 64:
			return c, fmt.Errorf("processes must be 1 to 64, got %d", r.Procs)
		case r.Jobs < 1:
			return c, fmt.Errorf("jobs must be at least 1, got %d", r.Jobs)
		case r.Concurrency < 0:
			return c, fmt.Errorf("concurrency must not be negative, got %d", r.Concurrency)
		}
		if r.Concurrency == 0 {
			r.Concurrency = AutoConcurrency(c.Rate, r.Latency, r.Procs, c.Endpoint != "")
		}
	}
	return c, nil
}

// autoOverhead is the time a job holds a worker slot besides its API call:
// dequeue, record writes and the limiter's round trip, generously.
const autoOverhead = 50 * time.Millisecond

// AutoConcurrency sizes each of procs processes by Little's law: the fleet
// holds rate × (call latency + overhead) jobs at once at full speed, and
// gets twice that, at least 16, so a slow stretch does not starve the
// quota. The latency taken is a high one: the upper bound of a range, or
// the mean plus two deviations of a normal. With a remote emulator the
// latency is unknown and each process gets the worker default of 50.
func AutoConcurrency(rate float64, lat emulator.Latency, procs int, remote bool) int {
	if remote {
		return 50
	}
	hold := highLatency(lat) + autoOverhead
	fleet := max(16, math.Ceil(2*rate*hold.Seconds()))
	return int(math.Ceil(fleet / float64(procs)))
}

// highLatency reads the text form of lat, the only view of it the emulator
// gives, and returns a delay most calls stay under.
func highLatency(lat emulator.Latency) time.Duration {
	s := lat.String()
	if rest, ok := strings.CutPrefix(s, "normal:"); ok {
		mean, dev, _ := strings.Cut(rest, ":")
		m, _ := time.ParseDuration(mean)
		d, _ := time.ParseDuration(dev)
		return m + 2*d
	}
	if _, hi, ok := strings.Cut(s, "-"); ok {
		s = hi
	}
	d, _ := time.ParseDuration(s)
	return d
}
