package emulator

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"time"
)

// Defaults and fixed limits of the emulated endpoint. They mirror the
// service, so code tested against the emulator meets the same limits in
// production.
const (
	// DefaultQuota is the ExecuteFunction quota: requests per second per
	// account.
	DefaultQuota = 100

	// DefaultSessionTTL is how long a successful SessionId refuses
	// duplicates: seven days, as the API documents.
	DefaultSessionTTL = 7 * 24 * time.Hour

	// MaxClockSkew is how far X-TC-Timestamp may be from the emulator's
	// clock before a call is refused with AuthFailure.SignatureExpire.
	MaxClockSkew = 5 * time.Minute

	// MaxBodyBytes is the largest request body accepted (10 MiB), the API
	// 3.0 limit for a POST; a larger one is RequestSizeLimitExceeded.
	MaxBodyBytes = 10 << 20
)

// Config configures an Emulator. The zero value of each field except
// Credentials selects its default.
type Config struct {
	// Credentials maps each accepted SecretId to its SecretKey. Calls
	// signed with an unknown SecretId are refused with
	// AuthFailure.SecretIdNotFound. Required: at least one pair, with
	// neither part empty. The emulator keeps a copy.
	Credentials map[string]string

	// Quota is the number of calls admitted in any sliding one-second
	// window; further calls are answered RequestLimitExceeded. Zero means
	// DefaultQuota (100); a negative value means no limit.
	Quota int

	// Latency is the delay added before answering every call that passes
	// validation, whatever its behaviour. The zero value adds none.
	Latency Latency

	// SessionTTL is how long a successful SessionId refuses duplicates,
	// and how long flaky behaviours remember their failure counts. Zero
	// means DefaultSessionTTL (7 days); negative is an error.
	SessionTTL time.Duration

	// Now is the emulator's clock, used for the timestamp check, the quota
	// window, SessionId expiry and Stats times. Tests set it to simulate
	// a skewed client clock or to move the quota window without sleeping.
	// Nil means time.Now.
	Now func() time.Time

	// Seed seeds the random draws of Latency and random: behaviours. Every
	// value, zero included, is a valid seed; a run of sequential calls
	// with one seed draws the same values.
	Seed int64

	// Logger receives one debug record per call and info records for
	// start and stop. It never sees secret keys, the Authorization header
	// or FunctionArg. Nil discards everything.
	Logger *slog.Logger
}

// withDefaults validates c and returns a copy with defaults filled in and
// Credentials copied, so later changes by the caller have no effect.
func (c Config) withDefaults() (Config, error) {
	if len(c.Credentials) == 0 {
		return c, errors.New("Credentials must hold at least one SecretId and its SecretKey")
	}
	for id, key := range c.Credentials {
		switch {
		case id == "":
			return c, errors.New("Credentials holds an empty SecretId")
		case key == "":
			return c, fmt.Errorf("Credentials: SecretId %q has an empty SecretKey", id)
		}
	}
	if c.SessionTTL < 0 {
		return c, fmt.Errorf("SessionTTL %s is negative; use 0 for the default %s",
			c.SessionTTL, DefaultSessionTTL)
	}

	c.Credentials = maps.Clone(c.Credentials)
	if c.Quota == 0 {
		c.Quota = DefaultQuota
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}
