package incident

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/record"
	"github.com/aigcwatch/aigcwatch/rules"
)

func TestWithEnforcementKeepsEveryField(t *testing.T) {
	rule := &rules.Rule{ID: "R-1", Pack: "p", Title: "t \"quoted\"", Decision: rules.Block, Severity: detectors.Critical, Basis: "b", Authority: "a", Report: true}
	v := &rules.Verdict{ID: "r", Jurisdiction: "CN", Rules: []*rules.Rule{rule}, Findings: []detectors.Finding{{Detector: "d", Category: "c", Severity: detectors.High}},
		Ruleset: &rules.Ruleset{Packs: []rules.PackRef{{Name: "p", Version: "1"}}, Checksum: "x"}}
	r := &record.Record{ID: "r", Provider: "acme", Account: "u", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	evs, err := (&Builder{}).Build(r, v)
	if err != nil || len(evs) != 1 {
		t.Fatal(err)
	}
	orig := bytes.Clone(evs[0].JSON)
	rate, tol := 0.012, 0.005
	e := &Enforcement{Ladder: "CN", Level: 2, LevelName: "warning", Action: "警告 <now>", Points: 5, WindowPoints: 25.5, NextLevelAt: 40,
		Counted: "escalating", Category: "unlabeled_aigc", Rate: &rate, ToleratedRate: &tol, Escalated: true}
	got, err := evs[0].WithEnforcement(e)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(evs[0].JSON, orig) || got.ID != evs[0].ID || got.Key != evs[0].Key {
		t.Error("the original event changed")
	}
	var before, after cloudevents.Event
	if err := json.Unmarshal(orig, &before); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got.JSON, &after); err != nil || after.Validate() != nil {
		t.Fatalf("not a valid CloudEvent: %v %s", err, got.JSON)
	}
	var db, da Data
	if err := before.DataAs(&db); err != nil {
		t.Fatal(err)
	}
	if err := after.DataAs(&da); err != nil {
		t.Fatal(err)
	}
	if da.Enforcement == nil || !reflect.DeepEqual(*da.Enforcement, *e) {
		t.Errorf("enforcement %+v, want %+v", da.Enforcement, e)
	}
	da.Enforcement = nil
	if !reflect.DeepEqual(db, da) {
		t.Errorf("existing data fields changed:\n%+v\n%+v", db, da)
	}
	if before.ID() != after.ID() || before.Type() != after.Type() || !before.Time().Equal(after.Time()) || before.Subject() != after.Subject() {
		t.Error("attributes changed")
	}
	if _, err := got.WithEnforcement(e); !errors.Is(err, ErrNotIncident) {
		t.Errorf("stamped twice: %v", err)
	}
	if _, err := (Event{JSON: []byte(`{"a":1}`)}).WithEnforcement(e); !errors.Is(err, ErrNotIncident) {
		t.Errorf("foreign JSON: %v", err)
	}
}
