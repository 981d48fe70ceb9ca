package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vodq/vodq/internal/logging"
	"github.com/vodq/vodq/tasks"
)

// attempt is one run of a job's handler.
type attempt struct {
	s     *Server
	log   *slog.Logger
	id    string
	queue string
	req   *tasks.Request
	rec   *tasks.Job // as Start left it: the previous attempt's failure
	last  bool       // no retry is left after this run
	calls int
}

// number is the attempt count of the call being made or just made.
func (a *attempt) number() int { return a.rec.Attempts + max(a.calls-1, 0) }

func (a *attempt) run(ctx context.Context) error {
	s := a.s
	prev := a.rec.Failure
	for throttles := 0; ; {
		// Counted before the limiter's grant, so that no Redis round trip
		// stands between the grant and the call.
		if a.calls > 0 {
			if err := s.store.CountAttempt(ctx, a.id); err != nil {
				a.log.Warn("could not count attempt", logging.KeyError, err)
			}
		}
		wait, err := s.limiter.Wait(ctx)
		s.metrics.limiterWait.Observe(wait.Seconds())
		switch {
		case err == nil:
		case ctx.Err() != nil, errors.Is(err, context.DeadlineExceeded):
			return a.interrupted(ctx, err)
		default:
			// The limiter's Redis failed: a transient fault of ours, retried
			// like one, so a lasting fault (a missing ACL permission) ends
			// the job instead of looping.
			return a.transient(&tasks.Failure{Code: tasks.CodeLimiter, Message: err.Error()})
		}

		a.calls++
		start := time.Now()
		out, err := s.api.ExecuteFunction(ctx, a.req)
		elapsed := time.Since(start)
		if err == nil {
			s.metrics.observeCall("OK", elapsed)
			if mean, ok := s.capacity.observe(elapsed); ok {
				go s.checkCapacity(mean)
			}
			return a.succeed(out)
		}
		if ctx.Err() != nil {
			s.metrics.observeCall("Interrupted", elapsed)
			return a.interrupted(ctx, ctx.Err())
		}

		f := asFailure(err)
		s.metrics.observeCall(f.Code, elapsed)
		switch s.cfg.Classifier.Classify(f.Code) {
		case tasks.Throttled:
			throttles++
			if d, ok := a.throttled(ctx, f, throttles); ok {
				if sleep(ctx, d) {
					continue
				}
			}
			return a.throttledOut(ctx, f, throttles)
		case tasks.RetryOnce:
			if prev == nil || prev.Code != f.Code {
				// A fresh signature (clock skew) or credential may pass.
				a.log.Info("retrying once", logging.KeyErrorCode, f.Code,
					logging.KeyRequestID, f.RequestId, logging.KeyError, f.Message)
				prev = f
				continue
			}
			return a.fail(f, "failed again after one retry")
		case tasks.Transient:
			return a.transient(f)
		default:
			return a.fail(f, "permanent error")
		}
	}
}

// throttled slows the fleet down after a RequestLimitExceeded answer and
// returns how long to wait before calling again, or ok false when the
// attempt should end now: its throttle budget is spent, or its deadline is
// too close for another wait.
func (a *attempt) throttled(ctx context.Context, f *tasks.Failure, n int) (time.Duration, bool) {
	s := a.s
	s.metrics.throttled.Inc()
	if _, err := s.limiter.Throttled(ctx); err != nil {
		a.log.Warn("could not slow the fleet down", logging.KeyError, err)
	}
	if n >= s.cfg.MaxThrottled {
		return 0, false
	}
	d := throttleDelay(n)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d+throttleMargin {
		// Past the deadline Asynq would count a failed attempt.
		return 0, false
	}
	a.log.Debug("API throttled the call; waiting", logging.KeyErrorCode, f.Code,
		logging.KeyAttempt, a.number(), logging.KeyWait, d.String())
	return d, true
}

// throttledOut ends an attempt that stayed throttled. Within the throttle
// budget the task goes back to Asynq without spending a retry (a job with
// no retry left cannot go back: Asynq would archive it, so it fails); past
// the budget the attempt counts as a transient failure, so that a job the
// API never stops throttling ends after its retries instead of looping.
func (a *attempt) throttledOut(ctx context.Context, f *tasks.Failure, n int) error {
	switch {
	case ctx.Err() == context.Canceled:
		return a.interrupted(ctx, ctx.Err())
	case n >= a.s.cfg.MaxThrottled:
		f = &tasks.Failure{Code: f.Code, RequestId: f.RequestId,
			Message: fmt.Sprintf("%s (throttled %d times in a row)", f.Message, n)}
		return a.transient(f)
	case a.last:
		return a.fail(f, "throttled until its timeout with no retry left")
	}
	a.recordRetry(f, "throttled until its timeout; back to the queue without spending a retry")
	return &throttledError{f}
}

// transient handles a failure worth retrying: Asynq retries the task after
// retryDelay, or, with no retry left, the job fails.
func (a *attempt) transient(f *tasks.Failure) error {
	if a.last {
		return a.fail(f, "retries exhausted")
	}
	a.s.metrics.retries.WithLabelValues(f.Code).Inc()
	a.recordRetry(f, "will retry")
	return f
}

// recordRetry stores the failure of an attempt whose job runs again.
func (a *attempt) recordRetry(f *tasks.Failure, why string) {
	err := a.s.persist(func(ctx context.Context) error {
		_, err := a.s.store.Retrying(ctx, a.id, f)
		return err
	})
	if err != nil {
		a.log.Warn("could not record the retry", logging.KeyError, err)
	}
	a.log.Info("attempt failed; "+why, logging.KeyAttempt, a.number(),
		logging.KeyErrorCode, f.Code, logging.KeyRequestID, f.RequestId, "message", f.Message)
}

func (a *attempt) succeed(out *tasks.Outcome) error {
	s := a.s
	var rec *tasks.Job
	err := s.persist(func(ctx context.Context) (err error) {
		rec, _, err = s.store.Succeed(ctx, a.id, out)
		return err
	})
	if err != nil {
		// Returning an error would retry the job and call the API again.
		a.log.Error("API call succeeded but the outcome could not be stored",
			logging.KeyRequestID, out.RequestId, logging.KeyError, err)
		return fmt.Errorf("store outcome: %w", err)
	}
	s.metrics.jobEnded(a.queue, rec.State, "")
	a.log.Info("job succeeded", logging.KeyRequestID, out.RequestId, logging.KeyAttempt, rec.Attempts)
	return nil
}

// fail ends the job as failed and tells Asynq not to retry it.
func (a *attempt) fail(f *tasks.Failure, why string) error {
	a.s.fail(a.log, a.id, a.queue, f, why)
	return fmt.Errorf("%w: %w", f, asynq.SkipRetry)
}

func (s *Server) fail(log *slog.Logger, id, queue string, f *tasks.Failure, why string) {
	var rec *tasks.Job
	err := s.persist(func(ctx context.Context) (err error) {
		rec, _, err = s.store.Fail(ctx, id, f)
		return err
	})
	if err != nil {
		log.Error("could not store the job's failure", logging.KeyErrorCode, f.Code, logging.KeyError, err)
		return
	}
	s.metrics.jobEnded(queue, rec.State, f.Code)
	log.Warn("job failed: "+why, logging.KeyErrorCode, f.Code, logging.KeyRequestID, f.RequestId,
		"message", f.Message, logging.KeyAttempt, rec.Attempts)
}

// interrupted handles an attempt whose context ended before the API
// answered: the attempt's timeout, a shutdown, or a cancel.
func (a *attempt) interrupted(ctx context.Context, cause error) error {
	s := a.s
	if ctx.Err() == context.DeadlineExceeded || errors.Is(cause, context.DeadlineExceeded) {
		// The attempt's deadline passed, or the limiter's queue is longer
		// than the time left: a timeout, like a slow call.
		return a.transient(&tasks.Failure{Code: tasks.CodeTimeout, Message: "the attempt ran out of time"})
	}
	if !s.shuttingDown.Load() && s.redisAnswers() {
		// Asynq cancels a running task when an operator cancels it in the
		// web UI, and when the worker's lease expired because Redis was out
		// of reach for half a minute. Redis answers, so it was the operator.
		return a.canceled()
	}

	// The task goes back to Asynq without spending a retry, so the job
	// must not look running.
	f := &tasks.Failure{Code: tasks.CodeInterrupted, Message: "interrupted by worker shutdown; runs again"}
	if !s.shuttingDown.Load() {
		f.Message = "interrupted: the worker lost its lease on the task; runs again"
	}
	err := s.persist(func(ctx context.Context) error {
		_, err := s.store.Retrying(ctx, a.id, f)
		return err
	})
	if err != nil {
		a.log.Warn("could not record the interruption", logging.KeyError, err)
	}
	a.log.Info("attempt interrupted", "reason", f.Message)
	return fmt.Errorf("%w: %w", errShutdown, cause)
}

// canceled ends a job whose running attempt an operator canceled.
func (a *attempt) canceled() error {
	s := a.s
	f := &tasks.Failure{Code: tasks.CodeCanceled,
		Message: "canceled while running (from the web UI); the call may have reached the API"}
	var rec *tasks.Job
	err := s.persist(func(ctx context.Context) (err error) {
		rec, _, err = s.store.Abort(ctx, a.id, f)
		return err
	})
	if err != nil {
		a.log.Error("could not store the cancel", logging.KeyError, err)
		return fmt.Errorf("store cancel: %w", err)
	}
	s.metrics.jobEnded(a.queue, rec.State, f.Code)
	a.log.Info("job canceled while running", logging.KeyAttempt, rec.Attempts)
	return fmt.Errorf("%w: %w", f, asynq.SkipRetry)
}

// redisAnswers reports whether Redis answers a PING within a second.
func (s *Server) redisAnswers() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return s.rdb.Ping(ctx).Err() == nil
}
