package detectors

import (
	"strconv"

	"github.com/aigcwatch/aigcwatch/internal/jsonw"
)

// MarshalJSON writes only the fields of the evidence's kind: text evidence (a match,
// End > 0) carries start and end; hash evidence (bank set) always carries
// entry and distance, so an exact match shows distance 0; check evidence carries check
// and outcome.
func (e Evidence) MarshalJSON() ([]byte, error) { return e.AppendJSON(nil), nil }

// AppendJSON appends the evidence's JSON to dst (the hot-path form of MarshalJSON).
func (e *Evidence) AppendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	first := true
	key := func(k string) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, '"')
		dst = append(dst, k...)
		dst = append(dst, '"', ':')
	}
	str := func(k, v string) {
		key(k)
		dst = jsonw.AppendString(dst, v)
	}
	num := func(k string, v int) {
		key(k)
		dst = strconv.AppendInt(dst, int64(v), 10)
	}
	if e.Field != "" {
		str("field", e.Field)
	}
	if e.Term != "" {
		str("term", e.Term)
	}
	if e.End > 0 { // a text match: End > Start ≥ 0
		num("start", e.Start)
		num("end", e.End)
	}
	if e.Bank != "" {
		str("bank", e.Bank)
		str("entry", e.Entry)
		num("distance", e.Distance)
	}
	if e.Check != "" {
		str("check", e.Check)
		str("outcome", e.Outcome)
	}
	if e.Detail != "" {
		str("detail", e.Detail)
	}
	return append(dst, '}')
}

// AppendJSON appends the finding's JSON to dst, in the shape encoding/json gives it.
func (f *Finding) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"detector":`...)
	dst = jsonw.AppendString(dst, f.Detector)
	dst = append(dst, `,"category":`...)
	dst = jsonw.AppendString(dst, f.Category)
	dst = append(dst, `,"severity":"`...)
	dst = append(dst, f.Severity.String()...)
	dst = append(dst, `","layer":"`...)
	dst = append(dst, f.Layer.String()...)
	dst = append(dst, `","evidence":`...)
	dst = f.Evidence.AppendJSON(dst)
	return append(dst, '}')
}
