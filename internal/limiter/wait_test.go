package limiter

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestWaitUnderContention(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name  string
		burst int
	}{
		{"200 waiters without burst stay within the quota and use it", 1},
		{"200 waiters with burst 10 stay within quota plus burst", 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, _ := setup(t, Config{Name: "contention", Rate: 100, Burst: tc.burst})

			ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
			defer cancel()
			recs := contend(t, ctx, l, 200)

			checkSchedule(t, recs, 100, tc.burst)
			for _, r := range recs {
				if r.calls-r.late != 1 {
					t.Fatalf("a wait made %d Redis calls, want 1 while the queue is under MaxWait",
						r.calls)
				}
			}
		})
	}
}

func TestWaitBeyondMaxWait(t *testing.T) {
	t.Parallel()

	const maxWait = 200 * time.Millisecond
	l, _ := setup(t, Config{Name: "overflow", Rate: 100, MaxWait: maxWait})

	// 60 waiters at 100/s want a 600ms queue: two thirds of them find it
	// full and come back later.
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	recs := contend(t, ctx, l, 60)

	checkSchedule(t, recs, 100, 1)
	calls, refused := 0, 0
	for _, r := range recs {
		if r.sleep > maxWait {
			t.Errorf("a caller slept %s for its slot, more than MaxWait %s", r.sleep, maxWait)
		}
		calls += r.calls
		if r.calls > 1 {
			refused++
		}
	}
	if refused == 0 {
		t.Error("no caller found the queue full; the test does not exercise MaxWait")
	}

	// The back-off exists so the refused crowd does not poll Redis at the
	// rate slots free up times the crowd's size.
	perGrant := float64(calls) / float64(len(recs))
	if perGrant > 5 {
		t.Errorf("%.1f Redis calls per grant, want at most 5", perGrant)
	}
	t.Logf("%d of %d grants came after a refusal; %.2f Redis calls per grant",
		refused, len(recs), perGrant)
}

func TestWaitContext(t *testing.T) {
	t.Parallel()

	t.Run("a canceled context returns its error without reserving", func(t *testing.T) {
		t.Parallel()
		l, _ := setup(t, Config{Name: "canceled", Rate: 1})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()

		if _, err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait = %v, want context.Canceled", err)
		}
		waited, err := l.Wait(context.Background())
		if err != nil || waited > 100*time.Millisecond {
			t.Fatalf("next Wait = %s, %v; want an immediate grant", waited, err)
		}
	})

	t.Run("canceling while waiting for a slot returns promptly", func(t *testing.T) {
		t.Parallel()
		l, _ := setup(t, Config{Name: "cancel", Rate: 1})
		if _, err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}

		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		waited, err := l.Wait(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait = %v, want context.Canceled", err)
		}
		if waited > 150*time.Millisecond {
			t.Errorf("Wait returned %s after the call, want about 50ms", waited)
		}
	})

	t.Run("a deadline before the first free slot fails at once and reserves nothing",
		func(t *testing.T) {
			t.Parallel()
			l, _ := setup(t, Config{Name: "deadline", Rate: 2})
			if _, err := l.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}

			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			waited, err := l.Wait(ctx)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Wait = %v, want context.DeadlineExceeded", err)
			}
			if waited > 50*time.Millisecond {
				t.Errorf("Wait returned after %s, want at once", waited)
			}

			// Had the refused call reserved the slot at 500ms, this one
			// would wait until 1s.
			waited, err = l.Wait(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if waited > 600*time.Millisecond {
				t.Errorf("next Wait waited %s, want at most the 500ms interval", waited)
			}
		})
}

func TestLateWakerGivesItsSlotUp(t *testing.T) {
	t.Parallel()
	l, _ := setup(t, Config{Rate: 100})
	stalls := 1
	l.afterSleep = func() {
		// The first wake-up stands for a process stalled past its slot.
		if stalls > 0 {
			stalls--
			time.Sleep(50 * time.Millisecond)
		}
	}
	g, err := l.wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if g.late != 1 || g.calls != 2 {
		t.Errorf("wait gave up %d slots in %d calls; want the stalled slot given up and one more call",
			g.late, g.calls)
	}

	// A caller that wakes on time goes at once.
	g, err = l.wait(context.Background())
	if err != nil || g.late != 0 || g.calls != 1 {
		t.Errorf("on-time wait: late %d, calls %d, err %v; want 0, 1, nil", g.late, g.calls, err)
	}
}
