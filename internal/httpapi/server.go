package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/enqueue"
	"github.com/vodq/vodq/internal/logging"
	"github.com/vodq/vodq/internal/ops"
)

// Limits of the API.
const (
	// DefaultMaxBody is the largest request body when Config.MaxBody is
	// zero: 1 MiB.
	DefaultMaxBody = 1 << 20
	// MaxBatch is the most jobs one POST /v1/jobs:batch may hold.
	MaxBatch = 1000
)

// Log attribute keys of this package, beside those of internal/logging.
const (
	keyMethod     = "method"
	keyPath       = "path"
	keyRemoteAddr = "remote_addr"
	keyReason     = "reason"
	keyStatus     = "status"
	keyIndex      = "index"
)

// Config configures a Server.
type Config struct {
	// Client submits and reads the jobs. Required.
	Client *enqueue.Client
	// Redis is the client that Client uses. The web UI, /readyz and the
	// queue-size metrics read through it. Required; the Server never
	// closes it.
	Redis redis.UniversalClient
	// Tokens are the bearer tokens accepted on /v1 and /ui. Empty turns
	// authentication off: then the caller must listen on loopback only
	// (see CheckAddr), and the server answers only requests addressed to
	// a loopback Host (localhost, 127.0.0.0/8, [::1]), with 403 otherwise.
	Tokens []string
	// UIReadOnly makes the web UI read-only: its API then refuses every
	// method but GET.
	UIReadOnly bool
	// OpenMetrics serves /metrics, /healthz and /readyz without a token.
	// False puts them behind the token like the rest (when there is one).
	OpenMetrics bool
	// MaxBody caps a request body, in bytes; zero means DefaultMaxBody.
	MaxBody int64
	// Registry receives the server's metrics and is what /metrics serves.
	// Share one with a worker in the same process to serve both. Nil
	// means a new registry with the Go and process collectors.
	Registry *prometheus.Registry
	// Logger receives refused requests and server errors; nil discards.
	Logger *slog.Logger
}

// Server is the HTTP handler of vodq serve. It is safe for concurrent use.
// Make one with New, serve it with Serve (or mount it anywhere as an
// http.Handler) and Close it when done.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	routes  []string // every registered pattern: the metric's route label
	auth    *authenticator
	metrics *metrics

	// stopping ends long polls when the server shuts down, so that a
	// graceful shutdown does not wait out a client's whole wait.
	stopping context.Context
	stop     context.CancelFunc

	closeOnce sync.Once
}

// New returns a Server for cfg, with its metrics registered.
func New(cfg Config) (*Server, error) {
	if cfg.Client == nil || cfg.Redis == nil {
		return nil, errors.New("httpapi: Config.Client and Config.Redis are required")
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Registry == nil {
		cfg.Registry = ops.NewRegistry()
	}
	if cfg.Logger == nil {
		cfg.Logger = logging.Discard()
	}
	log := cfg.Logger.With(logging.KeyComponent, "http")
	m, err := newMetrics(cfg.Registry, cfg.Redis, log)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		log:     log,
		mux:     http.NewServeMux(),
		auth:    newAuthenticator(cfg.Tokens, log),
		metrics: m,
	}
	s.stopping, s.stop = context.WithCancel(context.Background())
	s.routeAPI()
	s.routeOps()
	s.handle(UIPath+"/", s.auth.guardUI(newUI(cfg.Client, cfg.Redis, cfg.UIReadOnly)))
	s.handle("GET /{$}", http.RedirectHandler(UIPath+"/", http.StatusFound))
	return s, nil
}

// handle registers h for pattern and records the pattern.
func (s *Server) handle(pattern string, h http.Handler) {
	s.routes = append(s.routes, pattern)
	s.mux.Handle(pattern, h)
}

// routeAPI registers the /v1 routes, each behind the token.
func (s *Server) routeAPI() {
	api := map[string]http.HandlerFunc{
		"POST /v1/jobs":        requireJSON(s.submit),
		"POST /v1/jobs:batch":  requireJSON(s.submitBatch),
		"GET /v1/jobs/{id}":    s.getJob,
		"DELETE /v1/jobs/{id}": s.cancelJob,
		"GET /v1/openapi.json": serveOpenAPI,
	}
	for pattern, h := range api {
		s.handle(pattern, s.auth.guard(h))
	}
}

// routeOps registers /healthz, /readyz and /metrics, open or behind the
// token as configured.
func (s *Server) routeOps() {
	inner := http.NewServeMux()
	ops.Register(inner, s.cfg.Redis, s.cfg.Registry)
	var h http.Handler = inner
	if !s.cfg.OpenMetrics {
		h = s.auth.guard(inner)
	}
	for _, p := range []string{"GET /healthz", "GET /readyz", "GET /metrics"} {
		s.handle(p, h)
	}
}

// ServeHTTP refuses what a hostile web page may have sent (see
// checkBrowser), routes the rest, answers unknown paths and methods in
// JSON, and counts the request by route and status.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	h, pattern := s.mux.Handler(r)
	switch e := s.checkBrowser(r); {
	case e != nil:
		s.log.Warn("request refused", keyMethod, r.Method, keyPath, r.URL.Path,
			keyRemoteAddr, r.RemoteAddr, keyReason, e.Message)
		writeError(sw, e, nil)
	case pattern == "":
		// The mux's own 404 and 405 answers are plain text; clients of a
		// JSON API should not have to parse two formats.
		h.ServeHTTP(&muxErrorWriter{statusWriter: sw}, r)
	default:
		s.mux.ServeHTTP(sw, r)
	}

	// The mux names a redirect's target path as its pattern; only the
	// registered patterns become labels, so clients cannot mint series.
	route := "unmatched"
	if slices.Contains(s.routes, pattern) {
		route = pattern
	}
	s.metrics.requests.WithLabelValues(route, itoa(sw.status())).Inc()
}

// Serve serves s on ln until ctx ends, then shuts down gracefully: long
// polls return at once with the record as it is, and requests in flight
// get a few seconds to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, s.stop)
	defer stop()
	return ops.ServeListener(ctx, ln, s, s.log)
}

// Close ends long polls and unregisters the server's metrics. It closes
// neither the Redis client nor the enqueue client. Calls after the first
// do nothing.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.stop()
		s.metrics.unregister()
	})
	return nil
}
