package deliver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/incident/route"
	"github.com/aigcwatch/aigcwatch/incident/webhook"
)

var quiet = slog.New(slog.DiscardHandler)

const testSecret = "whsec_YWlnY3dhdGNoLXRlc3QtdmVjdG9yLWtleS0zMmJ5dGU="

// testTree builds a routing tree from YAML; receivers get a secret file written for them.
func testTree(t testing.TB, yaml string) *route.Tree {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "k.whsec"), []byte(testSecret+"\n"), 0o600)
	tr, err := route.Parse(filepath.Join(dir, "routes.yaml"), []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// event builds an incident event as incident.Builder writes them.
func event(id, provider, rule string, at time.Time) []byte {
	return fmt.Appendf(nil, `{"specversion":"1.0","id":%q,"source":"urn:aigcwatch","type":%q,"subject":%q,"time":%q,"datacontenttype":"application/json","data":{"record_id":"r","rule":{"id":%q,"pack":"cn"},"decision":"block","layer":"content","severity":"high","jurisdiction":"CN","authority":"CAC","provider":%q}}`,
		id, incident.Type, provider, at.UTC().Format(time.RFC3339Nano), rule, provider)
}

type memDedup struct {
	mu sync.Mutex
	m  map[string]bool
}

func (d *memDedup) Seen(_ context.Context, rcv string, ids []string) (map[string]bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string]bool{}
	for _, id := range ids {
		if d.m[rcv+"/"+id] {
			out[id] = true
		}
	}
	return out, nil
}

func (d *memDedup) MarkDelivered(_ context.Context, rcv string, ids []string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range ids {
		d.m[rcv+"/"+id] = true
	}
	return nil
}

type memParker struct {
	mu sync.Mutex
	p  []ParkedIncident
}

func (p *memParker) Park(_ context.Context, ps []ParkedIncident) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.p = append(p.p, ps...)
	return nil
}

// sent is one message the fake receiver got.
type sent struct {
	at  time.Duration // since the test's start
	msg webhook.Message
}

// harness runs a Worker in a synctest bubble against a scripted receiver.
type harness struct {
	t      *testing.T
	start  time.Time
	w      *Worker
	dedup  *memDedup
	parker *memParker
	mu     sync.Mutex
	sent   []sent
	acks   map[string]Outcome
	answer func(n int) webhook.Result // answer to the n-th attempt (1-based)
}

func newHarness(t *testing.T, tr *route.Tree, rcv string) *harness {
	h := &harness{t: t, start: time.Now(), dedup: &memDedup{m: map[string]bool{}}, parker: &memParker{}, acks: map[string]Outcome{},
		answer: func(int) webhook.Result { return webhook.Result{Status: 204} }}
	h.w = NewWorker(rcv, Options{Log: quiet, Tree: func() *route.Tree { return tr }, Dedup: h.dedup, Parker: h.parker,
		Notify: func(_ context.Context, m webhook.Message) webhook.Result {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.sent = append(h.sent, sent{time.Since(h.start), m})
			return h.answer(len(h.sent))
		}})
	return h
}

func (h *harness) submit(ctx context.Context, ev []byte) {
	sum, _ := incident.Summarize(ev)
	id := sum.ID
	if err := h.w.Submit(ctx, &Item{Event: ev, Since: time.Now(), Ack: func(o Outcome) {
		h.mu.Lock()
		h.acks[id] = o
		h.mu.Unlock()
	}}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) messages() []sent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]sent(nil), h.sent...)
}

// groupData decodes the group event of a batched body.
type groupData struct {
	Count       int               `json:"count"`
	IDs         []string          `json:"incident_ids"`
	Labels      map[string]string `json:"group_labels"`
	FirstSeen   time.Time         `json:"first_seen"`
	LastSeen    time.Time         `json:"last_seen"`
	Receiver    string            `json:"receiver"`
	RouteID     string            `json:"route"`
	eventsCount int
}

func decodeBatch(t *testing.T, m webhook.Message) groupData {
	t.Helper()
	if m.ContentType != webhook.ContentTypeBatch {
		t.Fatalf("content type %s", m.ContentType)
	}
	var arr []struct {
		ID   string          `json:"id"`
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(m.Body, &arr); err != nil || len(arr) == 0 || arr[0].Type != GroupType || arr[0].ID != m.ID {
		t.Fatalf("batched body: %v %s", err, m.Body)
	}
	var g groupData
	if err := json.Unmarshal(arr[0].Data, &g); err != nil {
		t.Fatal(err)
	}
	g.eventsCount = len(arr) - 1
	return g
}

const groupingRoutes = `
receivers: [{name: r, url: "http://127.0.0.1:1/", secret_file: k.whsec}]
route:
  receiver: r
  group_by: [provider, rule]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
`

func TestGroupingWaitIntervalRepeat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, testTree(t, groupingRoutes), "r")
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go h.w.Run(ctx)
		t0 := time.Now()
		// Three incidents of one group within the group_wait, one of another provider.
		h.submit(ctx, event("a1", "p1", "R1", t0))
		time.Sleep(time.Second)
		h.submit(ctx, event("a2", "p1", "R1", t0.Add(time.Second)))
		h.submit(ctx, event("b1", "p2", "R1", t0.Add(time.Second)))
		time.Sleep(time.Second)
		h.submit(ctx, event("a3", "p1", "R1", t0.Add(2*time.Second)))
		time.Sleep(27 * time.Second) // t = 29s: nothing yet
		synctest.Wait()
		if n := len(h.messages()); n != 0 {
			t.Fatalf("%d messages before group_wait", n)
		}
		time.Sleep(2 * time.Second) // t = 31s: group a (opened at 0) is due; group b (opened at 1s) too
		synctest.Wait()
		ms := h.messages()
		if len(ms) != 2 {
			t.Fatalf("after group_wait: %d messages, want 2", len(ms))
		}
		a := decodeBatch(t, ms[0].msg)
		if a.Count != 3 || strings.Join(a.IDs, ",") != "a1,a2,a3" || a.eventsCount != 3 || a.Labels["provider"] != "p1" || a.Labels["rule"] != "R1" ||
			!a.FirstSeen.Equal(t0) || !a.LastSeen.Equal(t0.Add(2*time.Second)) || ms[0].at != 30*time.Second {
			t.Errorf("first notification: %+v at %v", a, ms[0].at)
		}
		if b := decodeBatch(t, ms[1].msg); b.Count != 1 || b.IDs[0] != "b1" || ms[1].at != 31*time.Second {
			t.Errorf("second group: %+v at %v", b, ms[1].at)
		}
		// A new incident in group a is held until group_interval after the last notification.
		h.submit(ctx, event("a4", "p1", "R1", time.Now()))
		time.Sleep(4 * time.Minute)
		synctest.Wait()
		if len(h.messages()) != 2 {
			t.Fatal("notified before group_interval")
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		ms = h.messages()
		if len(ms) != 3 || ms[2].at != 30*time.Second+5*time.Minute {
			t.Fatalf("group_interval: %d messages, last at %v", len(ms), ms[len(ms)-1].at)
		}
		if g := decodeBatch(t, ms[2].msg); g.Count != 4 || strings.Join(g.IDs, ",") != "a4" || !g.FirstSeen.Equal(t0) {
			t.Errorf("running count: %+v", g)
		}
		// The same id again: acknowledged as a duplicate, never sent.
		h.submit(ctx, event("a2", "p1", "R1", t0))
		synctest.Wait()
		// Quiet past repeat_interval: the group is over, the next incident starts a new one.
		time.Sleep(4*time.Hour + time.Minute)
		h.submit(ctx, event("a5", "p1", "R1", time.Now()))
		time.Sleep(29 * time.Second)
		synctest.Wait()
		if len(h.messages()) != 3 {
			t.Fatal("a new group must wait group_wait again")
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		ms = h.messages()
		if len(ms) != 4 {
			t.Fatalf("%d messages", len(ms))
		}
		if g := decodeBatch(t, ms[3].msg); g.Count != 1 || g.IDs[0] != "a5" {
			t.Errorf("after repeat_interval the count starts again: %+v", g)
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		for id, want := range map[string]Outcome{"a1": Delivered, "a3": Delivered, "b1": Delivered, "a4": Delivered, "a2": Duplicate, "a5": Delivered} {
			if h.acks[id] != want {
				t.Errorf("%s: outcome %v, want %v", id, h.acks[id], want)
			}
		}
	})
}

func TestRetryBackoffRetryAfterAndParking(t *testing.T) {
	routes := `
receivers:
  - {name: r, url: "http://127.0.0.1:1/", secret_file: k.whsec, max_attempts: 4, backoff_min: 1s, backoff_max: 10s}
route: {receiver: r, group_by: ["..."]}
`
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, testTree(t, routes), "r")
		h.answer = func(n int) webhook.Result {
			switch n {
			case 1:
				return webhook.Result{Status: 503}
			case 2:
				return webhook.Result{Status: 429, RetryAfter: 2 * time.Minute}
			}
			return webhook.Result{Status: 204}
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go h.w.Run(ctx)
		h.submit(ctx, event("x1", "p", "R", time.Now()))
		time.Sleep(time.Hour)
		synctest.Wait()
		ms := h.messages()
		if len(ms) != 3 || ms[0].msg.ContentType != webhook.ContentTypeStructured || ms[0].msg.ID != "x1" {
			t.Fatalf("messages %+v", ms)
		}
		if d := ms[1].at - ms[0].at; d < 500*time.Millisecond || d > time.Second {
			t.Errorf("first backoff %v, want in [0.5s, 1s]", d)
		}
		if d := ms[2].at - ms[1].at; d != 2*time.Minute {
			t.Errorf("Retry-After 2m not honoured: waited %v", d)
		}
		if h.acks["x1"] != Delivered || !h.dedup.m["r/x1"] {
			t.Errorf("outcome %v", h.acks["x1"])
		}

		// A 400 parks at once with the receiver's answer; a 503 forever parks after max_attempts.
		h.mu.Lock()
		h.sent = nil
		h.answer = func(n int) webhook.Result {
			if n == 1 {
				return webhook.Result{Status: 400, Answer: "schema mismatch"}
			}
			return webhook.Result{Status: 503, Answer: "down"}
		}
		h.mu.Unlock()
		h.submit(ctx, event("x2", "p", "R", time.Now()))
		time.Sleep(time.Hour)
		synctest.Wait()
		h.submit(ctx, event("x3", "p", "R", time.Now()))
		time.Sleep(time.Hour)
		synctest.Wait()
		h.parker.mu.Lock()
		defer h.parker.mu.Unlock()
		if len(h.parker.p) != 2 {
			t.Fatalf("parked %+v", h.parker.p)
		}
		p2, p3 := h.parker.p[0], h.parker.p[1]
		if p2.ID != "x2" || p2.Status != 400 || p2.Attempts != 1 || !strings.Contains(p2.Error, "schema mismatch") {
			t.Errorf("4xx parking: %+v", p2)
		}
		if p3.ID != "x3" || p3.Status != 503 || p3.Attempts != 4 || !strings.Contains(p3.Error, "down") || string(p3.Event) == "" {
			t.Errorf("max_attempts parking: %+v", p3)
		}
		if h.acks["x2"] != Parked || h.acks["x3"] != Parked || len(h.messages()) != 5 {
			t.Errorf("outcomes %v, %d attempts", h.acks, len(h.messages()))
		}
	})
}

func TestMaxAgeAndStopLeavesUnacked(t *testing.T) {
	routes := `
receivers:
  - {name: r, url: "http://127.0.0.1:1/", secret_file: k.whsec, max_attempts: 1000, max_age: 10m, backoff_min: 1s, backoff_max: 1m}
route: {receiver: r, group_by: ["..."]}
`
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, testTree(t, routes), "r")
		h.answer = func(int) webhook.Result { return webhook.Result{Status: 502} }
		ctx, cancel := context.WithCancel(t.Context())
		go h.w.Run(ctx)
		h.submit(ctx, event("y1", "p", "R", time.Now()))
		time.Sleep(20 * time.Minute)
		synctest.Wait()
		h.parker.mu.Lock()
		if len(h.parker.p) != 1 || h.parker.p[0].Attempts < 10 || h.parker.p[0].At.Sub(h.start) > 11*time.Minute {
			t.Errorf("max_age parking: %+v", h.parker.p)
		}
		h.parker.mu.Unlock()
		// Stopped while retrying: not acknowledged (the source delivers it again).
		h.submit(ctx, event("y2", "p", "R", time.Now()))
		time.Sleep(time.Minute)
		cancel()
		synctest.Wait()
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.acks["y2"]; ok {
			t.Error("an incident in retry was acknowledged at stop")
		}
	})
}

func TestContinueToSameReceiverAndUnrouted(t *testing.T) {
	routes := `
receivers:
  - {name: a, url: "http://127.0.0.1:1/", secret_file: k.whsec}
  - {name: b, url: "http://127.0.0.1:1/", secret_file: k.whsec}
route:
  receiver: a
  group_wait: 0s
  routes:
    - {match: {provider: p1}, receiver: a, continue: true, group_by: [provider]}
    - {match: {provider: p1}, receiver: a, group_by: [rule]}
`
	synctest.Test(t, func(t *testing.T) {
		tr := testTree(t, routes)
		h := newHarness(t, tr, "a")
		hb := newHarness(t, tr, "b")
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go h.w.Run(ctx)
		go hb.w.Run(ctx)
		h.submit(ctx, event("c1", "p1", "R", time.Now()))
		hb.submit(ctx, event("c1", "p1", "R", time.Now()))
		time.Sleep(time.Second)
		synctest.Wait()
		if n := len(h.messages()); n != 2 || h.acks["c1"] != Delivered {
			t.Errorf("two routes to one receiver: %d messages, outcome %v", n, h.acks["c1"])
		}
		if len(hb.messages()) != 0 || hb.acks["c1"] != Unrouted {
			t.Errorf("receiver b: %v", hb.acks)
		}
	})
}

func TestMaxEventsAndBadEvent(t *testing.T) {
	routes := `
receivers: [{name: r, url: "http://127.0.0.1:1/", secret_file: k.whsec, max_events: 2}]
route: {receiver: r, group_wait: 1s}
`
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, testTree(t, routes), "r")
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go h.w.Run(ctx)
		for i := range 5 {
			h.submit(ctx, event(fmt.Sprint("m", i), "p", "R", time.Now()))
		}
		h.w.Submit(ctx, &Item{Event: []byte(`{"not":"an incident"}`), Since: time.Now()})
		time.Sleep(2 * time.Second)
		synctest.Wait()
		ms := h.messages()
		if len(ms) != 3 {
			t.Fatalf("%d messages, want 3 of at most max_events 2", len(ms))
		}
		var ids []string
		for i, want := range []struct{ n, count int }{{2, 2}, {2, 4}, {1, 5}} {
			g := decodeBatch(t, ms[i].msg)
			if len(g.IDs) != want.n || g.eventsCount != want.n || g.Count != want.count {
				t.Errorf("notification %d: %+v", i, g)
			}
			ids = append(ids, g.IDs...)
		}
		if strings.Join(ids, ",") != "m0,m1,m2,m3,m4" || ms[0].msg.ID == ms[1].msg.ID {
			t.Errorf("ids %v, webhook ids %s %s", ids, ms[0].msg.ID, ms[1].msg.ID)
		}
		h.parker.mu.Lock()
		defer h.parker.mu.Unlock()
		if len(h.parker.p) != 1 || !strings.Contains(h.parker.p[0].Error, "not an aigcwatch incident") {
			t.Errorf("a bad event is parked with the reason: %+v", h.parker.p)
		}
	})
}

func TestBackoff(t *testing.T) {
	for _, c := range []struct {
		attempt int
		u       float64
		want    time.Duration
	}{{1, 0, 500 * time.Millisecond}, {1, 0.999, 999500 * time.Microsecond}, {3, 0, 2 * time.Second}, {20, 0, 5 * time.Second}, {20, 1, 10 * time.Second}} {
		if got := Backoff(c.attempt, time.Second, 10*time.Second, c.u); got != c.want {
			t.Errorf("Backoff(%d, u=%v) = %v, want %v", c.attempt, c.u, got, c.want)
		}
	}
}

func TestSuperviseFollowsReloads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		two := testTree(t, `
receivers: [{name: a, url: "http://x/", secret_file: k.whsec}, {name: b, url: "http://x/", secret_file: k.whsec}]
route: {receiver: a, routes: [{receiver: b, match: {layer: x}}]}`)
		justB := testTree(t, `
receivers: [{name: b, url: "http://x/", secret_file: k.whsec}, {name: c, url: "http://x/", secret_file: k.whsec}]
route: {receiver: b, routes: [{receiver: c, match: {layer: x}}]}`)
		var mu sync.Mutex
		cur := two
		running := map[string]int{}
		started := map[string]int{}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			Supervise(ctx, func() *route.Tree { mu.Lock(); defer mu.Unlock(); return cur }, func(ctx context.Context, name string) {
				mu.Lock()
				running[name]++
				started[name]++
				mu.Unlock()
				<-ctx.Done()
				mu.Lock()
				running[name]--
				mu.Unlock()
			})
		}()
		synctest.Wait()
		mu.Lock()
		if running["a"] != 1 || running["b"] != 1 {
			t.Errorf("at start: %v", running)
		}
		cur = justB
		mu.Unlock()
		time.Sleep(1500 * time.Millisecond)
		synctest.Wait()
		mu.Lock()
		if running["a"] != 0 || running["b"] != 1 || running["c"] != 1 || started["b"] != 1 {
			t.Errorf("after the reload: running %v, started %v", running, started)
		}
		mu.Unlock()
		cancel()
		<-done
		if running["b"] != 0 || running["c"] != 0 {
			t.Errorf("after stop: %v", running)
		}
	})
}

func TestMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := prometheus.NewPedanticRegistry()
		m := NewMetrics(reg)
		tr := testTree(t, `
receivers: [{name: r, url: "http://x/", secret_file: k.whsec, max_attempts: 2, backoff_min: 1s, backoff_max: 1s}]
route: {receiver: r, group_by: ["..."], group_wait: 0s}`)
		var calls int
		w := NewWorker("r", Options{Log: quiet, Tree: func() *route.Tree { return tr }, Parker: &memParker{}, Metrics: m,
			Notify: func(context.Context, webhook.Message) webhook.Result {
				calls++
				if calls <= 2 {
					return webhook.Result{Status: 500}
				}
				return webhook.Result{Status: 204}
			}})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go w.Run(ctx)
		w.Submit(ctx, &Item{Event: event("m1", "p", "R", time.Now()), Since: time.Now()})
		w.Submit(ctx, &Item{Event: event("m2", "p", "R", time.Now()), Since: time.Now()})
		time.Sleep(500 * time.Millisecond)
		synctest.Wait()
		if got := testutil.ToFloat64(m.outcomes.WithLabelValues("r", "parked")); got != 0 {
			t.Errorf("parked early: %v", got)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		want := `
# HELP aigcwatch_delivery_oldest_pending_age_seconds Age of the oldest incident not yet delivered or parked, by receiver; 0 when none.
# TYPE aigcwatch_delivery_oldest_pending_age_seconds gauge
aigcwatch_delivery_oldest_pending_age_seconds{receiver="r"} 0
# HELP aigcwatch_delivery_pending_incidents Incidents taken from the source (topic or outbox) and not yet delivered or parked, by receiver.
# TYPE aigcwatch_delivery_pending_incidents gauge
aigcwatch_delivery_pending_incidents{receiver="r"} 0
`
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "aigcwatch_delivery_pending_incidents", "aigcwatch_delivery_oldest_pending_age_seconds"); err != nil {
			t.Error(err)
		}
		for _, c := range []struct {
			v    float64
			want float64
			name string
		}{
			{testutil.ToFloat64(m.attempts.WithLabelValues("r", "5xx")), 2, "5xx attempts"},
			{testutil.ToFloat64(m.attempts.WithLabelValues("r", "2xx")), 1, "2xx attempts"},
			{testutil.ToFloat64(m.outcomes.WithLabelValues("r", "parked")), 1, "parked"},
			{testutil.ToFloat64(m.outcomes.WithLabelValues("r", "delivered")), 1, "delivered"},
			{testutil.ToFloat64(m.attempts.WithLabelValues("r", "network")), 0, "network attempts at zero"},
		} {
			if c.v != c.want {
				t.Errorf("%s: %v, want %v", c.name, c.v, c.want)
			}
		}
	})
}

func TestPendingGaugeWhileStuck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := prometheus.NewRegistry()
		m := NewMetrics(reg)
		tr := testTree(t, `
receivers: [{name: r, url: "http://x/", secret_file: k.whsec, max_attempts: 1000, backoff_min: 1s, backoff_max: 1s}]
route: {receiver: r, group_by: ["..."]}`)
		w := NewWorker("r", Options{Log: quiet, Tree: func() *route.Tree { return tr }, Metrics: m,
			Notify: func(context.Context, webhook.Message) webhook.Result {
				return webhook.Result{Err: errors.New("connection refused")}
			}})
		ctx, cancel := context.WithCancel(t.Context())
		go w.Run(ctx)
		for i := range 3 {
			w.Submit(ctx, &Item{Event: event(fmt.Sprint("s", i), "p", "R", time.Now()), Since: time.Now()})
		}
		time.Sleep(90 * time.Second)
		synctest.Wait()
		want := `
# HELP aigcwatch_delivery_oldest_pending_age_seconds Age of the oldest incident not yet delivered or parked, by receiver; 0 when none.
# TYPE aigcwatch_delivery_oldest_pending_age_seconds gauge
aigcwatch_delivery_oldest_pending_age_seconds{receiver="r"} 90
# HELP aigcwatch_delivery_pending_incidents Incidents taken from the source (topic or outbox) and not yet delivered or parked, by receiver.
# TYPE aigcwatch_delivery_pending_incidents gauge
aigcwatch_delivery_pending_incidents{receiver="r"} 3
`
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "aigcwatch_delivery_pending_incidents", "aigcwatch_delivery_oldest_pending_age_seconds"); err != nil {
			t.Error(err)
		}
		cancel()
		synctest.Wait()
		if err := testutil.GatherAndCompare(reg, strings.NewReader(strings.ReplaceAll(strings.ReplaceAll(want, "} 90", "} 0"), "} 3", "} 0")), "aigcwatch_delivery_pending_incidents", "aigcwatch_delivery_oldest_pending_age_seconds"); err != nil {
			t.Errorf("after stop the gauges forget: %v", err)
		}
	})
}

// TestBatchedBodyGolden pins the batched wire format (docs/incidents.md): receivers parse it.
// The group id is "grp-" and the first 16 bytes of sha256(receiver, route, ids, each
// followed by a NUL), in hex (checked with sha256sum).
func TestBatchedBodyGolden(t *testing.T) {
	tr := testTree(t, `receivers: [{name: cac, url: "https://x/", secret_file: k.whsec}]
route: {receiver: cac}`)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var items []*Item
	for _, id := range []string{"i1", "i2"} {
		ev := event(id, "prov", "R1", at)
		sum, _ := incident.Summarize(ev)
		items = append(items, &Item{Event: ev, sum: sum})
	}
	n := &Notification{Receiver: "cac", Route: "0", Labels: map[string]string{"rule": "R1", "provider": "prov"}, Count: 7,
		FirstSeen: at.Add(-time.Hour), LastSeen: at, Items: items}
	m := n.Message(tr.Receivers["cac"])
	want := `[{"specversion":"1.0","id":"grp-f26ed5f9216b7d48542355d4ea6f934a","source":"urn:aigcwatch:deliver","type":"org.aigcwatch.incident.group.v1","time":"2026-01-02T03:04:05Z","datacontenttype":"application/json","data":{"receiver":"cac","route":"0","group_labels":{"provider":"prov","rule":"R1"},"count":7,"first_seen":"2026-01-02T02:04:05Z","last_seen":"2026-01-02T03:04:05Z","incident_ids":["i1","i2"]}},` +
		string(items[0].Event) + "," + string(items[1].Event) + "]"
	if string(m.Body) != want || m.ID != "grp-f26ed5f9216b7d48542355d4ea6f934a" || m.ContentType != webhook.ContentTypeBatch || m.URL != "https://x/" {
		t.Errorf("batched body changed:\n got %s\nwant %s\nid %s", m.Body, want, m.ID)
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(m.Body, &arr); err != nil || len(arr) != 3 {
		t.Errorf("not a JSON array of 3: %v", err)
	}
}
