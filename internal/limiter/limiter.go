package limiter

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

const (
	// keyPrefix starts every limiter key; the name follows in braces so
	// Redis Cluster hashes only the name.
	keyPrefix = "vodq:limiter:"

	// throttleDecrease multiplies the rate on each counted throttle.
	throttleDecrease = 0.5

	// throttleGrace is the shortest time after a change during which more
	// throttle reports count as the same one: a burst of rejections reaches
	// the workers spread over the API's response time.
	throttleGrace = 200 * time.Millisecond

	// idleTTL is how long a key outlives its last reservation and recovery.
	idleTTL = time.Minute
)

// Limiter grants requests fleet-wide at a shared rate, with its state in one
// Redis key. It is safe for concurrent use by any number of goroutines, and
// any number of processes may use the same Config on the same Redis.
type Limiter struct {
	rdb    Scripter
	cfg    Config
	key    string
	common []any

	// interval is 1/Rate, the unit of the back-off when the queue is full.
	interval time.Duration
	// maxLate is how long after its slot a caller may still go: one
	// interval, and at least 2 ms so that a high rate or a slow Redis round
	// trip does not make every caller late.
	maxLate time.Duration
	// afterSleep, when set by a test, runs when a caller wakes for its
	// slot, to stand for a process stall.
	afterSleep func()
}

// New returns a Limiter for cfg on rdb. It checks cfg and fills its zero
// fields with the defaults, and does not contact Redis. The error wraps
// ErrInvalidConfig and names the first field out of range.
func New(rdb Scripter, cfg Config) (*Limiter, error) {
	if rdb == nil {
		return nil, fmt.Errorf("%w: the Redis client is nil", ErrInvalidConfig)
	}
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}

	perSecond := cfg.RecoverPerSecond / cfg.Rate
	l := &Limiter{
		rdb:      rdb,
		cfg:      cfg,
		key:      keyPrefix + "{" + cfg.Name + "}",
		interval: time.Duration(float64(time.Second) / cfg.Rate),
		maxLate:  max(time.Duration(float64(time.Second)/cfg.Rate), 2*time.Millisecond),
		common: []any{
			formatFloat(cfg.Rate),
			formatFloat(cfg.MinRate / cfg.Rate),
			cfg.RecoverAfter.Microseconds(),
			formatFloat(perSecond / 1e6),
			idleTTL.Milliseconds(),
		},
	}
	return l, nil
}

// Config returns the limiter's configuration with its defaults filled in.
func (l *Limiter) Config() Config {
	return l.cfg
}

// Throttled reports that the API refused a request as over its limit
// (RequestLimitExceeded), which happens when other clients share the
// account's quota. It halves the rate in force for the whole fleet, down to
// MinRate, spends any saved burst, and returns the effective rate afterwards
// in requests per second.
//
// Reports that arrive within 200ms (or one interval, if longer) of the
// moment the last decrease took effect count once: one overload makes every
// request in flight fail, and halving for each would collapse the rate. The
// decrease takes effect after the slots already reserved, so the grace
// period starts there. The rate climbs back by RecoverPerSecond once
// RecoverAfter has passed without a counted report. Errors come from Redis
// or ctx. Safe for concurrent use.
func (l *Limiter) Throttled(ctx context.Context) (float64, error) {
	args := append(l.args(), formatFloat(throttleDecrease), throttleGrace.Microseconds())
	vals, err := throttleScript.run(ctx, l.rdb, l.key, args...).Slice()
	if err != nil {
		return 0, fmt.Errorf("limiter %s: report throttle: %w", l.cfg.Name, err)
	}
	if len(vals) != 2 {
		return 0, fmt.Errorf("limiter %s: report throttle: unexpected reply %v", l.cfg.Name, vals)
	}
	return parseRate(l.cfg.Name, vals[1])
}

// EffectiveRate returns the rate in requests per second the fleet is
// granted now: Rate, or less after recent throttle reports. It does not
// change any state. Errors come from Redis or ctx. Safe for concurrent use.
func (l *Limiter) EffectiveRate(ctx context.Context) (float64, error) {
	v, err := rateScript.run(ctx, l.rdb, l.key, l.args()...).Result()
	if err != nil {
		return 0, fmt.Errorf("limiter %s: read rate: %w", l.cfg.Name, err)
	}
	return parseRate(l.cfg.Name, v)
}

// args returns a fresh copy of the arguments every script takes, ready for
// the script's own to be appended.
func (l *Limiter) args() []any {
	out := make([]any, len(l.common), len(l.common)+2)
	copy(out, l.common)
	return out
}

func parseRate(name string, v any) (float64, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("limiter %s: rate reply is %T, not a string", name, v)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("limiter %s: parse rate reply: %w", name, err)
	}
	return f, nil
}

func formatFloat(f float64) string {
	return strconv.FormatFloat(f, 'g', -1, 64)
}
