package bench

import (
	"math"
	"slices"
	"time"

	"github.com/vodq/vodq/internal/emulator"
	"github.com/vodq/vodq/tasks"
)

// MinUtilization is the share of the quota the limiter strategy must use to
// meet the bar.
const MinUtilization = 0.95

// Report is the result of one run. Its JSON form is what `vodq bench` prints
// on stdout, one line per run. Durations are in milliseconds and CPU times
// in seconds, as the key names say.
type Report struct {
	Strategy    Strategy `json:"strategy"`
	Procs       int      `json:"procs"`
	Concurrency int      `json:"concurrency"` // per process
	Jobs        int      `json:"jobs"`
	Latency     string   `json:"latency"` // "remote" with a given endpoint
	Quota       int      `json:"quota"`
	// Rate is the limiter's rate; zero for the other strategies.
	Rate float64 `json:"rate,omitempty"`
	// SDKRetries is the SDK's retry count in the sdk-retry strategy.
	SDKRetries int    `json:"sdk_retries,omitempty"`
	Note       string `json:"note,omitempty"`

	// Outcomes of the jobs, from their records.
	Ended     int `json:"ended"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	// ExtraAttempts sums attempts-1 over the jobs: throttled calls and
	// retries the worker made. Calls the SDK repeated on its own are not
	// in it; APIRequests minus Jobs counts those too.
	ExtraAttempts int `json:"extra_attempts"`

	// What the API (emulator) saw.
	APIRequests  int64 `json:"api_requests"`
	APIAccepted  int64 `json:"api_accepted"`
	APIThrottled int64 `json:"api_throttled"`
	// MaxWindow is the most calls arriving in any sliding second, refused
	// ones included; OverQuota is how far that went past the quota.
	MaxWindow int64 `json:"max_window"`
	OverQuota int64 `json:"over_quota"`
	// SentMaxWindow is the same count for the times the workers started
	// their calls. When it is within the quota and MaxWindow is not, the
	// calls bunched on their way to the API, not in the fleet.
	SentMaxWindow int64 `json:"sent_max_window"`

	// APIRate is accepted calls per second over the busy span; see the
	// package doc. Utilization is APIRate / Quota.
	APIRate     float64 `json:"api_rate"`
	Utilization float64 `json:"utilization"`
	// E2ERate is jobs per second from the first submission to the last end.
	E2ERate float64 `json:"e2e_rate"`
	// Seconds from the first submission to the last end.
	E2ESeconds float64 `json:"e2e_seconds"`

	// Time from submission to end, per job.
	P50Ms float64 `json:"p50_ms"`
	P95Ms float64 `json:"p95_ms"`
	P99Ms float64 `json:"p99_ms"`

	// Workers holds each worker process's resource use, for its whole life.
	Workers []ProcUsage `json:"workers"`
	// BenchCPUSeconds is this process's CPU time during the run: the
	// in-process emulator and the producer. RedisCPUSeconds is the Redis
	// server's, from INFO; it covers other clients of a shared server.
	BenchCPUSeconds float64 `json:"bench_cpu_seconds"`
	RedisCPUSeconds float64 `json:"redis_cpu_seconds"`

	// WithinQuota: no call refused and no window over the quota.
	// MeetsBar: WithinQuota and Utilization at least MinUtilization.
	WithinQuota bool `json:"within_quota"`
	MeetsBar    bool `json:"meets_bar"`
}

// ProcUsage is one worker process's resource use.
type ProcUsage struct {
	PID        int     `json:"pid"`
	UserCPU    float64 `json:"user_cpu_seconds"`
	SysCPU     float64 `json:"sys_cpu_seconds"`
	MaxRSSMiB  float64 `json:"max_rss_mib"`
	ExitStatus int     `json:"exit_status"`
}

// summarize fills r's measured fields from the emulator's counters and the
// job records.
func (r *Report) summarize(st emulator.Stats, jobs []*tasks.Job) {
	r.APIRequests, r.APIAccepted, r.APIThrottled = st.Requests, st.Accepted, st.Throttled
	r.MaxWindow = st.MaxWindow
	r.OverQuota = max(0, st.MaxWindow-int64(r.Quota))
	r.APIRate = sustainedRate(st.Accepted, st.FirstAt, st.LastAt)
	r.Utilization = r.APIRate / float64(r.Quota)

	var first, last time.Time
	waits := make([]time.Duration, 0, len(jobs))
	for _, j := range jobs {
		if !j.State.Final() {
			continue
		}
		r.Ended++
		switch j.State {
		case tasks.StateSucceeded:
			r.Succeeded++
		case tasks.StateFailed:
			r.Failed++
		}
		r.ExtraAttempts += max(j.Attempts-1, 0)
		waits = append(waits, j.FinishedAt.Sub(j.SubmittedAt))
		if first.IsZero() || j.SubmittedAt.Before(first) {
			first = j.SubmittedAt
		}
		if j.FinishedAt.After(last) {
			last = j.FinishedAt
		}
	}
	if span := last.Sub(first); span > 0 {
		r.E2ESeconds = span.Seconds()
		r.E2ERate = float64(r.Ended) / span.Seconds()
	}

	slices.Sort(waits)
	r.P50Ms = millis(percentile(waits, 50))
	r.P95Ms = millis(percentile(waits, 95))
	r.P99Ms = millis(percentile(waits, 99))

	r.WithinQuota = r.APIThrottled == 0 && r.OverQuota == 0
	r.MeetsBar = r.WithinQuota && r.Utilization >= MinUtilization
}

// sustainedRate is the rate of n arrivals from first to last: n-1 gaps over
// the span. Zero when fewer than two arrived or the span is empty.
func sustainedRate(n int64, first, last time.Time) float64 {
	span := last.Sub(first)
	if n < 2 || span <= 0 {
		return 0
	}
	return float64(n-1) / span.Seconds()
}

// percentile returns the p-th percentile of sorted by the nearest-rank
// method: the smallest value that at least p% of the values do not exceed.
// Zero for an empty slice.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func millis(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}
