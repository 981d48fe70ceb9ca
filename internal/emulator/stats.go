package emulator

import (
	"maps"
	"sync"
	"time"
)

// Stats counts what the emulator saw since it started or was last reset.
// Its JSON form, served at GET /_emulator/stats, uses snake_case keys.
//
// For calls that reached the quota check, Accepted + Throttled is their
// number. An emulated RequestLimitExceeded (fail:RequestLimitExceeded, for
// instance) is an accepted call: it shows in ByCode, not in Throttled.
type Stats struct {
	// Requests counts every HTTP request to the API endpoint, including
	// those refused before the quota check. Requests to /_emulator/ are
	// not counted.
	Requests int64 `json:"requests"`

	// Accepted counts calls the quota admitted. They may still fail later,
	// on a parameter check or by their behaviour.
	Accepted int64 `json:"accepted"`

	// Throttled counts calls the quota refused with RequestLimitExceeded.
	Throttled int64 `json:"throttled"`

	// MaxWindow is the highest number of calls that reached the quota check
	// within any sliding one-second window, throttled ones included. A
	// client fleet respects the quota when MaxWindow stays at or below it.
	MaxWindow int64 `json:"max_window"`

	// ByCode counts answers by error code; successes count under "OK".
	// Outcomes without an answer count under "close" (connection closed by
	// the close behaviour), "http502" (the http502 behaviour) and
	// "canceled" (the client went away before the answer).
	ByCode map[string]int64 `json:"by_code"`

	// FirstAt and LastAt are the times of the first and the last accepted
	// call, from Config.Now; zero (and absent from JSON) before any.
	FirstAt time.Time `json:"first_at,omitzero"`
	LastAt  time.Time `json:"last_at,omitzero"`
}

// counters accumulates Stats under a mutex. MaxWindow lives in the quota's
// window, which measures it, and is merged in by Emulator.Stats.
type counters struct {
	mu sync.Mutex
	s  Stats
}

func newCounters() *counters {
	return &counters{s: Stats{ByCode: map[string]int64{}}}
}

func (c *counters) request() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.Requests++
}

// admitted records the quota's verdict on a call arriving at now.
func (c *counters) admitted(ok bool, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !ok {
		c.s.Throttled++
		return
	}
	c.s.Accepted++
	if c.s.FirstAt.IsZero() {
		c.s.FirstAt = now
	}
	c.s.LastAt = now
}

// answered records one outcome under its ByCode key.
func (c *counters) answered(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.ByCode[key]++
}

// snapshot returns a copy the caller may keep and change.
func (c *counters) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.s
	s.ByCode = maps.Clone(c.s.ByCode)
	return s
}

func (c *counters) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s = Stats{ByCode: map[string]int64{}}
}
