package serve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/engine"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/serve"
)

// TestProvidersAPI: with enforcement, the engine stamps incidents with their provider's
// level and adds the level changes to the request's incidents; GET /v1/providers and
// /v1/providers/{id} serve the state behind the tokens, every request and answer checked
// against docs/openapi.yaml.
func TestProvidersAPI(t *testing.T) {
	pols, err := pipeline.DefaultConfig.Policies()
	if err != nil {
		t.Fatal(err)
	}
	st := enforce.NewState(pols, enforce.Options{})
	eng, err := engine.New(context.Background(), engine.Config{Enforcement: st})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	f := newFixtureWith(t, eng, func(o *serve.Options) { o.Providers = enforce.Handler(st) })
	for i := range 6 {
		rec := fmt.Appendf(nil, `{"id":"prov-%d","time":"2026-11-01T0%d:00:00Z","provider":"p-fraud","jurisdiction":"CN","role":"provider","modality":"text","text":"加我微信，刷单返利，日赚500"}`, i, i)
		if a := f.do(call{method: "POST", path: "/v1/moderate", body: rec, token: tokenA}); a.status != 200 {
			t.Fatalf("moderate: %d %s", a.status, a.body)
		}
	}
	changes, stamped := 0, 0
	for _, ev := range f.sink.evs {
		var e struct {
			Type string
			Data struct{ Enforcement *struct{ Level int } }
		}
		if err := json.Unmarshal(ev.JSON, &e); err != nil {
			t.Fatal(err)
		}
		if e.Type == enforce.LevelChangedType {
			changes++
		} else if e.Data.Enforcement != nil {
			stamped++
		}
	}
	if changes != 1 || stamped != 6 {
		t.Errorf("sink: %d level changes, %d stamped incidents; want 1 and 6", changes, stamped)
	}
	a := f.do(call{method: "GET", path: "/v1/providers?jurisdiction=CN&min_level=1", token: tokenB})
	var page enforce.ListPage
	if err := json.Unmarshal(a.body, &page); err != nil || a.status != 200 || len(page.Providers) != 1 || page.Providers[0].Level.Level != 1 {
		t.Fatalf("GET /v1/providers: %d %s", a.status, a.body)
	}
	a = f.do(call{method: "GET", path: "/v1/providers/p-fraud", token: tokenA})
	var pp enforce.ProviderPage
	if err := json.Unmarshal(a.body, &pp); err != nil || a.status != 200 || len(pp.Jurisdictions) != 1 || len(pp.Jurisdictions[0].History) != 1 {
		t.Fatalf("GET /v1/providers/{id}: %d %s", a.status, a.body)
	}
	if a := f.do(call{method: "GET", path: "/v1/providers/nobody", token: tokenA}); a.status != 404 {
		t.Errorf("unknown provider: %d", a.status)
	}
	if a := f.do(call{method: "GET", path: "/v1/providers"}); a.status != 401 {
		t.Errorf("no token: %d, want 401", a.status)
	}
	if a := f.do(call{method: "GET", path: "/v1/providers?limit=-1", token: tokenA, invalidRequest: true}); a.status != 400 {
		t.Errorf("bad limit: %d, want 400", a.status)
	}
}
