package serve_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/incident/store"
	"github.com/aigcwatch/aigcwatch/serve"
)

// TestOutboxAndHistory: with an outbox sink the incidents of a request are in the store
// when the verdict is answered, and GET /v1/incidents and /v1/incidents/{id} serve them
// behind the tokens, every request and answer checked against docs/openapi.yaml.
func TestOutboxAndHistory(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "outbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sink := serve.OutboxSink{G: store.NewSink(st, nil)}
	t.Cleanup(func() { sink.Close() })
	f := newFixture(t, func(o *serve.Options) { o.Incidents, o.History = sink, st.Handler() })
	rec := []byte(`{"id":"hist-1","jurisdiction":"CN","role":"platform","declared_ai":false,"modality":"text","text":"加我微信，刷单返利，日赚500"}`)
	if a := f.do(call{method: "POST", path: "/v1/moderate", body: rec, token: tokenA}); a.status != 200 {
		t.Fatalf("moderate: %d %s", a.status, a.body)
	}
	a := f.do(call{method: "GET", path: "/v1/incidents?jurisdiction=CN&limit=10", token: tokenB})
	var page struct{ Incidents []json.RawMessage }
	if err := json.Unmarshal(a.body, &page); err != nil || a.status != 200 || len(page.Incidents) != 1 {
		t.Fatalf("GET /v1/incidents: %d %s", a.status, a.body)
	}
	sum, err := incident.Summarize(page.Incidents[0])
	if err != nil || sum.Rule != "CN-CONTENT-05" {
		t.Fatalf("incident %+v (%v)", sum, err)
	}
	if a := f.do(call{method: "GET", path: "/v1/incidents/" + sum.ID, token: tokenA}); a.status != 200 {
		t.Errorf("GET /v1/incidents/{id}: %d %s", a.status, a.body)
	}
	if a := f.do(call{method: "GET", path: "/v1/incidents/no-such-id", token: tokenA}); a.status != 404 {
		t.Errorf("unknown id: %d", a.status)
	}
	if a := f.do(call{method: "GET", path: "/v1/incidents"}); a.status != 401 {
		t.Errorf("no token: %d, want 401", a.status)
	}
	if a := f.do(call{method: "GET", path: "/v1/incidents?colour=red", token: tokenA}); a.status != 400 {
		t.Errorf("unknown filter: %d, want 400", a.status)
	}
}
