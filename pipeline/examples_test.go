package pipeline

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/rules"
)

// TestEmbeddedPackExamples runs every embedded pack's example cases through the real
// detectors (as `aigcwatch rules test` does): label rules read the label detector's
// facts, lexicon rules its findings.
func TestEmbeddedPackExamples(t *testing.T) {
	cfg := DefaultConfig
	e, packs, err := cfg.LoadEngine()
	if err != nil {
		t.Fatal(err)
	}
	det, err := cfg.BuildDetectors()
	if err != nil {
		t.Fatal(err)
	}
	results := rules.RunExamples(context.Background(), e, packs, det, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	if len(results) < 100 {
		t.Fatalf("only %d examples in the embedded packs", len(results))
	}
	for _, r := range results {
		if len(r.Failures) > 0 {
			t.Errorf("%s: %s: %s", r.File, r.Name, strings.Join(r.Failures, "; "))
		}
	}
	t.Logf("%d examples passed", len(results))
}
