package incident

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/record"
	"github.com/aigcwatch/aigcwatch/rules"
)

// Golden vector: stored incident ids depend on this function; changing it makes
// redelivered records look new downstream.
func TestIDGolden(t *testing.T) {
	if got := ID("rec-1", "CN-CONTENT-05"); got != "105930132b8dd4f05597eaa65f29d74b" {
		t.Errorf("ID = %s: the incident id function changed", got)
	}
	if ID("rec-1", "A") == ID("rec-1", "B") || ID("rec-1", "A") == ID("rec-2", "A") || ID("a\x00b", "c") == ID("a", "b\x00c") {
		t.Error("ids collide")
	}
}

func TestPseudonymIsKeyed(t *testing.T) {
	a := (&Builder{Key: []byte("key-one-0123456789")}).Pseudonym("alice")
	b := (&Builder{Key: []byte("key-two-0123456789")}).Pseudonym("alice")
	c := (&Builder{Key: []byte("key-one-0123456789")}).Pseudonym("alice")
	if a == b || a != c || strings.Contains(a, "alice") || !strings.HasPrefix(a, "hmac-sha256:") {
		t.Errorf("pseudonyms %s %s %s", a, b, c)
	}
}

func TestBuildOnlyReportableRulesAndBoundEvidence(t *testing.T) {
	rep := &rules.Rule{ID: "R-1", Pack: "p", Title: "t", Decision: rules.Block, Severity: detectors.Critical, Basis: "b", Authority: "a", Report: true}
	quiet := &rules.Rule{ID: "R-2", Decision: rules.Review}
	findings := make([]detectors.Finding, MaxEvidence+5)
	v := &rules.Verdict{ID: "r", Jurisdiction: "UK", Rules: []*rules.Rule{rep, quiet}, Findings: findings}
	r := &record.Record{ID: "r", Account: "acct", Text: "the content itself"}
	b := &Builder{Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }}
	evs, err := b.Build(r, v)
	if err != nil || len(evs) != 1 {
		t.Fatalf("%d events, err %v", len(evs), err)
	}
	var e cloudevents.Event
	if err := json.Unmarshal(evs[0].JSON, &e); err != nil || e.Validate() != nil {
		t.Fatalf("not a valid CloudEvent: %v %s", err, evs[0].JSON)
	}
	if e.Subject() != "unknown-provider" || evs[0].Key != "unknown-provider" || !e.Time().Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("subject %q key %q time %v", e.Subject(), evs[0].Key, e.Time())
	}
	var d Data
	if err := e.DataAs(&d); err != nil {
		t.Fatal(err)
	}
	if len(d.Evidence) != MaxEvidence || d.EvidenceOmitted != 5 || d.Rule.ID != "R-1" || d.Jurisdiction != "UK" {
		t.Errorf("data %+v", d)
	}
	if strings.Contains(string(evs[0].JSON), "the content itself") {
		t.Error("the event carries the content")
	}
}
