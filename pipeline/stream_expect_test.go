package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestSampleStreamVerdicts judges examples/stream.jsonl with the embedded defaults (the
// same as `make run`) and checks every group's expectation in examples/expect.tsv: each
// record of the group gets the group's decision, and the listed rules fire on it.
func TestSampleStreamVerdicts(t *testing.T) {
	stream, err := os.ReadFile("../examples/stream.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	exp, err := os.ReadFile("../examples/expect.tsv")
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		prefix, decision string
		rules            []string
		seen             int
	}
	var wants []*want
	for _, line := range strings.Split(string(exp), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 2 {
			t.Fatalf("expect.tsv: bad line %q", line)
		}
		w := &want{prefix: f[0], decision: f[1]}
		if len(f) > 2 {
			w.rules = strings.Fields(f[2])
		}
		wants = append(wants, w)
	}
	p, err := Build(DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	var verdicts, dlq bytes.Buffer
	var sum Summary
	if err := p.Scan(context.Background(), bytes.NewReader(stream), ScanOptions{Verdicts: &verdicts, DLQ: &dlq}, &sum); err != nil {
		t.Fatal(err)
	}
	if dlq.Len() != 0 || sum.Rejected != 0 {
		t.Fatalf("the sample stream has rejected lines:\n%s", dlq.String())
	}
	sc := bufio.NewScanner(&verdicts)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var v struct {
			ID       string
			Decision string
			Rules    []struct{ ID string }
		}
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		n++
		var w *want
		for _, c := range wants {
			if strings.HasPrefix(v.ID, c.prefix) && (w == nil || len(c.prefix) > len(w.prefix)) {
				w = c
			}
		}
		if w == nil {
			t.Errorf("%s: no group in expect.tsv", v.ID)
			continue
		}
		w.seen++
		var fired []string
		for _, r := range v.Rules {
			fired = append(fired, r.ID)
		}
		var missing []string
		for _, r := range w.rules {
			if !slices.Contains(fired, r) {
				missing = append(missing, r)
			}
		}
		if v.Decision != w.decision || len(missing) > 0 {
			t.Errorf("%s: %s %v, want %s with %v", v.ID, v.Decision, fired, w.decision, w.rules)
		}
	}
	for _, w := range wants {
		if w.seen == 0 {
			t.Errorf("group %s in expect.tsv matched no record", w.prefix)
		}
	}
	t.Logf("%d verdicts checked against %d groups", n, len(wants))
}
