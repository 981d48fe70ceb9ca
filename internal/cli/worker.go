package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

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
	rdb, err := openRedis(ctx, e.cfg)
	if err != nil {
		return err
	}
	defer rdb.Close()

	reg := ops.NewRegistry()
	w, err := newWorker(e.cfg, rdb, nil, reg, e.log)
	if err != nil {
		return err
	}
	defer w.Close()

	if addr := e.cfg.Worker.Addr; addr != "" {
		mux := http.NewServeMux()
		ops.Register(mux, rdb, reg)
		go func() {
			if err := ops.Serve(ctx, addr, mux, e.log.With("component", "worker_http")); err != nil {
				e.log.Error("worker HTTP endpoint failed", "addr", addr, "error", err)
			}
		}()
	}
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
		Logger:           log,
		Registerer:       reg,
		JanitorInterval:  cfg.Worker.JanitorInterval,
		PollInterval:     cfg.Worker.PollInterval,
	})
}
