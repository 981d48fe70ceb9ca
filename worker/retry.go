package worker

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"
)

// throttledError hands a job back to Asynq after it stayed throttled until
// its deadline. It does not count as a failure, so it spends no retry.
type throttledError struct{ err error }

func (e *throttledError) Error() string { return "still throttled: " + e.err.Error() }
func (e *throttledError) Unwrap() error { return e.err }

// isFailure tells Asynq which errors spend a retry: not throttling, and not
// an attempt cut short by shutdown or by an operator.
func isFailure(err error) bool {
	var te *throttledError
	switch {
	case err == nil:
		return false
	case errors.As(err, &te), errors.Is(err, errShutdown):
		return false
	}
	return true
}

// retryDelay is Asynq's RetryDelayFunc: exponential back-off with full
// jitter for failures (RetryBase doubling up to RetryMax), and about a
// second for tasks handed back without a failure.
func (s *Server) retryDelay(n int, err error, _ *asynq.Task) time.Duration {
	if !isFailure(err) {
		return 500*time.Millisecond + rand.N(time.Second)
	}
	d := s.cfg.RetryBase << min(n, 30)
	if d <= 0 || d > s.cfg.RetryMax {
		d = s.cfg.RetryMax
	}
	// Full jitter over the upper half keeps the delay growing while
	// spreading retries of jobs that failed together.
	return d/2 + rand.N(d/2+1)
}
