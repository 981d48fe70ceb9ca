package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/enqueue"
	"github.com/vodq/vodq/internal/store"
	"github.com/vodq/vodq/tasks"
)

// recheckEvery is how often the ended set is checked against the records,
// in case an end message was missed. Rare, so that the check does not load
// the Redis the run measures.
const recheckEvery = 5 * time.Second

// benchFunction is the emulator behaviour every job asks for: an immediate
// success that echoes FunctionArg, so the only delay is the configured
// latency.
const benchFunction = "echo"

// jobRun submits one run's jobs and waits for all of them to end.
type jobRun struct {
	rdb      redis.UniversalClient
	producer *enqueue.Client
	ids      []string
}

func newJobRun(rdb redis.UniversalClient, n names, jobs int) *jobRun {
	// Finished tasks need not stay in Asynq: the records hold the
	// outcomes, and a shared Redis is left with less to clean.
	p := enqueue.New(rdb, enqueue.WithQueue(n.queue()), enqueue.WithTaskRetention(0))
	ids := make([]string, jobs)
	for i := range ids {
		ids[i] = n.jobID(i)
	}
	return &jobRun{rdb: rdb, producer: p, ids: ids}
}

func (j *jobRun) close() error { return j.producer.Close() }

// run submits every job, waits until each has ended and returns the records.
func (j *jobRun) run(ctx context.Context) ([]*tasks.Job, error) {
	// Listen before submitting, or the first ends could be missed.
	sub := j.rdb.Subscribe(ctx, store.EndedChannel)
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		return nil, fmt.Errorf("subscribe to job ends: %w", err)
	}

	if err := j.submit(ctx); err != nil {
		return nil, err
	}
	if err := j.waitEnded(ctx, sub.Channel()); err != nil {
		return nil, err
	}
	return j.records(ctx)
}

func (j *jobRun) submit(ctx context.Context) error {
	specs := make([]tasks.Spec, len(j.ids))
	for i, id := range j.ids {
		specs[i] = tasks.Spec{
			Request: tasks.Request{FunctionName: benchFunction, FunctionArg: id},
			JobID:   id,
		}
	}
	var errs []error
	for _, r := range j.producer.SubmitMany(ctx, specs) {
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("submit job %s: %w", j.ids[r.Index], r.Err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d submissions failed: %w", len(errs), len(j.ids), errs[0])
	}
	return nil
}

// waitEnded returns once every job has ended, or ctx ends.
func (j *jobRun) waitEnded(ctx context.Context, ends <-chan *redis.Message) error {
	pending := make(map[string]bool, len(j.ids))
	for _, id := range j.ids {
		pending[id] = true
	}
	tick := time.NewTicker(recheckEvery)
	defer tick.Stop()
	for len(pending) > 0 {
		select {
		case msg, ok := <-ends:
			if !ok {
				return errors.New("the job end subscription closed")
			}
			delete(pending, msg.Payload)
		case <-tick.C:
			if err := j.recheck(ctx, pending); err != nil {
				return err
			}
		case <-ctx.Done():
			return fmt.Errorf("%d of %d jobs had not ended: %w", len(pending), len(j.ids),
				ctx.Err())
		}
	}
	return nil
}

// recheck drops the jobs whose records say they ended.
func (j *jobRun) recheck(ctx context.Context, pending map[string]bool) error {
	ids := make([]string, 0, len(pending))
	for id := range pending {
		ids = append(ids, id)
	}
	pipe := j.rdb.Pipeline()
	states := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		states[i] = pipe.HGet(ctx, store.Key(id), "state")
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("read job states: %w", err)
	}
	for i, c := range states {
		if tasks.State(c.Val()).Final() {
			delete(pending, ids[i])
		}
	}
	return nil
}

// records reads every job's record, a few at a time.
func (j *jobRun) records(ctx context.Context) ([]*tasks.Job, error) {
	out := make([]*tasks.Job, len(j.ids))
	errs := make([]error, len(j.ids))
	var wg sync.WaitGroup
	next := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range next {
				out[i], errs[i] = j.producer.Get(ctx, j.ids[i])
			}
		})
	}
	for i := range j.ids {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("read job records: %w", err)
	}
	return out, nil
}
