package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/internal/config"
	"github.com/vodq/vodq/internal/httpapi"
	"github.com/vodq/vodq/internal/ops"
)

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{errors.New("serve takes no arguments; settings are VODQ_* variables")}
	}
	cfg := e.cfg.Server
	tokens, err := httpapi.LoadTokens(cfg.Tokens, cfg.TokensFile)
	if err != nil {
		return usageError{err}
	}
	if err := httpapi.CheckAddr(ctx, cfg.Addr, len(tokens) > 0, nil); err != nil {
		return usageError{err}
	}

	rdb, err := waitRedis(ctx, e)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while waiting: a clean stop
		}
		return err
	}
	defer rdb.Close()
	producer := newProducer(e.cfg, rdb)
	defer producer.Close()

	srv, err := httpapi.New(httpapi.Config{
		Client:      producer,
		Redis:       rdb,
		Tokens:      tokens,
		UIReadOnly:  cfg.UIReadOnly,
		OpenMetrics: cfg.OpenMetrics,
		MaxBody:     cfg.MaxBody,
		Registry:    ops.NewRegistry(),
		Logger:      e.log,
	})
	if err != nil {
		return err
	}
	defer srv.Close()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s_HTTP_ADDR %s: %w", config.Prefix, cfg.Addr, err)
	}
	if len(tokens) == 0 {
		// Requests must then name a loopback Host too; saying so here
		// saves a user behind a proxy from guessing at the 403s.
		e.log.Warn("no API token is set: serving without authentication, on loopback only, "+
			"to requests addressed to localhost, 127.0.0.1 or [::1]",
			"addr", ln.Addr().String())
	} else {
		e.log.Info("API tokens loaded", "tokens", len(tokens))
	}
	return srv.Serve(ctx, ln)
}

// startDevServer starts the HTTP API for vodq dev and returns its base URL.
// It listens on 127.0.0.1 only, at the port of VODQ_HTTP_ADDR or at a free
// one when that is taken, and asks for no token: dev mode is for a first
// look on one machine. The server stops when ctx ends.
func startDevServer(ctx context.Context, e *env, cfg *config.Config, rdb redis.UniversalClient,
	reg *prometheus.Registry) (string, error) {
	ln, err := listenDev(cfg.Server.Addr)
	if err != nil {
		return "", err
	}
	producer := newProducer(cfg, rdb)
	srv, err := httpapi.New(httpapi.Config{
		Client:      producer,
		Redis:       rdb,
		UIReadOnly:  cfg.Server.UIReadOnly,
		OpenMetrics: true,
		MaxBody:     cfg.Server.MaxBody,
		Registry:    reg,
		Logger:      e.log,
	})
	if err != nil {
		ln.Close()
		producer.Close()
		return "", err
	}
	go func() {
		defer producer.Close()
		defer srv.Close()
		if err := srv.Serve(ctx, ln); err != nil {
			e.log.Error("HTTP server stopped", "error", err)
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

// listenDev listens on 127.0.0.1 at the port of addr, or on a free port
// when that one is taken or addr has none.
func listenDev(addr string) (net.Listener, error) {
	if _, port, err := net.SplitHostPort(addr); err == nil {
		if n, err := strconv.Atoi(port); err == nil && n > 0 {
			if ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port)); err == nil {
				return ln, nil
			}
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the dev HTTP server: %w", err)
	}
	return ln, nil
}
