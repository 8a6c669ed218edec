package deliver

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the delivery metrics of a process, shared by its Workers:
//
//	aigcwatch_delivery_attempts_total{receiver,status_class}   POSTs by answer: 2xx 3xx 4xx 5xx network
//	aigcwatch_delivery_incidents_total{receiver,outcome}       incidents done: delivered duplicate unrouted parked
//	aigcwatch_delivery_pending_incidents{receiver}             taken from the source, not yet done
//	aigcwatch_delivery_oldest_pending_age_seconds{receiver}    age of the oldest of those (0 when none)
//
// Receiver names come from the routing file (a closed set); every label combination is
// created at zero when a Worker starts.
type Metrics struct {
	attempts *prometheus.CounterVec
	outcomes *prometheus.CounterVec

	mu      sync.Mutex
	pending map[string]map[int64]int // receiver → Since (unix seconds) → count
}

var (
	pendingDesc = prometheus.NewDesc("aigcwatch_delivery_pending_incidents",
		"Incidents taken from the source (topic or outbox) and not yet delivered or parked, by receiver.", []string{"receiver"}, nil)
	oldestDesc = prometheus.NewDesc("aigcwatch_delivery_oldest_pending_age_seconds",
		"Age of the oldest incident not yet delivered or parked, by receiver; 0 when none.", []string{"receiver"}, nil)
)

// NewMetrics registers the delivery metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "aigcwatch_delivery_attempts_total",
			Help: "Delivery attempts (HTTP POSTs) by receiver and answer: 2xx, 3xx, 4xx, 5xx or network (no answer)."}, []string{"receiver", "status_class"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "aigcwatch_delivery_incidents_total",
			Help: "Incidents done at a receiver by outcome: delivered, duplicate (delivered before), unrouted (not for this receiver), parked (kept with the last error)."}, []string{"receiver", "outcome"}),
		pending: map[string]map[int64]int{},
	}
	reg.MustRegister(m.attempts, m.outcomes, m)
	return m
}

// Describe implements prometheus.Collector for the pending gauges.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) { ch <- pendingDesc; ch <- oldestDesc }

// Collect implements prometheus.Collector for the pending gauges.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now().Unix()
	for rcv, by := range m.pending {
		n, oldest := 0, int64(0)
		for s, c := range by {
			n += c
			if oldest == 0 || s < oldest {
				oldest = s
			}
		}
		age := 0.0
		if n > 0 {
			age = float64(max(now-oldest, 0))
		}
		ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(n), rcv)
		ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age, rcv)
	}
}

func (m *Metrics) init(rcv string) {
	if m == nil {
		return
	}
	for _, c := range []string{"2xx", "3xx", "4xx", "5xx", "network"} {
		m.attempts.WithLabelValues(rcv, c)
	}
	for _, o := range []Outcome{Delivered, Duplicate, Unrouted, Parked} {
		m.outcomes.WithLabelValues(rcv, o.String())
	}
	m.mu.Lock()
	if m.pending[rcv] == nil {
		m.pending[rcv] = map[int64]int{}
	}
	m.mu.Unlock()
}

func (m *Metrics) attempt(rcv, class string) {
	if m != nil {
		m.attempts.WithLabelValues(rcv, class).Inc()
	}
}

func (m *Metrics) outcome(rcv string, o Outcome) {
	if m != nil {
		m.outcomes.WithLabelValues(rcv, o.String()).Inc()
	}
}

func (m *Metrics) pendingAdd(rcv string, since time.Time, d int) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	by := m.pending[rcv]
	if by == nil {
		by = map[int64]int{}
		m.pending[rcv] = by
	}
	s := since.Unix()
	by[s] += d
	if by[s] <= 0 {
		delete(by, s)
	}
}
