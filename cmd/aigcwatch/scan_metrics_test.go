package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestScanMetricsFile: --metrics-file writes the exposition at the end, with the scan's
// counts, the batch-job gauges, and no Go runtime metrics; a failed scan writes success 0.
func TestScanMetricsFile(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	data := fraudCN + "\n{not json\n" + `{"id":"ok","jurisdiction":"UK","text":"hello"}` + "\n"
	if err := os.WriteFile(in, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	prom := filepath.Join(dir, "aigcwatch.prom")
	code, _, errs := runCLI(t, "", "scan", in, "--quiet", "--metrics-file", prom)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	b, err := os.ReadFile(prom)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, re := range []string{
		`(?m)^aigcwatch_records_judged_total\{decision="review",jurisdiction="CN"\} 1$`,
		`(?m)^aigcwatch_records_judged_total\{decision="allow",jurisdiction="UK"\} 1$`,
		`(?m)^aigcwatch_dead_letters_total\{reason="invalid_json"\} 1$`,
		`(?m)^aigcwatch_scan_success 1$`,
		`(?m)^aigcwatch_scan_last_run_timestamp_seconds \d`,
		`(?m)^aigcwatch_judge_duration_seconds_count 2$`,
	} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("metrics file lacks %s", re)
		}
	}
	if strings.Contains(text, "go_goroutines") {
		t.Error("metrics file has Go runtime metrics")
	}
	code, _, _ = runCLI(t, "", "scan", filepath.Join(dir, "missing.jsonl"), "--quiet", "--metrics-file", prom)
	if code != exitFailed {
		t.Fatalf("missing input: exit %d", code)
	}
	if b, _ := os.ReadFile(prom); !strings.Contains(string(b), "aigcwatch_scan_success 0") {
		t.Error("a failed scan does not write success 0")
	}
}
