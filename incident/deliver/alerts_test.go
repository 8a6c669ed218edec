package deliver

import (
	"os"
	"os/exec"
	"testing"
)

// TestAlertRules runs promtool on the delivery alerts (deploy/prometheus/incidents.rules.yml):
// the rules parse and their unit tests (a receiver failing, incidents parked, an old
// backlog, a failed reload) pass.
func TestAlertRules(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("AIGCWATCH_REQUIRE_KAFKA") == "1" {
			t.Fatal("promtool not installed (scripts/deps.sh installs it)")
		}
		t.Skip("promtool not installed (scripts/deps.sh installs it); skipping the alert rule tests")
	}
	for _, args := range [][]string{{"check", "rules", "incidents.rules.yml"}, {"test", "rules", "incidents.rules_test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "../../deploy/prometheus"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %v: %v\n%s", args, err, out)
		}
	}
}
