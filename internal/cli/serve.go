package cli

import (
	"context"
	"errors"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/internal/config"
)

// Not yet: the HTTP API server is being written.
func runServe(ctx context.Context, e *env, args []string) error {
	return errors.New("serve is not built yet")
}

// startDevServer starts the HTTP API for vodq dev and returns its base URL,
// or "" when it is not available.
func startDevServer(ctx context.Context, e *env, cfg *config.Config, rdb redis.UniversalClient, reg *prometheus.Registry) (string, error) {
	return "", nil
}
