package rules

import (
	"encoding/json"
	"strconv"

	"github.com/aigcwatch/aigcwatch/internal/jsonw"
)

// AppendJSON appends the verdict's JSON (the shape of docs/outputs.md) to dst. It is the
// hot-path encoder: no reflection, and the ruleset's JSON is encoded once per engine.
// TestAppendJSONMatchesReflection holds it equal to encoding/json's output.
func (v *Verdict) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"id":`...)
	dst = jsonw.AppendString(dst, v.ID)
	if v.Jurisdiction != "" {
		dst = append(dst, `,"jurisdiction":`...)
		dst = jsonw.AppendString(dst, v.Jurisdiction)
	}
	dst = append(dst, `,"decision":"`...)
	dst = append(dst, v.Decision.String()...)
	dst = append(dst, '"')
	if v.LabelNotice != "" {
		dst = append(dst, `,"label_notice":`...)
		dst = jsonw.AppendString(dst, v.LabelNotice)
	}
	dst = append(dst, `,"tier":"`...)
	dst = append(dst, v.Tier.String()...)
	dst = append(dst, `","findings":[`...)
	for i := range v.Findings {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = v.Findings[i].AppendJSON(dst)
	}
	dst = append(dst, `],"rules":[`...)
	for i, r := range v.Rules {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, r.json()...)
	}
	dst = append(dst, ']')
	if len(v.Problems) > 0 {
		dst = append(dst, `,"problems":[`...)
		for i, p := range v.Problems {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"detector":`...)
			dst = jsonw.AppendString(dst, p.Detector)
			dst = append(dst, `,"field":`...)
			dst = jsonw.AppendString(dst, p.Field)
			dst = append(dst, `,"reason":`...)
			dst = jsonw.AppendString(dst, p.Reason)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if len(v.Notes) > 0 {
		dst = append(dst, `,"notes":[`...)
		for i, n := range v.Notes {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"rule":`...)
			dst = jsonw.AppendString(dst, n.Rule)
			dst = append(dst, `,"kind":`...)
			dst = jsonw.AppendString(dst, n.Kind)
			dst = append(dst, `,"field":`...)
			dst = jsonw.AppendString(dst, n.Field)
			dst = append(dst, `,"detail":`...)
			dst = jsonw.AppendString(dst, n.Detail)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"ruleset":`...)
	if v.Ruleset == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, v.Ruleset.json()...)
	}
	dst = append(dst, `,"latency_us":`...)
	dst = strconv.AppendInt(dst, v.LatencyUS, 10)
	return append(dst, '}')
}

// json returns the rule's encoded FiredRule, built once (rules are immutable).
func (r *Rule) json() []byte {
	r.jsonOnce.Do(func() { r.jsonBytes, _ = json.Marshal(Fired(r)) })
	return r.jsonBytes
}

// JSON returns the ruleset's encoded form, built once (engines are immutable).
func (s *Ruleset) JSON() []byte { return s.json() }

func (s *Ruleset) json() []byte {
	s.jsonOnce.Do(func() { s.jsonBytes, _ = json.Marshal(s) })
	return s.jsonBytes
}
