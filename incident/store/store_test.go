package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/incident/deliver"
	"github.com/aigcwatch/aigcwatch/incident/route"
	"github.com/aigcwatch/aigcwatch/incident/webhook"
)

const testSecret = "whsec_YWlnY3dhdGNoLXRlc3QtdmVjdG9yLWtleS0zMmJ5dGU="

func event(id, provider, jur, rule, sev string, at time.Time) []byte {
	return fmt.Appendf(nil, `{"specversion":"1.0","id":%q,"source":"urn:aigcwatch","type":%q,"subject":%q,"time":%q,"datacontenttype":"application/json","data":{"record_id":"r","rule":{"id":%q,"pack":"p"},"decision":"block","layer":"content","severity":%q,"jurisdiction":%q,"authority":"A","provider":%q}}`,
		id, incident.Type, provider, at.UTC().Format(time.RFC3339Nano), rule, sev, jur, provider)
}

func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "incidents.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func ids(t *testing.T, p Page) string {
	t.Helper()
	var out []string
	for _, e := range p.Incidents {
		var x struct{ ID string }
		json.Unmarshal(e, &x)
		out = append(out, x.ID)
	}
	return strings.Join(out, ",")
}

func TestHistoryFiltersAndPagination(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var evs [][]byte
	for i := range 10 {
		prov, jur := "p1", "CN"
		if i%2 == 1 {
			prov, jur = "p2", "EU"
		}
		evs = append(evs, event(fmt.Sprintf("i%02d", i), prov, jur, fmt.Sprint("R", i%3), "high", t0.Add(time.Duration(i)*time.Minute)))
	}
	evs = append(evs, event("same-time-b", "p3", "UK", "R9", "low", t0.Add(20*time.Minute)), event("same-time-a", "p3", "UK", "R9", "low", t0.Add(20*time.Minute)))
	if err := s.Insert(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if err := s.Insert(ctx, evs[:2]); err != nil { // redelivered: kept once
		t.Fatal(err)
	}
	if err := s.Insert(ctx, [][]byte{[]byte(`{"x":1}`)}); !errors.Is(err, incident.ErrNotIncident) {
		t.Errorf("a non-incident: %v", err)
	}
	cases := []struct {
		name string
		q    Query
		want string
	}{
		{"all newest first, ties by id", Query{}, "same-time-b,same-time-a,i09,i08,i07,i06,i05,i04,i03,i02,i01,i00"},
		{"provider", Query{Provider: "p2"}, "i09,i07,i05,i03,i01"},
		{"jurisdiction and rule", Query{Jurisdiction: "CN", Rule: "R0"}, "i06,i00"},
		{"severity", Query{Severity: "low"}, "same-time-b,same-time-a"},
		{"time range", Query{Since: t0.Add(3 * time.Minute), Until: t0.Add(6 * time.Minute)}, "i05,i04,i03"},
		{"authority, layer, decision, pack", Query{Authority: "A", Layer: "content", Decision: "block", Pack: "p", Provider: "p3"}, "same-time-b,same-time-a"},
		{"empty result", Query{Provider: "nobody"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := s.Find(ctx, c.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(t, p); got != c.want || p.Next != "" || p.Incidents == nil {
				t.Errorf("got %q next %q, want %q", got, p.Next, c.want)
			}
		})
	}
	// Pages of 5 walk everything once, ties included.
	var all []string
	q := Query{Limit: 5}
	pages := 0
	for {
		p, err := s.Find(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if got := ids(t, p); got != "" {
			all = append(all, got)
		}
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	if strings.Join(all, ",") != cases[0].want || pages != 3 {
		t.Errorf("pagination: %d pages %v", pages, all)
	}
	if _, err := s.Find(ctx, Query{Cursor: "garbage!"}); !errors.Is(err, ErrBadQuery) {
		t.Errorf("bad cursor: %v", err)
	}
	if ev, err := s.Get(ctx, "i03"); err != nil || !strings.Contains(string(ev), `"id":"i03"`) {
		t.Errorf("get: %v %s", err, ev)
	}
	if _, err := s.Get(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("get unknown: %v", err)
	}
	if n, err := s.Prune(ctx, t0.Add(5*time.Minute)); err != nil || n != 5 {
		t.Errorf("prune: %d %v", n, err)
	}
}

func TestHandler(t *testing.T) {
	s := open(t)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	s.Insert(t.Context(), [][]byte{event("a", "p1", "CN", "R", "high", t0), event("b", "p1", "CN", "R", "high", t0.Add(time.Second)), event("c", "p2", "CN", "R", "high", t0)})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 1<<16)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, b.String()
	}
	code, body := get("/v1/incidents?provider=p1&limit=1")
	var p Page
	if json.Unmarshal([]byte(body), &p); code != 200 || ids(t, p) != "b" || p.Next == "" {
		t.Fatalf("page 1: %d %s", code, body)
	}
	code, body = get("/v1/incidents?provider=p1&limit=1&cursor=" + url.QueryEscape(p.Next))
	p = Page{}
	if json.Unmarshal([]byte(body), &p); code != 200 || ids(t, p) != "a" || p.Next != "" {
		t.Fatalf("page 2: %d %s", code, body)
	}
	if code, body = get("/v1/incidents?provider=nobody"); code != 200 || !strings.Contains(body, `"incidents":[]`) {
		t.Errorf("empty: %d %s", code, body)
	}
	if code, body = get("/v1/incidents?colour=red&since=yesterday&limit=0"); code != 400 || !strings.Contains(body, "colour") || !strings.Contains(body, "since") || !strings.Contains(body, "limit") {
		t.Errorf("bad query: %d %s", code, body)
	}
	if code, body = get("/v1/incidents/c"); code != 200 || !strings.Contains(body, `"id":"c"`) {
		t.Errorf("by id: %d %s", code, body)
	}
	if code, _ = get("/v1/incidents/zzz"); code != 404 {
		t.Errorf("unknown id: %d", code)
	}
}

// TestOutboxSurvivesRestartWhileReceiverDown: incidents enqueued while the receiver is
// down stay in the outbox across a restart of the store and arrive once it is back.
func TestOutboxSurvivesRestartWhileReceiverDown(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "k.whsec"), []byte(testSecret), 0o600)
	secret, _ := webhook.ParseSecret(testSecret)
	var up atomic.Bool
	var raw atomic.Int64
	var out strings.Builder
	inbox := webhook.NewInbox(&out, []webhook.Secret{secret})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		raw.Add(1)
		inbox.ServeHTTP(w, r)
	}))
	defer srv.Close()
	tr, err := route.Parse(filepath.Join(dir, "r.yaml"), []byte(`
receivers: [{name: reg, url: "`+srv.URL+`", secret_file: k.whsec, max_attempts: 100000, backoff_min: 10ms, backoff_max: 50ms}]
route: {receiver: reg, group_wait: 0s, group_interval: 10ms}
`))
	if err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "o.db")
	s, err := Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	var evs [][]byte
	for i := range 50 {
		evs = append(evs, event(fmt.Sprint("o", i), "p", "CN", "R", "high", time.Now()))
	}
	if err := s.Enqueue(t.Context(), tr, evs); err != nil {
		t.Fatal(err)
	}
	// First run: the receiver is down; stopped after a while.
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	w := deliver.NewWorker("reg", deliver.Options{Tree: func() *route.Tree { return tr }, Dedup: s, Parker: s})
	go w.Run(ctx)
	s.Feed(ctx, w, "reg", false)
	cancel()
	s.Close()
	// Restart: the outbox still holds them all; the receiver comes back.
	s, err = Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if p, _ := s.Pending(t.Context()); p["reg"] != 50 {
		t.Fatalf("after restart the outbox holds %d, want 50", p["reg"])
	}
	up.Store(true)
	ctx2, cancel2 := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel2()
	w2 := deliver.NewWorker("reg", deliver.Options{Tree: func() *route.Tree { return tr }, Dedup: s, Parker: s})
	done := make(chan error, 1)
	go func() { done <- w2.Drain(ctx2) }()
	if err := s.Feed(ctx2, w2, "reg", true); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), `"type":"`+incident.Type+`"`); n != 50 {
		t.Errorf("receiver wrote %d incidents, want 50", n)
	}
	if p, _ := s.Pending(t.Context()); p["reg"] != 0 {
		t.Errorf("outbox not emptied: %v", p)
	}
	seen, _ := s.Seen(t.Context(), "reg", []string{"o0", "o49", "zz"})
	if !seen["o0"] || !seen["o49"] || seen["zz"] {
		t.Errorf("dedup set: %v", seen)
	}
	// Enqueued again (a replayed scan): nothing is sent twice.
	before := raw.Load()
	s.Enqueue(t.Context(), tr, evs[:5])
	w3 := deliver.NewWorker("reg", deliver.Options{Tree: func() *route.Tree { return tr }, Dedup: s, Parker: s})
	go func() { done <- w3.Drain(ctx2) }()
	s.Feed(ctx2, w3, "reg", true)
	<-done
	if raw.Load() != before {
		t.Error("a delivered incident was sent again")
	}
}

func TestGroupSink(t *testing.T) {
	s := open(t)
	sink := NewSink(s, nil)
	defer sink.Close()
	t0 := time.Now()
	errs := make(chan error, 40)
	for i := range 40 {
		go func() {
			errs <- sink.Put(t.Context(), [][]byte{event(fmt.Sprint("g", i), "p", "CN", "R", "high", t0), event(fmt.Sprint("h", i), "p", "CN", "R", "high", t0)})
		}()
	}
	for range 40 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	p, err := s.Find(t.Context(), Query{Limit: MaxLimit})
	if err != nil || len(p.Incidents) != 80 {
		t.Fatalf("%d stored, %v", len(p.Incidents), err)
	}
	if err := sink.Put(t.Context(), [][]byte{event("ok", "p", "CN", "R", "high", t0), []byte(`{"id":"x"}`)}); !errors.Is(err, incident.ErrNotIncident) {
		t.Errorf("bad event: %v", err)
	}
	if _, err := s.Get(t.Context(), "ok"); !errors.Is(err, ErrNotFound) {
		t.Error("a refused call stored part of its events")
	}
	sink.Close()
	if err := sink.Put(t.Context(), [][]byte{event("late", "p", "CN", "R", "high", t0)}); err == nil {
		t.Error("Put after Close must fail")
	}
}

// TestParkAndUnpark: a receiver that refuses parks the incidents with its answer; once
// fixed, Unpark puts them back in the outbox and they are delivered.
func TestParkAndUnpark(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "k.whsec"), []byte(testSecret), 0o600)
	var refuse atomic.Bool
	refuse.Store(true)
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if refuse.Load() {
			http.Error(w, "unknown schema version", http.StatusUnprocessableEntity)
			return
		}
		got.Add(1)
		w.WriteHeader(204)
	}))
	defer srv.Close()
	tr, err := route.Parse(filepath.Join(dir, "r.yaml"), []byte(`
receivers: [{name: reg, url: "`+srv.URL+`", secret_file: k.whsec}]
route: {receiver: reg, group_by: ["..."], group_wait: 0s}
`))
	if err != nil {
		t.Fatal(err)
	}
	s := open(t)
	ctx := t.Context()
	s.Enqueue(ctx, tr, [][]byte{event("u1", "p", "CN", "R", "high", time.Now()), event("u2", "p", "CN", "R", "high", time.Now())})
	o := deliver.Options{Tree: func() *route.Tree { return tr }, Log: slog.New(slog.DiscardHandler)}
	if err := s.Deliver(ctx, o, true); err != nil {
		t.Fatal(err)
	}
	ps, err := s.Parked(ctx)
	if err != nil || len(ps) != 2 || ps[0].Status != 422 || !strings.Contains(ps[0].Error, "unknown schema version") || ps[0].Attempts != 1 {
		t.Fatalf("parked: %+v %v", ps, err)
	}
	if p, _ := s.Pending(ctx); p["reg"] != 0 {
		t.Errorf("parked incidents must leave the outbox: %v", p)
	}
	refuse.Store(false)
	if n, err := s.Unpark(ctx, "reg"); n != 2 || err != nil {
		t.Fatalf("unpark: %d %v", n, err)
	}
	if err := s.Deliver(ctx, o, true); err != nil {
		t.Fatal(err)
	}
	if got.Load() != 2 {
		t.Errorf("delivered %d after unparking, want 2", got.Load())
	}
	if ps, _ := s.Parked(ctx); len(ps) != 0 {
		t.Errorf("still parked: %v", ps)
	}
}
