package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"

	"github.com/vodq/vodq/internal/config"
	"github.com/vodq/vodq/internal/limiter"
	"github.com/vodq/vodq/internal/ops"
	"github.com/vodq/vodq/internal/redisconn"
	"github.com/vodq/vodq/internal/vodclient"
	"github.com/vodq/vodq/tasks"
	"github.com/vodq/vodq/worker"
)

func runWorker(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "worker", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{errors.New("worker takes no arguments; settings are VODQ_* variables")}
	}
	// Bind the health port first: a second worker on a host with the same
	// port must say so, not run on without probes.
	var ln net.Listener
	if addr := e.cfg.Worker.Addr; addr != "" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return usageError{fmt.Errorf("%s_WORKER_ADDR %s: %w (give each worker on a host its own "+
				"port, or set it empty to serve no health and metrics endpoints)", config.Prefix, addr, err)}
		}
		ln = l
		defer ln.Close()
	}
	if r := e.cfg.Worker.Rate; r > 100 {
		e.log.Warn("VODQ_RATE is above the ExecuteFunction quota of 100 requests/s per account; "+
			"the API will throttle the fleet", "rate", r)
	}
	rdb, err := redisconn.Open(e.cfg.Redis)
	if err != nil {
		return usageError{err}
	}
	defer rdb.Close()

	// Health and metrics answer from the start: alive at once, ready once
	// Redis answers, so an orchestrator neither kills a worker that waits
	// for Redis nor sends it work.
	reg := ops.NewRegistry()
	if ln != nil {
		mux := http.NewServeMux()
		ops.Register(mux, rdb, reg)
		go func() {
			if err := ops.ServeListener(ctx, ln, mux, e.log.With("component", "worker_http")); err != nil {
				e.log.Error("worker HTTP endpoint failed", "addr", ln.Addr().String(), "error", err)
			}
		}()
	}
	if err := awaitRedis(ctx, e, rdb); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while waiting: a clean stop
		}
		return err
	}

	w, err := newWorker(e.cfg, rdb, nil, reg, e.log)
	if err != nil {
		return err
	}
	defer w.Close()
	return w.Run(ctx)
}

// openRedis opens the configured Redis and checks that it answers.
func openRedis(ctx context.Context, cfg *config.Config) (redis.UniversalClient, error) {
	rdb, err := redisconn.Open(cfg.Redis)
	if err != nil {
		return nil, usageError{err}
	}
	if err := redisconn.Ping(ctx, rdb, redisTimeout); err != nil {
		rdb.Close()
		return nil, err
	}
	return rdb, nil
}

// waitRedis opens Redis for a long-running server, waiting for it to answer
// (with a log line every few tries) until ctx ends, so that a worker or
// server started before Redis comes up by itself.
func waitRedis(ctx context.Context, e *env) (redis.UniversalClient, error) {
	rdb, err := redisconn.Open(e.cfg.Redis)
	if err != nil {
		return nil, usageError{err}
	}
	if err := awaitRedis(ctx, e, rdb); err != nil {
		rdb.Close()
		return nil, err
	}
	return rdb, nil
}

// awaitRedis pings rdb until it answers or ctx ends.
func awaitRedis(ctx context.Context, e *env, rdb redis.UniversalClient) error {
	for try := 0; ; try++ {
		err := redisconn.Ping(ctx, rdb, redisTimeout)
		if err == nil {
			return nil
		}
		if try%5 == 0 {
			e.log.Warn("waiting for Redis", "error", err)
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(min(time.Second<<min(try, 3), 5*time.Second)):
		}
	}
}

// newWorker builds a worker from the configuration. A nil cred means the
// SDK's credential provider chain.
func newWorker(cfg *config.Config, rdb redis.UniversalClient, cred common.CredentialIface,
	reg prometheus.Registerer, log *slog.Logger) (*worker.Server, error) {
	queues, err := config.ParseQueues(cfg.Worker.Queues)
	if err != nil {
		return nil, usageError{fmt.Errorf("%s_QUEUES %w", config.Prefix, err)}
	}
	api, err := vodclient.New(vodclient.Config{
		Region:     cfg.Tencent.Region,
		Endpoint:   cfg.Tencent.Endpoint,
		Scheme:     cfg.Tencent.Scheme,
		Timeout:    cfg.Worker.CallTimeout,
		Credential: cred,
		MaxConns:   cfg.Worker.Concurrency,
	})
	if err != nil {
		return nil, err
	}
	lim, err := limiter.New(rdb, limiter.Config{
		Name:  cfg.Worker.LimiterName,
		Rate:  cfg.Worker.Rate,
		Burst: cfg.Worker.Burst,
	})
	if err != nil {
		return nil, usageError{err}
	}
	var transient []string
	if len(cfg.Worker.TransientCodes) > 0 {
		transient = cfg.Worker.TransientCodes
	}
	return worker.New(rdb, api, lim, worker.Config{
		Queues:           queues,
		Concurrency:      cfg.Worker.Concurrency,
		Rate:             cfg.Worker.Rate,
		RetryBase:        cfg.Worker.RetryBase,
		RetryMax:         cfg.Worker.RetryMax,
		Classifier:       tasks.NewClassifier(transient),
		ShutdownTimeout:  cfg.Worker.ShutdownTimeout,
		SessionIDFromJob: cfg.Worker.SessionIDFromJob,
		Retention:        cfg.Retention,
		MaxThrottled:     cfg.Worker.MaxThrottled,
		Logger:           log,
		Registerer:       reg,
		JanitorInterval:  cfg.Worker.JanitorInterval,
		PollInterval:     cfg.Worker.PollInterval,
	})
}
