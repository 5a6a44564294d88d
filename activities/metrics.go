package activities

import (
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the worker's own: steps that wait for the database. A step
// whose write fails is retried until it succeeds; these show how many wait
// now and how often writes fail, so an operator sees an outage in progress.
type Metrics struct {
	failures *prometheus.CounterVec
	waiting  prometheus.Gauge

	mu    sync.Mutex
	steps map[string]struct{} // request/step whose last attempt failed
}

// NewMetrics registers the worker's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "housecall_step_write_failures_total",
			Help: "Failed attempts to write a step (or book a slot) in PostgreSQL; each is retried.",
		}, []string{"activity"}),
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "housecall_steps_waiting",
			Help: "Steps whose last write failed and that wait for their retry: requests waiting for the database.",
		}),
		steps: map[string]struct{}{},
	}
	reg.MustRegister(m.failures, m.waiting)
	return m
}

// outcome records one attempt of a step's write.
func (m *Metrics) outcome(name, requestID string, seq int64, err error) {
	if m == nil {
		return
	}
	key := fmt.Sprintf("%s/%s/%d", name, requestID, seq)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.failures.WithLabelValues(name).Inc()
		m.steps[key] = struct{}{}
	} else {
		delete(m.steps, key)
	}
	m.waiting.Set(float64(len(m.steps)))
}
