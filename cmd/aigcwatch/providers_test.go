package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/enforce"
)

func TestScanEnforcementStateAndProviders(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for i := range 200 {
		ts := start.Add(time.Duration(i) * time.Minute).Format(time.RFC3339)
		if i%5 == 0 {
			fmt.Fprintf(&b, `{"id":"u%d","time":%q,"jurisdiction":"CN","provider":"acme","role":"provider","modality":"image","media":{"mime":"image/png"}}`+"\n", i, ts)
		} else {
			fmt.Fprintf(&b, `{"id":"c%d","time":%q,"jurisdiction":"CN","provider":"calm","role":"provider","modality":"text","text":"hello"}`+"\n", i, ts)
		}
	}
	in := filepath.Join(dir, "in.jsonl")
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	state, inc := filepath.Join(dir, "state.json"), filepath.Join(dir, "inc.jsonl")
	code, _, errs := runCLI(t, "", "scan", in, "--out", filepath.Join(dir, "v.jsonl"), "--incidents", inc, "--enforcement-state", state)
	if code != exitOK {
		t.Fatalf("scan: exit %d\n%s", code, errs)
	}
	if !strings.Contains(errs, "enforcement: 2 providers tracked, 1 above the base level; 1 escalations, 0 de-escalations in this scan") {
		t.Errorf("summary:\n%s", errs)
	}
	// The metrics file has the enforcement gauges.
	prom := filepath.Join(dir, "m.prom")
	if code, _, errs := runCLI(t, "", "scan", in, "--quiet", "--out", filepath.Join(dir, "v2.jsonl"), "--metrics-file", prom); code != exitOK {
		t.Fatalf("scan --metrics-file: exit %d %s", code, errs)
	}
	pm, _ := os.ReadFile(prom)
	for _, want := range []string{`aigcwatch_provider_enforcement_level{jurisdiction="CN",provider="acme"} 1`,
		`aigcwatch_enforcement_providers{jurisdiction="CN",level="0"} 1`, `aigcwatch_enforcement_providers{jurisdiction="CN",level="5"} 0`} {
		if !strings.Contains(string(pm), want) {
			t.Errorf("metrics file lacks %s", want)
		}
	}
	// With an outbox, level changes are stored with the incidents (history, routes).
	db := filepath.Join(dir, "store.db")
	if code, _, errs := runCLI(t, "", "scan", in, "--quiet", "--out", filepath.Join(dir, "v3.jsonl"), "--outbox", db); code != exitOK {
		t.Fatalf("scan --outbox: exit %d %s", code, errs)
	}
	if code, out, errs := runCLI(t, "", "incidents", "--store", db, "--provider", "acme", "--all", "--json"); code != exitOK || strings.Count(out, enforce.LevelChangedType) != 1 || strings.Count(out, "\n") != 41 {
		t.Errorf("incidents --store: exit %d, %d lines, %d level changes\n%s", code, strings.Count(out, "\n"), strings.Count(out, enforce.LevelChangedType), errs)
	}
	data, _ := os.ReadFile(inc)
	if n := strings.Count(string(data), enforce.LevelChangedType); n != 1 {
		t.Errorf("%d level changes in the incidents file, want 1", n)
	}
	// A second scan of the same file counts nothing twice.
	code, _, errs = runCLI(t, "", "scan", in, "--quiet", "--out", filepath.Join(dir, "v.jsonl"), "--incidents", inc, "--enforcement-state", state)
	if data, _ = os.ReadFile(inc); code != exitOK || strings.Contains(string(data), enforce.LevelChangedType) {
		t.Errorf("rescan: exit %d, level changes again\n%s", code, errs)
	}
	code, out, errs := runCLI(t, "", "providers", "--state", state)
	if code != exitOK || !strings.Contains(out, "acme") || !strings.Contains(out, "1 interview") || !strings.Contains(out, "2 providers") {
		t.Errorf("providers: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = runCLI(t, "", "providers", "--state", state, "--json", "acme")
	var page enforce.ProviderPage
	if err := json.Unmarshal([]byte(out), &page); err != nil || code != exitOK {
		t.Fatalf("providers --json acme: %v\n%s", err, out)
	}
	if v := page.Jurisdictions[0]; v.Level.Name != "interview" || v.Totals.Records != 40 || len(v.History) != 1 || len(v.History[0].Incidents) != 4 {
		t.Errorf("acme %+v", v)
	}
	if code, _, _ := runCLI(t, "", "providers"); code != exitUsage {
		t.Errorf("providers without --state: exit %d", code)
	}
	if code, _, errs := runCLI(t, "", "providers", "--state", filepath.Join(dir, "missing.json")); code != exitFailed || !strings.Contains(errs, "missing.json") {
		t.Errorf("missing state file: exit %d %s", code, errs)
	}
	if code, _, _ := runCLI(t, "", "providers", "--state", state, "nobody"); code != exitFailed {
		t.Errorf("unknown provider: exit %d", code)
	}
	os.WriteFile(state, []byte("{}"), 0o644)
	if code, _, errs := runCLI(t, "", "scan", in, "--quiet", "--enforcement-state", state); code != exitFailed || !strings.Contains(errs, "state") {
		t.Errorf("bad state file: exit %d %s", code, errs)
	}
}
