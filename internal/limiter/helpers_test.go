package limiter

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/vodq/vodq/internal/redistest"
)

// setup starts a Redis of the test's own and a limiter on it.
func setup(t testing.TB, cfg Config) (*Limiter, *redis.Client) {
	t.Helper()
	rdb := redistest.Start(t).Client(t)
	l, err := New(rdb, cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return l, rdb
}

// record is one successful wait: what Redis granted and when Wait returned.
type record struct {
	grant
	at time.Time
}

// lateness is how long after its slot the caller went, both clocks being
// the host's wall clock (Redis runs on the same machine).
func (r record) lateness() time.Duration {
	return time.Duration(r.at.UnixNano() - r.slot*1000)
}

// timerLateness is how long after the planned wake-up the caller went: the
// part of lateness that is not the reply's trip back.
func (r record) timerLateness() time.Duration {
	return r.at.Sub(r.replied.Add(r.sleep))
}

// contend runs n goroutines that wait in a loop until ctx ends and returns
// every grant. Errors other than the context's fail the test.
func contend(t testing.TB, ctx context.Context, l *Limiter, n int) []record {
	t.Helper()
	var (
		mu   sync.Mutex
		recs []record
		wg   sync.WaitGroup
	)
	for range n {
		wg.Go(func() {
			for {
				g, err := l.wait(ctx)
				at := time.Now()
				if isContextErr(err) {
					return
				}
				if err != nil {
					t.Errorf("wait: %v", err)
					return
				}
				mu.Lock()
				recs = append(recs, record{grant: g, at: at})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return recs
}

func isContextErr(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// maxInWindow returns the most times that fall in any half-open window
// [t, t+w). The fullest window can always start at one of the times.
func maxInWindow(times []int64, w int64) int {
	sorted := slices.Clone(times)
	slices.Sort(sorted)
	best, j := 0, 0
	for i := range sorted {
		for j < len(sorted) && sorted[j] < sorted[i]+w {
			j++
		}
		best = max(best, j-i)
	}
	return best
}

// checkSchedule asserts the window bound and the utilization of a run at
// rate (an integer number of requests per second) and burst.
//
// The bound Rate+Burst-1 is strict on the slots Redis granted. The times
// Wait returned carry each caller's reply latency and timer delay, so on
// those the bound grows by the slots that the largest lateness can shift
// into a window, and no caller may go before its slot.
func checkSchedule(t *testing.T, recs []record, rate, burst int) {
	t.Helper()
	if len(recs) < 2*rate/3 {
		t.Fatalf("only %d grants", len(recs))
	}
	limit := rate + burst - 1

	slots := make([]int64, len(recs))
	wakes := make([]int64, len(recs))
	late := make([]time.Duration, len(recs))
	timer := make([]time.Duration, len(recs))
	for i, r := range recs {
		slots[i], wakes[i] = r.slot, r.at.UnixNano()
		late[i], timer[i] = r.lateness(), r.timerLateness()
	}
	slices.Sort(late)
	slices.Sort(timer)
	maxLate := late[len(late)-1]

	if got := maxInWindow(slots, int64(time.Second/time.Microsecond)); got > limit {
		t.Errorf("a 1s window of granted slots holds %d, want at most %d", got, limit)
	}

	// Redis and Go read the same wall clock here; allow a little for the
	// clock being slewed while the test runs.
	if late[0] < -time.Millisecond {
		t.Errorf("a caller went %s before its slot", -late[0])
	}
	interval := time.Second / time.Duration(rate)
	tolerant := limit + int(math.Ceil(float64(max(maxLate, 0))/float64(interval)))
	gotWake := maxInWindow(wakes, int64(time.Second))
	if gotWake > tolerant {
		t.Errorf("a 1s window of wake-ups holds %d, want at most %d", gotWake, tolerant)
	}

	first, last := slices.Min(wakes), slices.Max(wakes)
	sustained := float64(len(wakes)-1) / (float64(last-first) / 1e9)
	if sustained < 0.97*float64(rate) {
		t.Errorf("sustained %.2f grants/s, want at least %.2f", sustained, 0.97*float64(rate))
	}

	t.Logf("%d grants, %.2f/s; fullest 1s window: slots %d, wake-ups %d (limit %d)",
		len(recs), sustained, maxInWindow(slots, 1e6), gotWake, limit)
	t.Logf("wake-up after slot: p50 %s p99 %s max %s; timer alone: p50 %s p99 %s max %s",
		pct(late, 50), pct(late, 99), maxLate, pct(timer, 50), pct(timer, 99), timer[len(timer)-1])
}

// pct returns the p-th percentile of sorted durations.
func pct(sorted []time.Duration, p int) time.Duration {
	return sorted[(len(sorted)-1)*p/100]
}
