package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/internal/logging"
	"github.com/vodq/vodq/internal/store"
	"github.com/vodq/vodq/tasks"
)

// Defaults of Config.
const (
	DefaultConcurrency     = 50
	DefaultRetryBase       = time.Second
	DefaultRetryMax        = 5 * time.Minute
	DefaultShutdownTimeout = 30 * time.Second
	// DefaultMaxThrottled throttled calls take about a minute of waiting.
	DefaultMaxThrottled = 20
)

// API is the one API call a worker makes. *vodclient.Client implements it.
// The error of a failed call is a *tasks.Failure.
type API interface {
	ExecuteFunction(ctx context.Context, req *tasks.Request) (*tasks.Outcome, error)
}

// Limiter hands out the fleet-wide request rate. *limiter.Limiter
// implements it.
type Limiter interface {
	// Wait blocks until the caller may make one call, and returns how long
	// it waited.
	Wait(ctx context.Context) (time.Duration, error)
	// Throttled reports that the API answered RequestLimitExceeded, and
	// returns the fleet's lowered rate.
	Throttled(ctx context.Context) (float64, error)
}

// Config configures a Server. Zero fields take their defaults.
type Config struct {
	// Queues maps queue names to priorities; nil means {"default": 1}.
	Queues map[string]int
	// Concurrency is the most jobs run at once (DefaultConcurrency).
	Concurrency int
	// Rate is the fleet's configured request rate; the worker uses it only
	// to warn when the fleet's concurrency cannot reach it at the observed
	// call latency. Zero turns the check off.
	Rate float64
	// RetryBase is the first retry delay after a transient error; each
	// retry doubles it, with full jitter, up to RetryMax.
	RetryBase time.Duration
	// RetryMax caps a retry delay (DefaultRetryMax).
	RetryMax time.Duration
	// Classifier sorts error codes; nil means tasks.NewClassifier(nil).
	Classifier *tasks.Classifier
	// ShutdownTimeout is how long running calls may finish after Run's
	// context ends (DefaultShutdownTimeout).
	ShutdownTimeout time.Duration
	// SessionIDFromJob sends a SessionId derived from the job ID when the
	// request has none, so Tencent Cloud refuses a second call for the same
	// job for seven days. Off by default: a retry after an error that
	// Tencent did record would then be refused as a duplicate.
	SessionIDFromJob bool
	// Retention is how long job records are kept (store.DefaultRetention).
	Retention time.Duration
	// Logger receives lifecycle and outcome logs; nil discards them.
	Logger *slog.Logger
	// Registerer receives the worker's Prometheus metrics; nil registers
	// none.
	Registerer prometheus.Registerer
	// MaxThrottled is how many RequestLimitExceeded answers in a row one
	// attempt waits out without spending a retry (DefaultMaxThrottled);
	// past it the attempt counts as a transient failure, so a job the API
	// never stops throttling ends after its retries.
	MaxThrottled int
	// JanitorInterval is how often the fleet looks for jobs whose task left
	// Asynq without an outcome (DefaultJanitorInterval).
	JanitorInterval time.Duration
	// PollInterval is how often an idle worker looks for new tasks, and how
	// often due retries are moved to their queues (Asynq's defaults: 1 s
	// and 5 s).
	PollInterval time.Duration
}

// Server runs jobs. Make one with New and start it with Run.
type Server struct {
	rdb     redis.UniversalClient
	api     API
	limiter Limiter
	store   *store.Store
	cfg     Config
	log     *slog.Logger
	metrics *metrics

	capacity     capacity
	shuttingDown atomic.Bool
	handlers     sync.WaitGroup
}

// New returns a Server that reads tasks from rdb, waits on lim before each
// call (nil means no limit) and calls api.
func New(rdb redis.UniversalClient, api API, lim Limiter, cfg Config) (*Server, error) {
	if cfg.Queues == nil {
		cfg.Queues = map[string]int{"default": 1}
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = DefaultRetryBase
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = DefaultRetryMax
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.MaxThrottled <= 0 {
		cfg.MaxThrottled = DefaultMaxThrottled
	}
	if cfg.JanitorInterval <= 0 {
		cfg.JanitorInterval = DefaultJanitorInterval
	}
	if cfg.Classifier == nil {
		cfg.Classifier = tasks.NewClassifier(nil)
	}
	if cfg.Logger == nil {
		cfg.Logger = logging.Discard()
	}
	if cfg.Concurrency < 1 {
		return nil, fmt.Errorf("worker: Concurrency is %d; it must be at least 1", cfg.Concurrency)
	}
	if lim == nil {
		lim = noLimit{}
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	m.concurrency.Set(float64(cfg.Concurrency))
	return &Server{
		rdb:     rdb,
		api:     api,
		limiter: lim,
		store:   store.New(rdb, store.Options{Retention: cfg.Retention}),
		cfg:     cfg,
		log:     cfg.Logger.With(logging.KeyComponent, "worker"),
		metrics: m,
	}, nil
}

// Run serves tasks until ctx ends, then shuts down gracefully: it stops
// taking tasks and gives running calls ShutdownTimeout to finish. It
// returns nil after a clean shutdown.
func (s *Server) Run(ctx context.Context) error {
	// Running handlers get a context of their own, ended only after Asynq
	// has handed the tasks still running at the shutdown timeout back to
	// their queues: ended earlier, Asynq would count the interruption as a
	// failed attempt (and archive a job with no retry left).
	base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()

	srv := asynq.NewServerFromRedisClient(s.rdb, asynq.Config{
		Concurrency:     s.cfg.Concurrency,
		Queues:          s.cfg.Queues,
		BaseContext:     func() context.Context { return base },
		RetryDelayFunc:  s.retryDelay,
		IsFailure:       isFailure,
		ShutdownTimeout: s.cfg.ShutdownTimeout,
		Logger:          logging.Asynq{L: s.log},
		// Asynq's own warnings repeat what vodq logs with more context.
		LogLevel:                 asynq.ErrorLevel,
		TaskCheckInterval:        s.cfg.PollInterval,
		DelayedTaskCheckInterval: s.cfg.PollInterval,
	})
	if err := srv.Start(s); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	s.log.Info("worker started", "concurrency", s.cfg.Concurrency, "queues", s.cfg.Queues)
	go s.runJanitor(ctx)

	<-ctx.Done()
	s.log.Info("worker stopping", "shutdown_timeout", s.cfg.ShutdownTimeout.String())
	s.shuttingDown.Store(true)
	srv.Shutdown()

	// Calls still running belong to tasks Asynq has put back in their
	// queues. End them, and give their handlers a moment to record that
	// the job will run again, so no record is left "running".
	cancelBase()
	done := make(chan struct{})
	go func() {
		s.handlers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(handlerGrace):
		s.log.Warn("some interrupted jobs may still show as running until they run again")
	}
	s.log.Info("worker stopped")
	return nil
}

// handlerGrace is how long Run waits, after Asynq's shutdown, for the
// handlers of interrupted calls to record their interruption.
const handlerGrace = 5 * time.Second

// Close releases the Server's resources; it does not close the Redis
// client.
func (s *Server) Close() error { return s.store.Close() }

type noLimit struct{}

func (noLimit) Wait(context.Context) (time.Duration, error) { return 0, nil }
func (noLimit) Throttled(context.Context) (float64, error)  { return 0, nil }

var errShutdown = errors.New("interrupted by worker shutdown")
