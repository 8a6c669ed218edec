package signals

import (
	"context"
	"strings"
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/record"
)

func cats(t *testing.T, r *record.Record) string {
	t.Helper()
	var res detectors.Result
	if err := New().Detect(context.Background(), r, &res); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range res.Findings {
		out = append(out, f.Category+"="+f.Evidence.Detail)
	}
	return strings.Join(out, ",")
}

func TestSignals(t *testing.T) {
	yes, no := true, false
	hi, lo := 0.93, 0.5
	cases := []struct {
		name string
		r    record.Record
		want string
	}{
		{"clean", record.Record{}, ""},
		{"minor and intimate", record.Record{Signals: record.Signals{Intimate: &yes, MinorSuspected: &yes}}, MinorIntimate + "=intimate and minor_suspected"},
		{"intimate real person, consent absent", record.Record{Signals: record.Signals{Intimate: &yes, DepictsRealPerson: &yes}}, IntimateRealPerson + "=intimate, depicts_real_person, no consent recorded"},
		{"intimate real person with consent", record.Record{Signals: record.Signals{Intimate: &yes, DepictsRealPerson: &yes, Consent: &yes}}, ""},
		{"minor flag false", record.Record{Signals: record.Signals{Intimate: &yes, MinorSuspected: &no}}, ""},
		{"deepfake score high", record.Record{Signals: record.Signals{DeepfakeScore: &hi}}, Deepfake + "=deepfake_score 0.93"},
		{"deepfake score low", record.Record{Signals: record.Signals{DeepfakeScore: &lo}}, ""},
		{"face swap flag", record.Record{Signals: record.Signals{FaceSwap: &yes}}, FaceSwap + "=face_swap"},
		{"tool in software", record.Record{Media: &record.Media{Software: "DeepFaceLab 2.0 build 0420"}}, SynthesisTool + "=DeepFaceLab"},
		{"tool with other spelling", record.Record{Media: &record.Media{Software: "face-fusion v3"}}, SynthesisTool + "=FaceFusion"},
		{"short tool name as a word", record.Record{Media: &record.Media{Software: "roop 1.3 (cli)"}}, SynthesisTool + "=roop"},
		{"short tool name inside a word", record.Record{Media: &record.Media{Software: "TroopTracker 2"}}, ""},
		{"ordinary software", record.Record{Media: &record.Media{Software: "Adobe Photoshop 25.1"}}, ""},
		{"tool in c2pa agent", record.Record{C2PA: &record.C2PA{Actions: []record.C2PAAction{{SoftwareAgent: "GIMP"}, {SoftwareAgent: "SimSwap"}}}}, SynthesisTool + "=SimSwap"},
	}
	for _, c := range cases {
		if got := cats(t, &c.r); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestNoAllocationsOnCleanRecord(t *testing.T) {
	d := New()
	r := &record.Record{Media: &record.Media{Software: "Adobe Photoshop 25.1"}}
	var res detectors.Result
	if n := testing.AllocsPerRun(100, func() { res.Reset(); d.Detect(context.Background(), r, &res) }); n != 0 {
		t.Errorf("%v allocations on a record without signals", n)
	}
}
