package prometheus_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// promtool returns the promtool binary. Without it the test fails under
// AIGCWATCH_REQUIRE_PROMETHEUS=1 or CI, and skips otherwise (scripts/deps.sh installs it).
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("AIGCWATCH_REQUIRE_PROMETHEUS") == "1" || os.Getenv("CI") != "" {
			t.Fatal("promtool not found: run scripts/deps.sh")
		}
		t.Skip("promtool not found: run scripts/deps.sh (Debian package prometheus)")
	}
	return p
}

func run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(promtool(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestConfigAndRulesCheck(t *testing.T) {
	run(t, "check", "config", "prometheus.yml")
	rules, _ := filepath.Glob("rules/*.yml")
	if len(rules) < 2 {
		t.Fatalf("rule files: %v", rules)
	}
	run(t, append([]string{"check", "rules"}, rules...)...)
}

// TestRulesUnitTests runs the promtool unit tests and checks that every alert has a test
// that fires it and one where it stays silent.
func TestRulesUnitTests(t *testing.T) {
	tests, _ := filepath.Glob("tests/*.yml")
	run(t, append([]string{"test", "rules"}, tests...)...)

	alerts, err := os.ReadFile("rules/aigcwatch.alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var text string
	for _, f := range tests {
		b, _ := os.ReadFile(f)
		text += string(b)
	}
	for _, line := range strings.Split(string(alerts), "\n") {
		name, ok := strings.CutPrefix(strings.TrimSpace(line), "- alert: ")
		if !ok {
			continue
		}
		fires, silent := false, false
		blocks := strings.Split(text, "alertname: "+name+"\n")
		for _, b := range blocks[1:] {
			// The block up to the next eval_time: does it expect alerts?
			b, _, _ = strings.Cut(b, "- eval_time")
			if strings.Contains(b, "exp_alerts: []") {
				silent = true
			} else if strings.Contains(b, "exp_labels:") {
				fires = true
			}
		}
		if !fires || !silent {
			t.Errorf("alert %s: a firing test %v, a silent test %v; want both", name, fires, silent)
		}
	}
}
