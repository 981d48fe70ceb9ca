package httpapi

import (
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/vodq/vodq/internal/logging"
)

// metrics are the server's Prometheus collectors.
type metrics struct {
	reg        prometheus.Registerer
	collectors []prometheus.Collector
	jobs       *prometheus.CounterVec
	requests   *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, rdb redis.UniversalClient,
	log *slog.Logger) (*metrics, error) {
	m := &metrics{
		reg: reg,
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vodq_jobs_submitted_total",
			Help: "Jobs submitted over HTTP, by queue and outcome " +
				"(created, duplicate, invalid, error).",
		}, []string{"queue", "outcome"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vodq_http_requests_total",
			Help: "HTTP requests served, by route pattern and status code.",
		}, []string{"route", "status"}),
	}
	queues := &queueCollector{
		insp: asynq.NewInspectorFromRedisClient(rdb),
		log:  log,
		tasks: prometheus.NewDesc("vodq_queue_tasks",
			"Tasks in each Asynq queue by state, read from Redis on each scrape.",
			[]string{"queue", "state"}, nil),
		up: prometheus.NewDesc("vodq_queue_stats_up",
			"1 when the last scrape read the queue sizes from Redis, else 0.", nil, nil),
	}
	for _, c := range []prometheus.Collector{m.jobs, m.requests, queues} {
		if err := reg.Register(c); err != nil {
			m.unregister()
			return nil, fmt.Errorf("register HTTP server metrics: %w", err)
		}
		m.collectors = append(m.collectors, c)
	}
	return m, nil
}

// submitted counts one submission. The queue label is empty when the job
// was refused before a queue was known.
func (m *metrics) submitted(queue, outcome string) {
	m.jobs.WithLabelValues(queue, outcome).Inc()
}

func (m *metrics) unregister() {
	for _, c := range m.collectors {
		m.reg.Unregister(c)
	}
	m.collectors = nil
}

// queueCollector reports the size of every Asynq queue by task state. It
// asks Redis on each scrape, so the numbers are those of the moment.
type queueCollector struct {
	insp  *asynq.Inspector
	log   *slog.Logger
	tasks *prometheus.Desc
	up    *prometheus.Desc
}

// Describe implements prometheus.Collector.
func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.tasks
	ch <- c.up
}

// Collect implements prometheus.Collector. When Redis does not answer it
// reports vodq_queue_stats_up 0 rather than failing the scrape, so the
// other metrics still arrive.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	up := 1.0
	defer func() {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up)
	}()
	names, err := c.insp.Queues()
	if err != nil {
		c.log.Debug("read queue names", logging.KeyError, err)
		up = 0
		return
	}
	for _, q := range names {
		info, err := c.insp.GetQueueInfo(q)
		if err != nil {
			c.log.Debug("read queue sizes", logging.KeyQueue, q, logging.KeyError, err)
			up = 0
			continue
		}
		for _, s := range []struct {
			state string
			n     int
		}{
			{"pending", info.Pending},
			{"active", info.Active},
			{"scheduled", info.Scheduled},
			{"retry", info.Retry},
			{"archived", info.Archived},
			{"completed", info.Completed},
			{"aggregating", info.Aggregating},
		} {
			ch <- prometheus.MustNewConstMetric(c.tasks, prometheus.GaugeValue,
				float64(s.n), q, s.state)
		}
	}
}
