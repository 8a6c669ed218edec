package incident

import (
	"encoding/json"
	"reflect"
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

// sdkEvent builds the event with the CNCF SDK, the reference the hand-written encoder is
// held to.
func sdkEvent(t *testing.T, b *Builder, r *record.Record, v *rules.Verdict, rule *rules.Rule) cloudevents.Event {
	t.Helper()
	e := cloudevents.New(cloudevents.CloudEventsVersionV1)
	e.SetID(ID(r.ID, rule.ID))
	e.SetType(Type)
	src := b.Source
	if src == "" {
		src = "urn:aigcwatch"
	}
	e.SetSource(src)
	subject := r.Provider
	if subject == "" {
		subject = "unknown-provider"
	}
	e.SetSubject(subject)
	tm := r.Time
	if tm.IsZero() {
		tm = b.Now()
	}
	e.SetTime(tm.UTC())
	e.SetExtension("jurisdiction", extValue(v.Jurisdiction))
	e.SetExtension("decision", rule.Decision.String())
	e.SetExtension("severity", rule.Severity.String())
	e.SetExtension("layer", rule.Layer.String())
	d := Data{RecordID: r.ID, Rule: RuleRef{ID: rule.ID, Pack: rule.Pack, Title: rule.Title},
		Decision: rule.Decision.String(), Layer: rule.Layer.String(), Severity: rule.Severity.String(), Tier: rule.Tier.String(),
		Jurisdiction: v.Jurisdiction, Basis: rule.Basis, Authority: rule.Authority,
		Provider: r.Provider, Service: r.Service, Platform: r.Platform, Role: r.Role, Modality: r.Modality,
		Ruleset: v.Ruleset, Evidence: v.Findings}
	if r.Account != "" {
		d.AccountPseudonym = b.Pseudonym(r.Account)
	}
	if r.Media != nil {
		d.ContentSHA256 = r.Media.SHA256
	}
	if len(d.Evidence) > MaxEvidence {
		d.EvidenceOmitted = len(d.Evidence) - MaxEvidence
		d.Evidence = d.Evidence[:MaxEvidence]
	}
	if d.Evidence == nil {
		d.Evidence = []detectors.Finding{}
	}
	if err := e.SetData(cloudevents.ApplicationJSON, d); err != nil {
		t.Fatal(err)
	}
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEventMatchesSDK(t *testing.T) {
	rule := &rules.Rule{ID: "CN-CONTENT-05", Pack: "cn-content", Title: "Fraud <scripts> & \"scams\"", Decision: rules.Review,
		Severity: detectors.High, Tier: rules.High, Basis: "Art. 4(1)\nline two", Authority: "CAC", Report: true}
	rs := &rules.Ruleset{Packs: []rules.PackRef{{Name: "cn-content", Version: "2026.11.0"}}, Checksum: "abc"}
	cases := []struct {
		r *record.Record
		v *rules.Verdict
	}{
		{&record.Record{ID: "r1", Time: time.Date(2026, 10, 1, 8, 0, 0, 123456789, time.FixedZone("CST", 8*3600)), Provider: "prov-x",
			Service: "chat v3", Platform: "pf", Role: "platform", Modality: "text", Account: "user-42", Media: &record.Media{SHA256: "ab"}},
			&rules.Verdict{Jurisdiction: "CN", Ruleset: rs, Findings: []detectors.Finding{
				{Detector: "lexicon", Category: "fraud", Severity: detectors.High, Evidence: detectors.Evidence{Term: "刷单", Start: 3, End: 9}},
				{Detector: "fingerprint", Category: "hash.known_illegal", Evidence: detectors.Evidence{Field: "media.pdq", Bank: "b", Entry: "e", Distance: 0}}}}},
		{&record.Record{ID: "r2 \u2028 odd\x00id"}, &rules.Verdict{Findings: make([]detectors.Finding, MaxEvidence+3)}},
	}
	b := &Builder{Source: "urn:aigcwatch:test", Key: []byte("0123456789abcdef"), Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }}
	for _, c := range cases {
		c.v.Rules = []*rules.Rule{rule}
		evs, err := b.Build(c.r, c.v)
		if err != nil || len(evs) != 1 {
			t.Fatal(err)
		}
		var got cloudevents.Event
		if err := json.Unmarshal(evs[0].JSON, &got); err != nil {
			t.Fatalf("the SDK cannot decode %s: %v", evs[0].JSON, err)
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("invalid: %v", err)
		}
		want := sdkEvent(t, b, c.r, c.v, rule)
		if got.ID() != want.ID() || got.Source() != want.Source() || got.Type() != want.Type() || got.Subject() != want.Subject() ||
			!got.Time().Equal(want.Time()) || got.DataContentType() != want.DataContentType() || got.SpecVersion() != "1.0" {
			t.Errorf("attributes differ:\n got %v\nwant %v", got, want)
		}
		if !reflect.DeepEqual(got.Extensions(), want.Extensions()) {
			t.Errorf("extensions %v, want %v", got.Extensions(), want.Extensions())
		}
		var gd, wd any
		if err := json.Unmarshal(got.Data(), &gd); err != nil {
			t.Fatal(err)
		}
		json.Unmarshal(want.Data(), &wd)
		if !reflect.DeepEqual(gd, wd) {
			t.Errorf("data differs:\n got %s\nwant %s", got.Data(), want.Data())
		}
	}
}
