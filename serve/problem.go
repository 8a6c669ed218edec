package serve

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/aigcwatch/aigcwatch/record"
)

// Problem is an RFC 9457 problem document (application/problem+json). Type is
// "urn:aigcwatch:problem:" followed by Reason; Reason, Field, Offset and Index are
// extension members that say what was wrong and where (docs/serve.md lists them).
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Reason is one of record's rejection reasons (oversize, invalid_json, invalid_utf8,
	// wrong_type, missing_field, invalid_value) or one of the Reason constants here.
	Reason string `json:"reason"`
	Field  string `json:"field,omitempty"`  // dotted JSON path of the field at fault
	Offset *int64 `json:"offset,omitempty"` // byte offset in the record (or batch body) where it was seen
	Index  *int   `json:"index,omitempty"`  // position of the record in a batch
}

// Reasons of problems that are not about a record's content: a small closed set.
const (
	ReasonUnauthorized     = "unauthorized"
	ReasonOverloaded       = "overloaded"
	ReasonTimeout          = "timeout"
	ReasonUnavailable      = "unavailable" // shutting down, or the incident sink failed
	ReasonMethodNotAllowed = "method_not_allowed"
	ReasonNotFound         = "not_found"
	ReasonTooManyRecords   = "too_many_records"
	ReasonReloadFailed     = "reload_failed"
	ReasonInternal         = "internal"
)

// ProblemType is the type URI of problems with reason.
func ProblemType(reason string) string { return "urn:aigcwatch:problem:" + reason }

func newProblem(status int, reason, detail string) *Problem {
	return &Problem{Type: ProblemType(reason), Title: http.StatusText(status), Status: status, Reason: reason, Detail: detail}
}

// recordProblem maps a rejected record to its problem: 413 when it is too large, 400
// when it is not JSON or not UTF-8, 422 when it is JSON of the wrong shape or values.
func recordProblem(de *record.DecodeError) *Problem {
	status := http.StatusUnprocessableEntity
	switch de.Reason {
	case record.ReasonOversize:
		status = http.StatusRequestEntityTooLarge
	case record.ReasonInvalidJSON, record.ReasonInvalidUTF8:
		status = http.StatusBadRequest
	}
	p := newProblem(status, de.Reason, de.Error())
	p.Field = de.Field
	if de.Offset >= 0 {
		off := de.Offset
		p.Offset = &off
	}
	return p
}

// asRecordProblem returns the problem for err if it is a rejected record.
func asRecordProblem(err error) (*Problem, bool) {
	var de *record.DecodeError
	if errors.As(err, &de) {
		return recordProblem(de), true
	}
	return nil, false
}

// writeProblem answers with p.
func writeProblem(w http.ResponseWriter, p *Problem) {
	b, err := json.Marshal(p)
	if err != nil { // cannot happen: Problem has only strings and numbers
		b = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500,"reason":"internal"}`)
		p.Status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	w.Write(append(b, '\n'))
}
