package stream

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/pipeline"
)

// TestObservationCarriesWhatEnforcementNeeds judges real records, sends their
// observations through the wire format, and applies them to one state, while another
// state applies the same judgements directly (as scan does): the stamped incidents,
// the level changes and the providers' states are identical.
func TestObservationCarriesWhatEnforcementNeeds(t *testing.T) {
	p, err := pipeline.Build(pipeline.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	pols, err := pipeline.DefaultConfig.Policies()
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) }
	direct, wired := enforce.NewState(pols, enforce.Options{Now: clock}), enforce.NewState(pols, enforce.Options{Now: clock})
	w := p.NewWorker()
	recs := []string{
		`{"id":"o1","time":"2026-11-01T00:00:00Z","provider":"p\"q","jurisdiction":"CN","role":"provider","modality":"text","text":"加我微信，刷单返利，日赚500"}`,
		`{"id":"o2","time":"2026-11-01T00:01:00Z","provider":"p\"q","jurisdiction":"CN","role":"provider","modality":"text","text":"安全账户转账，请私聊客服","self_reported":true}`,
		`{"id":"o3","provider":"p\"q","jurisdiction":"CN","role":"provider","modality":"text","text":"你好"}`, // no time: the owner's clock
		`{"id":"o4","time":"2026-11-01T00:02:00Z","provider":"eu-1","jurisdiction":"DE","role":"provider","modality":"text","text":"hello"}`,
	}
	for i := range 12 { // before o3 and o4 (o3 is a day later)
		recs = append(recs[:2:2], append([]string{strings.Replace(recs[0], `"id":"o1"`, `"id":"o1-`+string(rune('a'+i))+`"`, 1)}, recs[2:]...)...)
	}
	var changes int
	for n, raw := range recs {
		j, err := w.Judge(context.Background(), []byte(raw))
		if err != nil || j.Reject != nil {
			t.Fatalf("%s: %v %v", raw, err, j.Reject)
		}
		want := direct.ApplyObservation(enforce.Observe(j.Record, j.Verdict, j.Incidents))
		ladder := wired.LadderFor(&enforce.Observation{Ruleset: j.Verdict.Ruleset, Jurisdiction: j.Verdict.Jurisdiction})
		b := appendObservation(nil, "in", 3, int64(n), &j, ladder)
		if len(b) > observationSize(&j) {
			t.Errorf("%s: observation of %d bytes over its bound %d", j.Record.ID, len(b), observationSize(&j))
		}
		wire, o, err := decodeObservation(b)
		if err != nil {
			t.Fatalf("%s: %v\n%s", j.Record.ID, err, b)
		}
		if wire.Topic != "in" || wire.Partition != 3 || wire.Offset != int64(n) || position(wire.Topic, wire.Partition) != "in/3" {
			t.Errorf("position %+v", wire)
		}
		got := wired.ApplyObservation(o)
		if len(got.Incidents) != len(want.Incidents) || len(got.Changes) != len(want.Changes) {
			t.Fatalf("%s: %d incidents, %d changes; direct %d, %d", j.Record.ID, len(got.Incidents), len(got.Changes), len(want.Incidents), len(want.Changes))
		}
		for i := range got.Incidents {
			if !bytes.Equal(got.Incidents[i].JSON, want.Incidents[i].JSON) || got.Incidents[i].ID != want.Incidents[i].ID || got.Incidents[i].Key != want.Incidents[i].Key {
				t.Errorf("%s: incident %d differs:\n%s\n%s", j.Record.ID, i, got.Incidents[i].JSON, want.Incidents[i].JSON)
			}
		}
		changes += len(got.Changes)
	}
	if changes == 0 {
		t.Fatal("no level change: the comparison proves little")
	}
	if !reflect.DeepEqual(wired.Export(), direct.Export()) {
		t.Errorf("states differ:\n%+v\n%+v", wired.Export(), direct.Export())
	}
}

func TestDecodeObservationRefusesWhatItCannotRead(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"not json", `{"v":1,`, "unexpected end"},
		{"version", `{"v":2,"topic":"in","partition":0,"offset":1,"provider":"p"}`, "version 2"},
		{"no provider", `{"v":1,"topic":"in","partition":0,"offset":1}`, "provider, topic and offset"},
		{"incident without event", `{"v":1,"topic":"in","partition":0,"offset":1,"provider":"p","incidents":[{"rule":"R","id":"x"}]}`, "incident 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := decodeObservation([]byte(tc.in))
			if !errors.Is(err, errBadObservation) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestEnforcementConfig(t *testing.T) {
	c := DefaultConfig
	c.Enforcement = true
	topic, changelog, group := c.EnforcementNames()
	if topic != "aigcwatch.enforcement" || changelog != "aigcwatch.enforcement-changelog" || group != "aigcwatch.enforcement" {
		t.Errorf("default names %q %q %q", topic, changelog, group)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.Topics = []string{"aigcwatch.enforcement"}
	c.EnforcementGroup = c.Group
	c.EnforcementChangelogTopic = c.VerdictsTopic
	err := c.Validate()
	for _, want := range []string{`"aigcwatch.enforcement" is also an enforcement topic`, "enforcement_group", "must be two topics of their own"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation: %v; want %q", err, want)
		}
	}
}

// FuzzDecodeObservation: any bytes are an observation or an errBadObservation, never a
// panic; what decodes has what the owner relies on.
func FuzzDecodeObservation(f *testing.F) {
	f.Add([]byte(`{"v":1,"topic":"in","partition":0,"offset":1,"provider":"p","jurisdiction":"CN","ladder":"CN","time_ns":1,"incidents":[{"rule":"R","severity":3,"layer":1,"id":"x","key":"p","event":{"data":{}}}]}`))
	f.Add([]byte(`{"v":1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, o, err := decodeObservation(b)
		if err != nil {
			if !errors.Is(err, errBadObservation) {
				t.Fatalf("error not wrapping errBadObservation: %v", err)
			}
			return
		}
		if o.Provider == "" || w.Topic == "" || w.Offset < 0 || len(o.Incidents) != len(w.Incidents) {
			t.Fatalf("decoded an unusable observation: %+v", w)
		}
		for _, inc := range o.Incidents {
			if inc.Rule == nil || inc.Event.ID == "" {
				t.Fatalf("incident without rule or id: %+v", inc)
			}
		}
	})
}
