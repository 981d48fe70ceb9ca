package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/internal/redistest"
	"github.com/vodq/vodq/internal/store"
	"github.com/vodq/vodq/tasks"
)

// waitResult is what one Wait call returned.
type waitResult struct {
	rec *tasks.Job
	err error
	at  time.Time
}

// goWait runs Wait in the background and delivers its answer.
func goWait(ctx context.Context, s *store.Store, id string) <-chan waitResult {
	ch := make(chan waitResult, 1)
	go func() {
		rec, err := s.Wait(ctx, id)
		ch <- waitResult{rec, err, time.Now()}
	}()
	return ch
}

// subscribers returns how many clients listen on the end channel.
func subscribers(t *testing.T, rdb *redis.Client) int64 {
	t.Helper()
	n, err := rdb.PubSubNumSub(ctx, store.EndedChannel).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n[store.EndedChannel]
}

// waitSubscribers waits until want clients listen on the end channel.
func waitSubscribers(t *testing.T, rdb *redis.Client, want int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for subscribers(t, rdb) != want {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscribers to %s, want %d", subscribers(t, rdb), store.EndedChannel, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// receive waits for a Wait's answer, failing after within.
func receive(t *testing.T, ch <-chan waitResult, within time.Duration) waitResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(within):
		t.Fatalf("Wait did not return within %v", within)
		return waitResult{}
	}
}

func TestWait(t *testing.T) {
	t.Parallel()

	t.Run("a job that has ended is returned at once", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		ended := f.inState(t, "j", tasks.StateFailed)
		start := time.Now()
		rec, err := f.store.Wait(ctx, "j")
		if err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took > 100*time.Millisecond {
			t.Errorf("Wait took %v for an ended job", took)
		}
		if rec.State != tasks.StateFailed || rec.Failure.Code != ended.Failure.Code {
			t.Errorf("record = %+v, want the failed job", rec)
		}
	})

	t.Run("a missing job is ErrNotFound", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		if _, err := f.store.Wait(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Wait = %v, want ErrNotFound", err)
		}
	})

	t.Run("the end message wakes a waiter well before the recheck", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.inState(t, "j", tasks.StateRunning)
		ch := goWait(ctx, f.store, "j")
		waitSubscribers(t, f.rdb, 1)
		time.Sleep(100 * time.Millisecond) // let Wait read the record and block

		ended := time.Now()
		if _, _, err := f.store.Succeed(ctx, "j", &tasks.Outcome{Result: "ok"}); err != nil {
			t.Fatal(err)
		}
		r := receive(t, ch, 5*time.Second)
		if r.err != nil || r.rec.State != tasks.StateSucceeded || r.rec.Outcome.Result != "ok" {
			t.Fatalf("Wait = %+v, %v; want the succeeded job", r.rec, r.err)
		}
		if took := r.at.Sub(ended); took > 200*time.Millisecond {
			t.Errorf("Wait returned %v after the end, want under 200ms (recheck is %v)",
				took, store.RecheckInterval)
		}
	})

	t.Run("a change without an end message is found by the recheck", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.inState(t, "j", tasks.StateRunning)
		ch := goWait(ctx, f.store, "j")
		waitSubscribers(t, f.rdb, 1)
		time.Sleep(100 * time.Millisecond)

		// As if the end message were lost in a failover.
		if err := f.rdb.HSet(ctx, store.Key("j"), "state", string(tasks.StateSucceeded)).Err(); err != nil {
			t.Fatal(err)
		}
		r := receive(t, ch, store.RecheckInterval+2*time.Second)
		if r.err != nil || r.rec.State != tasks.StateSucceeded {
			t.Fatalf("Wait = %+v, %v; want the succeeded job", r.rec, r.err)
		}
	})

	t.Run("a message for another job does not end the wait", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.inState(t, "j", tasks.StateRunning)
		f.inState(t, "other", tasks.StateRunning)
		wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		ch := goWait(wctx, f.store, "j")
		waitSubscribers(t, f.rdb, 1)
		f.store.Succeed(ctx, "other", &tasks.Outcome{})
		r := receive(t, ch, 5*time.Second)
		if !errors.Is(r.err, context.DeadlineExceeded) {
			t.Errorf("Wait = %+v, %v; want the deadline", r.rec, r.err)
		}
	})

	t.Run("a deadline ends the wait with the context's error", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.inState(t, "j", tasks.StateQueued)
		wctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		rec, err := f.store.Wait(wctx, "j")
		if !errors.Is(err, context.DeadlineExceeded) || rec != nil {
			t.Errorf("Wait = %+v, %v; want nil and DeadlineExceeded", rec, err)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("Wait took %v past a 100ms deadline", took)
		}
	})

	t.Run("a cancel ends the wait with the context's error", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.inState(t, "j", tasks.StateQueued)
		wctx, cancel := context.WithCancel(ctx)
		ch := goWait(wctx, f.store, "j")
		waitSubscribers(t, f.rdb, 1)
		cancel()
		r := receive(t, ch, time.Second)
		if !errors.Is(r.err, context.Canceled) {
			t.Errorf("Wait = %+v, %v; want Canceled", r.rec, r.err)
		}
	})

	t.Run("an already canceled context returns at once", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.inState(t, "j", tasks.StateQueued)
		wctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := f.store.Wait(wctx, "j"); !errors.Is(err, context.Canceled) {
			t.Errorf("Wait = %v, want Canceled", err)
		}
	})

	t.Run("Wait still works after Close, by the recheck", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.inState(t, "j", tasks.StateRunning)
		if err := f.store.Close(); err != nil {
			t.Fatal(err)
		}
		ch := goWait(ctx, f.store, "j")
		time.Sleep(50 * time.Millisecond)
		f.store.Succeed(ctx, "j", &tasks.Outcome{Result: "late"})
		r := receive(t, ch, store.RecheckInterval+2*time.Second)
		if r.err != nil || r.rec.State != tasks.StateSucceeded {
			t.Errorf("Wait = %+v, %v; want the succeeded job", r.rec, r.err)
		}
		if n := subscribers(t, f.rdb); n != 0 {
			t.Errorf("%d subscribers after Close, want 0", n)
		}
	})
}

func TestWaitersShareOneSubscription(t *testing.T) {
	t.Parallel()

	srv := redistest.Start(t)
	rdb := srv.Client(t)
	stores := make([]*store.Store, 2)
	for i := range stores {
		stores[i] = store.New(rdb, store.Options{Retention: retention})
		t.Cleanup(func() { stores[i].Close() })
	}

	const jobs, perJob = 20, 5
	for j := range jobs {
		if _, _, err := stores[0].Create(ctx, newJob(fmt.Sprintf("job-%d", j))); err != nil {
			t.Fatal(err)
		}
	}

	var wg sync.WaitGroup
	errs := make(chan error, jobs*perJob*len(stores))
	for _, s := range stores {
		for j := range jobs {
			for range perJob {
				wg.Go(func() {
					wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
					defer cancel()
					rec, err := s.Wait(wctx, fmt.Sprintf("job-%d", j))
					if err == nil && !rec.State.Final() {
						err = fmt.Errorf("job %s returned in state %s", rec.ID, rec.State)
					}
					if err != nil {
						errs <- err
					}
				})
			}
		}
	}

	// One subscription per Store, however many waiters.
	waitSubscribers(t, rdb, int64(len(stores)))
	time.Sleep(100 * time.Millisecond)
	if n := subscribers(t, rdb); n != int64(len(stores)) {
		t.Errorf("%d subscribers for %d Stores with %d waiters, want %d",
			n, len(stores), jobs*perJob*len(stores), len(stores))
	}
	clients, err := rdb.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n := countSubscribed(clients); n != len(stores) {
		t.Errorf("CLIENT LIST shows %d subscribed connections, want %d:\n%s", n, len(stores), clients)
	}

	ended := time.Now()
	for j := range jobs {
		if _, _, err := stores[1].Succeed(ctx, fmt.Sprintf("job-%d", j), &tasks.Outcome{}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if took := time.Since(ended); took > time.Second {
		t.Errorf("waiters took %v to wake, want well under the recheck of %v", took, store.RecheckInterval)
	}
}

// countSubscribed counts the connections in a CLIENT LIST reply that hold a
// channel subscription.
func countSubscribed(list string) int {
	n := 0
	for _, line := range strings.Split(list, "\n") {
		if slices.Contains(strings.Fields(line), "sub=1") {
			n++
		}
	}
	return n
}
