package limiter

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Defaults and limits for Config. A zero field in Config means its default.
const (
	// DefaultName is the limiter name used when Config.Name is empty.
	DefaultName = "default"

	// DefaultBurst is the burst used when Config.Burst is zero: no burst, so
	// the API never sees two requests closer than one interval.
	DefaultBurst = 1

	// DefaultMaxWait is the longest reservation a caller takes when
	// Config.MaxWait is zero.
	DefaultMaxWait = 5 * time.Second

	// DefaultRecoverAfter is the quiet time after a counted throttle before
	// the rate starts to recover, used when Config.RecoverAfter is zero.
	DefaultRecoverAfter = 2 * time.Second

	// DefaultMinRateFraction is MinRate as a fraction of Rate when
	// Config.MinRate is zero.
	DefaultMinRateFraction = 0.1

	// DefaultRecoverFraction is RecoverPerSecond as a fraction of Rate when
	// Config.RecoverPerSecond is zero: a tenth of the quota regained per
	// second, so a halved rate is whole again five seconds after the quiet
	// time.
	DefaultRecoverFraction = 0.1

	// MinRate and MaxRate bound Config.Rate, in requests per second. The
	// schedule counts whole microseconds and rounds each interval up, which
	// costs at most one microsecond per request: 10% at MaxRate, 0.01% at 100.
	MinRate = 0.001
	MaxRate = 100_000

	// MaxMaxWait bounds Config.MaxWait and Config.RecoverAfter.
	MaxMaxWait = time.Hour
)

// ErrInvalidConfig is wrapped by every error New returns for a bad Config;
// the message names the field and its allowed range.
var ErrInvalidConfig = errors.New("limiter: invalid config")

// Config describes one fleet-wide limit. Every process that shares a Name on
// one Redis must use the same Config: the values travel with each call, so
// processes that disagree enforce a mix of both.
type Config struct {
	// Name identifies the limit; processes with the same Name on the same
	// Redis share one quota. It becomes the hash tag of the Redis key
	// "vodq:limiter:{Name}", so it must not contain '{' or '}'.
	// Default DefaultName.
	Name string

	// Rate is the quota in requests per second, between MinRate and
	// MaxRate. Required. Set it a little below the API's quota when network
	// jitter between the fleet and the API matters: the limiter bounds when
	// requests are granted, not when they arrive.
	Rate float64

	// Burst is how many requests may be granted at once after an idle
	// spell. Any one-second window then holds at most Rate+Burst-1 grants.
	// At least 1; default DefaultBurst.
	Burst int

	// MaxWait is the furthest ahead a caller reserves a slot. A caller that
	// finds the queue longer reserves nothing, sleeps and asks again, so
	// one overloaded moment does not hand out slots for minutes ahead.
	// Between 1ms and MaxMaxWait; default DefaultMaxWait.
	MaxWait time.Duration

	// MinRate is the floor in requests per second that throttle reports
	// cannot push the rate below. Greater than 0 and at most Rate; default
	// Rate*DefaultMinRateFraction.
	MinRate float64

	// RecoverAfter is how long after the last counted throttle the rate
	// stays lowered before it starts to climb back. Between 0 and
	// MaxMaxWait; zero means DefaultRecoverAfter (use 1ns for none).
	RecoverAfter time.Duration

	// RecoverPerSecond is how fast a lowered rate climbs back once
	// RecoverAfter has passed, in requests per second gained per second
	// (additive increase, capped at Rate). Greater than 0; default
	// Rate*DefaultRecoverFraction.
	RecoverPerSecond float64
}

// withDefaults returns c with every zero field replaced by its default.
func (c Config) withDefaults() Config {
	if c.Name == "" {
		c.Name = DefaultName
	}
	if c.Burst == 0 {
		c.Burst = DefaultBurst
	}
	if c.MaxWait == 0 {
		c.MaxWait = DefaultMaxWait
	}
	if c.MinRate == 0 {
		c.MinRate = c.Rate * DefaultMinRateFraction
	}
	if c.RecoverAfter == 0 {
		c.RecoverAfter = DefaultRecoverAfter
	}
	if c.RecoverPerSecond == 0 {
		c.RecoverPerSecond = c.Rate * DefaultRecoverFraction
	}
	return c
}

// validate checks a Config that already has its defaults.
func (c Config) validate() error {
	switch {
	case strings.ContainsAny(c.Name, "{}"):
		return invalid("Name must be free of '{' and '}', got %q", c.Name)
	case !finite(c.Rate) || c.Rate < MinRate || c.Rate > MaxRate:
		return invalid("Rate must be between %g and %g requests per second, got %g",
			float64(MinRate), float64(MaxRate), c.Rate)
	case c.Burst < 1:
		return invalid("Burst must be at least 1, got %d", c.Burst)
	case c.MaxWait < time.Millisecond || c.MaxWait > MaxMaxWait:
		return invalid("MaxWait must be between 1ms and %s, got %s", MaxMaxWait, c.MaxWait)
	case !finite(c.MinRate) || c.MinRate <= 0 || c.MinRate > c.Rate:
		return invalid("MinRate must be greater than 0 and at most Rate (%g), got %g",
			c.Rate, c.MinRate)
	case c.RecoverAfter < 0 || c.RecoverAfter > MaxMaxWait:
		return invalid("RecoverAfter must be between 0 and %s, got %s",
			MaxMaxWait, c.RecoverAfter)
	case !finite(c.RecoverPerSecond) || c.RecoverPerSecond <= 0:
		return invalid("RecoverPerSecond must be greater than 0, got %g", c.RecoverPerSecond)
	}
	return nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}

func finite(f float64) bool {
	return !math.IsNaN(f) && !math.IsInf(f, 0)
}
