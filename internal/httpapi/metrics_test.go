package httpapi

import (
	"bytes"
	"net/http"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads /metrics and parses it as the Prometheus text format.
func scrape(t *testing.T, f *fixture) map[string]*dto.MetricFamily {
	t.Helper()
	a := f.call(t, "GET", "/metrics", "")
	a.expect(t, http.StatusOK)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(a.body))
	if err != nil {
		t.Fatalf("/metrics is not valid Prometheus text: %v", err)
	}
	return fams
}

// value returns the value of the sample of fam whose labels include want,
// and whether there is one.
func value(fam *dto.MetricFamily, want map[string]string) (float64, bool) {
	if fam == nil {
		return 0, false
	}
next:
	for _, m := range fam.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		}
	}
	return 0, false
}

func TestMetricsCountSubmissionsRequestsAndQueueSizes(t *testing.T) {
	t.Parallel()
	f := setup(t)
	startWorker(t, f)
	for _, body := range []string{
		`{"FunctionName":"f","FunctionArg":"a","job_id":"m1","process_in":"1h"}`,
		`{"FunctionName":"f","FunctionArg":"a","job_id":"m1","process_in":"1h"}`,
		`{"FunctionName":"f"}`,
	} {
		f.call(t, "POST", "/v1/jobs", body)
	}
	f.call(t, "GET", "/v1/jobs/none", "")

	fams := scrape(t, f)
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"vodq_jobs_submitted_total", map[string]string{"queue": "default", "outcome": "created"}, 1},
		{"vodq_jobs_submitted_total", map[string]string{"queue": "default", "outcome": "duplicate"}, 1},
		{"vodq_jobs_submitted_total", map[string]string{"queue": "", "outcome": "invalid"}, 1},
		{"vodq_http_requests_total", map[string]string{"route": "POST /v1/jobs", "status": "201"}, 1},
		{"vodq_http_requests_total", map[string]string{"route": "POST /v1/jobs", "status": "400"}, 1},
		{"vodq_http_requests_total",
			map[string]string{"route": "GET /v1/jobs/{id}", "status": "404"}, 1},
		{"vodq_queue_tasks", map[string]string{"queue": "default", "state": "scheduled"}, 1},
		{"vodq_queue_tasks", map[string]string{"queue": "default", "state": "pending"}, 0},
		{"vodq_queue_stats_up", nil, 1},
		// The worker's own metrics share the registry, as in vodq dev.
		{"vodq_worker_concurrency", nil, 4},
	}
	for _, c := range checks {
		got, ok := value(fams[c.name], c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
}

func TestMetricsStillServeWithRedisDown(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.redis.Kill()
	fams := scrape(t, f)
	if up, ok := value(fams["vodq_queue_stats_up"], nil); !ok || up != 0 {
		t.Errorf("vodq_queue_stats_up = %v (present %v), want 0", up, ok)
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("the Go runtime metrics are missing")
	}
}
