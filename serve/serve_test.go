package serve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/engine"
	"github.com/aigcwatch/aigcwatch/serve"
)

const fraudCN = `{"id":"c1","jurisdiction":"CN","modality":"text","text":"兼职刷单返利，日赚五百"}`

// TestAuthOnEveryV1Route: with tokens configured, every /v1/ route answers 401 problems
// without a token, with a wrong one and with another scheme, and takes each configured
// token; /healthz, /readyz and /metrics stay open.
func TestAuthOnEveryV1Route(t *testing.T) {
	f := newFixture(t, nil)
	v1 := []call{
		{method: "POST", path: "/v1/moderate", body: []byte(fraudCN)},
		{method: "POST", path: "/v1/moderate/batch", body: []byte("[" + fraudCN + "]")},
		{method: "POST", path: "/v1/admin/reload"},
	}
	for _, c := range v1 {
		t.Run(c.path, func(t *testing.T) {
			f := f.in(t)
			for _, bad := range []struct{ name, header, wantChallenge string }{
				{"missing", "", `Bearer realm="aigcwatch"`},
				{"wrong token", "Bearer " + strings.Repeat("x", len(tokenA)), `Bearer realm="aigcwatch", error="invalid_token"`},
				{"token prefix", "Bearer " + tokenA[:len(tokenA)-1], `Bearer realm="aigcwatch", error="invalid_token"`},
				{"basic scheme", "Basic " + tokenA, `Bearer realm="aigcwatch"`},
				{"empty bearer", "Bearer ", `Bearer realm="aigcwatch"`},
			} {
				c := c
				c.authHeader = bad.header
				a := f.do(c)
				if a.status != http.StatusUnauthorized {
					t.Fatalf("%s: status %d, want 401: %s", bad.name, a.status, a.body)
				}
				if p := f.problem(a); p.Reason != serve.ReasonUnauthorized {
					t.Errorf("%s: reason %q", bad.name, p.Reason)
				}
				if got := a.header.Get("WWW-Authenticate"); got != bad.wantChallenge {
					t.Errorf("%s: WWW-Authenticate %q, want %q", bad.name, got, bad.wantChallenge)
				}
			}
			for _, tok := range []string{tokenA, tokenB} {
				c := c
				c.token = tok
				if a := f.do(c); a.status != http.StatusOK {
					t.Errorf("token %s…: status %d: %s", tok[:7], a.status, a.body)
				}
			}
		})
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		if a := f.do(call{method: "GET", path: path}); a.status != http.StatusOK {
			t.Errorf("GET %s without a token: %d", path, a.status)
		}
	}
	if got := f.counter(t, "aigcwatch_http_requests_total", map[string]string{"route": "moderate", "code": "4xx"}); got != 5 {
		t.Errorf("aigcwatch_http_requests_total{route=moderate,code=4xx} = %v, want 5", got)
	}
}

// TestModerateGivesTheEngineVerdictAndStoresIncidents: the answer is the engine's
// verdict document (the one scan writes) and the incidents are in the sink first.
func TestModerateGivesTheEngineVerdictAndStoresIncidents(t *testing.T) {
	f := newFixture(t, nil)
	want, err := f.eng.CheckJSON(context.Background(), []byte(fraudCN))
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Incidents) == 0 {
		t.Fatal("the fraud record fires no reportable rule: pick another record")
	}
	a := f.do(call{method: "POST", path: "/v1/moderate", body: []byte(fraudCN), token: tokenA})
	if a.status != http.StatusOK || a.header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s: %s", a.status, a.header.Get("Content-Type"), a.body)
	}
	if got := stripLatency(bytes.TrimSuffix(a.body, []byte("\n"))); got != stripLatency(want.JSON) {
		t.Errorf("verdict\n got %s\nwant %s", got, want.JSON)
	}
	if got := f.sink.ids(); len(got) != len(want.Incidents) || got[0] != want.Incidents[0].ID {
		t.Errorf("incidents stored %v, want %d starting %s", got, len(want.Incidents), want.Incidents[0].ID)
	}
}

// TestBadRecordsAreProblemsNamingTheField: oversize, malformed JSON, wrong types,
// missing and invalid values and invalid UTF-8 are 4xx problems with reason and field.
func TestBadRecordsAreProblemsNamingTheField(t *testing.T) {
	f := newFixture(t, func(o *serve.Options) { o.Limits.MaxRecordBytes = 4096 })
	cases := []struct {
		name          string
		body          string
		status        int
		reason, field string
	}{
		{"oversize body", `{"id":"x","text":"` + strings.Repeat("a", 5000) + `"}`, 413, "oversize", ""},
		{"malformed JSON", `{"id":"x","text":"a"`, 400, "invalid_json", ""},
		{"not an object", `[1,2]`, 400, "invalid_json", ""},
		{"empty body", ``, 400, "invalid_json", ""},
		{"text is a number", `{"id":"x","text":7}`, 422, "wrong_type", "text"},
		{"nested wrong type", `{"id":"x","signals":{"ai_score":"high"}}`, 422, "wrong_type", "signals.ai_score"},
		{"array element wrong type", `{"id":"x","labels":{"implicit":[{"raw":1}]}}`, 422, "wrong_type", "labels.implicit.0.raw"},
		{"missing id", `{"text":"a"}`, 422, "missing_field", "id"},
		{"bad modality", `{"id":"x","modality":"hologram"}`, 422, "invalid_value", "modality"},
		{"invalid UTF-8 in text", "{\"id\":\"x\",\"text\":\"a\xff\xfeb\"}", 400, "invalid_utf8", "text"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := f.in(t)
			a := f.do(call{method: "POST", path: "/v1/moderate", body: []byte(tc.body), token: tokenA, invalidRequest: true})
			if a.status != tc.status {
				t.Fatalf("status %d, want %d: %s", a.status, tc.status, a.body)
			}
			p := f.problem(a)
			if p.Reason != tc.reason || p.Field != tc.field {
				t.Errorf("reason %q field %q, want %q %q: %s", p.Reason, p.Field, tc.reason, tc.field, a.body)
			}
			if tc.field != "" && !strings.Contains(p.Detail, tc.field) {
				t.Errorf("detail %q does not name the field", p.Detail)
			}
		})
	}
	if len(f.sink.ids()) != 0 {
		t.Error("a rejected record produced incidents")
	}
}

// TestBatchAnswersInOrderWithProblemsInPlace: array in, array out; JSONL in, JSONL out;
// a bad record is a problem at its index and the others are judged.
func TestBatchAnswersInOrderWithProblemsInPlace(t *testing.T) {
	f := newFixture(t, nil)
	recs := []string{fraudCN, `{"id":"bad","text":7}`, `{"id":"c3","jurisdiction":"UK","modality":"text","text":"hello"}`, "{\"id\":\"u\",\"text\":\"\xff\"}"}
	check := func(t *testing.T, elems []json.RawMessage) {
		t.Helper()
		if len(elems) != len(recs) {
			t.Fatalf("%d answers for %d records", len(elems), len(recs))
		}
		for i, want := range []struct{ id, reason, field string }{{"c1", "", ""}, {"", "wrong_type", "text"}, {"c3", "", ""}, {"", "invalid_utf8", "text"}} {
			var e struct {
				ID, Decision, Reason, Field string
				Index                       *int
			}
			if err := json.Unmarshal(elems[i], &e); err != nil {
				t.Fatal(err)
			}
			if want.reason == "" {
				v, _ := f.eng.CheckJSON(context.Background(), []byte(recs[i]))
				if stripLatency(elems[i]) != stripLatency(v.JSON) {
					t.Errorf("element %d: %s, want %s", i, elems[i], v.JSON)
				}
				continue
			}
			if e.Reason != want.reason || e.Field != want.field || e.Index == nil || *e.Index != i || e.Decision != "" {
				t.Errorf("element %d: %s, want a problem %s at %s with index %d", i, elems[i], want.reason, want.field, i)
			}
		}
	}
	t.Run("array", func(t *testing.T) {
		f := f.in(t)
		a := f.do(call{method: "POST", path: "/v1/moderate/batch", body: []byte("[" + strings.Join(recs, ",\n ") + "]"), token: tokenA, invalidRequest: true})
		if a.status != 200 || a.header.Get("Content-Type") != "application/json" {
			t.Fatalf("%d %s: %s", a.status, a.header.Get("Content-Type"), a.body)
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(a.body, &elems); err != nil {
			t.Fatal(err)
		}
		check(t, elems)
	})
	t.Run("jsonl", func(t *testing.T) {
		f := f.in(t)
		body := "\n" + strings.Join(recs, "\r\n") + "\n\n"
		a := f.do(call{method: "POST", path: "/v1/moderate/batch", body: []byte(body), contentType: "application/x-ndjson", token: tokenA, invalidRequest: true})
		if a.status != 200 || a.header.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("%d %s: %s", a.status, a.header.Get("Content-Type"), a.body)
		}
		var elems []json.RawMessage
		for _, l := range strings.Split(strings.TrimSuffix(string(a.body), "\n"), "\n") {
			elems = append(elems, json.RawMessage(l))
		}
		check(t, elems)
	})
	t.Run("too many records", func(t *testing.T) {
		f := f.in(t)
		body := "[" + strings.TrimSuffix(strings.Repeat(fraudCN+",", 101), ",") + "]"
		a := f.do(call{method: "POST", path: "/v1/moderate/batch", body: []byte(body), token: tokenA})
		if p := f.problem(a); a.status != 413 || p.Reason != serve.ReasonTooManyRecords {
			t.Errorf("%d %+v", a.status, p)
		}
	})
	t.Run("broken array", func(t *testing.T) {
		f := f.in(t)
		a := f.do(call{method: "POST", path: "/v1/moderate/batch", body: []byte("[" + fraudCN + ", {\"id\": ]"), token: tokenA, invalidRequest: true})
		if p := f.problem(a); a.status != 400 || p.Reason != "invalid_json" || p.Offset == nil {
			t.Errorf("%d %+v", a.status, p)
		}
	})
	t.Run("records counted", func(t *testing.T) {
		f := f.in(t)
		for outcome, want := range map[string]float64{"judged": 4, "rejected": 4} {
			if got := f.counter(t, "aigcwatch_http_records_total", map[string]string{"route": "batch", "outcome": outcome}); got != want {
				t.Errorf("records %s: %v, want %v", outcome, got, want)
			}
		}
	})
	t.Run("body over max_batch_bytes", func(t *testing.T) {
		f := f.in(t)
		body := `[{"id":"x","text":"` + strings.Repeat("a", 1<<20) + `"}]`
		a := f.do(call{method: "POST", path: "/v1/moderate/batch", body: []byte(body), token: tokenA})
		if p := f.problem(a); a.status != 413 || p.Reason != "oversize" {
			t.Errorf("%d %+v", a.status, p)
		}
	})
}

// blockingChecker holds every check until released (or its deadline), then judges
// with the real engine.
type blockingChecker struct {
	eng     *engine.Engine
	started chan struct{}
	release chan struct{}
}

func (b *blockingChecker) CheckJSON(ctx context.Context, raw []byte) (engine.Verdict, error) {
	b.started <- struct{}{}
	select {
	case <-b.release:
		return b.eng.CheckJSON(ctx, raw)
	case <-ctx.Done():
		return engine.Verdict{}, ctx.Err()
	}
}

// TestOverloadIs429WithRetryAfter: with max_in_flight requests being judged, one more is
// answered at once with 429 and Retry-After, not queued; once they finish it is served.
func TestOverloadIs429WithRetryAfter(t *testing.T) {
	var bc *blockingChecker
	f := newFixture(t, func(o *serve.Options) {
		bc = &blockingChecker{eng: o.Checker.(*engine.Engine), started: make(chan struct{}, 8), release: make(chan struct{})}
		o.Checker = bc
		o.Limits.MaxInFlight = 2
		o.Limits.RetryAfter = 1500 * time.Millisecond
	})
	var wg sync.WaitGroup
	results := make(chan int, 2)
	for range 2 {
		wg.Go(func() {
			results <- f.do(call{method: "POST", path: "/v1/moderate", body: []byte(fraudCN), token: tokenA}).status
		})
	}
	<-bc.started
	<-bc.started
	start := time.Now()
	a := f.do(call{method: "POST", path: "/v1/moderate", body: []byte(fraudCN), token: tokenA})
	if a.status != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429: %s", a.status, a.body)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the 429 took %v: it was queued", d)
	}
	if got := a.header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After %q, want 2 (1.5s rounded up)", got)
	}
	if p := f.problem(a); p.Reason != serve.ReasonOverloaded {
		t.Errorf("reason %q", p.Reason)
	}
	close(bc.release)
	wg.Wait()
	close(results)
	for s := range results {
		if s != 200 {
			t.Errorf("a request in flight got %d", s)
		}
	}
	if a := f.do(call{method: "POST", path: "/v1/moderate", body: []byte(fraudCN), token: tokenA}); a.status != 200 {
		t.Errorf("after the overload: %d", a.status)
	}
	if got := f.counter(t, "aigcwatch_http_overload_rejections_total", map[string]string{"route": "moderate"}); got != 1 {
		t.Errorf("overload rejections %v, want 1", got)
	}
}

// TestDeadlineAndSinkFailureAre503: a request past request_timeout, and one whose
// incidents cannot be stored, get 503 problems with Retry-After (never a verdict whose
// incidents were lost).
func TestDeadlineAndSinkFailureAre503(t *testing.T) {
	t.Run("deadline", func(t *testing.T) {
		f := newFixture(t, func(o *serve.Options) {
			o.Checker = &blockingChecker{eng: o.Checker.(*engine.Engine), started: make(chan struct{}, 8), release: make(chan struct{})}
			o.Limits.RequestTimeout = 50 * time.Millisecond
		})
		a := f.do(call{method: "POST", path: "/v1/moderate", body: []byte(fraudCN), token: tokenA})
		if p := f.problem(a); a.status != 503 || p.Reason != serve.ReasonTimeout || a.header.Get("Retry-After") == "" {
			t.Errorf("%d %+v %v", a.status, p, a.header)
		}
	})
	t.Run("incident sink down", func(t *testing.T) {
		f := newFixture(t, nil)
		f.sink.fail = true
		for _, c := range []call{
			{method: "POST", path: "/v1/moderate", body: []byte(fraudCN), token: tokenA},
			{method: "POST", path: "/v1/moderate/batch", body: []byte("[" + fraudCN + "]"), token: tokenA},
		} {
			a := f.do(c)
			if p := f.problem(a); a.status != 503 || p.Reason != serve.ReasonUnavailable || a.header.Get("Retry-After") == "" {
				t.Errorf("%s: %d %+v", c.path, a.status, p)
			}
		}
		// A record without incidents does not need the sink.
		a := f.do(call{method: "POST", path: "/v1/moderate", body: []byte(`{"id":"ok","jurisdiction":"UK","text":"hello"}`), token: tokenA})
		if a.status != 200 {
			t.Errorf("clean record with the sink down: %d", a.status)
		}
		// The delivery metrics say so; the sink back, the retry is delivered.
		if n := f.counter(t, "aigcwatch_incident_delivery_errors_total", map[string]string{"sink": "other"}); n != 2 {
			t.Errorf("incident delivery errors %v, want 2", n)
		}
		f.sink.fail = false
		if a := f.do(call{method: "POST", path: "/v1/moderate", body: []byte(fraudCN), token: tokenA}); a.status != 200 {
			t.Errorf("retry with the sink back: %d", a.status)
		}
		if n := f.counter(t, "aigcwatch_incidents_delivered_total", map[string]string{"sink": "other"}); n != 1 {
			t.Errorf("incidents delivered %v, want 1", n)
		}
	})
}

// TestNothingSecretInLogs: tokens, record text and ids never reach the log, even at
// debug level and on failures.
func TestNothingSecretInLogs(t *testing.T) {
	f := newFixture(t, nil)
	secretText := "兼职刷单返利，加微信 SECRET-TEXT-4711" // a fraud script with a contact: reported, so the sink is used
	rec := fmt.Sprintf(`{"id":"SECRET-ID-4711","jurisdiction":"CN","modality":"text","text":%q}`, secretText)
	f.do(call{method: "POST", path: "/v1/moderate", body: []byte(rec), token: tokenA})
	f.do(call{method: "POST", path: "/v1/moderate", body: []byte(rec), authHeader: "Bearer WRONG-TOKEN-SECRET-4711"})
	f.do(call{method: "POST", path: "/v1/moderate", body: []byte(`{"id":"SECRET-ID-4711","text":7}`), token: tokenA, invalidRequest: true})
	f.sink.fail = true
	f.do(call{method: "POST", path: "/v1/moderate", body: []byte(rec), token: tokenA})
	logs := f.log.String()
	if !strings.Contains(logs, "route=moderate") || !strings.Contains(logs, "writing incidents failed") {
		t.Fatalf("the log does not show the requests (the test would prove nothing):\n%s", logs)
	}
	for _, s := range []string{tokenA, "WRONG-TOKEN", "SECRET-TEXT", "SECRET-ID", "刷单"} {
		if strings.Contains(logs, s) {
			t.Errorf("the log contains %q:\n%s", s, logs)
		}
	}
}

// TestUnknownRoutesAndMethods are problems too.
func TestUnknownRoutesAndMethods(t *testing.T) {
	f := newFixture(t, nil)
	a := f.do(call{method: "GET", path: "/v1/moderate", token: tokenA, undocumented: true})
	if p := f.problem(a); a.status != 405 || a.header.Get("Allow") != "POST" || p.Reason != serve.ReasonMethodNotAllowed {
		t.Errorf("GET /v1/moderate: %d %v %+v", a.status, a.header.Get("Allow"), p)
	}
	a = f.do(call{method: "GET", path: "/v2/nothing", undocumented: true})
	if p := f.problem(a); a.status != 404 || p.Reason != serve.ReasonNotFound {
		t.Errorf("GET /v2/nothing: %d %+v", a.status, p)
	}
}

func TestReadyzTurns503WhenDraining(t *testing.T) {
	f := newFixture(t, nil)
	if a := f.do(call{method: "GET", path: "/readyz"}); a.status != 200 {
		t.Fatalf("readyz %d", a.status)
	}
	f.h.SetDraining()
	if a := f.do(call{method: "GET", path: "/readyz"}); a.status != 503 {
		t.Errorf("readyz while draining: %d", a.status)
	}
	if a := f.do(call{method: "GET", path: "/healthz"}); a.status != 200 {
		t.Errorf("healthz while draining: %d", a.status)
	}
}

// TestBatchesHaveTheirOwnLimit: with max_batches_in_flight batches being judged, one more
// batch gets 429 while single records are still served.
func TestBatchesHaveTheirOwnLimit(t *testing.T) {
	var bc *blockingChecker
	f := newFixture(t, func(o *serve.Options) {
		bc = &blockingChecker{eng: o.Checker.(*engine.Engine), started: make(chan struct{}, 8), release: make(chan struct{})}
		o.Checker = bc
		o.Limits.MaxBatchesInFlight = 1
	})
	done := make(chan int, 1)
	go func() {
		a, _ := f.try(call{method: "POST", path: "/v1/moderate/batch", body: []byte("[" + fraudCN + "]"), token: tokenA})
		done <- a.status
	}()
	<-bc.started
	a := f.do(call{method: "POST", path: "/v1/moderate/batch", body: []byte("[" + fraudCN + "]"), token: tokenA})
	if p := f.problem(a); a.status != 429 || !strings.Contains(p.Detail, "max_batches_in_flight") || a.header.Get("Retry-After") == "" {
		t.Fatalf("second batch: %d %+v", a.status, p)
	}
	single := make(chan int, 1)
	go func() {
		a, _ := f.try(call{method: "POST", path: "/v1/moderate", body: []byte(fraudCN), token: tokenA})
		single <- a.status
	}()
	<-bc.started // the single record is being judged beside the batch
	close(bc.release)
	if s := <-single; s != 200 {
		t.Errorf("single record beside a full batch limit: %d", s)
	}
	if s := <-done; s != 200 {
		t.Errorf("first batch: %d", s)
	}
}

// TestServesItsOpenAPIDocument: GET /openapi.yaml is docs/openapi.yaml, without a token.
func TestServesItsOpenAPIDocument(t *testing.T) {
	f := newFixture(t, nil)
	a := f.do(call{method: "GET", path: "/openapi.yaml"})
	want, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if a.status != 200 || !bytes.Equal(a.body, want) {
		t.Errorf("GET /openapi.yaml: %d, %d bytes, want docs/openapi.yaml (%d bytes)", a.status, len(a.body), len(want))
	}
}

// TestExampleRecordsMatchTheDocument: every example record (examples/stream.jsonl) is a
// valid request by docs/openapi.yaml and its verdict a valid answer; every poison line's
// problem is a valid answer; so is the batch of all of them.
func TestExampleRecordsMatchTheDocument(t *testing.T) {
	f := newFixture(t, func(o *serve.Options) { o.Limits.MaxBatchRecords = 1000 })
	var all [][]byte
	for _, c := range []struct {
		file  string
		valid bool
	}{{"../examples/stream.jsonl", true}, {"../examples/poison.jsonl", false}} {
		b, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			a := f.do(call{method: "POST", path: "/v1/moderate", body: l, token: tokenA, invalidRequest: !c.valid})
			if (a.status == 200) != c.valid {
				t.Fatalf("%s: %d for %s", c.file, a.status, l)
			}
			all = append(all, l)
		}
	}
	a := f.do(call{method: "POST", path: "/v1/moderate/batch", body: bytes.Join(all, []byte("\n")), contentType: "application/x-ndjson", token: tokenA, invalidRequest: true})
	if a.status != 200 || bytes.Count(a.body, []byte("\n")) != len(all) {
		t.Fatalf("batch of %d: %d, %d lines", len(all), a.status, bytes.Count(a.body, []byte("\n")))
	}
}
