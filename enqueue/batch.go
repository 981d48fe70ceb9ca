package enqueue

import (
	"context"
	"sync"

	"github.com/vodq/vodq/tasks"
)

// batchWorkers is how many submissions of a batch are in flight at once.
const batchWorkers = 8

// Result is the outcome of one submission in a batch.
type Result struct {
	// Index is the job's position in the input, from 0.
	Index int
	// Job is the record: the new job, or the existing one when Err matches
	// ErrDuplicate. Nil when the submission failed otherwise.
	Job *tasks.Job
	// Err is nil on success; a bad job does not stop the others.
	Err error
}

// SubmitMany submits every spec and returns one Result per spec, in input
// order. One bad spec does not stop the others.
func (c *Client) SubmitMany(ctx context.Context, specs []tasks.Spec) []Result {
	in := make(chan tasks.Spec)
	go func() {
		defer close(in)
		for _, s := range specs {
			select {
			case in <- s:
			case <-ctx.Done():
				return
			}
		}
	}()
	out := make([]Result, len(specs))
	for i := range out {
		out[i] = Result{Index: i, Err: context.Canceled}
	}
	for r := range c.SubmitStream(ctx, in) {
		out[r.Index] = r
	}
	if err := ctx.Err(); err != nil {
		for i := range out {
			if out[i].Err == context.Canceled {
				out[i].Err = err
			}
		}
	}
	return out
}

// SubmitStream submits the specs read from in, a few at a time, and sends
// one Result per spec on the returned channel, which is closed once in is
// closed (or ctx ends) and every submission has answered. Results may come
// out of order; Index is the spec's position in the stream.
func (c *Client) SubmitStream(ctx context.Context, in <-chan tasks.Spec) <-chan Result {
	type item struct {
		i    int
		spec tasks.Spec
	}
	work := make(chan item)
	out := make(chan Result, batchWorkers)

	go func() {
		defer close(work)
		i := 0
		for {
			select {
			case s, ok := <-in:
				if !ok {
					return
				}
				select {
				case work <- item{i, s}:
				case <-ctx.Done():
					return
				}
				i++
			case <-ctx.Done():
				return
			}
		}
	}()

	var wg sync.WaitGroup
	for range batchWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				job, err := c.SubmitSpec(ctx, it.spec)
				out <- Result{Index: it.i, Job: job, Err: err}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}
