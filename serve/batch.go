package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/record"
)

// batch judges a JSON array or JSONL of records. The answer has the same form as the
// request (array or JSONL), one element per record in order: its verdict, or the problem
// that rejected it (with its index). A bad record does not fail the batch; a body whose
// record boundaries cannot be found (a broken array) does, with one problem.
func (h *Handler) batch(w http.ResponseWriter, r *http.Request, route string) {
	buf, p := h.readBody(w, r, h.opt.Limits.MaxBatchBytes)
	if p != nil {
		writeProblem(w, p)
		return
	}
	defer h.putBuf(buf)
	body := buf.Bytes()
	jsonl := isJSONL(r.Header.Get("Content-Type"), body)
	var recs [][]byte
	if jsonl {
		recs = splitJSONL(body)
	} else {
		var err *Problem
		if recs, err = splitArray(body); err != nil {
			writeProblem(w, err)
			return
		}
	}
	if n := len(recs); n > h.opt.Limits.MaxBatchRecords {
		writeProblem(w, newProblem(http.StatusRequestEntityTooLarge, ReasonTooManyRecords,
			fmt.Sprintf("batch has %d records, limit %d (max_batch_records)", n, h.opt.Limits.MaxBatchRecords)))
		return
	}
	ctx := r.Context()
	var out bytes.Buffer
	out.Grow(len(recs) * 1024)
	if !jsonl {
		out.WriteByte('[')
	}
	var evs []incident.Event
	judged, rejected := 0, 0
	for i, raw := range recs {
		if i > 0 && !jsonl {
			out.WriteByte(',')
		}
		v, err := h.opt.Checker.CheckJSON(ctx, raw)
		if err != nil {
			p, ok := asRecordProblem(err)
			if !ok {
				h.failure(w, r, route, err)
				return
			}
			rejected++
			idx := i
			p.Index = &idx
			b, _ := json.Marshal(p)
			out.Write(b)
		} else {
			judged++
			out.Write(v.JSON)
			evs = append(evs, v.Incidents...)
		}
		if jsonl {
			out.WriteByte('\n')
		}
	}
	if !jsonl {
		out.WriteString("]\n")
	}
	h.m.record(route, true).Add(float64(judged))
	h.m.record(route, false).Add(float64(rejected))
	if err := h.writeIncidents(ctx, evs); err != nil {
		h.failure(w, r, route, err)
		return
	}
	ct := "application/json"
	if jsonl {
		ct = "application/x-ndjson"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(out.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(out.Bytes())
}

// isJSONL tells a JSONL body from a JSON array: by the media type when it names one
// (application/x-ndjson, application/jsonl, application/json), else by the first byte.
func isJSONL(contentType string, body []byte) bool {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil {
		switch mt {
		case "application/x-ndjson", "application/jsonl", "application/json-lines", "application/x-jsonlines":
			return true
		case "application/json":
			return false
		}
	}
	t := bytes.TrimLeft(body, " \t\r\n")
	return len(t) == 0 || t[0] != '['
}

// splitJSONL returns the non-blank lines of body, without their line ends.
func splitJSONL(body []byte) [][]byte {
	var out [][]byte
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		out = append(out, line)
	}
	return out
}

// splitArray returns the raw elements of a JSON array, each exactly as sent (so the
// record decoder sees and names what is wrong in it). Only a broken array (no '[',
// an element that is not JSON, trailing data) is a problem for the whole batch.
func splitArray(body []byte) ([][]byte, *Problem) {
	bad := func(off int64, format string, a ...any) *Problem {
		p := newProblem(http.StatusBadRequest, record.ReasonInvalidJSON, "batch: "+fmt.Sprintf(format, a...))
		p.Offset = &off
		return p
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, bad(0, "want a JSON array of records or JSONL")
	}
	var out [][]byte
	for dec.More() {
		start := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			off := start
			var se *json.SyntaxError
			if errors.As(err, &se) {
				off = se.Offset
			}
			return nil, bad(off, "element %d is not JSON: %v", len(out), err)
		}
		// raw is a copy; point into body instead, from the element's first byte.
		end := dec.InputOffset()
		elem := bytes.TrimLeft(body[start:end], " \t\r\n,")
		out = append(out, elem)
	}
	if _, err := dec.Token(); err != nil {
		return nil, bad(dec.InputOffset(), "the array is not closed: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bad(dec.InputOffset(), "data after the array")
	}
	return out, nil
}
