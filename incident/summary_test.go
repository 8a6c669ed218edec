package incident

import (
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/record"
	"github.com/aigcwatch/aigcwatch/rules"
)

// TestSummarizeReadsBuiltEvents: the Summary read back from a built event carries what
// the event says.
func TestSummarizeReadsBuiltEvents(t *testing.T) {
	rule := &rules.Rule{ID: "CN-X", Pack: "cn-pack", Decision: rules.Block, Severity: detectors.Critical, Authority: "CAC", Report: true}
	v := &rules.Verdict{ID: "r1", Jurisdiction: "CN", Rules: []*rules.Rule{rule}}
	at := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	evs, err := (&Builder{}).Build(&record.Record{ID: "r1", Provider: "prov", Time: at}, v)
	if err != nil || len(evs) != 1 {
		t.Fatal(err)
	}
	s, err := Summarize(evs[0].JSON)
	if err != nil {
		t.Fatal(err)
	}
	want := Summary{ID: ID("r1", "CN-X"), Time: at, Provider: "prov", Jurisdiction: "CN", Authority: "CAC", Layer: rule.Layer.String(),
		Severity: "critical", Decision: "block", Rule: "CN-X", Pack: "cn-pack"}
	if s != want {
		t.Errorf("got %+v\nwant %+v", s, want)
	}
	for _, l := range Labels {
		if s.Label(l) == "" && l != "layer" {
			t.Errorf("label %s empty", l)
		}
	}
	if _, err := Summarize([]byte(`{"id":"x","type":"other"}`)); err == nil {
		t.Error("another type must be refused")
	}
}

func FuzzSummarize(f *testing.F) {
	f.Add([]byte(`{"id":"a","type":"org.aigcwatch.incident.v1","data":{"rule":{"id":"r"}}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Summarize(b)
		if err == nil && s.ID == "" {
			t.Fatal("an accepted event without an id")
		}
	})
}

// TestSummarizeCampaign: a campaign event (pipeline/stream's, whose own test checks the
// real one on the broker) is taken, with no provider (its subject is the content's
// fingerprint), its layer and severity, and the campaign decision label.
func TestSummarizeCampaign(t *testing.T) {
	ev := `{"specversion":"1.0","type":"aigcwatch.campaign","source":"aigcwatch/x","id":"minhash:ab/1790000000",` +
		`"time":"2026-10-01T08:00:00Z","subject":"minhash:ab","data":{"category":"global.campaign","layer":"global","severity":"medium","accounts":50}}`
	s, err := Summarize([]byte(ev))
	want := Summary{ID: "minhash:ab/1790000000", Time: time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC), Layer: "global", Severity: "medium", Decision: CampaignDecision}
	if err != nil || s != want {
		t.Errorf("got %+v, %v\nwant %+v", s, err, want)
	}
}
