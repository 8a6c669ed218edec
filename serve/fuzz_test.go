package serve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aigcwatch/aigcwatch/engine"
	"github.com/aigcwatch/aigcwatch/serve"
)

// FuzzBatch: whatever the body, the batch route answers either 200 with one element per
// record (an array for an array body, a line per non-blank line for JSONL), each a verdict
// or a problem with its index, or one 4xx problem; it never panics or answers 5xx.
func FuzzBatch(f *testing.F) {
	for _, s := range []string{
		"[" + fraudCN + "]", fraudCN + "\n" + `{"id":"x","text":7}`, "[1, {}, []]", "[", "[]", "", "\n\n", "[{\"id\":\"a\"},]",
		"{\"id\":\"u\",\"text\":\"\xff\"}", `[{"id":"a"}] x`, " [ {\"id\" : \"b\" } ] ",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	eng, err := engine.New(context.Background(), engine.Config{})
	if err != nil {
		f.Fatal(err)
	}
	defer eng.Close()
	lim := defaultLimits
	lim.MaxBatchRecords = 50
	h, err := serve.New(serve.Options{Checker: eng, Incidents: &memSink{}, Limits: lim})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, jsonl bool) {
		req := httptest.NewRequest("POST", "/v1/moderate/batch", bytes.NewReader(body))
		if jsonl {
			req.Header.Set("Content-Type", "application/x-ndjson")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%d for %q: %s", w.Code, body, w.Body)
		}
		if w.Code != http.StatusOK {
			var p serve.Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != w.Code || p.Reason == "" {
				t.Fatalf("%d answer is not a problem: %s", w.Code, w.Body)
			}
			return
		}
		var elems []json.RawMessage
		if w.Header().Get("Content-Type") == "application/json" {
			if err := json.Unmarshal(w.Body.Bytes(), &elems); err != nil {
				t.Fatalf("array answer is not JSON: %v\n%s", err, w.Body)
			}
		} else {
			for _, l := range bytes.Split(bytes.TrimSuffix(w.Body.Bytes(), []byte("\n")), []byte("\n")) {
				if len(l) > 0 {
					elems = append(elems, l)
				}
			}
			want := 0
			for _, l := range bytes.Split(body, []byte("\n")) {
				if len(bytes.TrimSpace(bytes.TrimSuffix(l, []byte("\r")))) > 0 {
					want++
				}
			}
			if len(elems) != want {
				t.Fatalf("%d answers for %d non-blank lines", len(elems), want)
			}
		}
		for i, e := range elems {
			var v struct {
				Decision, Reason string
				Index            *int
			}
			if err := json.Unmarshal(e, &v); err != nil {
				t.Fatalf("element %d is not JSON: %s", i, e)
			}
			if (v.Decision == "") == (v.Reason == "") || (v.Reason != "" && (v.Index == nil || *v.Index != i)) {
				t.Fatalf("element %d is neither a verdict nor a problem at its index: %s", i, e)
			}
		}
	})
}
