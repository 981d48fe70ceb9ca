package bench

import (
	"math"
	"testing"
	"time"

	"github.com/vodq/vodq/internal/emulator"
	"github.com/vodq/vodq/tasks"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(vs ...int) []time.Duration {
		out := make([]time.Duration, len(vs))
		for i, v := range vs {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}

	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"an empty set has zero percentiles", nil, 50, 0},
		{"one value is every percentile", ms(7), 99, 7 * time.Millisecond},
		{"the median of four is the second", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p95 of 1..100 is 95", ms(hundred...), 95, 95 * time.Millisecond},
		{"p99 of 1..100 is 99", ms(hundred...), 99, 99 * time.Millisecond},
		{"p99 of ten values is the largest", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99,
			10 * time.Millisecond},
		{"p0 is the smallest", ms(3, 5, 8), 0, 3 * time.Millisecond},
		{"p100 is the largest", ms(3, 5, 8), 100, 8 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := percentile(tc.sorted, tc.p); got != tc.want {
				t.Errorf("percentile(p%g) = %s, want %s", tc.p, got, tc.want)
			}
		})
	}
}

func TestSustainedRate(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	for _, tc := range []struct {
		name string
		n    int64
		span time.Duration
		want float64
	}{
		{"101 calls 10ms apart are 100 per second", 101, time.Second, 100},
		{"3001 calls over 30s are 100 per second", 3001, 30 * time.Second, 100},
		{"one call has no rate", 1, 0, 0},
		{"calls at one instant have no rate", 5, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := sustainedRate(tc.n, t0, t0.Add(tc.span))
			if math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("sustainedRate = %g, want %g", got, tc.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	// Ten jobs submitted together, ending 100ms apart from 1s on; one
	// failed, two took extra attempts, one never ended.
	var jobs []*tasks.Job
	for i := range 10 {
		j := &tasks.Job{State: tasks.StateSucceeded, Attempts: 1, SubmittedAt: t0,
			FinishedAt: t0.Add(time.Second + time.Duration(i)*100*time.Millisecond)}
		jobs = append(jobs, j)
	}
	jobs[3].State = tasks.StateFailed
	jobs[4].Attempts, jobs[5].Attempts = 3, 2
	jobs = append(jobs, &tasks.Job{State: tasks.StateRunning, Attempts: 1, SubmittedAt: t0})

	st := emulator.Stats{Requests: 196, Accepted: 193, Throttled: 3, MaxWindow: 104,
		FirstAt: t0, LastAt: t0.Add(2 * time.Second)}

	r := Report{Quota: 100}
	r.summarize(st, jobs)

	checks := []struct {
		name      string
		got, want float64
	}{
		{"Ended", float64(r.Ended), 10},
		{"Succeeded", float64(r.Succeeded), 9},
		{"Failed", float64(r.Failed), 1},
		{"ExtraAttempts", float64(r.ExtraAttempts), 3},
		{"OverQuota", float64(r.OverQuota), 4},
		{"APIRate", r.APIRate, 96},
		{"Utilization", r.Utilization, 0.96},
		{"E2ESeconds", r.E2ESeconds, 1.9},
		{"E2ERate", r.E2ERate, 10 / 1.9},
		{"P50Ms", r.P50Ms, 1400},
		{"P95Ms", r.P95Ms, 1900},
		{"P99Ms", r.P99Ms, 1900},
	}
	for _, c := range checks {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s = %g, want %g", c.name, c.got, c.want)
		}
	}
	if r.WithinQuota || r.MeetsBar {
		t.Errorf("WithinQuota, MeetsBar = %t, %t; want false after throttles", r.WithinQuota,
			r.MeetsBar)
	}
}

func TestSummarizeBar(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	span := 30 * time.Second

	for _, tc := range []struct {
		name             string
		accepted         int64
		throttled, max   int64
		within, meetsBar bool
	}{
		{"97/s with no throttle and a window of 98 meets the bar", 2911, 0, 98, true, true},
		{"a window one over the quota misses it", 2911, 0, 101, false, false},
		{"one throttled call misses it", 2911, 1, 100, false, false},
		{"90/s is within the quota but wastes it", 2701, 0, 91, true, false},
		{"exactly 95/s meets it", 2851, 0, 96, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := Report{Quota: 100}
			r.summarize(emulator.Stats{Accepted: tc.accepted, Throttled: tc.throttled,
				MaxWindow: tc.max, FirstAt: t0, LastAt: t0.Add(span)}, nil)
			if r.WithinQuota != tc.within || r.MeetsBar != tc.meetsBar {
				t.Errorf("WithinQuota, MeetsBar = %t, %t; want %t, %t (utilization %g)",
					r.WithinQuota, r.MeetsBar, tc.within, tc.meetsBar, r.Utilization)
			}
		})
	}
}
