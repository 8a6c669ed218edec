package serve

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Routes, as the route label of the HTTP metrics: a closed set.
const (
	RouteModerate  = "moderate"
	RouteBatch     = "batch"
	RouteReload    = "reload"
	RouteHealthz   = "healthz"
	RouteReadyz    = "readyz"
	RouteMetrics   = "metrics"
	RouteHistory   = "incidents" // GET /v1/incidents and /v1/incidents/{id}
	RouteProviders = "providers" // GET /v1/providers and /v1/providers/{id}
	RouteOther     = "other"     // anything else: 404s
)

var routes = []string{RouteModerate, RouteBatch, RouteReload, RouteHealthz, RouteReadyz, RouteMetrics, RouteHistory, RouteOther}
var classes = []string{"2xx", "3xx", "4xx", "5xx"}

// metrics are serve's own HTTP metrics; judging metrics are the pipeline's.
type metrics struct {
	requests   *prometheus.CounterVec   // route, code class
	duration   *prometheus.HistogramVec // route
	inFlight   prometheus.Gauge
	overloaded *prometheus.CounterVec // route: answered 429
	records    *prometheus.CounterVec // route, outcome (judged, rejected): records in requests
	// byRoute holds the records counters of moderate and batch, resolved once.
	byRoute map[string][2]prometheus.Counter // [0] rejected, [1] judged
	// Incident delivery to the sink (the same names as `aigcwatch run`'s, sink "kafka").
	incDelivered *prometheus.CounterVec // sink
	incErrors    *prometheus.CounterVec // sink
}

// record returns the records counter of route for an outcome.
func (m *metrics) record(route string, judged bool) prometheus.Counter {
	c := m.byRoute[route]
	if judged {
		return c[1]
	}
	return c[0]
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aigcwatch_http_requests_total",
			Help: "HTTP requests answered, by route and status class.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "aigcwatch_http_request_duration_seconds",
			Help: "Time from reading a request's headers to its last byte written, by route.",
			// Inline moderation answers in about a millisecond: fine buckets there.
			Buckets: []float64{.0001, .00025, .0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "aigcwatch_http_requests_in_flight",
			Help: "Requests being judged now (bounded by max_in_flight).",
		}),
		overloaded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aigcwatch_http_overload_rejections_total",
			Help: "Requests answered 429 because max_in_flight requests were being judged.",
		}, []string{"route"}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aigcwatch_http_records_total",
			Help: "Records received over HTTP, by route and outcome (judged, rejected).",
		}, []string{"route", "outcome"}),
	}
	for _, r := range routes {
		for _, c := range classes {
			m.requests.WithLabelValues(r, c)
		}
		m.duration.WithLabelValues(r)
	}
	m.incDelivered = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aigcwatch_incidents_delivered_total",
		Help: "Incidents written to the incident sink (file or Kafka topic) and acknowledged.",
	}, []string{"sink"})
	m.incErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aigcwatch_incident_delivery_errors_total",
		Help: "Failed writes of incidents to the incident sink (the request is answered 503; a retry writes the same incident ids).",
	}, []string{"sink"})
	m.byRoute = map[string][2]prometheus.Counter{}
	for _, r := range []string{RouteModerate, RouteBatch} {
		m.overloaded.WithLabelValues(r)
		m.byRoute[r] = [2]prometheus.Counter{m.records.WithLabelValues(r, "rejected"), m.records.WithLabelValues(r, "judged")}
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.inFlight, m.overloaded, m.records, m.incDelivered, m.incErrors)
	}
	return m
}

// statusClass is the code label of an HTTP status: 2xx … 5xx; anything else counts as 5xx.
func statusClass(code int) string {
	if code >= 200 && code < 600 {
		return strconv.Itoa(code/100) + "xx"
	}
	return "5xx"
}
