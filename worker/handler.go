package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
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
		f := &tasks.Failure{Code: tasks.CodeBadPayload,
			Message: "the queued payload is not a valid request: " + err.Error()}
		s.fail(log, id, queue, f, "bad payload")
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
