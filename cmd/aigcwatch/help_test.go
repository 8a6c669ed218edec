package main

import (
	"strings"
	"testing"
)

// TestEveryCommandHelp: `aigcwatch COMMAND --help` prints the command's usage and exits 0, as
// the top-level help promises ("Run 'aigcwatch COMMAND -h' for a command's flags").
func TestEveryCommandHelp(t *testing.T) {
	for _, c := range commands() {
		if c.name == "version" {
			continue // takes no flags; prints the version
		}
		for _, h := range []string{"-h", "--help"} {
			code, _, errs := runCLI(t, "", c.name, h)
			if code != exitOK {
				t.Errorf("aigcwatch %s %s: exit %d, want %d; stderr: %s", c.name, h, code, exitOK, errs)
			}
			if !strings.Contains(errs, "Usage: aigcwatch "+c.name) {
				t.Errorf("aigcwatch %s %s: no usage line on stderr: %q", c.name, h, errs)
			}
		}
	}
	if code, _, _ := runCLI(t, "", "rules"); code != exitUsage {
		t.Errorf("aigcwatch rules without a subcommand: exit %d, want %d", code, exitUsage)
	}
}
