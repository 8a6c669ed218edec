// Package examples_test checks the sample stream: every record decodes, ids are unique
// and name their group, the malformed lines are rejected for the right reasons, the
// generator reproduces the committed files byte for byte, and the groups hold what
// their names and examples/expect.tsv promise.
package examples_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/aigcwatch/aigcwatch/defaults"
	"github.com/aigcwatch/aigcwatch/record"
	"github.com/aigcwatch/aigcwatch/rules"
)

var idShape = regexp.MustCompile(`^([a-z]+(?:-[a-z0-9]+)*)-[0-9]{3}$`)

// groupOf returns the group name of a record id: the id without its -NNN suffix.
// wholeID is a record id, for groups whose records expect different verdicts.
var wholeID = regexp.MustCompile(`^[a-z0-9-]+-[0-9]{3}$`)

func groupOf(id string) string {
	m := idShape.FindStringSubmatch(id)
	if m == nil {
		return ""
	}
	return m[1]
}

func lines(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 || b[len(b)-1] != '\n' {
		t.Fatalf("%s: want newline-terminated lines", path)
	}
	return bytes.Split(b[:len(b)-1], []byte("\n"))
}

func readStream(t *testing.T) []record.Record {
	t.Helper()
	var out []record.Record
	for i, l := range lines(t, "stream.jsonl") {
		var r record.Record
		if err := record.Decode(l, record.Limits{}, &r); err != nil {
			t.Fatalf("stream.jsonl:%d: %v", i+1, err)
		}
		out = append(out, r)
	}
	return out
}

func TestStreamDecodes(t *testing.T) {
	t.Parallel()
	recs := readStream(t)
	if n := len(recs); n < 300 || n > 500 {
		t.Errorf("stream has %d records, want 300..500", n)
	}
	seen := map[string]int{}
	modalities := map[string]bool{}
	juris := map[string]bool{}
	for i, r := range recs {
		if groupOf(r.ID) == "" {
			t.Errorf("line %d: id %q does not look like <group>-NNN", i+1, r.ID)
		}
		if prev, ok := seen[r.ID]; ok {
			t.Errorf("line %d: id %q already used on line %d", i+1, r.ID, prev)
		}
		seen[r.ID] = i + 1
		if r.Time.IsZero() {
			t.Errorf("line %d (%s): no time", i+1, r.ID)
		}
		modalities[r.Modality] = true
		juris[r.Jurisdiction] = true
	}
	for _, m := range []string{record.Text, record.Image, record.Audio, record.Video, record.Virtual, record.Other} {
		if !modalities[m] {
			t.Errorf("no record of modality %q", m)
		}
	}
	for _, j := range []string{"CN", "EU", "DE", "FR", "US", "US-CA", "UK", "BR", ""} {
		if !juris[j] {
			t.Errorf("no record of jurisdiction %q", j)
		}
	}
}

func TestPoisonRejected(t *testing.T) {
	t.Parallel()
	// One entry per line of poison.jsonl, in order.
	want := []struct{ reason, field string }{
		{record.ReasonInvalidJSON, ""},
		{record.ReasonInvalidJSON, ""},
		{record.ReasonInvalidJSON, ""},
		{record.ReasonInvalidUTF8, "text"},
		{record.ReasonInvalidUTF8, "text"},
		{record.ReasonWrongType, "declared_ai"},
		{record.ReasonWrongType, "signals.deepfake_score"},
		{record.ReasonWrongType, "labels.implicit"},
		{record.ReasonMissingField, "id"},
		{record.ReasonMissingField, "id"},
		{record.ReasonInvalidValue, "modality"},
		{record.ReasonInvalidValue, "signals.ai_score"},
		{record.ReasonInvalidValue, "time"},
		{record.ReasonInvalidValue, "jurisdiction"},
	}
	got := lines(t, "poison.jsonl")
	if len(got) != len(want) {
		t.Fatalf("poison.jsonl has %d lines, the test expects %d", len(got), len(want))
	}
	for i, l := range got {
		var r record.Record
		err := record.Decode(l, record.Limits{}, &r)
		var de *record.DecodeError
		if !errors.As(err, &de) || !errors.Is(err, record.ErrRejected) {
			t.Errorf("poison.jsonl:%d: err = %v, want a *record.DecodeError", i+1, err)
			continue
		}
		if de.Reason != want[i].reason || de.Field != want[i].field {
			t.Errorf("poison.jsonl:%d: rejected as %s at %q (%v), want %s at %q", i+1, de.Reason, de.Field, err, want[i].reason, want[i].field)
		}
	}
}

func TestGeneratorReproducesFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the generator; skipped with -short")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go tool not on PATH")
	}
	for _, c := range []struct {
		file string
		args []string
	}{{"stream.jsonl", nil}, {"poison.jsonl", []string{"-poison"}}} {
		cmd := exec.Command("go", append([]string{"run", "./gen"}, c.args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go run ./gen %v: %v\n%s", c.args, err, stderr.Bytes())
		}
		want, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, want) {
			t.Errorf("go run ./gen %v differs from %s: regenerate it (see examples/README.md)", c.args, c.file)
		}
	}
}

// expectation is one line of expect.tsv.
type expectation struct {
	prefix   string
	decision string
	rules    []string
	line     int
}

func readExpect(t *testing.T) []expectation {
	t.Helper()
	f, err := os.Open("expect.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []expectation
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		cols := strings.Split(l, "\t")
		if len(cols) != 3 {
			t.Fatalf("expect.tsv:%d: %d columns, want 3 (id_prefix, decision, rules)", n, len(cols))
		}
		out = append(out, expectation{prefix: cols[0], decision: cols[1], rules: strings.Fields(cols[2]), line: n})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestExpectCoversStream(t *testing.T) {
	t.Parallel()
	recs := readStream(t)
	exps := readExpect(t)
	packs, err := rules.LoadFS(defaults.Packs(), ".")
	if err != nil {
		t.Fatalf("default packs: %v", err)
	}
	known := map[string]bool{}
	for _, p := range packs {
		for _, r := range p.Rules {
			known[r.ID] = true
		}
	}
	used := make([]int, len(exps))
	for _, r := range recs {
		var hits []string
		for i, e := range exps {
			if strings.HasPrefix(r.ID, e.prefix) {
				used[i]++
				hits = append(hits, e.prefix)
			}
		}
		if len(hits) != 1 {
			t.Errorf("record %s matches %d expectations %q, want exactly 1", r.ID, len(hits), hits)
		}
	}
	for i, e := range exps {
		if used[i] == 0 {
			t.Errorf("expect.tsv:%d: prefix %q matches no record", e.line, e.prefix)
		}
		if !strings.HasSuffix(e.prefix, "-") && !wholeID.MatchString(e.prefix) {
			t.Errorf("expect.tsv:%d: prefix %q should end in '-' (a group) or be a whole record id, so it cannot match another group", e.line, e.prefix)
		}
		if _, err := rules.ParseDecision(e.decision); err != nil {
			t.Errorf("expect.tsv:%d: decision %q: %v", e.line, e.decision, err)
		}
		for _, id := range e.rules {
			if !known[id] {
				t.Errorf("expect.tsv:%d: rule %s is in no default pack", e.line, id)
			}
		}
		// Rules may fire with decision allow (information-level checks), but a stronger
		// decision always comes from at least one rule.
		if e.decision != "allow" && len(e.rules) == 0 {
			t.Errorf("expect.tsv:%d: decision %s without a rule: a decision other than allow comes from a rule", e.line, e.decision)
		}
	}
}

// lexiconTerms reads the default lexicon: term → category.
func lexiconTerms(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, l := range strings.Split(string(defaults.Lexicon()), "\n") {
		if l = strings.TrimSpace(l); l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		cols := strings.Split(l, "\t")
		cat := ""
		if len(cols) > 1 {
			cat = cols[1]
		}
		if contextCategories[cat] {
			continue // cues: no finding on their own (the lexicon's #!context)
		}
		out[strings.ToLower(cols[0])] = cat
	}
	if len(out) == 0 {
		t.Fatal("default lexicon is empty")
	}
	return out
}

// contextCategories are the default lexicon's #!context categories.
var contextCategories = map[string]bool{"solicitation": true, "instructions": true, "mention_context": true}

// TestLexiconGroups checks that each lexicon group's texts carry a default-lexicon phrase
// of the category its name promises, and that no other record carries any.
func TestLexiconGroups(t *testing.T) {
	t.Parallel()
	suffixCat := map[string]string{
		"-fraud": "fraud", "-gambling": "gambling", "-weapons": "weapons", "-drugs": "drugs",
		"-rumour": "disinformation", "-disinfo": "disinformation", "-nudify": "intimate_image_abuse",
		"-selfharm": "self_harm", "-extremism": "violent_extremism", "-hate": "hate",
	}
	terms := lexiconTerms(t)
	for _, r := range readStream(t) {
		g := groupOf(r.ID)
		want := ""
		for suf, cat := range suffixCat {
			if strings.HasSuffix(g, suf) {
				want = cat
			}
		}
		text := strings.ToLower(r.Text)
		var found []string
		ok := false
		for term, cat := range terms {
			if strings.Contains(text, term) {
				found = append(found, term)
				ok = ok || cat == want
			}
		}
		switch {
		case want != "" && !ok:
			t.Errorf("%s: text has no %s phrase of the default lexicon: %q", r.ID, want, r.Text)
		case want == "" && len(found) > 0:
			t.Errorf("%s: text of a non-lexicon group contains lexicon phrases %q", r.ID, found)
		}
	}
}

var serviceCode = regexp.MustCompile(`^00[0-9A-Z]{25}$`)

// TestImplicitLabels checks the GB 45438 payloads of the groups that must hold valid
// ones, and that the malformed ones really are malformed.
func TestImplicitLabels(t *testing.T) {
	t.Parallel()
	keys := []string{"Label", "ContentProducer", "ProduceID", "ReservedCode1", "ContentPropagator", "PropagateID", "ReservedCode2"}
	valid := map[string]bool{"cn-img-label-ok": true, "cn-aud-label-ok": true, "cn-vid-label-ok": true, "cn-doc-label-ok": true, "cn-plat-is-ok": true, "eu-img-cnlabel": true}
	checked := 0
	for _, r := range readStream(t) {
		g := groupOf(r.ID)
		switch {
		case valid[g]:
			if len(r.Labels.Implicit) != 1 {
				t.Errorf("%s: %d implicit labels, want 1", r.ID, len(r.Labels.Implicit))
				continue
			}
			var v struct{ AIGC map[string]any }
			if err := json.Unmarshal([]byte(r.Labels.Implicit[0].Raw), &v); err != nil || v.AIGC == nil {
				t.Errorf("%s: payload does not parse as {\"AIGC\":{…}}: %v", r.ID, err)
				continue
			}
			for _, k := range keys {
				if _, ok := v.AIGC[k].(string); !ok {
					t.Errorf("%s: key %s missing or not a string", r.ID, k)
				}
			}
			if len(v.AIGC) != len(keys) {
				t.Errorf("%s: %d keys, want exactly the 7 of Annex E", r.ID, len(v.AIGC))
			}
			if v.AIGC["Label"] != "1" {
				t.Errorf("%s: Label %v, want \"1\"", r.ID, v.AIGC["Label"])
			}
			p, _ := v.AIGC["ContentProducer"].(string)
			if !serviceCode.MatchString(p) || p[22] != '1' {
				t.Errorf("%s: ContentProducer %q is not a producer service code", r.ID, p)
			}
			checked++
		case g == "cn-img-badjson":
			var v map[string]any
			if err := json.Unmarshal([]byte(r.Labels.Implicit[0].Raw), &v); err == nil {
				t.Errorf("%s: payload %q parses, want a malformed one", r.ID, r.Labels.Implicit[0].Raw)
			}
		case g == "cn-img-conflict":
			if l := r.Labels.Implicit; len(l) != 2 || l[0].Raw == l[1].Raw {
				t.Errorf("%s: want two differing carriers", r.ID)
			}
		case g == "cn-img-dup":
			if l := r.Labels.Implicit; len(l) != 2 || l[0].Raw != l[1].Raw {
				t.Errorf("%s: want two identical carriers", r.ID)
			}
		}
	}
	if checked == 0 {
		t.Error("no valid implicit label checked")
	}
}
