package pipeline

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportDirection holds the one-way import order written in docs/ARCHITECTURE.md:
// record ← detectors ← rules ← incident (and incident/...) ← enforce ← pipeline ← engine ← serve ← cmd. A package may import only
// packages of its own rank or lower; record imports only the standard library.
func TestImportDirection(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list; skipped in -short")
	}
	const mod = "github.com/aigcwatch/aigcwatch"
	rank := func(pkg string) float64 {
		p := strings.TrimPrefix(pkg, mod+"/")
		switch {
		case p == "record":
			return 0
		case p == "defaults" || p == "docs":
			return 0
		case p == "detectors" || strings.HasPrefix(p, "detectors/"):
			return 1
		case p == "rules":
			return 2
		case p == "incident" || strings.HasPrefix(p, "incident/"): // incident/route, webhook, deliver, store
			return 3
		case p == "enforce":
			return 3.5
		case p == "pipeline" || strings.HasPrefix(p, "pipeline/"):
			return 4
		case p == "internal/hugepage" || p == "internal/shareddata" || p == "internal/benchclock" || p == "internal/jsonw":
			return 0 // leaf utilities
		case strings.HasPrefix(p, "internal/"):
			return 4
		case p == "engine":
			return 5 // the embeddable engine: pipeline behind Check
		case p == "serve":
			return 6 // the HTTP API over engine
		case strings.HasPrefix(p, "cmd/") || strings.HasPrefix(p, "examples"):
			return 7
		case strings.HasPrefix(p, "deploy/"):
			return 7 // configuration as code (dashboards, rules) and its tests
		}
		return -1
	}
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, mod+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg, imports := f[0], f[1:]
		r := rank(pkg)
		if r < 0 {
			t.Errorf("package %s has no place in the import order: add it to docs/ARCHITECTURE.md and this test", pkg)
			continue
		}
		for _, imp := range imports {
			if !strings.HasPrefix(imp, mod) {
				// record is a leaf: the standard library, plus the JSON decoder and the UTF-8
				// validator chosen for the hot path (the same project's).
				if strings.TrimPrefix(pkg, mod+"/") == "record" && strings.Contains(strings.Split(imp, "/")[0], ".") &&
					imp != "github.com/segmentio/encoding/json" && imp != "github.com/segmentio/asm/utf8" {
					t.Errorf("record must import only the standard library (and its JSON decoder and UTF-8 validator), imports %s", imp)
				}
				continue
			}
			checked++
			if ri := rank(imp); ri > r {
				t.Errorf("%s (rank %v) imports %s (rank %v): imports must point down the order", pkg, r, imp, ri)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no internal imports seen: go list output not parsed")
	}
}
