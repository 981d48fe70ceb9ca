package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vodq/vodq/internal/logging"
	"github.com/vodq/vodq/tasks"
)

// throttleMargin is the least time an attempt keeps before its deadline
// for another throttled call; with less left, the task goes back to the
// queue at once.
const throttleMargin = time.Second

// storeWriteTimeout bounds the retries of one record write. A record write
// after the API answered must not be lost to a Redis blip, or the job would
// run again.
const storeWriteTimeout = 30 * time.Second

// ProcessTask runs one attempt of a job. It implements asynq.Handler.
func (s *Server) ProcessTask(ctx context.Context, t *asynq.Task) error {
	s.handlers.Add(1)
	defer s.handlers.Done()
	id, _ := asynq.GetTaskID(ctx)
	queue, _ := asynq.GetQueueName(ctx)
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	log := s.log.With(logging.KeyJobID, id, logging.KeyQueue, queue)
	if t.Type() != tasks.TypeExecuteFunction {
		// Not a vodq job: another application shares the queue.
		log.Warn("task of an unknown type archived", "type", t.Type())
		return fmt.Errorf("unknown task type %q: %w", t.Type(), asynq.SkipRetry)
	}

	req, err := tasks.DecodeRequest(t.Payload())
	if err != nil {
		f := &tasks.Failure{Code: tasks.CodeBadPayload, Message: "the queued payload is not a valid request: " + err.Error()}
		s.fail(log, id, queue, f)
		return fmt.Errorf("%w: %w", f, asynq.SkipRetry)
	}
	log = log.With(logging.KeyFunctionName, req.FunctionName)

	rec, proceed, err := s.store.Start(ctx, id, queue, t.Payload(), maxRetry)
	if err != nil {
		return fmt.Errorf("mark job running: %w", err)
	}
	if !proceed {
		log.Info("job already ended; not calling the API again", logging.KeyState, rec.State)
		return nil
	}
	if s.cfg.SessionIDFromJob && req.SessionId == "" {
		req.SessionId = sessionID(id)
	}

	s.metrics.inFlight.Inc()
	defer s.metrics.inFlight.Dec()
	a := attempt{s: s, log: log, id: id, queue: queue, req: &req, rec: rec,
		last: retried >= maxRetry}
	return a.run(ctx)
}

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

func (a *attempt) run(ctx context.Context) error {
	s := a.s
	var prev *tasks.Failure = a.rec.Failure
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
			f := &tasks.Failure{Code: tasks.CodeLimiter, Message: err.Error()}
			a.log.Warn("rate limiter failed", logging.KeyError, err)
			if a.last {
				return a.fail(a.log, f)
			}
			return a.retry(a.log, f)
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
		log := a.log.With(logging.KeyAttempt, a.rec.Attempts+a.calls-1,
			logging.KeyErrorCode, f.Code, logging.KeyRequestID, f.RequestId)

		switch s.cfg.Classifier.Classify(f.Code) {
		case tasks.Throttled:
			s.metrics.throttled.Inc()
			if _, err := s.limiter.Throttled(ctx); err != nil {
				log.Warn("could not slow the fleet down", logging.KeyError, err)
			}
			throttles++
			d := throttleDelay(throttles)
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d+throttleMargin {
				// Hand the task back before its deadline: past it, Asynq
				// would count a failed attempt.
				return a.throttledOut(ctx, f)
			}
			log.Debug("API throttled the call; waiting", logging.KeyWait, d)
			if !sleep(ctx, d) {
				return a.throttledOut(ctx, f)
			}
			continue
		case tasks.RetryOnce:
			if prev == nil || prev.Code != f.Code {
				// A fresh signature (clock skew) or credential may pass.
				log.Info("retrying once", logging.KeyError, f.Message)
				prev = f
				continue
			}
			return a.fail(log, f)
		case tasks.Transient:
			if a.last {
				log.Warn("retries exhausted")
				return a.fail(log, f)
			}
			return a.retry(log, f)
		default:
			return a.fail(log, f)
		}
	}
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
func (a *attempt) fail(log *slog.Logger, f *tasks.Failure) error {
	a.s.fail(log, a.id, a.queue, f)
	return fmt.Errorf("%w: %w", f, asynq.SkipRetry)
}

func (s *Server) fail(log *slog.Logger, id, queue string, f *tasks.Failure) {
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
	log.Warn("job failed", logging.KeyErrorCode, f.Code, logging.KeyRequestID, f.RequestId,
		"message", f.Message, logging.KeyAttempt, rec.Attempts)
}

// retry records a transient failure; Asynq retries the task after
// retryDelay.
func (a *attempt) retry(log *slog.Logger, f *tasks.Failure) error {
	err := a.s.persist(func(ctx context.Context) error {
		_, err := a.s.store.Retrying(ctx, a.id, f)
		return err
	})
	if err != nil {
		log.Warn("could not record the retry", logging.KeyError, err)
	}
	a.s.metrics.retries.WithLabelValues(f.Code).Inc()
	log.Info("attempt failed; will retry", "message", f.Message)
	return f
}

// throttledOut hands a job that stayed throttled until its attempt's
// deadline back to Asynq without spending a retry, or fails it when it has
// no retry left (Asynq would archive it).
func (a *attempt) throttledOut(ctx context.Context, f *tasks.Failure) error {
	if ctx.Err() == context.Canceled {
		return a.interrupted(ctx, ctx.Err())
	}
	if a.last {
		return a.fail(a.log, f)
	}
	_ = a.retry(a.log, f)
	return &throttledError{f}
}

// interrupted handles an attempt whose context ended before the API
// answered: the attempt's timeout, a shutdown, or a cancel from the web UI.
func (a *attempt) interrupted(ctx context.Context, cause error) error {
	s := a.s
	f := &tasks.Failure{Code: tasks.CodeTimeout, Message: "the attempt ran out of time"}
	switch {
	case ctx.Err() == context.DeadlineExceeded, errors.Is(cause, context.DeadlineExceeded):
		// The attempt's deadline passed, or the limiter's queue is longer
		// than the time left: a timeout, like a slow call.
		if a.last {
			return a.fail(a.log, f)
		}
		return a.retry(a.log, f)
	case s.shuttingDown.Load():
		f = &tasks.Failure{Code: tasks.CodeInterrupted, Message: "interrupted by worker shutdown; runs again"}
	default:
		f = &tasks.Failure{Code: tasks.CodeInterrupted,
			Message: "interrupted (canceled in the web UI, or the worker lost its lease); runs again"}
	}
	// The task goes back to Asynq without spending a retry, so the job
	// must not look running.
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

// persist runs write with its own context, retrying with back-off for up to
// storeWriteTimeout, so that a canceled task context or a Redis blip does
// not lose an outcome.
func (s *Server) persist(write func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), storeWriteTimeout)
	defer cancel()
	delay := 50 * time.Millisecond
	for {
		err := write(ctx)
		if err == nil {
			return nil
		}
		if !sleep(ctx, delay) {
			return err
		}
		delay = min(delay*2, 2*time.Second)
	}
}

// asFailure extracts the *tasks.Failure from an API error.
func asFailure(err error) *tasks.Failure {
	var f *tasks.Failure
	if errors.As(err, &f) {
		return f
	}
	return &tasks.Failure{Code: "ClientError.NetworkError", Message: err.Error()}
}

// sessionID derives a SessionId (at most 50 characters) from a job ID.
func sessionID(id string) string {
	if len(id) <= tasks.MaxSessionID {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "vodq-" + hex.EncodeToString(sum[:])[:tasks.MaxSessionID-5]
}

// throttleDelay is the wait after the n-th throttled answer in one attempt:
// 100 ms doubling to 5 s, with full jitter so the fleet does not retry in
// step.
func throttleDelay(n int) time.Duration {
	d := 100 * time.Millisecond << min(n-1, 6)
	d = min(d, 5*time.Second)
	return d/2 + rand.N(d/2+1)
}

// sleep waits d or until ctx ends; it reports whether the wait completed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
