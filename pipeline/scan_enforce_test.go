package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/enforce"
)

// enforcementInput is n CN records of provider acme, one a minute from start; every
// k-th lacks its implicit label (CN-IMP-01, an incident).
func enforcementInput(start time.Time, n, k int) []byte {
	var b bytes.Buffer
	for i := range n {
		t := start.Add(time.Duration(i) * time.Minute).Format(time.RFC3339)
		if i%k == 0 {
			fmt.Fprintf(&b, `{"id":"r-%s-%d","time":%q,"jurisdiction":"CN","provider":"acme","role":"provider","modality":"image","media":{"mime":"image/png"}}`+"\n", t, i, t)
		} else {
			fmt.Fprintf(&b, `{"id":"r-%s-%d","time":%q,"jurisdiction":"CN","provider":"acme","role":"provider","modality":"text","text":"hello"}`+"\n", t, i, t)
		}
	}
	return b.Bytes()
}

func scanWithEnforcement(t *testing.T, p *Processor, st *enforce.State, in []byte) (incidents, changes []map[string]any) {
	t.Helper()
	var verdicts, incs, dlq bytes.Buffer
	var sum Summary
	if err := p.Scan(context.Background(), bytes.NewReader(in), ScanOptions{Verdicts: &verdicts, Incidents: &incs, DLQ: &dlq, Workers: 3, Enforcement: st}, &sum); err != nil {
		t.Fatal(err)
	}
	if dlq.Len() > 0 {
		t.Fatalf("dead letters: %s", dlq.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(incs.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if m["type"] == enforce.LevelChangedType {
			changes = append(changes, m)
		} else {
			incidents = append(incidents, m)
		}
	}
	return incidents, changes
}

func TestScanEnforcementAndStateFile(t *testing.T) {
	p, err := Build(DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	pols, err := DefaultConfig.Policies()
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	// 600 records, every 10th unlabeled: 10 % of its records, far above the CN appetite
	// of 0.5 %: each incident counts 5 points; the provider climbs one level per grace
	// period (72 h), so one escalation within these 10 hours.
	in := enforcementInput(day, 600, 10)
	st := enforce.NewState(pols, enforce.Options{})
	incs, changes := scanWithEnforcement(t, p, st, in)
	if len(incs) != 60 || len(changes) != 1 {
		t.Fatalf("%d incidents, %d level changes; want 60 and 1", len(incs), len(changes))
	}
	for i, inc := range incs {
		e, ok := inc["data"].(map[string]any)["enforcement"].(map[string]any)
		if !ok || e["ladder"] != "CN" || e["category"] != "unlabeled_aigc" {
			t.Fatalf("incident %d: enforcement %v", i, e)
		}
	}
	c := changes[0]["data"].(map[string]any)
	if c["provider"] != "acme" || c["to"].(map[string]any)["name"] != "interview" || len(c["incident_ids"].([]any)) != 4 {
		t.Errorf("change %v", c)
	}
	// Same result whatever the number of workers: the state is applied in input order.
	st1 := enforce.NewState(pols, enforce.Options{})
	var v, i1, d bytes.Buffer
	var sum Summary
	if err := p.Scan(context.Background(), bytes.NewReader(in), ScanOptions{Verdicts: &v, Incidents: &i1, DLQ: &d, Workers: 1, Enforcement: st1}, &sum); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(st.Export())
	b, _ := json.Marshal(st1.Export())
	if !bytes.Equal(a, b) {
		t.Error("state depends on the number of workers")
	}

	// The state file continues the history: scanning the same file again counts
	// nothing twice; the next day's records continue from the saved level.
	path := filepath.Join(t.TempDir(), "enforcement.json")
	if err := st.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	again := enforce.NewState(pols, enforce.Options{})
	if err := again.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	incs, changes = scanWithEnforcement(t, p, again, in)
	if len(changes) != 0 || again.Stats().Replayed != 600 {
		t.Errorf("rescan: %d changes, %d replayed", len(changes), again.Stats().Replayed)
	}
	if e := incs[0]["data"].(map[string]any)["enforcement"].(map[string]any); e["counted"] != enforce.CountedReplayed || e["level"] != 1.0 {
		t.Errorf("replayed incident stamped %v", e)
	}
	_, changes = scanWithEnforcement(t, p, again, enforcementInput(day.Add(4*24*time.Hour), 600, 10))
	if len(changes) != 1 || changes[0]["data"].(map[string]any)["to"].(map[string]any)["name"] != "warning" {
		t.Errorf("next scan: changes %v", changes)
	}
}
