package worker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vodq/vodq/internal/logging"
	"github.com/vodq/vodq/tasks"
)

// DefaultJanitorInterval is how often a worker looks for jobs whose task
// left Asynq without an outcome.
const DefaultJanitorInterval = 30 * time.Second

// janitorBatch is how many active jobs one janitor pass looks at.
const janitorBatch = 500

const janitorLockKey = "vodq:janitor:lock"

// runJanitor ends jobs whose task left Asynq without passing through the
// handler's end: Asynq archives a task whose worker died when it has no
// retry left, and an operator may delete or archive a task in the web UI.
// Their records would otherwise stay queued or running until they expire.
// One worker of the fleet does each pass, under a lock.
func (s *Server) runJanitor(ctx context.Context) {
	insp := asynq.NewInspectorFromRedisClient(s.rdb)
	tick := time.NewTicker(s.cfg.JanitorInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if s.janitorLock(ctx) {
			s.sweep(ctx, insp)
		}
	}
}

func (s *Server) janitorLock(ctx context.Context) bool {
	var b [8]byte
	_, _ = rand.Read(b[:])
	ok, err := s.rdb.SetNX(ctx, janitorLockKey, hex.EncodeToString(b[:]),
		s.cfg.JanitorInterval*9/10).Result()
	return err == nil && ok
}

// sweep looks at the active jobs not looked at for a janitor interval.
func (s *Server) sweep(ctx context.Context, insp *asynq.Inspector) {
	ids, err := s.store.Unseen(ctx, time.Now().Add(-s.cfg.JanitorInterval), janitorBatch)
	if err != nil {
		s.log.Warn("janitor could not list active jobs", logging.KeyError, err)
		return
	}
	for _, id := range ids {
		if ctx.Err() != nil {
			return
		}
		s.check(ctx, insp, id)
	}
}

func (s *Server) check(ctx context.Context, insp *asynq.Inspector, id string) {
	rec, err := s.store.Get(ctx, id)
	if err != nil || rec.State.Final() {
		// Ended, or expired: nothing to watch.
		_ = s.store.Seen(ctx, id, false)
		return
	}
	info, err := insp.GetTaskInfo(rec.Queue, id)
	var f *tasks.Failure
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
		f = &tasks.Failure{Code: tasks.CodeLost,
			Message: "the job's task left the queue without an outcome (deleted outside vodq)"}
	case err != nil:
		return
	case info.State == asynq.TaskStateArchived && strings.Contains(info.LastErr, "lease expired"):
		f = &tasks.Failure{Code: tasks.CodeWorkerLost,
			Message: "the worker running the job stopped and the job had no retry left"}
	case info.State == asynq.TaskStateArchived, info.State == asynq.TaskStateCompleted:
		f = &tasks.Failure{Code: tasks.CodeLost,
			Message: "the job's task was " + info.State.String() + " without an outcome: " + info.LastErr}
	default:
		_ = s.store.Seen(ctx, id, true)
		return
	}
	log := s.log.With(logging.KeyJobID, id, logging.KeyQueue, rec.Queue)
	s.fail(log, id, rec.Queue, f, "its task left the queue")
}
