// Package config reads vodq's settings from the environment.
//
// Every setting is a VODQ_* variable with a default; `vodq help` prints them
// all. Tencent Cloud credentials are not settings of ours: the SDK's own
// credential provider chain reads them (TENCENTCLOUD_SECRET_ID and
// TENCENTCLOUD_SECRET_KEY, then a profile file, then a CVM role), so no
// secret passes through this package.
package config

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kelseyhightower/envconfig"
)

// Prefix is the prefix of every vodq environment variable.
const Prefix = "VODQ"

// Config holds every setting of every vodq command.
//
// The sections are embedded so that their variables carry no section prefix:
// VODQ_CONCURRENCY, not VODQ_WORKER_CONCURRENCY.
type Config struct {
	Redis
	Worker
	Tencent
	Server

	// Queue is the queue producers submit to when they name none.
	Queue string `envconfig:"QUEUE" default:"default" desc:"queue that jobs go to when the producer names none"`
	// Retention is how long a job record is kept after its last change.
	Retention time.Duration `envconfig:"RETENTION" default:"168h" desc:"how long job records and outcomes are kept (at least 1m)"`
	// TaskRetention is how long Asynq keeps a finished task for the web UI.
	TaskRetention time.Duration `envconfig:"TASK_RETENTION" default:"1h" desc:"how long a finished task stays visible in the web UI (the job record is kept for RETENTION)"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `envconfig:"LOG_LEVEL" default:"info" desc:"log level: debug, info, warn or error"`
	// LogFormat is json, text, or auto (text on a terminal, else json).
	LogFormat string `envconfig:"LOG_FORMAT" default:"auto" desc:"log format: json, text, or auto (text on a terminal, json otherwise)"`
}

// Redis says how to reach Redis. Exactly one of URL, Sentinel and Cluster
// addresses is used: Cluster when ClusterAddrs is set, Sentinel when
// SentinelAddrs is set, else URL.
type Redis struct {
	// URL is redis://[user:password@]host:port/db, or rediss:// for TLS.
	URL string `envconfig:"REDIS_URL" default:"redis://127.0.0.1:6379/0" desc:"Redis URL: redis://[user:pass@]host:port/db, rediss:// for TLS"`
	// SentinelAddrs lists Sentinel host:port addresses.
	SentinelAddrs []string `envconfig:"REDIS_SENTINEL_ADDRS" desc:"comma-separated Sentinel addresses; with REDIS_SENTINEL_MASTER, used instead of REDIS_URL"`
	// SentinelMaster is the Sentinel master name.
	SentinelMaster string `envconfig:"REDIS_SENTINEL_MASTER" desc:"Sentinel master name"`
	// SentinelPassword authenticates to the Sentinels themselves.
	SentinelPassword string `envconfig:"REDIS_SENTINEL_PASSWORD" desc:"password of the Sentinels (the data nodes' user and password come from REDIS_URL)"`
	// ClusterAddrs lists Redis Cluster seed nodes.
	ClusterAddrs []string `envconfig:"REDIS_CLUSTER_ADDRS" desc:"comma-separated Redis Cluster seed nodes; used instead of REDIS_URL (user, password and TLS still come from it)"`
}

// Worker holds the settings of `vodq worker`.
type Worker struct {
	// Queues maps queue names to priorities, "name:priority,…".
	Queues string `envconfig:"QUEUES" default:"default:1" desc:"queues the worker serves with their priorities, name:priority,..."`
	// Concurrency is the most jobs one worker process runs at once.
	Concurrency int `envconfig:"CONCURRENCY" default:"50" desc:"jobs one worker process runs at once (1-10000)"`
	// Rate is the fleet-wide request rate, per second, for all workers.
	Rate float64 `envconfig:"RATE" default:"97" desc:"fleet-wide ExecuteFunction calls per second, shared by all workers (quota 100)"`
	// Burst is how many calls may go at once after an idle spell.
	Burst int `envconfig:"BURST" default:"1" desc:"calls that may go back to back after an idle spell (1 keeps every 1-second window within RATE+0)"`
	// LimiterName names the limiter key; workers of one account share it.
	LimiterName string `envconfig:"LIMITER_NAME" default:"default" desc:"name of the shared rate limiter; one per Tencent Cloud account"`
	// MaxRetries is the default number of retries of a job.
	MaxRetries int `envconfig:"MAX_RETRIES" default:"10" desc:"retries of a job after transient errors, when the producer sets none (0-100)"`
	// CallTimeout bounds one API call.
	CallTimeout time.Duration `envconfig:"CALL_TIMEOUT" default:"30s" desc:"timeout of one API call"`
	// TaskTimeout bounds one attempt: limiter wait, throttle waits and call.
	TaskTimeout time.Duration `envconfig:"TASK_TIMEOUT" default:"5m" desc:"timeout of one attempt of a job, waits included, when the producer sets none"`
	// RetryBase is the first retry delay; later ones double.
	RetryBase time.Duration `envconfig:"RETRY_BASE" default:"1s" desc:"first retry delay after a transient error; doubles each retry, with jitter"`
	// RetryMax caps the retry delay.
	RetryMax time.Duration `envconfig:"RETRY_MAX" default:"5m" desc:"longest retry delay"`
	// TransientCodes overrides the retryable error codes.
	TransientCodes []string `envconfig:"TRANSIENT_CODES" desc:"error codes retried with back-off (Code or Prefix.*); empty means the built-in list"`
	// ShutdownTimeout is how long running jobs may finish on SIGTERM.
	ShutdownTimeout time.Duration `envconfig:"SHUTDOWN_TIMEOUT" default:"30s" desc:"how long running calls may finish after SIGTERM"`
	// SessionIDFromJob sends the job ID as SessionId when a request has none.
	SessionIDFromJob bool `envconfig:"SESSION_ID_FROM_JOB" default:"false" desc:"send the job ID as SessionId when a request has none (Tencent then refuses a second call for 7 days)"`
	// PollInterval is how often an idle worker looks for tasks.
	PollInterval time.Duration `envconfig:"POLL_INTERVAL" default:"1s" desc:"how often an idle worker looks for new tasks and moves due retries to their queues"`
	// MaxThrottled is how many throttled answers in a row one attempt
	// waits out without spending a retry.
	MaxThrottled int `envconfig:"MAX_THROTTLED" default:"20" desc:"RequestLimitExceeded answers in a row one attempt waits out without spending a retry (about a minute); then the attempt counts as failed (1-1000)"`
	// JanitorInterval is how often the fleet looks for jobs whose task left
	// Asynq without an outcome.
	JanitorInterval time.Duration `envconfig:"JANITOR_INTERVAL" default:"30s" desc:"how often the fleet ends jobs whose task left the queue without an outcome (worker died with no retry left, task deleted in the UI)"`
	// Addr is where the worker serves /metrics, /healthz and /readyz.
	Addr string `envconfig:"WORKER_ADDR" default:"127.0.0.1:9090" desc:"address of the worker's /metrics, /healthz and /readyz; empty turns them off"`
}

// Tencent says where the API is.
type Tencent struct {
	// Region is the Tencent Cloud region sent with each call.
	Region string `envconfig:"REGION" default:"ap-guangzhou" desc:"Tencent Cloud region"`
	// Endpoint is the API host[:port]; empty means vod.tencentcloudapi.com.
	Endpoint string `envconfig:"ENDPOINT" desc:"API host[:port]; empty means vod.tencentcloudapi.com (vod.intl.tencentcloudapi.com outside China)"`
	// Scheme is https, or http for the emulator.
	Scheme string `envconfig:"SCHEME" default:"https" desc:"https, or http for the emulator"`
}

// Server holds the settings of `vodq serve`.
type Server struct {
	// Addr is the HTTP API's listen address.
	Addr string `envconfig:"HTTP_ADDR" default:"127.0.0.1:8080" desc:"address of the HTTP API, web UI, /metrics and health"`
	// Tokens are the bearer tokens accepted on /v1 and /ui.
	Tokens []string `envconfig:"API_TOKENS" desc:"comma-separated bearer tokens for /v1 and /ui; without one the server binds only to loopback"`
	// TokensFile names a file with one bearer token per line.
	TokensFile string `envconfig:"API_TOKENS_FILE" desc:"file with one bearer token per line, added to API_TOKENS"`
	// UIReadOnly makes the web UI read-only.
	UIReadOnly bool `envconfig:"UI_READONLY" default:"false" desc:"web UI in read-only mode"`
	// OpenMetrics leaves /metrics, /healthz and /readyz without a token.
	OpenMetrics bool `envconfig:"OPEN_METRICS" default:"true" desc:"serve /metrics, /healthz and /readyz without a token"`
	// MaxBody caps a request body, in bytes.
	MaxBody int64 `envconfig:"MAX_BODY" default:"1048576" desc:"largest HTTP request body, in bytes"`
}

// queueName matches the queue names producers may use (tasks.ValidateQueue).
var queueName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// Load reads the configuration from the environment and validates it.
func Load() (*Config, error) {
	var c Config
	if err := envconfig.Process(Prefix, &c); err != nil {
		var pe *envconfig.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s is %q; it must be %s", pe.KeyName, pe.Value, kind(pe.TypeName))
		}
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate checks every setting; the error names the variable and the
// allowed range.
func (c *Config) Validate() error {
	check := []struct {
		bad  bool
		name string
		msg  string
	}{
		{c.Retention < time.Minute, "RETENTION", "must be at least 1m"},
		{c.TaskRetention < 0 || c.TaskRetention > c.Retention, "TASK_RETENTION", "must be 0 to RETENTION"},
		{c.Worker.Concurrency < 1 || c.Worker.Concurrency > 10000, "CONCURRENCY", "must be 1 to 10000"},
		{!(c.Worker.Rate > 0) || c.Worker.Rate > 100000, "RATE", "must be above 0 and at most 100000"},
		{c.Worker.Burst < 1 || c.Worker.Burst > 1000, "BURST", "must be 1 to 1000"},
		{c.Worker.MaxRetries < 0 || c.Worker.MaxRetries > 100, "MAX_RETRIES", "must be 0 to 100"},
		{c.Worker.CallTimeout < 100*time.Millisecond, "CALL_TIMEOUT", "must be at least 100ms"},
		{c.Worker.TaskTimeout < c.Worker.CallTimeout, "TASK_TIMEOUT", "must be at least CALL_TIMEOUT"},
		{c.Worker.RetryBase <= 0, "RETRY_BASE", "must be above 0"},
		{c.Worker.RetryMax < c.Worker.RetryBase, "RETRY_MAX", "must be at least RETRY_BASE"},
		{c.Worker.ShutdownTimeout <= 0, "SHUTDOWN_TIMEOUT", "must be above 0"},
		{c.Worker.PollInterval < 10*time.Millisecond || c.Worker.PollInterval > time.Minute,
			"POLL_INTERVAL", "must be 10ms to 1m"},
		{c.Worker.JanitorInterval < 100*time.Millisecond, "JANITOR_INTERVAL", "must be at least 100ms"},
		{c.Worker.MaxThrottled < 1 || c.Worker.MaxThrottled > 1000, "MAX_THROTTLED", "must be 1 to 1000"},
		{strings.Contains(c.Tencent.Endpoint, "/"), "ENDPOINT",
			"must be host[:port] without a scheme or path (the scheme is VODQ_SCHEME)"},
		{c.Tencent.Scheme != "https" && c.Tencent.Scheme != "http", "SCHEME", "must be https or http"},
		{c.Server.MaxBody < 1024, "MAX_BODY", "must be at least 1024"},
		{!oneOf(c.LogLevel, "debug", "info", "warn", "error"), "LOG_LEVEL", "must be debug, info, warn or error"},
		{!oneOf(c.LogFormat, "auto", "json", "text"), "LOG_FORMAT", "must be auto, json or text"},
		{len(c.Redis.SentinelAddrs) > 0 && c.Redis.SentinelMaster == "",
			"REDIS_SENTINEL_MASTER", "must be set with REDIS_SENTINEL_ADDRS"},
	}
	for _, ch := range check {
		if ch.bad {
			return fmt.Errorf("%s_%s %s", Prefix, ch.name, ch.msg)
		}
	}
	queues, err := ParseQueues(c.Worker.Queues)
	if err != nil {
		return fmt.Errorf("%s_QUEUES %w", Prefix, err)
	}
	for name := range queues {
		if !queueName.MatchString(name) {
			return fmt.Errorf("%s_QUEUES has %q; a queue name is 1 to 64 letters, digits, _ or -", Prefix, name)
		}
	}
	if !queueName.MatchString(c.Queue) {
		return fmt.Errorf("%s_QUEUE is %q; a queue name is 1 to 64 letters, digits, _ or -", Prefix, c.Queue)
	}
	return nil
}

// ParseQueues parses "name:priority,…" into a map. A name without a
// priority gets 1.
func ParseQueues(s string) (map[string]int, error) {
	out := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, prio, hasPrio := strings.Cut(part, ":")
		p := 1
		if hasPrio {
			n, err := strconv.Atoi(prio)
			if err != nil || n < 1 || n > 100 {
				return nil, fmt.Errorf("priority of %q must be an integer from 1 to 100", name)
			}
			p = n
		}
		if name == "" {
			return nil, fmt.Errorf("has an empty queue name in %q", s)
		}
		out[name] = p
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("must name at least one queue")
	}
	return out, nil
}

func oneOf(s string, set ...string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}

// CredentialVars are the variables the Tencent Cloud SDK reads credentials
// from. They are listed by `vodq help` but never read or printed by vodq.
var CredentialVars = [][2]string{
	{"TENCENTCLOUD_SECRET_ID", "Tencent Cloud SecretId (read by the SDK's credential providers)"},
	{"TENCENTCLOUD_SECRET_KEY", "Tencent Cloud SecretKey (read by the SDK; never logged)"},
}

// Usage writes a table of every variable, its default and its meaning.
func Usage(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tDEFAULT\tMEANING")
	var c Config
	if err := envconfig.Usagef(Prefix, &c, tw,
		"{{range .}}{{usage_key .}}\t{{usage_default .}}\t{{usage_description .}}\n{{end}}"); err != nil {
		return err
	}
	for _, v := range CredentialVars {
		fmt.Fprintf(tw, "%s\t\t%s\n", v[0], v[1])
	}
	return tw.Flush()
}

// kind names what a setting of Go type name must look like.
func kind(name string) string {
	switch name {
	case "int", "int64", "int32":
		return "a whole number"
	case "float64", "float32":
		return "a number"
	case "bool":
		return "true or false"
	case "Duration", "time.Duration":
		return "a duration such as 30s or 5m"
	}
	return "a valid " + name
}
