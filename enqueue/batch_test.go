package enqueue_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/vodq/vodq/enqueue"
	"github.com/vodq/vodq/tasks"
)

func spec(id, arg string) tasks.Spec {
	return tasks.Spec{Request: request(arg), JobID: id}
}

func TestSubmitMany(t *testing.T) {
	t.Parallel()

	t.Run("results come in input order and a bad job stops no other", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.submit(t, request("old"), enqueue.JobID("taken"))

		specs := []tasks.Spec{
			spec("a", "1"),
			spec("b", ""), // no FunctionArg
			spec("c", "3"),
			spec("taken", "4"),
			spec("bad id", "5"),
			spec("", "6"),
		}
		results := f.client.SubmitMany(ctx, specs)
		if len(results) != len(specs) {
			t.Fatalf("%d results for %d specs", len(results), len(specs))
		}
		for i, r := range results {
			if r.Index != i {
				t.Errorf("result %d has index %d", i, r.Index)
			}
		}
		for _, i := range []int{0, 2, 5} {
			r := results[i]
			if r.Err != nil || r.Job == nil || r.Job.State != tasks.StateQueued ||
				r.Job.Request.FunctionArg != specs[i].FunctionArg {
				t.Errorf("result %d = %+v, %v; want the queued job", i, r.Job, r.Err)
			}
		}
		if results[0].Job != nil && results[0].Job.ID != "a" {
			t.Errorf("result 0 is job %s, want a", results[0].Job.ID)
		}
		var fe *tasks.FieldError
		if r := results[1]; !errors.As(r.Err, &fe) || fe.Field != "FunctionArg" || r.Job != nil {
			t.Errorf("result 1 = %+v, %v; want a FunctionArg error", r.Job, r.Err)
		}
		if r := results[3]; !errors.Is(r.Err, enqueue.ErrDuplicate) || r.Job == nil || r.Job.Request.FunctionArg != "old" {
			t.Errorf("result 3 = %+v, %v; want the existing job and ErrDuplicate", r.Job, r.Err)
		}
		if r := results[4]; !errors.As(r.Err, &fe) || fe.Field != "job_id" {
			t.Errorf("result 4 = %+v, %v; want a job_id error", r.Job, r.Err)
		}
		if _, err := f.client.Get(ctx, "b"); !errors.Is(err, enqueue.ErrNotFound) {
			t.Errorf("the bad job was stored: %v", err)
		}
	})

	t.Run("a large batch is submitted whole", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		specs := make([]tasks.Spec, 100)
		for i := range specs {
			specs[i] = spec(fmt.Sprintf("job-%03d", i), "x")
		}
		for i, r := range f.client.SubmitMany(ctx, specs) {
			if r.Err != nil || r.Index != i || r.Job.ID != specs[i].JobID {
				t.Errorf("result %d = %+v (index %d), %v", i, r.Job, r.Index, r.Err)
			}
		}
		info, err := f.insp.GetQueueInfo(enqueue.DefaultQueue)
		if err != nil || info.Pending != len(specs) {
			t.Errorf("queue = %+v, %v; want %d pending", info, err, len(specs))
		}
	})

	t.Run("an empty batch gives no results", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		if got := f.client.SubmitMany(ctx, nil); len(got) != 0 {
			t.Errorf("SubmitMany(nil) = %+v", got)
		}
	})

	t.Run("a canceled context fails every job and stores none", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		results := f.client.SubmitMany(cctx, []tasks.Spec{spec("a", "1"), spec("b", "2"), spec("c", "3")})
		for i, r := range results {
			if !errors.Is(r.Err, context.Canceled) || r.Index != i {
				t.Errorf("result %d = %+v (index %d), %v; want Canceled", i, r.Job, r.Index, r.Err)
			}
		}
		f.wantEmpty(t)
	})
}

func TestSubmitStream(t *testing.T) {
	t.Parallel()

	t.Run("the channel closes once the input is closed and all have answered", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		in := make(chan tasks.Spec)
		out := f.client.SubmitStream(ctx, in)
		go func() {
			defer close(in)
			for i := range 20 {
				in <- spec(fmt.Sprintf("s-%d", i), "x")
			}
		}()
		seen := map[int]bool{}
		for r := range collect(t, out, 10*time.Second) {
			if r.Err != nil || r.Job.ID != fmt.Sprintf("s-%d", r.Index) {
				t.Errorf("result %d = %+v, %v", r.Index, r.Job, r.Err)
			}
			seen[r.Index] = true
		}
		if len(seen) != 20 {
			t.Errorf("%d distinct results, want 20", len(seen))
		}
	})

	t.Run("canceling midway closes the channel though the input stays open", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		in := make(chan tasks.Spec) // never closed
		out := f.client.SubmitStream(sctx, in)
		for i := range 3 {
			in <- spec(fmt.Sprintf("s-%d", i), "x")
			select {
			case r := <-out:
				if r.Err != nil {
					t.Errorf("result %d: %v", r.Index, r.Err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no result within 5s")
			}
		}
		cancel()
		for r := range collect(t, out, 5*time.Second) {
			t.Errorf("result after cancel with nothing in flight: %+v", r)
		}
	})
}

// collect returns a channel carrying out's results that fails the test if
// out is not closed within d.
func collect(t *testing.T, out <-chan enqueue.Result, d time.Duration) <-chan enqueue.Result {
	t.Helper()
	fwd := make(chan enqueue.Result)
	go func() {
		defer close(fwd)
		deadline := time.After(d)
		for {
			select {
			case r, ok := <-out:
				if !ok {
					return
				}
				fwd <- r
			case <-deadline:
				t.Errorf("the result channel was not closed within %v", d)
				return
			}
		}
	}()
	return fwd
}
