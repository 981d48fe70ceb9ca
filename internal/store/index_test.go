package store_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/internal/store"
	"github.com/vodq/vodq/tasks"
)

// activeScore returns id's score in the active index, or false when it is
// not there.
func (f *fixture) activeScore(t *testing.T, id string) (float64, bool) {
	t.Helper()
	score, err := f.rdb.ZScore(ctx, store.ActiveKey, id).Result()
	if errors.Is(err, redis.Nil) {
		return 0, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return score, true
}

func (f *fixture) wantActive(t *testing.T, id string, want bool) {
	t.Helper()
	if _, got := f.activeScore(t, id); got != want {
		t.Errorf("%s in the active index = %t, want %t", id, got, want)
	}
}

func TestActiveIndex(t *testing.T) {
	t.Parallel()

	t.Run("Create adds the job, scored by the clock", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.create(t, "j")
		score, ok := f.activeScore(t, "j")
		if want := float64(f.clock.now().Unix()); !ok || score != want {
			t.Errorf("score = %v, %t; want %v", score, ok, want)
		}
	})

	t.Run("a refused Create does not touch the index", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.inState(t, "j", tasks.StateSucceeded)
		f.store.Create(ctx, newJob("j"))
		f.wantActive(t, "j", false)
	})

	t.Run("Start of a job with no record adds it", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		if _, _, err := f.store.Start(ctx, "orphan", "default", nil, 1); err != nil {
			t.Fatal(err)
		}
		f.wantActive(t, "orphan", true)
	})

	t.Run("Retrying keeps the job in the index", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.inState(t, "j", tasks.StateRetrying)
		f.wantActive(t, "j", true)
	})

	for _, state := range []tasks.State{tasks.StateSucceeded, tasks.StateFailed, tasks.StateCanceled} {
		t.Run("a "+string(state)+" job leaves the index", func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.inState(t, "j", state)
			f.wantActive(t, "j", false)
		})
	}

	t.Run("a refused Start does not bring an ended job back", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.inState(t, "j", tasks.StateFailed)
		f.store.Start(ctx, "j", "default", nil, 1)
		f.wantActive(t, "j", false)
	})

	t.Run("Unseen lists jobs not seen since before, oldest first, up to limit", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		t0 := f.clock.now()
		for _, id := range []string{"a", "b", "c"} {
			f.create(t, id)
			f.clock.add(10 * time.Second)
		}
		f.create(t, "d") // at t0+30s

		tests := []struct {
			before time.Time
			limit  int64
			want   []string
		}{
			{t0, 10, nil},
			{t0.Add(time.Second), 10, []string{"a"}},
			{t0.Add(25 * time.Second), 10, []string{"a", "b", "c"}},
			{t0.Add(25 * time.Second), 2, []string{"a", "b"}},
			{t0.Add(time.Hour), 10, []string{"a", "b", "c", "d"}},
		}
		for _, tt := range tests {
			got, err := f.store.Unseen(ctx, tt.before, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(tt.want, got) {
				t.Errorf("Unseen(t0+%v, %d) mismatch (-want +got):\n-%v\n+%v",
					tt.before.Sub(t0), tt.limit, tt.want, got)
			}
		}
	})

	t.Run("Seen of an active job moves it to now", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.create(t, "a")
		f.create(t, "b")
		f.clock.add(time.Minute)
		if err := f.store.Seen(ctx, "a", true); err != nil {
			t.Fatal(err)
		}
		got, err := f.store.Unseen(ctx, f.clock.now(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"b"}; !reflect.DeepEqual(want, got) {
			t.Errorf("Unseen mismatch (-want +got):\n-%v\n+%v", want, got)
		}
	})

	t.Run("Seen of an inactive job drops it", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.create(t, "a")
		if err := f.store.Seen(ctx, "a", false); err != nil {
			t.Fatal(err)
		}
		f.wantActive(t, "a", false)
		if err := f.store.Seen(ctx, "never-there", false); err != nil {
			t.Errorf("Seen of an unknown ID: %v", err)
		}
	})
}
