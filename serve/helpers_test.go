package serve_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/aigcwatch/aigcwatch/engine"
	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/serve"
)

const (
	tokenA = "token-a-0123456789abcdef"
	tokenB = "token-b-fedcba9876543210"
)

// loadOpenAPI loads docs/openapi.yaml, checks it is a valid OpenAPI 3 document and
// returns a router over it that ignores the servers list (tests listen elsewhere).
func loadOpenAPI(t testing.TB) routers.Router {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile("../docs/openapi.yaml")
	if err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("docs/openapi.yaml is not a valid OpenAPI 3 document: %v", err)
	}
	doc.Servers = nil
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func init() {
	// JSONL answers are validated line by line, as an array of their elements.
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", jsonlDecoder)
	openapi3filter.RegisterBodyDecoder("application/jsonl", jsonlDecoder)
}

func jsonlDecoder(r io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	var out []any
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var v any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, sc.Err()
}

// memSink keeps incidents in memory; fail makes writes fail.
type memSink struct {
	mu   sync.Mutex
	evs  []incident.Event
	fail bool
}

func (s *memSink) WriteIncidents(_ context.Context, evs []incident.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("sink down")
	}
	s.evs = append(s.evs, evs...)
	return nil
}

func (s *memSink) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.evs {
		out = append(out, e.ID)
	}
	return out
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var defaultLimits = serve.Limits{MaxInFlight: 64, MaxRecordBytes: 1 << 20, MaxBatchRecords: 100, MaxBatchBytes: 1 << 20, RequestTimeout: 5 * time.Second, RetryAfter: time.Second}

type fixture struct {
	t      *testing.T
	srv    *httptest.Server
	h      *serve.Handler
	eng    *engine.Engine
	sink   *memSink
	reg    *prometheus.Registry
	log    *syncBuffer
	router routers.Router
}

// newFixture starts the API in-process with the embedded defaults, two tokens and an
// in-memory incident sink; mod may change the options first.
func newFixture(t *testing.T, mod func(*serve.Options)) *fixture {
	t.Helper()
	eng, err := engine.New(context.Background(), engine.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return newFixtureWith(t, eng, mod)
}

func newFixtureWith(t *testing.T, eng *engine.Engine, mod func(*serve.Options)) *fixture {
	t.Helper()
	toks, err := serve.NewTokens(tokenA, tokenB)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, eng: eng, sink: &memSink{}, reg: prometheus.NewRegistry(), log: &syncBuffer{}, router: loadOpenAPI(t)}
	opt := serve.Options{
		Checker:   eng,
		Incidents: f.sink,
		Reload: func(ctx context.Context) (string, error) {
			if err := eng.Reload(ctx); err != nil {
				return "", err
			}
			return eng.Ruleset(), nil
		},
		Tokens:     toks,
		Limits:     defaultLimits,
		Log:        slog.New(slog.NewTextHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registerer: f.reg,
		Metrics:    promhttp.HandlerFor(f.reg, promhttp.HandlerOpts{}),
	}
	if mod != nil {
		mod(&opt)
	}
	h, err := serve.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

// in returns f reporting to t (a subtest).
func (f *fixture) in(t *testing.T) *fixture {
	c := *f
	c.t = t
	return &c
}

type call struct {
	method, path string
	body         []byte
	contentType  string
	token        string // "" = no Authorization header
	authHeader   string // overrides token when set
	// invalidRequest: the request is meant to break the contract (bad records): validate
	// only the response.
	invalidRequest bool
	undocumented   bool // a route or status the document does not list (404, 405)
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends c and validates the request (unless c.invalidRequest) and the answer
// against docs/openapi.yaml, so the document cannot drift from the server.
func (f *fixture) do(c call) answer {
	f.t.Helper()
	a, err := f.try(c)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

func (f *fixture) try(c call) (answer, error) {
	newReq := func(base string) *http.Request {
		req, err := http.NewRequest(c.method, base+c.path, bytes.NewReader(c.body))
		if err != nil {
			panic(err)
		}
		if c.contentType != "" {
			req.Header.Set("Content-Type", c.contentType)
		} else if c.body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		switch {
		case c.authHeader != "":
			req.Header.Set("Authorization", c.authHeader)
		case c.token != "":
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		return req
	}
	var in *openapi3filter.RequestValidationInput
	if !c.undocumented {
		vreq := newReq(f.srv.URL)
		route, params, err := f.router.FindRoute(vreq)
		if err != nil {
			return answer{}, errors.New("docs/openapi.yaml has no route for " + c.method + " " + c.path + ": " + err.Error())
		}
		in = &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if !c.invalidRequest {
			if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
				return answer{}, errors.New("request does not match docs/openapi.yaml: " + err.Error())
			}
		}
	}
	resp, err := f.srv.Client().Do(newReq(f.srv.URL))
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{status: resp.StatusCode, header: resp.Header, body: body}
	if in != nil {
		err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(body)),
			Options: &openapi3filter.Options{IncludeResponseStatus: true}})
		if err != nil {
			return a, errors.New("answer " + resp.Status + " does not match docs/openapi.yaml: " + err.Error() + "\n" + string(body))
		}
	}
	return a, nil
}

// problem decodes a problem answer and checks its media type and type URI.
func (f *fixture) problem(a answer) serve.Problem {
	f.t.Helper()
	if ct := a.header.Get("Content-Type"); ct != "application/problem+json" {
		f.t.Fatalf("status %d with Content-Type %q, want application/problem+json: %s", a.status, ct, a.body)
	}
	var p serve.Problem
	if err := json.Unmarshal(a.body, &p); err != nil {
		f.t.Fatal(err)
	}
	if p.Status != a.status || p.Type != serve.ProblemType(p.Reason) || p.Title == "" {
		f.t.Fatalf("problem %+v for status %d", p, a.status)
	}
	return p
}

var latencyRE = regexp.MustCompile(`"latency_us":\d+`)

func stripLatency(b []byte) string { return latencyRE.ReplaceAllString(string(b), `"latency_us":0`) }
