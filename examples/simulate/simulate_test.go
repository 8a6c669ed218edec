package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestSimulationShape runs a short simulation and checks what the chart is meant to
// show: the adversarial provider climbs, compliant ones stay at the base with the
// appetite and not without it, and the appetite saves escalations.
func TestSimulationShape(t *testing.T) {
	if testing.Short() {
		t.Skip("judges ~40,000 records; skipped in -short")
	}
	ctx := context.Background()
	off, err := run(ctx, "off", false, 10, 14)
	if err != nil {
		t.Fatal(err)
	}
	on, err := run(ctx, "on", true, 10, 14)
	if err != nil {
		t.Fatal(err)
	}
	if s := on.stats["heiying"]; s.maxLevel < 3 || s.escalations < 3 {
		t.Errorf("label-stripper with appetite: %+v", s)
	}
	if s := on.stats["mingjing"]; s.maxLevel != 0 || s.tolerated != s.incidents || s.incidents == 0 {
		t.Errorf("compliant provider with appetite: %+v", s)
	}
	if s := off.stats["qingshan"]; s.maxLevel == 0 {
		t.Errorf("near-appetite provider without appetite never escalated: %+v", s)
	}
	if len(on.changes) >= len(off.changes) {
		t.Errorf("appetite on: %d changes, off: %d", len(on.changes), len(off.changes))
	}
	if on.stats["tianji"].maxLevel > on.stats["xinghe"].maxLevel {
		t.Error("self-reporting provider ranked above the same failures unreported")
	}
	for _, r := range []*result{off, on} {
		for i, lv := range r.levels {
			if len(lv) != 10*24 {
				t.Fatalf("provider %d: %d hourly samples", i, len(lv))
			}
			for h := 1; h < len(lv); h++ {
				if d := lv[h] - lv[h-1]; d > 1 {
					t.Errorf("provider %d jumped %v levels in an hour", i, d)
				}
			}
		}
	}
	dir := t.TempDir()
	png := filepath.Join(dir, "x.png")
	if err := chart(png, providers(), 10, off, on); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(png); err != nil || len(b) < 10000 || string(b[1:4]) != "PNG" {
		t.Errorf("chart: %d bytes, %v", len(b), err)
	}
}
