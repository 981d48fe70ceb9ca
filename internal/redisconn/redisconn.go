// Package redisconn opens the Redis client that every vodq component shares:
// a single server from a URL, a Sentinel-managed master, or a Redis Cluster.
package redisconn

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/internal/config"
)

// Open returns a client for the configured Redis. The URL always supplies
// the user, password, TLS and (for single servers and Sentinel) the
// database; ClusterAddrs or SentinelAddrs, when set, choose the topology.
// The caller closes the client.
func Open(cfg config.Redis) (redis.UniversalClient, error) {
	opt, err := redis.ParseURL(cfg.URL)
	if err != nil {
		// The URL may hold a password: report only which variable is wrong.
		return nil, fmt.Errorf("%s_REDIS_URL is not a valid redis:// or rediss:// URL", config.Prefix)
	}
	switch {
	case len(cfg.ClusterAddrs) > 0:
		return redis.NewClusterClient(&redis.ClusterOptions{
			Addrs:     cfg.ClusterAddrs,
			Username:  opt.Username,
			Password:  opt.Password,
			TLSConfig: opt.TLSConfig,
		}), nil
	case len(cfg.SentinelAddrs) > 0:
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName:       cfg.SentinelMaster,
			SentinelAddrs:    cfg.SentinelAddrs,
			SentinelPassword: cfg.SentinelPassword,
			Username:         opt.Username,
			Password:         opt.Password,
			DB:               opt.DB,
			TLSConfig:        opt.TLSConfig,
		}), nil
	}
	return redis.NewClient(opt), nil
}

// Ping checks that Redis answers within timeout.
func Ping(ctx context.Context, rdb redis.UniversalClient, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping redis: %w", err)
	}
	return nil
}

// ConnOpt adapts an open client to asynq.RedisConnOpt, for the APIs (such as
// the asynqmon web UI) that take a connection option rather than a client.
// Whoever the option is given to may close the client.
type ConnOpt struct{ Client redis.UniversalClient }

// MakeRedisClient returns the wrapped client.
func (o ConnOpt) MakeRedisClient() interface{} { return o.Client }

var _ asynq.RedisConnOpt = ConnOpt{}
