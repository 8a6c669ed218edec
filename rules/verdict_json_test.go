package rules

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/aigcwatch/aigcwatch/detectors"
)

func TestAppendJSONMatchesReflection(t *testing.T) {
	e, _ := embedded(t)
	rules := e.Rules()
	cases := []Verdict{
		{ID: "plain"},
		{ID: "q\"uo\\te<&>\u2028\n\t\x01", Jurisdiction: "CN", Decision: Block, LabelNotice: "is_ai", Tier: High, Ruleset: e.Info(), LatencyUS: 42,
			Findings: []detectors.Finding{
				{Detector: "lexicon", Category: "fraud", Severity: detectors.High, Evidence: detectors.Evidence{Term: "刷单返利", Start: 3, End: 15}},
				{Detector: "fingerprint", Category: "hash.known", Layer: detectors.Industry, Evidence: detectors.Evidence{Bank: "b", Entry: "e1", Distance: 7}},
				{Detector: "label", Category: "label.x", Severity: detectors.Info, Evidence: detectors.Evidence{Field: "labels", Check: "CN-IMP-04", Outcome: "fail", Detail: "Label \"AIGC\""}},
			},
			Rules:    rules[:3],
			Problems: []detectors.Problem{{Detector: "rules", Field: "X-1", Reason: "rule_error"}},
			Notes:    []Note{{Rule: "CN-EXP-01", Kind: NoteScopeAssumed, Field: "context.deep_synthesis", Detail: "absent \"quoted\" <b>"}},
		},
		{ID: "bad utf8 \xff in id", Findings: []detectors.Finding{{Evidence: detectors.Evidence{Term: "\xc3"}}}},
	}
	for _, v := range cases {
		got := v.AppendJSON(nil)
		want, err := v.marshalReflect()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("AppendJSON differs from encoding/json:\n got %s\nwant %s", got, want)
		}
		if !json.Valid(got) || !utf8.Valid(got) {
			t.Errorf("invalid JSON: %s", got)
		}
	}
}
