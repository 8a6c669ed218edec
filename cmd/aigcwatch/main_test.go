package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

const fraudCN = `{"id":"c1","jurisdiction":"CN","modality":"text","text":"兼职刷单返利，日赚五百"}`

func TestScanStdinToStdout(t *testing.T) {
	code, out, errs := runCLI(t, fraudCN+"\n"+`{"id":"c2","jurisdiction":"CN","modality":"text","text":"今天天气很好"}`+"\n", "scan")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 verdicts, got %q", out)
	}
	var v struct {
		ID, Decision string
		Findings     []struct{ Category string }
	}
	if err := json.Unmarshal([]byte(lines[0]), &v); err != nil {
		t.Fatal(err)
	}
	if v.ID != "c1" || v.Decision != "review" || len(v.Findings) == 0 || v.Findings[0].Category != "fraud" {
		t.Errorf("verdict %s", lines[0])
	}
	for _, want := range []string{"records", "decision", "findings by layer", "rules fired", "CN-CONTENT-05", "records/s"} {
		if !strings.Contains(errs, want) {
			t.Errorf("summary lacks %q:\n%s", want, errs)
		}
	}
}

func TestScanFilesDLQIncidentsAndGate(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	data := fraudCN + "\n{not json\n" + `{"id":"w","text":7}` + "\n" + `{"id":"ok","jurisdiction":"UK","text":"hello"}` + "\n"
	if err := os.WriteFile(in, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	out, inc, dlq := filepath.Join(dir, "v.jsonl"), filepath.Join(dir, "i.jsonl"), filepath.Join(dir, "d.jsonl")
	code, stdout, errs := runCLI(t, "", "scan", in, "--out", out, "--incidents", inc, "--dlq", dlq, "--fail-on", "review")
	if code != exitGate {
		t.Fatalf("--fail-on review with a review verdict: exit %d, want %d\n%s", code, exitGate, errs)
	}
	if stdout != "" {
		t.Errorf("stdout should be empty with --out: %q", stdout)
	}
	read := func(p string) []string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	if n := len(read(out)); n != 2 {
		t.Errorf("%d verdicts, want 2", n)
	}
	if n := len(read(inc)); n != 1 {
		t.Errorf("%d incidents, want 1", n)
	}
	d := read(dlq)
	if len(d) != 2 || !strings.Contains(d[0], `"line":2`) || !strings.Contains(d[0], `"reason":"invalid_json"`) ||
		!strings.Contains(d[1], `"line":3`) || !strings.Contains(d[1], `"field":"text"`) {
		t.Errorf("dead letters: %q", d)
	}
	// Without the gate, the same scan succeeds; with --fail-on block it does too (nothing blocked).
	if code, _, errs := runCLI(t, "", "scan", "--quiet", "--out", out, "--dlq", dlq, in); code != exitOK {
		t.Errorf("exit %d: %s", code, errs)
	}
	if code, _, _ := runCLI(t, "", "scan", "--quiet", "--out", out, "--dlq", dlq, "--fail-on", "block", in); code != exitOK {
		t.Errorf("--fail-on block: exit %d, want 0", code)
	}
}

func TestScanUsageAndFailures(t *testing.T) {
	if code, _, _ := runCLI(t, "", "scan", "--fail-on", "maybe"); code != exitUsage {
		t.Errorf("bad --fail-on: exit %d", code)
	}
	if code, _, errs := runCLI(t, "", "scan", "--quiet", "/does/not/exist.jsonl"); code != exitFailed || !strings.Contains(errs, "exist.jsonl") {
		t.Errorf("missing file: exit %d %s", code, errs)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("pack: x\nversion: 1\njurisdictions: [CN]\nrules:\n  - id: X\n    when: nope(\n"), 0o644)
	if code, _, errs := runCLI(t, "", "scan", "--rules", dir); code != exitFailed || !strings.Contains(errs, `rule "X"`) {
		t.Errorf("bad rules: exit %d %s", code, errs)
	}
	if code, _, _ := runCLI(t, "", "nosuch"); code != exitUsage {
		t.Errorf("unknown command: exit %d", code)
	}
	if code, out, _ := runCLI(t, "", "version"); code != exitOK || !strings.HasPrefix(out, "aigcwatch ") {
		t.Errorf("version: %d %q", code, out)
	}
}

func TestRulesLintAndTest(t *testing.T) {
	code, out, errs := runCLI(t, "", "rules", "lint")
	if code != exitOK || !strings.Contains(out, ": ok") {
		t.Fatalf("lint embedded: %d %s %s", code, out, errs)
	}
	code, out, errs = runCLI(t, "", "rules", "test")
	if code != exitOK || !strings.Contains(out, " passed, 0 failed") {
		t.Fatalf("the embedded packs' examples must pass with the real detectors: %d\n%s%s", code, out, errs)
	}
	// A pack whose example is wrong fails `rules test`, naming the example.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(`pack: p
version: "1"
jurisdictions: [CN]
rules:
  - {id: P-1, title: t, layer: content, severity: high, decision: block, basis: b, authority: a, when: 'record.text contains "zzz"'}
examples:
  - name: expects the wrong decision
    record: {id: e, jurisdiction: CN, text: "zzz"}
    expect: {decision: review, rules: [P-1]}
`), 0o644)
	code, out, _ = runCLI(t, "", "rules", "test", dir)
	if code != exitFailed || !strings.Contains(out, "expects the wrong decision") || !strings.Contains(out, "0 passed, 1 failed") {
		t.Errorf("failing example: %d %s", code, out)
	}
}

// TestScanAutoBankIsReproducible: with auto-banking a verdict depends on the records before
// it, so scan judges in input order; two scans give the same verdicts, and a stripped
// re-upload of a labelled image in the sample stream is caught.
func TestScanAutoBankIsReproducible(t *testing.T) {
	latency := regexp.MustCompile(`"latency_us":\d+`)
	var outs []string
	for range 2 {
		code, out, errs := runCLI(t, "", "scan", "--quiet", "--auto-bank-labeled", "../../examples/stream.jsonl")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		outs = append(outs, latency.ReplaceAllString(out, ""))
	}
	if outs[0] != outs[1] {
		t.Error("two scans with --auto-bank-labeled gave different verdicts")
	}
	if !strings.Contains(outs[0], `"id":"CN-TAMPER-01-HISTORY"`) {
		t.Error("no stripped re-upload caught in the sample stream")
	}
}

// TestVerdictRulesetFlag: by default a verdict names the packs of its record's
// jurisdiction; --verdict-ruleset all gives the form before 2026-11-28 (every pack, the
// engine's checksum, as rules lint prints it); another value is a usage error.
func TestVerdictRulesetFlag(t *testing.T) {
	in := `{"id":"a","jurisdiction":"CN","modality":"text","text":"hello"}` + "\n"
	packs := func(args ...string) (int, string) {
		code, out, errs := runCLI(t, in, append([]string{"scan", "--quiet"}, args...)...)
		if code != exitOK {
			t.Fatalf("scan %v: exit %d: %s", args, code, errs)
		}
		var v struct {
			Ruleset struct {
				Packs    []struct{ Name string }
				Checksum string
			}
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("%v: %q", err, out)
		}
		return len(v.Ruleset.Packs), v.Ruleset.Checksum
	}
	nApplicable, sumApplicable := packs()
	nAll, sumAll := packs("--verdict-ruleset", "all")
	_, lint, _ := runCLI(t, "", "rules", "lint")
	if nApplicable == 0 || nApplicable >= nAll || sumApplicable == sumAll {
		t.Errorf("applicable: %d packs %s; all: %d packs %s", nApplicable, sumApplicable, nAll, sumAll)
	}
	if !strings.Contains(lint, sumAll) {
		t.Errorf("--verdict-ruleset all checksum %s is not the one rules lint prints:\n%s", sumAll, lint)
	}
	if code, _, errs := runCLI(t, in, "scan", "--verdict-ruleset", "some"); code != exitUsage || !strings.Contains(errs, "applicable or all") {
		t.Errorf("bad value: exit %d, %q", code, errs)
	}
}
