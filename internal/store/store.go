// Package store keeps vodq's job records in Redis.
//
// Each job is one Redis hash, written only by Lua scripts that touch that
// one key, so every operation is atomic and works on Redis Cluster. A
// record expires Retention after its last write. When a job reaches a final
// state its ID is published on EndedChannel, which [Store.Wait] listens to.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/tasks"
)

// ErrNotFound is returned for a job ID with no record.
var ErrNotFound = errors.New("job not found")

// EndedChannel is the Pub/Sub channel on which the IDs of jobs that reached
// a final state are published.
const EndedChannel = "vodq:ended"

// DefaultRetention is how long a record lives after its last write when
// Options.Retention is zero.
const DefaultRetention = 7 * 24 * time.Hour

// Key returns the Redis key of a job's record. The ID is the hash tag, so a
// record sits in one slot of a Redis Cluster.
func Key(id string) string { return "vodq:job:{" + id + "}" }

// Store reads and writes job records. It is safe for concurrent use.
type Store struct {
	rdb       redis.UniversalClient
	retention time.Duration
	now       func() time.Time
	waiters   *waiters
}

// Options configure a Store.
type Options struct {
	// Retention is how long a record lives after its last write; zero means
	// DefaultRetention.
	Retention time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// New returns a Store over rdb. It does not close rdb.
func New(rdb redis.UniversalClient, opts Options) *Store {
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Store{rdb: rdb, retention: opts.Retention, now: opts.Now}
	s.waiters = newWaiters(rdb)
	return s
}

// Close stops the Pub/Sub listener that Wait started, if any.
func (s *Store) Close() error { return s.waiters.close() }

// Get returns the record of job id, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (*tasks.Job, error) {
	m, err := s.rdb.HGetAll(ctx, Key(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("read job %s: %w", id, err)
	}
	if len(m) == 0 {
		return nil, ErrNotFound
	}
	return decode(id, m)
}

// Create stores a new record for job in state queued. When a record with
// the same ID exists it is left alone and returned with created false.
func (s *Store) Create(ctx context.Context, job *tasks.Job) (rec *tasks.Job, created bool, err error) {
	req, err := json.Marshal(job.Request)
	if err != nil {
		return nil, false, fmt.Errorf("encode request: %w", err)
	}
	fields := []any{
		"state", string(tasks.StateQueued),
		"queue", job.Queue,
		"request", string(req),
		"attempts", "0",
		"max_retries", strconv.Itoa(job.MaxRetries),
		"submitted_at", formatTime(job.SubmittedAt),
	}
	rec, created, err = s.transition(ctx, job.ID, "", true, fields)
	if created {
		s.track(ctx, job.ID)
	}
	return rec, created, err
}

// Start marks job id running and counts one attempt, creating the record
// from the task when the producer did not get to write it. It returns
// proceed false, with the record, when the job already ended (it succeeded,
// failed or was canceled): the caller must not call the API again.
func (s *Store) Start(ctx context.Context, id, queue string, req []byte,
	maxRetries int) (*tasks.Job, bool, error) {
	now := formatTime(s.now())
	fields := []any{
		"state", string(tasks.StateRunning),
		"+attempts", "1",
		"?started_at", now,
		"?queue", queue,
		"?request", string(req),
		"?max_retries", strconv.Itoa(maxRetries),
		"?submitted_at", now,
	}
	rec, code, err := s.transitionCode(ctx, id, "queued,running,retrying", true, fields)
	if code == 2 {
		// The producer died before writing the record (or another
		// producer queued the task): index it as Create would have.
		s.track(ctx, id)
	}
	return rec, code >= 1, err
}

// CountAttempt adds one to the attempts of a running job, for a further
// API call within one run (after a throttled answer).
func (s *Store) CountAttempt(ctx context.Context, id string) error {
	_, _, err := s.transition(ctx, id, "running", false, []any{"+attempts", "1"})
	if err != nil {
		return fmt.Errorf("count attempt of job %s: %w", id, err)
	}
	return nil
}

// Retrying records the failure of an attempt that will be retried.
func (s *Store) Retrying(ctx context.Context, id string, f *tasks.Failure) (*tasks.Job, error) {
	fields := append([]any{"state", string(tasks.StateRetrying)}, failureFields(f)...)
	rec, _, err := s.transition(ctx, id, "running", false, fields)
	return rec, err
}

// Succeed records the job's outcome and publishes its end. It returns the
// stored record and applied false when the job had already ended.
func (s *Store) Succeed(ctx context.Context, id string, o *tasks.Outcome) (*tasks.Job, bool, error) {
	fields := []any{
		"state", string(tasks.StateSucceeded),
		"result", o.Result,
		"request_id", o.RequestId,
		"-error_code", "", "-error_message", "", "-error_request_id", "",
	}
	return s.end(ctx, id, "queued,running,retrying", true, fields)
}

// Fail records the job's failure and publishes its end. It returns the
// stored record and applied false when the job had already ended.
func (s *Store) Fail(ctx context.Context, id string, f *tasks.Failure) (*tasks.Job, bool, error) {
	fields := append([]any{"state", string(tasks.StateFailed)}, failureFields(f)...)
	return s.end(ctx, id, "queued,running,retrying", true, fields)
}

// Abort ends a job that has not ended as canceled with reason f, whatever
// it is doing: an operator canceled it while it ran. It returns the record
// and applied false when the job had already ended.
func (s *Store) Abort(ctx context.Context, id string, f *tasks.Failure) (*tasks.Job, bool, error) {
	fields := append([]any{"state", string(tasks.StateCanceled)}, failureFields(f)...)
	return s.end(ctx, id, "queued,running,retrying", true, fields)
}

// Cancel ends a job that is queued or retrying as canceled. It returns the
// record and applied false when the job is running or has ended, and
// ErrNotFound when there is no record.
func (s *Store) Cancel(ctx context.Context, id string) (*tasks.Job, bool, error) {
	f := &tasks.Failure{Code: tasks.CodeCanceled, Message: "canceled while waiting to run"}
	fields := append([]any{"state", string(tasks.StateCanceled)}, failureFields(f)...)
	return s.end(ctx, id, "queued,retrying", false, fields)
}

// end applies a final transition, stamps finished_at and publishes the ID.
func (s *Store) end(ctx context.Context, id, from string, create bool,
	fields []any) (*tasks.Job, bool, error) {
	now := formatTime(s.now())
	fields = append(fields, "finished_at", now, "?submitted_at", now)
	rec, applied, err := s.transition(ctx, id, from, create, fields)
	if err != nil || !applied {
		return rec, applied, err
	}
	// One round trip for both. A failure is not the caller's: the record is
	// written, waiters also re-read records on a timer, and the janitor
	// drops ended jobs from the index.
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, ActiveKey, id)
		p.Publish(ctx, EndedChannel, id)
		return nil
	})
	return rec, true, nil
}

func failureFields(f *tasks.Failure) []any {
	return []any{"error_code", f.Code, "error_message", f.Message, "error_request_id", f.RequestId}
}
