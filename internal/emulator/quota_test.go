package emulator

import (
	"testing"
	"time"
)

func TestQuota(t *testing.T) {
	t.Parallel()
	clock := newManualClock()
	f := setup(t, Config{Quota: 10, Now: clock.Now})
	c := f.client(t)

	// The clock stands still, so all 30 calls fall in one window however
	// slow the machine is.
	var ok, throttled int
	for range 30 {
		_, err := execute(t.Context(), c, echo("x"))
		if err == nil {
			ok++
			continue
		}
		msg := wantCode(t, err, codeRequestLimit)
		if throttled == 0 {
			t.Logf("throttle message: %s", msg)
		}
		throttled++
	}
	if ok != 10 || throttled != 20 {
		t.Fatalf("%d accepted and %d throttled, want 10 and 20", ok, throttled)
	}

	s := f.emu.Stats()
	if s.Accepted != 10 || s.Throttled != 20 || s.MaxWindow != 30 || s.Requests != 30 {
		t.Fatalf("stats = %+v, want 30 requests, 10 accepted, 20 throttled, MaxWindow 30", s)
	}
	if s.ByCode[outcomeOK] != 10 || s.ByCode[codeRequestLimit] != 20 {
		t.Fatalf("ByCode = %v, want 10 OK and 20 RequestLimitExceeded", s.ByCode)
	}
	if !s.FirstAt.Equal(clock.Now()) || !s.LastAt.Equal(clock.Now()) {
		t.Errorf("FirstAt, LastAt = %s, %s; want the clock's time", s.FirstAt, s.LastAt)
	}

	// Just short of a second the window is still full.
	clock.Advance(999 * time.Millisecond)
	_, err := execute(t.Context(), c, echo("x"))
	wantCode(t, err, codeRequestLimit)

	// Once the window has slid past the burst, calls are accepted again.
	clock.Advance(time.Millisecond)
	for range 10 {
		mustExecute(t, c, echo("x"))
	}
	_, err = execute(t.Context(), c, echo("x"))
	wantCode(t, err, codeRequestLimit)

	// The call at 999ms shared a window with the burst of 30.
	if got := f.emu.Stats().MaxWindow; got != 31 {
		t.Errorf("MaxWindow = %d, want 31", got)
	}
}

func TestWindow(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1_800_000_000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

	t.Run("the window slides rather than resetting each second", func(t *testing.T) {
		t.Parallel()
		w := newWindow(2)
		steps := []struct {
			ms   int
			want bool
		}{
			{0, true}, {900, true}, {950, false}, // full: 0 and 900
			{1000, true},                // 0 has left; 900 and 1000 remain
			{1899, false}, {1900, true}, // 900 leaves at 1900
		}
		for _, s := range steps {
			if got := w.arrive(at(s.ms)); got != s.want {
				t.Fatalf("arrive at %dms = %t, want %t", s.ms, got, s.want)
			}
		}
		// At 1899ms the window holds 900, 950, 1000 and 1899.
		if got := w.busiest(); got != 4 {
			t.Errorf("busiest = %d, want 4", got)
		}
	})

	t.Run("a negative limit admits everything but still measures", func(t *testing.T) {
		t.Parallel()
		w := newWindow(-1)
		for i := range 500 {
			if !w.arrive(at(i)) {
				t.Fatalf("arrival %d refused without a limit", i)
			}
		}
		if got := w.busiest(); got != 500 {
			t.Errorf("busiest = %d, want 500", got)
		}
		w.resetMax()
		w.arrive(at(2000))
		if got := w.busiest(); got != 1 {
			t.Errorf("busiest after reset = %d, want 1", got)
		}
	})

	t.Run("a long run keeps the queue small", func(t *testing.T) {
		t.Parallel()
		w := newWindow(100)
		for i := range 100_000 {
			w.arrive(at(i * 5)) // 200 arrivals a second
		}
		if n := w.arrivals.len(); n != 200 {
			t.Errorf("queue holds %d arrivals, want 200", n)
		}
		if c := cap(w.arrivals.items); c > 4096 {
			t.Errorf("queue capacity grew to %d", c)
		}
	})
}
