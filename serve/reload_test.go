package serve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/engine"
	"github.com/aigcwatch/aigcwatch/pipeline"
)

const reloadPack = `pack: test-pack
version: "1"
description: test
jurisdictions: ["*"]
rules:
  - id: T-1
    title: word
    severity: high
    layer: content
    tier: high
    decision: %s
    basis: test
    authority: test
    when: record.text contains "swordfish"
`

// TestReloadUnderLoadFailsNoRequest: while clients keep sending, POST /v1/admin/reload
// swaps a pack whose decision changes. No request fails; every verdict is consistent
// with the ruleset it names (old checksum: old decision; new: new); no request answered
// before the reload began saw the new rules, and every request sent after it returned did.
func TestReloadUnderLoadFailsNoRequest(t *testing.T) {
	dir := t.TempDir()
	pack := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(pack, fmt.Appendf(nil, reloadPack, "label"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := pipeline.DefaultConfig
	cfg.Rules = dir
	eng, err := engine.New(context.Background(), engine.Config{Pipeline: cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	f := newFixtureWith(t, eng, nil)
	oldSum := eng.Ruleset()

	type obs struct {
		sent, got time.Time
		status    int
		decision  string
		ruleset   string
		err       error
	}
	stop := make(chan struct{})
	var mu sync.Mutex
	var seen []obs
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				rec := fmt.Sprintf(`{"id":"r-%d-%d","jurisdiction":"UK","modality":"text","text":"the swordfish %d"}`, g, i, i)
				o := obs{sent: time.Now()}
				a, err := f.try(call{method: "POST", path: "/v1/moderate", body: []byte(rec), token: tokenA})
				o.got, o.status, o.err = time.Now(), a.status, err
				var v struct {
					Decision string
					Ruleset  struct{ Checksum string }
				}
				if err == nil && a.status == 200 {
					o.err = json.Unmarshal(a.body, &v)
				}
				o.decision, o.ruleset = v.Decision, v.Ruleset.Checksum
				mu.Lock()
				seen = append(seen, o)
				mu.Unlock()
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	if err := os.WriteFile(pack, fmt.Appendf(nil, reloadPack, "block"), 0o644); err != nil {
		t.Fatal(err)
	}
	reloadStart := time.Now()
	a := f.do(call{method: "POST", path: "/v1/admin/reload", token: tokenB})
	reloadEnd := time.Now()
	if a.status != 200 {
		t.Fatalf("reload: %d %s", a.status, a.body)
	}
	var rl struct{ Ruleset string }
	if err := json.Unmarshal(a.body, &rl); err != nil {
		t.Fatal(err)
	}
	newSum := rl.Ruleset
	if newSum == oldSum || newSum != eng.Ruleset() {
		t.Fatalf("reload answered ruleset %s; old %s, engine now %s", newSum, oldSum, eng.Ruleset())
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()

	var before, after int
	for _, o := range seen {
		if o.err != nil || o.status != 200 {
			t.Fatalf("a request failed during the reload: status %d, %v", o.status, o.err)
		}
		switch {
		case o.ruleset == oldSum && o.decision == "label":
			before++
			if o.sent.After(reloadEnd) {
				t.Errorf("a request sent after the reload returned was judged by the old rules")
			}
		case o.ruleset == newSum && o.decision == "block":
			after++
			if o.got.Before(reloadStart) {
				t.Errorf("a request answered before the reload began was judged by the new rules")
			}
		default:
			t.Errorf("verdict %s under ruleset %s: neither the old pair nor the new", o.decision, o.ruleset)
		}
	}
	if before < 10 || after < 10 {
		t.Fatalf("%d verdicts before the swap and %d after: too few to show anything", before, after)
	}
	t.Logf("%d requests before the swap, %d after, none failed", before, after)
}
