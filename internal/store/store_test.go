package store_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/internal/redistest"
	"github.com/vodq/vodq/internal/store"
	"github.com/vodq/vodq/tasks"
)

// retention is the fixture's record lifetime: short enough to tell a fresh
// TTL from the default, long enough that nothing expires during a test.
const retention = time.Hour

// fixture is one Store over its own redis-server.
type fixture struct {
	rdb   *redis.Client
	store *store.Store
	clock *clock
}

func setup(t *testing.T) *fixture {
	t.Helper()
	rdb := redistest.Start(t).Client(t)
	c := &clock{}
	c.set(time.Date(2026, 5, 19, 15, 0, 0, 0, time.UTC))
	s := store.New(rdb, store.Options{Retention: retention, Now: c.now})
	t.Cleanup(func() { s.Close() })
	return &fixture{rdb: rdb, store: s, clock: c}
}

// clock is a settable time source for Options.Now.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }

var ctx = context.Background()

func newJob(id string) *tasks.Job {
	return &tasks.Job{
		ID:          id,
		Queue:       "default",
		State:       tasks.StateQueued,
		Request:     tasks.Request{FunctionName: "ExampleFunc", FunctionArg: "arg-" + id},
		MaxRetries:  3,
		SubmittedAt: time.Date(2026, 5, 19, 14, 0, 0, 0, time.UTC),
	}
}

// create stores a new queued job and fails the test if it existed.
func (f *fixture) create(t *testing.T, id string) *tasks.Job {
	t.Helper()
	rec, created, err := f.store.Create(ctx, newJob(id))
	if err != nil || !created {
		t.Fatalf("Create(%s) = %v, %v; want a new record", id, created, err)
	}
	return rec
}

// inState makes a record for id in the given state through the Store's own
// transitions.
func (f *fixture) inState(t *testing.T, id string, state tasks.State) *tasks.Job {
	t.Helper()
	f.create(t, id)
	start := func() {
		if _, ok, err := f.store.Start(ctx, id, "default", nil, 3); err != nil || !ok {
			t.Fatalf("Start(%s) = %v, %v", id, ok, err)
		}
	}
	var err error
	switch state {
	case tasks.StateQueued:
	case tasks.StateRunning:
		start()
	case tasks.StateRetrying:
		start()
		_, err = f.store.Retrying(ctx, id, &tasks.Failure{Code: "InternalError", Message: "try again"})
	case tasks.StateSucceeded:
		_, _, err = f.store.Succeed(ctx, id, &tasks.Outcome{Result: "first", RequestId: "r-1"})
	case tasks.StateFailed:
		_, _, err = f.store.Fail(ctx, id, &tasks.Failure{Code: "FailedOperation", Message: "no"})
	case tasks.StateCanceled:
		_, _, err = f.store.Cancel(ctx, id)
	default:
		t.Fatalf("no way to reach state %q", state)
	}
	if err != nil {
		t.Fatalf("put %s in state %s: %v", id, state, err)
	}
	rec := f.get(t, id)
	if rec.State != state {
		t.Fatalf("job %s is %s, want %s", id, rec.State, state)
	}
	return rec
}

func (f *fixture) get(t *testing.T, id string) *tasks.Job {
	t.Helper()
	rec, err := f.store.Get(ctx, id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return rec
}

// raw returns the record's hash fields as Redis holds them.
func (f *fixture) raw(t *testing.T, id string) map[string]string {
	t.Helper()
	m, err := f.rdb.HGetAll(ctx, store.Key(id)).Result()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// wantUnchanged fails if the record's fields differ from before.
func (f *fixture) wantUnchanged(t *testing.T, id string, before map[string]string) {
	t.Helper()
	if after := f.raw(t, id); !maps.Equal(before, after) {
		t.Errorf("record of %s changed (-want +got):\n-%v\n+%v", id, before, after)
	}
}

// wantFreshTTL fails unless the record expires about retention from now.
func (f *fixture) wantFreshTTL(t *testing.T, id string) {
	t.Helper()
	ttl, err := f.rdb.PTTL(ctx, store.Key(id)).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl < retention-5*time.Second || ttl > retention {
		t.Errorf("PTTL of %s = %v, want about %v", id, ttl, retention)
	}
}

// shortenTTL makes the record expire soon, so a later write shows whether it
// renews the TTL.
func (f *fixture) shortenTTL(t *testing.T, id string) {
	t.Helper()
	if err := f.rdb.PExpire(ctx, store.Key(id), time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
}

var allStates = []tasks.State{
	tasks.StateQueued, tasks.StateRunning, tasks.StateRetrying,
	tasks.StateSucceeded, tasks.StateFailed, tasks.StateCanceled,
}

func TestKey(t *testing.T) {
	t.Parallel()

	for _, id := range []string{"clip-42", "018f4f6e-7c3a-7b8e-9a10-0b6c2d3e4f50", "a:b@c.d"} {
		key := store.Key(id)
		if !strings.HasPrefix(key, "vodq:job:") {
			t.Errorf("Key(%q) = %q, want the vodq:job: prefix", id, key)
		}
		// Redis Cluster hashes the text between the first { and the next }.
		open := strings.Index(key, "{")
		end := strings.Index(key[open+1:], "}")
		if open < 0 || end < 0 || key[open+1:open+1+end] != id {
			t.Errorf("Key(%q) = %q, want the ID as its hash tag", id, key)
		}
	}
}

func TestCreate(t *testing.T) {
	t.Parallel()

	t.Run("a new job is stored queued with its request", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		job := newJob("new")
		job.Request.SubAppId = new(uint64)
		*job.Request.SubAppId = 42
		rec, created, err := f.store.Create(ctx, job)
		if err != nil || !created {
			t.Fatalf("Create = %v, %v; want created", created, err)
		}
		want := *job
		if !reflect.DeepEqual(&want, rec) {
			t.Errorf("record mismatch (-want +got):\n-%+v\n+%+v", &want, rec)
		}
		if got := f.get(t, "new"); !reflect.DeepEqual(rec, got) {
			t.Errorf("Get mismatch (-want +got):\n-%+v\n+%+v", rec, got)
		}
		f.wantFreshTTL(t, "new")
	})

	t.Run("a second Create leaves the record alone", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		first := f.create(t, "dup")
		before := f.raw(t, "dup")

		other := newJob("dup")
		other.Request.FunctionArg = "something else"
		other.Queue = "critical"
		other.SubmittedAt = other.SubmittedAt.Add(time.Hour)
		rec, created, err := f.store.Create(ctx, other)
		if err != nil || created {
			t.Fatalf("second Create = %v, %v; want created false", created, err)
		}
		if !reflect.DeepEqual(first, rec) {
			t.Errorf("returned record mismatch (-want +got):\n-%+v\n+%+v", first, rec)
		}
		f.wantUnchanged(t, "dup", before)
	})

	t.Run("Create of a job that has ended returns it unchanged", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		ended := f.inState(t, "done", tasks.StateSucceeded)
		before := f.raw(t, "done")
		rec, created, err := f.store.Create(ctx, newJob("done"))
		if err != nil || created || rec.State != tasks.StateSucceeded {
			t.Fatalf("Create = %+v, %v, %v; want the succeeded record", rec, created, err)
		}
		if !reflect.DeepEqual(ended, rec) {
			t.Errorf("record mismatch (-want +got):\n-%+v\n+%+v", ended, rec)
		}
		f.wantUnchanged(t, "done", before)
	})
}

func TestGet(t *testing.T) {
	t.Parallel()

	t.Run("a missing record is ErrNotFound", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		if _, err := f.store.Get(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get = %v, want ErrNotFound", err)
		}
	})

	t.Run("a record with an unknown state is an error, not a job", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.rdb.HSet(ctx, store.Key("odd"), "state", "exploded")
		rec, err := f.store.Get(ctx, "odd")
		if err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get = %+v, %v; want an error about the state", rec, err)
		}
	})

	t.Run("a foreign request that does not parse does not fail the read", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		if _, _, err := f.store.Start(ctx, "foreign", "default", []byte("{not json"), 0); err != nil {
			t.Fatal(err)
		}
		rec := f.get(t, "foreign")
		if rec.State != tasks.StateRunning || rec.Request != (tasks.Request{}) {
			t.Errorf("record = %+v, want running with an empty request", rec)
		}
	})
}

func TestStart(t *testing.T) {
	t.Parallel()

	t.Run("a missing record is created by the worker", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		req := []byte(`{"FunctionName":"ExampleFunc","FunctionArg":"XXX"}`)
		rec, proceed, err := f.store.Start(ctx, "orphan", "critical", req, 7)
		if err != nil || !proceed {
			t.Fatalf("Start = %v, %v; want proceed", proceed, err)
		}
		now := f.clock.now()
		want := &tasks.Job{
			ID: "orphan", Queue: "critical", State: tasks.StateRunning,
			Request:  tasks.Request{FunctionName: "ExampleFunc", FunctionArg: "XXX"},
			Attempts: 1, MaxRetries: 7, SubmittedAt: now, StartedAt: now,
		}
		if !reflect.DeepEqual(want, rec) {
			t.Errorf("record mismatch (-want +got):\n-%+v\n+%+v", want, rec)
		}
		f.wantFreshTTL(t, "orphan")
	})

	for _, state := range []tasks.State{tasks.StateQueued, tasks.StateRunning, tasks.StateRetrying} {
		t.Run("a "+string(state)+" job starts and counts one more attempt", func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			before := f.inState(t, "j", state)
			f.clock.add(time.Minute)
			f.shortenTTL(t, "j")

			rec, proceed, err := f.store.Start(ctx, "j", "other-queue", []byte(`{}`), 99)
			if err != nil || !proceed {
				t.Fatalf("Start = %v, %v; want proceed", proceed, err)
			}
			if rec.State != tasks.StateRunning || rec.Attempts != before.Attempts+1 {
				t.Errorf("record = %s after %d attempts, want running after %d",
					rec.State, rec.Attempts, before.Attempts+1)
			}
			// What the producer wrote, and the first start, are kept.
			if rec.Queue != before.Queue || rec.MaxRetries != before.MaxRetries ||
				rec.Request != before.Request || !rec.SubmittedAt.Equal(before.SubmittedAt) {
				t.Errorf("Start overwrote the producer's fields (-want +got):\n-%+v\n+%+v", before, rec)
			}
			wantStarted := before.StartedAt
			if wantStarted.IsZero() {
				wantStarted = f.clock.now()
			}
			if !rec.StartedAt.Equal(wantStarted) {
				t.Errorf("started_at = %v, want %v", rec.StartedAt, wantStarted)
			}
			f.wantFreshTTL(t, "j")
		})
	}

	for _, state := range []tasks.State{tasks.StateSucceeded, tasks.StateFailed, tasks.StateCanceled} {
		t.Run("a "+string(state)+" job does not start and is left alone", func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			ended := f.inState(t, "j", state)
			before := f.raw(t, "j")

			rec, proceed, err := f.store.Start(ctx, "j", "default", nil, 3)
			if err != nil || proceed {
				t.Fatalf("Start = %v, %v; want proceed false", proceed, err)
			}
			if !reflect.DeepEqual(ended, rec) {
				t.Errorf("record mismatch (-want +got):\n-%+v\n+%+v", ended, rec)
			}
			f.wantUnchanged(t, "j", before)
		})
	}
}

func TestCountAttempt(t *testing.T) {
	t.Parallel()

	t.Run("it adds one attempt to a running job", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.inState(t, "j", tasks.StateRunning)
		for range 2 {
			if err := f.store.CountAttempt(ctx, "j"); err != nil {
				t.Fatal(err)
			}
		}
		if got := f.get(t, "j").Attempts; got != 3 {
			t.Errorf("attempts = %d, want 3", got)
		}
	})

	t.Run("it renews the record's TTL like every other write", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.inState(t, "j", tasks.StateRunning)
		f.shortenTTL(t, "j")
		if err := f.store.CountAttempt(ctx, "j"); err != nil {
			t.Fatal(err)
		}
		f.wantFreshTTL(t, "j")
	})

	t.Run("it leaves no key behind for a missing record", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		err := f.store.CountAttempt(ctx, "gone")
		n, xerr := f.rdb.Exists(ctx, store.Key("gone")).Result()
		if xerr != nil {
			t.Fatal(xerr)
		}
		if n != 0 {
			ttl := f.rdb.PTTL(ctx, store.Key("gone")).Val()
			t.Errorf("CountAttempt on a missing record (error %v) wrote %v with PTTL %v; "+
				"want no key (and ErrNotFound)", err, f.raw(t, "gone"), ttl)
		}
		if _, gerr := f.store.Get(ctx, "gone"); !errors.Is(gerr, store.ErrNotFound) {
			t.Errorf("Get after CountAttempt = %v, want ErrNotFound", gerr)
		}
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("CountAttempt = %v, want ErrNotFound", err)
		}
	})

	for _, state := range []tasks.State{tasks.StateSucceeded, tasks.StateFailed, tasks.StateCanceled} {
		t.Run("it leaves a "+string(state)+" job alone", func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.inState(t, "j", state)
			before := f.raw(t, "j")
			if err := f.store.CountAttempt(ctx, "j"); err != nil {
				t.Errorf("CountAttempt = %v, want nil (nothing to count)", err)
			}
			f.wantUnchanged(t, "j", before)
		})
	}
}

func TestRetrying(t *testing.T) {
	t.Parallel()

	fail := &tasks.Failure{Code: "InternalError", Message: "busy", RequestId: "r-9"}

	t.Run("a running job waits for a retry with its last error", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.inState(t, "j", tasks.StateRunning)
		f.shortenTTL(t, "j")
		rec, err := f.store.Retrying(ctx, "j", fail)
		if err != nil {
			t.Fatal(err)
		}
		if rec.State != tasks.StateRetrying || !reflect.DeepEqual(fail, rec.Failure) {
			t.Errorf("record = %s %+v, want retrying with %+v", rec.State, rec.Failure, fail)
		}
		if !rec.FinishedAt.IsZero() {
			t.Errorf("finished_at = %v on a job that has not ended", rec.FinishedAt)
		}
		f.wantFreshTTL(t, "j")
	})

	for _, state := range allStates {
		if state == tasks.StateRunning {
			continue
		}
		t.Run("a "+string(state)+" job is left alone", func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.inState(t, "j", state)
			before := f.raw(t, "j")
			rec, err := f.store.Retrying(ctx, "j", fail)
			if err != nil {
				t.Fatal(err)
			}
			if rec.State != state {
				t.Errorf("returned state = %s, want %s", rec.State, state)
			}
			f.wantUnchanged(t, "j", before)
		})
	}

	t.Run("a missing record is ErrNotFound and stays missing", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		if _, err := f.store.Retrying(ctx, "gone", fail); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Retrying = %v, want ErrNotFound", err)
		}
		if n := f.rdb.Exists(ctx, store.Key("gone")).Val(); n != 0 {
			t.Errorf("Retrying created a record: %v", f.raw(t, "gone"))
		}
	})
}

func TestSucceedAndFail(t *testing.T) {
	t.Parallel()

	outcome := &tasks.Outcome{Result: `{"ok":1}`, RequestId: "req-ok"}
	failure := &tasks.Failure{Code: "FailedOperation.InvalidVodUser", Message: "not activated", RequestId: "req-no"}

	for _, state := range []tasks.State{tasks.StateQueued, tasks.StateRunning, tasks.StateRetrying} {
		t.Run("a "+string(state)+" job succeeds with the API's answer", func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.inState(t, "j", state)
			f.clock.add(time.Minute)
			f.shortenTTL(t, "j")
			rec, applied, err := f.store.Succeed(ctx, "j", outcome)
			if err != nil || !applied {
				t.Fatalf("Succeed = %v, %v; want applied", applied, err)
			}
			if rec.State != tasks.StateSucceeded || !reflect.DeepEqual(outcome, rec.Outcome) {
				t.Errorf("record = %s %+v, want succeeded with %+v", rec.State, rec.Outcome, outcome)
			}
			if rec.Failure != nil {
				t.Errorf("failure %+v kept after success", rec.Failure)
			}
			if !rec.FinishedAt.Equal(f.clock.now()) {
				t.Errorf("finished_at = %v, want %v", rec.FinishedAt, f.clock.now())
			}
			f.wantFreshTTL(t, "j")
		})

		t.Run("a "+string(state)+" job fails with the API's error", func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.inState(t, "j", state)
			f.shortenTTL(t, "j")
			rec, applied, err := f.store.Fail(ctx, "j", failure)
			if err != nil || !applied {
				t.Fatalf("Fail = %v, %v; want applied", applied, err)
			}
			if rec.State != tasks.StateFailed || !reflect.DeepEqual(failure, rec.Failure) {
				t.Errorf("record = %s %+v, want failed with %+v", rec.State, rec.Failure, failure)
			}
			if rec.Outcome != nil || rec.FinishedAt.IsZero() {
				t.Errorf("record = %+v, want no outcome and a finished_at", rec)
			}
			f.wantFreshTTL(t, "j")
		})
	}

	for _, state := range []tasks.State{tasks.StateSucceeded, tasks.StateFailed, tasks.StateCanceled} {
		t.Run("the first outcome of a "+string(state)+" job wins over a later Succeed", func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			ended := f.inState(t, "j", state)
			before := f.raw(t, "j")
			f.clock.add(time.Minute)
			rec, applied, err := f.store.Succeed(ctx, "j", &tasks.Outcome{Result: "second", RequestId: "r-2"})
			if err != nil || applied {
				t.Fatalf("Succeed = %v, %v; want applied false", applied, err)
			}
			if !reflect.DeepEqual(ended, rec) {
				t.Errorf("record mismatch (-want +got):\n-%+v\n+%+v", ended, rec)
			}
			f.wantUnchanged(t, "j", before)
		})

		t.Run("the first outcome of a "+string(state)+" job wins over a later Fail", func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			ended := f.inState(t, "j", state)
			before := f.raw(t, "j")
			rec, applied, err := f.store.Fail(ctx, "j", failure)
			if err != nil || applied {
				t.Fatalf("Fail = %v, %v; want applied false", applied, err)
			}
			if !reflect.DeepEqual(ended, rec) {
				t.Errorf("record mismatch (-want +got):\n-%+v\n+%+v", ended, rec)
			}
			f.wantUnchanged(t, "j", before)
		})
	}

	t.Run("a job whose record was never written still gets its end", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		rec, applied, err := f.store.Fail(ctx, "ghost", failure)
		if err != nil || !applied || rec.State != tasks.StateFailed {
			t.Fatalf("Fail = %+v, %v, %v; want a failed record", rec, applied, err)
		}
		if rec.SubmittedAt.IsZero() || rec.FinishedAt.IsZero() {
			t.Errorf("record = %+v, want submitted_at and finished_at set", rec)
		}
		f.wantFreshTTL(t, "ghost")
	})
}

func TestCancel(t *testing.T) {
	t.Parallel()

	for _, state := range []tasks.State{tasks.StateQueued, tasks.StateRetrying} {
		t.Run("a "+string(state)+" job is canceled", func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.inState(t, "j", state)
			f.shortenTTL(t, "j")
			rec, applied, err := f.store.Cancel(ctx, "j")
			if err != nil || !applied {
				t.Fatalf("Cancel = %v, %v; want applied", applied, err)
			}
			if rec.State != tasks.StateCanceled || rec.Failure == nil || rec.Failure.Code != tasks.CodeCanceled {
				t.Errorf("record = %s %+v, want canceled with %s", rec.State, rec.Failure, tasks.CodeCanceled)
			}
			if rec.FinishedAt.IsZero() || rec.Outcome != nil {
				t.Errorf("record = %+v, want finished_at and no outcome", rec)
			}
			f.wantFreshTTL(t, "j")
		})
	}

	for _, state := range []tasks.State{tasks.StateRunning, tasks.StateSucceeded, tasks.StateFailed, tasks.StateCanceled} {
		t.Run("a "+string(state)+" job is not canceled", func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			was := f.inState(t, "j", state)
			before := f.raw(t, "j")
			rec, applied, err := f.store.Cancel(ctx, "j")
			if err != nil || applied {
				t.Fatalf("Cancel = %v, %v; want applied false", applied, err)
			}
			if !reflect.DeepEqual(was, rec) {
				t.Errorf("record mismatch (-want +got):\n-%+v\n+%+v", was, rec)
			}
			f.wantUnchanged(t, "j", before)
		})
	}

	t.Run("a missing record is ErrNotFound and stays missing", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		if _, _, err := f.store.Cancel(ctx, "gone"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Cancel = %v, want ErrNotFound", err)
		}
		if n := f.rdb.Exists(ctx, store.Key("gone")).Val(); n != 0 {
			t.Errorf("Cancel created a record: %v", f.raw(t, "gone"))
		}
	})
}

func TestDefaultRetention(t *testing.T) {
	t.Parallel()

	rdb := redistest.Start(t).Client(t)
	s := store.New(rdb, store.Options{})
	t.Cleanup(func() { s.Close() })
	if _, _, err := s.Create(ctx, newJob("j")); err != nil {
		t.Fatal(err)
	}
	ttl := rdb.PTTL(ctx, store.Key("j")).Val()
	if ttl < store.DefaultRetention-time.Minute || ttl > store.DefaultRetention {
		t.Errorf("PTTL = %v, want about %v", ttl, store.DefaultRetention)
	}
}

func TestEndsArePublishedOnce(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.inState(t, "a", tasks.StateRunning)
	f.inState(t, "b", tasks.StateQueued)

	sub := f.rdb.Subscribe(ctx, store.EndedChannel)
	t.Cleanup(func() { sub.Close() })
	if _, err := sub.Receive(ctx); err != nil { // the subscription's confirmation
		t.Fatal(err)
	}

	f.store.Succeed(ctx, "a", &tasks.Outcome{Result: "x"})
	f.store.Succeed(ctx, "a", &tasks.Outcome{Result: "y"}) // refused: no message
	f.store.Retrying(ctx, "b", &tasks.Failure{Code: "X"})  // not an end: no message
	f.store.Cancel(ctx, "b")
	f.store.Cancel(ctx, "b") // refused: no message
	f.rdb.Publish(ctx, store.EndedChannel, "marker")

	var got []string
	for {
		msg, err := sub.ReceiveMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if msg.Payload == "marker" {
			break
		}
		got = append(got, msg.Payload)
	}
	if want := []string{"a", "b"}; !reflect.DeepEqual(want, got) {
		t.Errorf("published IDs mismatch (-want +got):\n-%v\n+%v", want, got)
	}
}

func TestConcurrentEndsApplyExactlyOnce(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.inState(t, "race", tasks.StateRunning)

	const racers = 50
	type answer struct {
		rec     *tasks.Job
		applied bool
		err     error
		result  string // the racer's own result, or "" for a Fail
	}
	answers := make([]answer, racers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range racers {
		wg.Go(func() {
			<-start
			a := &answers[i]
			if i%2 == 0 {
				a.result = fmt.Sprintf("result-%d", i)
				a.rec, a.applied, a.err = f.store.Succeed(ctx, "race", &tasks.Outcome{Result: a.result})
				return
			}
			a.rec, a.applied, a.err = f.store.Fail(ctx, "race", &tasks.Failure{Code: fmt.Sprintf("Code%d", i)})
		})
	}
	close(start)
	wg.Wait()

	var winner *answer
	for i := range answers {
		a := &answers[i]
		if a.err != nil {
			t.Fatalf("racer %d: %v", i, a.err)
		}
		if a.applied {
			if winner != nil {
				t.Fatalf("racers %q and %q both applied", winner.result, a.result)
			}
			winner = a
		}
	}
	if winner == nil {
		t.Fatal("no racer applied")
	}
	final := f.get(t, "race")
	if !reflect.DeepEqual(winner.rec, final) {
		t.Errorf("stored record is not the winner's (-want +got):\n-%+v\n+%+v", winner.rec, final)
	}
	if winner.result != "" && (final.Outcome == nil || final.Outcome.Result != winner.result) {
		t.Errorf("stored outcome %+v, want the winner's %q", final.Outcome, winner.result)
	}
	for i, a := range answers {
		if !a.applied && !reflect.DeepEqual(final, a.rec) {
			t.Errorf("racer %d saw %+v, want the final record", i, a.rec)
		}
	}
}
