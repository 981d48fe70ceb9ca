package limiter

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestThrottled(t *testing.T) {
	t.Parallel()
	bg := context.Background()

	t.Run("a burst of reports halves the rate once and slows the grants", func(t *testing.T) {
		t.Parallel()
		l, _ := setup(t, Config{Name: "halve", Rate: 100, RecoverAfter: time.Minute})
		wantRate(t, l, 100)

		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				if _, err := l.Throttled(bg); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		wantRate(t, l, 50)

		ctx, cancel := context.WithTimeout(bg, 1500*time.Millisecond)
		defer cancel()
		checkSchedule(t, contend(t, ctx, l, 20), 50, 1)
	})

	t.Run("reports after the grace period count again down to MinRate", func(t *testing.T) {
		t.Parallel()
		l, _ := setup(t, Config{Name: "floor", Rate: 100, MinRate: 20, RecoverAfter: time.Minute})

		for _, want := range []float64{50, 25, 20, 20} {
			got, err := l.Throttled(bg)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("Throttled = %g, want %g", got, want)
			}
			time.Sleep(throttleGrace + 50*time.Millisecond)
		}
	})

	t.Run("reports while old slots drain count as one", func(t *testing.T) {
		t.Parallel()
		l, _ := setup(t, Config{Name: "drain", Rate: 10, RecoverAfter: time.Minute})

		// Eight slots at 10/s book the next 800ms; requests sent in them
		// may still be refused after the decrease.
		for range 8 {
			if _, err := l.reserve(bg, time.Second); err != nil {
				t.Fatal(err)
			}
		}
		start := time.Now()
		if got, _ := l.Throttled(bg); got != 5 {
			t.Fatalf("first Throttled = %g, want 5", got)
		}
		time.Sleep(400 * time.Millisecond)
		if got, _ := l.Throttled(bg); got != 5 {
			t.Fatalf("Throttled while old slots drain = %g, want 5", got)
		}

		// The decrease took effect at 800ms; its grace ends one interval
		// at the new rate (200ms) later.
		time.Sleep(time.Until(start.Add(1100 * time.Millisecond)))
		if got, _ := l.Throttled(bg); got != 2.5 {
			t.Fatalf("Throttled after the grace = %g, want 2.5", got)
		}
	})

	t.Run("the rate recovers after quiet time", func(t *testing.T) {
		t.Parallel()
		cfg := Config{
			Name: "recover", Rate: 100, RecoverAfter: 300 * time.Millisecond,
			RecoverPerSecond: 200,
		}
		l, _ := setup(t, cfg)

		before := time.Now()
		if _, err := l.Throttled(bg); err != nil {
			t.Fatal(err)
		}
		after := time.Now()

		for _, at := range []time.Duration{100, 400, 500, 700} {
			time.Sleep(time.Until(before.Add(at * time.Millisecond)))
			q0 := time.Now()
			got, err := l.EffectiveRate(bg)
			q1 := time.Now()
			if err != nil {
				t.Fatal(err)
			}

			// Redis shares this host's clock, so the change happened
			// between before and after, and the read between q0 and q1.
			lo := recovered(cfg, q0.Sub(after))
			hi := recovered(cfg, q1.Sub(before))
			if got < lo-1e-6 || got > hi+1e-6 {
				t.Errorf("at %dms: EffectiveRate = %g, want between %g and %g", at, got, lo, hi)
			}
		}
		wantRate(t, l, 100)
	})

	t.Run("reading the rate of an unused limiter creates no key", func(t *testing.T) {
		t.Parallel()
		l, rdb := setup(t, Config{Name: "fresh", Rate: 100})
		wantRate(t, l, 100)
		if n := rdb.Exists(bg, l.key).Val(); n != 0 {
			t.Errorf("EXISTS %s = %d, want 0", l.key, n)
		}
	})
}

// recovered is the rate expected elapsed after a halving from full rate.
func recovered(cfg Config, elapsed time.Duration) float64 {
	quiet := (elapsed - cfg.RecoverAfter).Seconds()
	return min(cfg.Rate, cfg.Rate/2+max(quiet, 0)*cfg.RecoverPerSecond)
}

func wantRate(t *testing.T, l *Limiter, want float64) {
	t.Helper()
	got, err := l.EffectiveRate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("EffectiveRate = %g, want %g", got, want)
	}
}
