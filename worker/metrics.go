package worker

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vodq/vodq/tasks"
)

// metrics are the worker's Prometheus collectors.
type metrics struct {
	ended       *prometheus.CounterVec
	calls       *prometheus.CounterVec
	callSeconds prometheus.Histogram
	limiterWait prometheus.Histogram
	throttled   prometheus.Counter
	retries     *prometheus.CounterVec
	inFlight    prometheus.Gauge
	concurrency prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		ended: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vodq_jobs_ended_total",
			Help: "Jobs that reached a final state, by queue, state and error code.",
		}, []string{"queue", "state", "code"}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vodq_api_calls_total",
			Help: "ExecuteFunction calls made, by answer code (OK for success).",
		}, []string{"code"}),
		callSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vodq_api_call_duration_seconds",
			Help:    "Latency of ExecuteFunction calls.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
		limiterWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vodq_limiter_wait_seconds",
			Help:    "Time spent waiting for the fleet-wide rate limiter before a call.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		throttled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vodq_api_throttled_total",
			Help: "Calls the API answered with RequestLimitExceeded*.",
		}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vodq_job_retries_total",
			Help: "Attempts that failed with a transient error and will be retried, by code.",
		}, []string{"code"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vodq_worker_jobs_in_progress",
			Help: "Jobs this worker is running now.",
		}),
		concurrency: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vodq_worker_concurrency",
			Help: "The most jobs this worker runs at once.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.ended, m.calls, m.callSeconds, m.limiterWait,
		m.throttled, m.retries, m.inFlight, m.concurrency} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register worker metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) observeCall(code string, d time.Duration) {
	m.calls.WithLabelValues(code).Inc()
	m.callSeconds.Observe(d.Seconds())
}

func (m *metrics) jobEnded(queue string, state tasks.State, code string) {
	m.ended.WithLabelValues(queue, string(state), code).Inc()
}
