package worker

import (
	"math"
	"sync"
	"time"

	"github.com/hibiken/asynq"
)

// capacitySample is how many successful calls the capacity check waits for
// before it judges the concurrency against the rate.
const capacitySample = 100

// capacity checks, once enough calls have been timed, that the fleet's
// concurrency can reach the configured rate at the observed call latency
// (Little's law: calls in flight = rate × latency), and is not far beyond
// it.
type capacity struct {
	mu    sync.Mutex
	n     int
	total time.Duration
	done  bool
}

// observe records one call's latency and returns the mean latency when the
// sample is complete (once).
func (c *capacity) observe(d time.Duration) (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return 0, false
	}
	c.n++
	c.total += d
	if c.n < capacitySample {
		return 0, false
	}
	c.done = true
	return c.total / time.Duration(c.n), true
}

// checkCapacity logs a warning when the fleet's concurrency is below what
// the rate needs at latency, or more than 20 times above it.
func (s *Server) checkCapacity(latency time.Duration) {
	if s.cfg.Rate <= 0 || latency <= 0 {
		return
	}
	fleet := s.cfg.Concurrency
	workers := 1
	servers, err := asynq.NewInspectorFromRedisClient(s.rdb).Servers()
	if err == nil && len(servers) > 0 {
		fleet, workers = 0, len(servers)
		for _, sv := range servers {
			fleet += sv.Concurrency
		}
	}
	need := s.cfg.Rate * latency.Seconds()
	reach := float64(fleet) / latency.Seconds()
	attrs := []any{"rate", s.cfg.Rate, "mean_latency", latency.Round(time.Millisecond).String(),
		"workers", workers, "fleet_concurrency", fleet, "needed_in_flight", math.Ceil(need)}
	switch {
	case reach < s.cfg.Rate:
		s.log.Warn("concurrency too low to reach the rate at this latency: raise VODQ_CONCURRENCY "+
			"or add workers", append(attrs, "reachable_rate", math.Round(reach))...)
	case float64(fleet) > 20*need && fleet > 20:
		// Harmless but wasteful, so not a warning.
		s.log.Info("concurrency far beyond what the rate needs at this latency; most jobs will "+
			"wait at the limiter and hold their task's timeout", attrs...)
	default:
		s.log.Info("concurrency fits the rate", attrs...)
	}
}
