package rules

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/aigcwatch/aigcwatch/detectors"
)

// AppendJSON appends the verdict's JSON (the shape of docs/outputs.md) to dst. It is the
// hot-path encoder: no reflection, and the ruleset's JSON is encoded once per engine.
// TestAppendJSONMatchesReflection holds it equal to encoding/json's output.
func (v *Verdict) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendString(dst, v.ID)
	if v.Jurisdiction != "" {
		dst = append(dst, `,"jurisdiction":`...)
		dst = appendString(dst, v.Jurisdiction)
	}
	dst = append(dst, `,"decision":"`...)
	dst = append(dst, v.Decision.String()...)
	dst = append(dst, '"')
	if v.LabelNotice != "" {
		dst = append(dst, `,"label_notice":`...)
		dst = appendString(dst, v.LabelNotice)
	}
	dst = append(dst, `,"tier":"`...)
	dst = append(dst, v.Tier.String()...)
	dst = append(dst, `","findings":[`...)
	for i := range v.Findings {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendFinding(dst, &v.Findings[i])
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
			dst = appendString(dst, p.Detector)
			dst = append(dst, `,"field":`...)
			dst = appendString(dst, p.Field)
			dst = append(dst, `,"reason":`...)
			dst = appendString(dst, p.Reason)
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

func appendFinding(dst []byte, f *detectors.Finding) []byte {
	dst = append(dst, `{"detector":`...)
	dst = appendString(dst, f.Detector)
	dst = append(dst, `,"category":`...)
	dst = appendString(dst, f.Category)
	dst = append(dst, `,"severity":"`...)
	dst = append(dst, f.Severity.String()...)
	dst = append(dst, `","layer":"`...)
	dst = append(dst, f.Layer.String()...)
	dst = append(dst, `","evidence":`...)
	dst = f.Evidence.AppendJSON(dst)
	return append(dst, '}')
}

// json returns the rule's encoded FiredRule, built once (rules are immutable).
func (r *Rule) json() []byte {
	r.jsonOnce.Do(func() { r.jsonBytes, _ = json.Marshal(Fired(r)) })
	return r.jsonBytes
}

func (s *Ruleset) json() []byte {
	s.jsonOnce.Do(func() { s.jsonBytes, _ = json.Marshal(s) })
	return s.jsonBytes
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaping as encoding/json does (including
// <, > and & as \u003c etc., U+2028 and U+2029, and invalid UTF-8 as U+FFFD).
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
