// Package serve is the HTTP API of aigcwatch (`aigcwatch serve`): inline moderation for
// publishing services that ask, before publishing, whether generated content may go
// out and with which label.
//
//	POST /v1/moderate        one content record v1 → its verdict (the JSON `scan --out` writes)
//	POST /v1/moderate/batch  a JSON array or JSONL of records → verdicts in order, problems in place
//	POST /v1/admin/reload    rebuild rules and detectors now
//	GET  /healthz, /readyz, /metrics, /openapi.yaml
//
// Judging is engine.Engine's, so a record gets the same verdict here as from scan, run
// and the Go library. Incidents of reportable rules are handed to an IncidentSink before
// the verdicts are answered. With tokens configured every /v1/ route needs a bearer
// token. Concurrency is bounded (429 with Retry-After beyond it), bodies are bounded,
// each request has a deadline, and every error is an RFC 9457 problem naming the field
// at fault. Nothing of a record, a token or a key is logged. docs/serve.md and
// docs/openapi.yaml document the API.
package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aigcwatch/aigcwatch/docs"
	"github.com/aigcwatch/aigcwatch/engine"
	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/record"
)

// Checker judges one raw record. *engine.Engine is one. A rejected record is a
// *record.DecodeError.
type Checker interface {
	CheckJSON(ctx context.Context, raw []byte) (engine.Verdict, error)
}

// Limits bound what one request may cost.
type Limits struct {
	MaxInFlight int // requests judged at once; more are answered 429
	// MaxBatchesInFlight bounds the batch requests among them (each holds up to
	// MaxBatchBytes of body), so memory stays under MaxInFlight×MaxRecordBytes +
	// MaxBatchesInFlight×MaxBatchBytes; 0 means max(4, 2×GOMAXPROCS).
	MaxBatchesInFlight int
	MaxRecordBytes     int           // body of /v1/moderate
	MaxBatchRecords    int           // records in one batch
	MaxBatchBytes      int           // body of /v1/moderate/batch
	RequestTimeout     time.Duration // deadline of each request
	RetryAfter         time.Duration // Retry-After of 429 and 503 answers (rounded up to seconds)
}

// Options are a Handler's dependencies.
type Options struct {
	Checker   Checker      // required
	Incidents IncidentSink // required: incidents are never dropped
	// Reload rebuilds rules and detectors (and re-reads the token file) for POST
	// /v1/admin/reload and returns the new ruleset checksum; nil answers that route 404.
	Reload func(ctx context.Context) (ruleset string, err error)
	// Tokens, if not nil, are required on every /v1/ route.
	Tokens *Tokens
	Limits Limits
	Log    *slog.Logger // nil: slog.Default()
	// Registerer takes serve's HTTP metrics; nil: not registered.
	Registerer prometheus.Registerer
	// Metrics serves GET /metrics; nil answers 404.
	Metrics http.Handler
	// History serves GET /v1/incidents and /v1/incidents/{id} (incident/store's
	// handler), behind the same tokens as every /v1/ route; nil answers 404.
	History http.Handler
	// Providers serves GET /v1/providers and /v1/providers/{id} (enforce.Handler), behind
	// the same tokens as every /v1/ route; nil answers 404.
	Providers http.Handler
}

// Handler is the HTTP API. Build it with New.
type Handler struct {
	opt      Options
	log      *slog.Logger
	m        *metrics
	mux      *http.ServeMux
	sem      chan struct{}
	batchSem chan struct{}
	draining atomic.Bool
	bufs     sync.Pool // *bytes.Buffer for request bodies
	// incident delivery counters of the configured sink
	incDelivered, incErrors prometheus.Counter
}

// New returns the API handler.
func New(opt Options) (*Handler, error) {
	if opt.Checker == nil {
		return nil, errors.New("serve: no checker")
	}
	if opt.Incidents == nil {
		return nil, errors.New("serve: no incident sink: incidents of reportable rules must go somewhere")
	}
	l := &opt.Limits
	if l.MaxInFlight <= 0 || l.MaxRecordBytes <= 0 || l.MaxBatchRecords <= 0 || l.MaxBatchBytes <= 0 || l.RequestTimeout <= 0 {
		return nil, fmt.Errorf("serve: limits must be positive: %+v", *l)
	}
	if l.RetryAfter <= 0 {
		l.RetryAfter = time.Second
	}
	log := opt.Log
	if log == nil {
		log = slog.Default()
	}
	if l.MaxBatchesInFlight <= 0 {
		l.MaxBatchesInFlight = max(4, 2*runtime.GOMAXPROCS(0))
	}
	h := &Handler{opt: opt, log: log.With("component", "serve"), m: newMetrics(opt.Registerer),
		sem: make(chan struct{}, l.MaxInFlight), batchSem: make(chan struct{}, l.MaxBatchesInFlight)}
	h.bufs.New = func() any { return new(bytes.Buffer) }
	sink := sinkName(opt.Incidents) // resolved once, at zero until the first incident
	h.incDelivered, h.incErrors = h.m.incDelivered.WithLabelValues(sink), h.m.incErrors.WithLabelValues(sink)
	mux := http.NewServeMux()
	mux.Handle("POST /v1/moderate", h.api(RouteModerate, h.moderate))
	mux.Handle("POST /v1/moderate/batch", h.api(RouteBatch, h.batch))
	if opt.Reload != nil {
		mux.Handle("POST /v1/admin/reload", h.auth(RouteReload, h.reload))
	}
	mux.Handle("GET /healthz", h.observe(RouteHealthz, func(w http.ResponseWriter, r *http.Request) {
		writeText(w, http.StatusOK, "ok\n")
	}))
	mux.Handle("GET /readyz", h.observe(RouteReadyz, h.readyz))
	mux.Handle("GET /openapi.yaml", h.observe(RouteOther, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(docs.OpenAPI)
	}))
	if opt.Metrics != nil {
		mux.Handle("GET /metrics", h.observe(RouteMetrics, opt.Metrics.ServeHTTP))
	}
	if opt.History != nil {
		mux.Handle("GET /v1/incidents", h.auth(RouteHistory, opt.History.ServeHTTP))
		mux.Handle("GET /v1/incidents/", h.auth(RouteHistory, opt.History.ServeHTTP))
	}
	if opt.Providers != nil {
		mux.Handle("GET /v1/providers", h.auth(RouteProviders, opt.Providers.ServeHTTP))
		mux.Handle("GET /v1/providers/", h.auth(RouteProviders, opt.Providers.ServeHTTP))
	}
	mux.Handle("/", h.observe(RouteOther, h.notFound))
	h.mux = mux
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// SetDraining marks the server as shutting down: /readyz answers 503 so load balancers
// stop sending, while requests still arriving are served.
func (h *Handler) SetDraining() { h.draining.Store(true) }

func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) {
	if h.draining.Load() {
		writeText(w, http.StatusServiceUnavailable, "shutting down\n")
		return
	}
	writeText(w, http.StatusOK, "ready\n")
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	// The mux answers a known path with the wrong method here too: say which methods.
	if allow := allowed(r.URL.Path, h.opt.Reload != nil); allow != "" {
		w.Header().Set("Allow", allow)
		writeProblem(w, newProblem(http.StatusMethodNotAllowed, ReasonMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path+"; use "+allow))
		return
	}
	writeProblem(w, newProblem(http.StatusNotFound, ReasonNotFound, "no route "+r.URL.Path))
}

func allowed(path string, reload bool) string {
	switch path {
	case "/v1/moderate", "/v1/moderate/batch":
		return http.MethodPost
	case "/v1/admin/reload":
		if reload {
			return http.MethodPost
		}
	case "/healthz", "/readyz", "/metrics", "/openapi.yaml":
		return "GET, HEAD"
	}
	return ""
}

func writeText(w http.ResponseWriter, status int, s string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, s)
}

// statusWriter remembers the status for the metrics and the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// observe counts and times every request of a route and logs it at debug level: route,
// status and duration only (no content, no headers).
func (h *Handler) observe(route string, next http.HandlerFunc) http.Handler {
	dur := h.m.duration.WithLabelValues(route)
	var byClass [6]prometheus.Counter // [2] is 2xx; [0], [1] unused (5xx stands in)
	for i := range byClass {
		byClass[i] = h.m.requests.WithLabelValues(route, statusClass(i*100))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		d := time.Since(start)
		dur.Observe(d.Seconds())
		class := sw.status / 100
		if class < 2 || class > 5 {
			class = 5
		}
		byClass[class].Inc()
		if h.log.Enabled(r.Context(), slog.LevelDebug) {
			h.log.Debug("request", "route", route, "status", sw.status, "duration", d)
		}
	})
}

// auth requires a valid bearer token when tokens are configured.
func (h *Handler) auth(route string, next http.HandlerFunc) http.Handler {
	return h.observe(route, func(w http.ResponseWriter, r *http.Request) {
		if h.opt.Tokens != nil {
			tok, ok := bearer(r.Header.Get("Authorization"))
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="aigcwatch"`)
				writeProblem(w, newProblem(http.StatusUnauthorized, ReasonUnauthorized, "an Authorization: Bearer token is required"))
				return
			}
			if !h.opt.Tokens.Valid(tok) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="aigcwatch", error="invalid_token"`)
				writeProblem(w, newProblem(http.StatusUnauthorized, ReasonUnauthorized, "the bearer token is not valid"))
				return
			}
		}
		next(w, r)
	})
}

func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// api is auth, then the concurrency limits (every request takes a max_in_flight slot, a
// batch also a max_batches_in_flight one), then the request deadline.
func (h *Handler) api(route string, next func(w http.ResponseWriter, r *http.Request, route string)) http.Handler {
	over := h.m.overloaded.WithLabelValues(route)
	var batchSem chan struct{}
	if route == RouteBatch {
		batchSem = h.batchSem
	}
	overloaded := func(w http.ResponseWriter, limit string, n int) {
		over.Inc()
		h.retryAfter(w)
		writeProblem(w, newProblem(http.StatusTooManyRequests, ReasonOverloaded,
			fmt.Sprintf("%d requests are being judged, the limit (%s); retry after the time in Retry-After", n, limit)))
	}
	return h.auth(route, func(w http.ResponseWriter, r *http.Request) {
		select {
		case h.sem <- struct{}{}:
		default:
			overloaded(w, "max_in_flight", cap(h.sem))
			return
		}
		defer func() { <-h.sem }()
		if batchSem != nil {
			select {
			case batchSem <- struct{}{}:
			default:
				overloaded(w, "max_batches_in_flight", cap(batchSem))
				return
			}
			defer func() { <-batchSem }()
		}
		h.m.inFlight.Inc()
		defer h.m.inFlight.Dec()
		ctx, cancel := context.WithTimeout(r.Context(), h.opt.Limits.RequestTimeout)
		defer cancel()
		next(w, r.WithContext(ctx), route)
	})
}

func (h *Handler) retryAfter(w http.ResponseWriter) {
	s := int64((h.opt.Limits.RetryAfter + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.FormatInt(max(s, 1), 10))
}

// readBody reads at most limit bytes of the body into a pooled buffer; a longer body is
// a 413 problem. The caller returns the buffer with h.putBuf after answering.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request, limit int) (*bytes.Buffer, *Problem) {
	buf := h.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	if r.ContentLength > int64(limit) {
		h.putBuf(buf)
		return nil, newProblem(http.StatusRequestEntityTooLarge, record.ReasonOversize, fmt.Sprintf("request body is %d bytes, limit %d", r.ContentLength, limit))
	}
	n, err := buf.ReadFrom(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		h.putBuf(buf)
		if errors.Is(r.Context().Err(), context.DeadlineExceeded) {
			return nil, newProblem(http.StatusServiceUnavailable, ReasonTimeout, "request_timeout passed while reading the body")
		}
		return nil, newProblem(http.StatusBadRequest, record.ReasonInvalidJSON, "reading the body: "+err.Error())
	}
	if n > int64(limit) {
		h.putBuf(buf)
		return nil, newProblem(http.StatusRequestEntityTooLarge, record.ReasonOversize, fmt.Sprintf("request body is more than %d bytes, the limit", limit))
	}
	return buf, nil
}

func (h *Handler) putBuf(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 { // do not keep one huge batch's buffer forever
		h.bufs.Put(b)
	}
}

// failure answers an error that is not a rejected record: the deadline, shutdown, or a
// failure of the engine or the incident sink (logged without content).
func (h *Handler) failure(w http.ResponseWriter, r *http.Request, route string, err error) {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		h.retryAfter(w)
		writeProblem(w, newProblem(http.StatusServiceUnavailable, ReasonTimeout, "request_timeout passed before the request was judged"))
	case errors.Is(err, engine.ErrClosed):
		h.retryAfter(w)
		writeProblem(w, newProblem(http.StatusServiceUnavailable, ReasonUnavailable, "the server is shutting down"))
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer.
		w.WriteHeader(499)
	case errors.Is(err, errIncidents):
		h.log.Error("writing incidents failed; answered 503", "route", route, "err", err)
		h.retryAfter(w)
		writeProblem(w, newProblem(http.StatusServiceUnavailable, ReasonUnavailable, "incidents could not be stored; retry (incident ids are deterministic)"))
	default:
		h.log.Error("judging failed", "route", route, "err", err)
		writeProblem(w, newProblem(http.StatusInternalServerError, ReasonInternal, "judging failed; see the server log"))
	}
}

var errIncidents = errors.New("serve: incident sink")

func (h *Handler) writeIncidents(ctx context.Context, evs []incident.Event) error {
	if len(evs) == 0 {
		return nil
	}
	if err := h.opt.Incidents.WriteIncidents(ctx, evs); err != nil {
		h.incErrors.Inc()
		return fmt.Errorf("%w: %w", errIncidents, err)
	}
	h.incDelivered.Add(float64(len(evs)))
	return nil
}

// sinkName is the sink label of the incident delivery metrics.
func sinkName(s IncidentSink) string {
	switch s.(type) {
	case *FileSink:
		return "file"
	case *KafkaSink:
		return "kafka"
	case OutboxSink:
		return "outbox"
	}
	return "other"
}

func (h *Handler) moderate(w http.ResponseWriter, r *http.Request, route string) {
	buf, p := h.readBody(w, r, h.opt.Limits.MaxRecordBytes)
	if p != nil {
		if p.Reason == record.ReasonOversize {
			h.m.record(route, false).Inc()
		}
		writeProblem(w, p)
		return
	}
	defer h.putBuf(buf)
	ctx := r.Context()
	v, err := h.opt.Checker.CheckJSON(ctx, buf.Bytes())
	if err != nil {
		if p, ok := asRecordProblem(err); ok {
			h.m.record(route, false).Inc()
			writeProblem(w, p)
			return
		}
		h.failure(w, r, route, err)
		return
	}
	h.m.record(route, true).Inc()
	if err := h.writeIncidents(ctx, v.Incidents); err != nil {
		h.failure(w, r, route, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(v.JSON)+1))
	w.WriteHeader(http.StatusOK)
	w.Write(v.JSON)
	w.Write(newline)
}

var newline = []byte{'\n'}

func (h *Handler) reload(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), max(h.opt.Limits.RequestTimeout, time.Minute))
	defer cancel()
	ruleset, err := h.opt.Reload(ctx)
	if err != nil {
		h.log.Error("reload requested over HTTP failed; the running rules stay", "err", err)
		writeProblem(w, newProblem(http.StatusInternalServerError, ReasonReloadFailed, err.Error()))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "{\"reloaded\":true,\"ruleset\":%q}\n", ruleset)
}
