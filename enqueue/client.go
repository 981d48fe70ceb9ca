package enqueue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/internal/store"
	"github.com/vodq/vodq/tasks"
)

// Defaults of a Client.
const (
	// DefaultQueue is the queue jobs go to when neither the Client nor the
	// job names one.
	DefaultQueue = "default"
	// DefaultMaxRetries is how many failed attempts are retried when
	// neither the Client nor the job says.
	DefaultMaxRetries = 10
	// DefaultTimeout bounds one attempt of a job (waits included) when
	// neither the Client nor the job says.
	DefaultTimeout = 5 * time.Minute
	// DefaultTaskRetention is how long Asynq keeps a finished task, so the
	// web UI can show it. The job record, which holds the outcome, is kept
	// much longer (WithRetention); a short task retention keeps Redis small
	// at full quota (360,000 jobs an hour).
	DefaultTaskRetention = time.Hour
)

// Client submits jobs and reads their records. It is safe for concurrent
// use; make one and share it.
type Client struct {
	rdb   redis.UniversalClient
	owned bool
	aq    *asynq.Client
	insp  *asynq.Inspector
	store *store.Store
	cfg   clientConfig
}

type clientConfig struct {
	queue         string
	maxRetries    int
	timeout       time.Duration
	retention     time.Duration
	taskRetention time.Duration
}

// ClientOption sets a Client's defaults.
type ClientOption func(*clientConfig)

// WithQueue sets the queue of jobs that name none (default DefaultQueue).
func WithQueue(name string) ClientOption { return func(c *clientConfig) { c.queue = name } }

// WithMaxRetries sets the retries of jobs that set none (default
// DefaultMaxRetries).
func WithMaxRetries(n int) ClientOption { return func(c *clientConfig) { c.maxRetries = n } }

// WithTimeout sets the per-attempt timeout of jobs that set none (default
// DefaultTimeout).
func WithTimeout(d time.Duration) ClientOption { return func(c *clientConfig) { c.timeout = d } }

// WithRetention sets how long job records are kept after their last change
// (default 7 days). Workers and producers should agree on it.
func WithRetention(d time.Duration) ClientOption {
	return func(c *clientConfig) { c.retention = d }
}

// WithTaskRetention sets how long Asynq keeps a finished task for the web
// UI (default DefaultTaskRetention).
func WithTaskRetention(d time.Duration) ClientOption {
	return func(c *clientConfig) { c.taskRetention = d }
}

// New returns a Client over an open Redis client, which it does not close.
func New(rdb redis.UniversalClient, opts ...ClientOption) *Client {
	cfg := clientConfig{
		queue:         DefaultQueue,
		maxRetries:    DefaultMaxRetries,
		timeout:       DefaultTimeout,
		retention:     store.DefaultRetention,
		taskRetention: DefaultTaskRetention,
	}
	for _, o := range opts {
		o(&cfg)
	}
	// A zero setting means the default, as for a job's own options.
	if cfg.queue == "" {
		cfg.queue = DefaultQueue
	}
	if cfg.timeout == 0 {
		cfg.timeout = DefaultTimeout
	}
	return &Client{
		rdb:   rdb,
		aq:    asynq.NewClientFromRedisClient(rdb),
		insp:  asynq.NewInspectorFromRedisClient(rdb),
		store: store.New(rdb, store.Options{Retention: cfg.retention}),
		cfg:   cfg,
	}
}

// Dial connects to the Redis server at url (redis://host:port/db, or
// rediss:// for TLS) and returns a Client that closes the connection on
// Close.
func Dial(url string, opts ...ClientOption) (*Client, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, errors.New("enqueue: the Redis URL is not a valid redis:// or rediss:// URL")
	}
	c := New(redis.NewClient(o), opts...)
	c.owned = true
	return c, nil
}

// Close releases the Client's resources, and its Redis connection when the
// Client was made by Dial.
func (c *Client) Close() error {
	err := c.store.Close()
	if c.owned {
		err = errors.Join(err, c.rdb.Close())
	}
	return err
}

// Option sets an option of one submitted job.
type Option func(*tasks.Spec)

// JobID sets the job ID (see tasks.ValidateJobID).
func JobID(id string) Option { return func(s *tasks.Spec) { s.JobID = id } }

// Queue sets the job's queue.
func Queue(name string) Option { return func(s *tasks.Spec) { s.Queue = name } }

// MaxRetries sets how many failed attempts are retried (0 to 100).
func MaxRetries(n int) Option { return func(s *tasks.Spec) { s.MaxRetries = &n } }

// Timeout bounds one attempt, limiter and throttle waits included.
func Timeout(d time.Duration) Option {
	return func(s *tasks.Spec) { s.Timeout = tasks.Duration(d) }
}

// ProcessAt holds the job until t.
func ProcessAt(t time.Time) Option { return func(s *tasks.Spec) { s.ProcessAt = t } }

// ProcessIn holds the job for d.
func ProcessIn(d time.Duration) Option {
	return func(s *tasks.Spec) { s.ProcessIn = tasks.Duration(d) }
}

// Submit submits one job. It returns the job's record, or an error: a
// *tasks.FieldError for a bad request or option, or a *DuplicateError (with
// the existing record, nothing new queued) when the job ID exists.
func (c *Client) Submit(ctx context.Context, req tasks.Request, opts ...Option) (*tasks.Job, error) {
	spec := tasks.Spec{Request: req}
	for _, o := range opts {
		o(&spec)
	}
	return c.SubmitSpec(ctx, spec)
}

// SubmitSpec submits one job written as a tasks.Spec, as Submit does.
func (c *Client) SubmitSpec(ctx context.Context, spec tasks.Spec) (*tasks.Job, error) {
	// The Client's defaults are checked by the same rules as the job's own.
	if spec.Queue == "" {
		spec.Queue = c.cfg.queue
	}
	if spec.MaxRetries == nil {
		n := c.cfg.maxRetries
		spec.MaxRetries = &n
	}
	if spec.Timeout == 0 {
		spec.Timeout = tasks.Duration(c.cfg.timeout)
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	job, opts, err := c.prepare(spec)
	if err != nil {
		return nil, err
	}

	// A record means the ID was taken (queued, running or ended).
	if rec, err := c.store.Get(ctx, job.ID); err == nil {
		return rec, &DuplicateError{Job: rec}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("submit job %s: %w", job.ID, err)
	}

	// The task goes first: once it is queued the job will end even if this
	// process dies now, because the worker writes the record when the
	// producer did not. Asynq refuses a second task with the same ID while
	// the first is kept, which settles concurrent submissions.
	payload, _ := json.Marshal(job.Request)
	task := asynq.NewTask(tasks.TypeExecuteFunction, payload, opts...)
	if _, err := c.aq.EnqueueContext(ctx, task); err != nil {
		if errors.Is(err, asynq.ErrTaskIDConflict) {
			return c.existing(ctx, job.ID)
		}
		return nil, fmt.Errorf("submit job %s: %w", job.ID, err)
	}

	rec, _, err := c.store.Create(ctx, job)
	if err != nil {
		return nil, fmt.Errorf("submit job %s: queued, but its record was not written "+
			"(the worker writes it; submitting the same job ID again is safe): %w", job.ID, err)
	}
	return rec, nil
}

// prepare fills in the defaults and returns the record to store and the
// Asynq options.
func (c *Client) prepare(spec tasks.Spec) (*tasks.Job, []asynq.Option, error) {
	job := &tasks.Job{
		ID:          spec.JobID,
		Queue:       spec.Queue,
		State:       tasks.StateQueued,
		Request:     spec.Request,
		MaxRetries:  c.cfg.maxRetries,
		SubmittedAt: time.Now().UTC(),
	}
	if job.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return nil, nil, fmt.Errorf("make job ID: %w", err)
		}
		job.ID = id.String()
	}
	if job.Queue == "" {
		job.Queue = c.cfg.queue
	}
	if spec.MaxRetries != nil {
		job.MaxRetries = *spec.MaxRetries
	}
	timeout := c.cfg.timeout
	if spec.Timeout != 0 {
		timeout = time.Duration(spec.Timeout)
	}

	opts := []asynq.Option{
		asynq.TaskID(job.ID),
		asynq.Queue(job.Queue),
		asynq.MaxRetry(job.MaxRetries),
		asynq.Timeout(timeout),
		asynq.Retention(c.cfg.taskRetention),
	}
	switch {
	case !spec.ProcessAt.IsZero():
		opts = append(opts, asynq.ProcessAt(spec.ProcessAt))
	case spec.ProcessIn > 0:
		opts = append(opts, asynq.ProcessIn(time.Duration(spec.ProcessIn)))
	}
	return job, opts, nil
}

// existing returns the record of a job whose task already exists. The other
// submitter may not have written the record yet, so it looks a few times.
func (c *Client) existing(ctx context.Context, id string) (*tasks.Job, error) {
	for wait := 10 * time.Millisecond; ; wait *= 2 {
		rec, err := c.store.Get(ctx, id)
		if err == nil {
			return rec, &DuplicateError{Job: rec}
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("submit job %s: read the existing job: %w", id, err)
		}
		if wait > time.Second {
			// The task exists but no record does: its record expired while
			// Asynq still keeps the task (archived), or its producer died
			// before writing it and no worker has run it yet.
			return nil, &DuplicateError{Job: &tasks.Job{ID: id}}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// Get returns the record of job id, or an error matching ErrNotFound. It
// needs no queue name and costs one Redis round trip.
func (c *Client) Get(ctx context.Context, id string) (*tasks.Job, error) {
	rec, err := c.store.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("job %s: %w", id, ErrNotFound)
	}
	return rec, err
}

// Wait blocks until job id has ended (succeeded, failed or canceled) and
// returns its record. It is woken by the worker's end message, re-reads the
// record every few seconds in case a message was lost, and returns
// ctx.Err() when ctx ends first.
func (c *Client) Wait(ctx context.Context, id string) (*tasks.Job, error) {
	rec, err := c.store.Wait(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("job %s: %w", id, ErrNotFound)
	}
	return rec, err
}

// Cancel ends a job that has not started, or that waits for a retry, as
// canceled. Canceling a canceled job again returns its record with no
// error, so a retried cancel succeeds. A job that is running, succeeded or
// failed is left alone: the error matches ErrNotCancelable and is a
// *StateError holding its record.
func (c *Client) Cancel(ctx context.Context, id string) (*tasks.Job, error) {
	rec, applied, err := c.store.Cancel(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("job %s: %w", id, ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("cancel job %s: %w", id, err)
	case !applied && rec.State == tasks.StateCanceled:
		return rec, nil
	case !applied:
		return rec, &StateError{Job: rec}
	}

	// The record is final, so a worker that picks the task up now skips
	// it. Deleting the task only tidies the queue.
	_ = c.insp.DeleteTask(rec.Queue, id)
	return rec, nil
}
