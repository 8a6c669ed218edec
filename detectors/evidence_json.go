package detectors

import (
	"encoding/json"
	"strconv"
)

// MarshalJSON writes only the fields of the evidence's kind: text evidence (term set)
// always carries start and end; hash evidence (bank set) always carries
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
		dst = appendJSONString(dst, v)
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

// appendJSONString appends s as a JSON string exactly as encoding/json writes it.
func appendJSONString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // cold enough here: evidence strings are short and few
	return append(dst, b...)
}
