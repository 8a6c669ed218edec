package grafana

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "write the generated dashboards to dashboards/")

// TestDashboardsUpToDate regenerates the dashboards and fails on any difference with the
// committed JSON (run with -update to write them).
func TestDashboardsUpToDate(t *testing.T) {
	got, err := Dashboards()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("dashboards/*.json")
	if !*update && len(files) != len(got) {
		t.Errorf("dashboards/ holds %d files, the generator makes %d: run go test ./deploy/grafana -update", len(files), len(got))
	}
	for name, js := range got {
		path := filepath.Join("dashboards", name+".json")
		if *update {
			if err := os.WriteFile(path, js, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v: run go test ./deploy/grafana -update", err)
		}
		if !bytes.Equal(js, want) {
			t.Errorf("%s differs from what dashboards.go generates: run go test ./deploy/grafana -update", path)
		}
	}
}

// TestDashboardsShape checks what Grafana and the end-to-end test rely on: unique uids,
// every panel on the ${DS} datasource with at least one query, and titles and units set.
func TestDashboardsShape(t *testing.T) {
	got, err := Dashboards()
	if err != nil {
		t.Fatal(err)
	}
	uids := map[string]bool{}
	for name, js := range got {
		var d struct {
			UID    string `json:"uid"`
			Panels []struct {
				Type       string `json:"type"`
				Title      string `json:"title"`
				Datasource *struct {
					UID string `json:"uid"`
				} `json:"datasource"`
				FieldConfig struct {
					Defaults struct {
						Unit string `json:"unit"`
					} `json:"defaults"`
				} `json:"fieldConfig"`
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
			} `json:"panels"`
		}
		if err := json.Unmarshal(js, &d); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if uids[d.UID] || !strings.HasPrefix(d.UID, "aigcwatch-") {
			t.Errorf("%s: uid %q duplicate or not prefixed", name, d.UID)
		}
		uids[d.UID] = true
		panels := 0
		for _, p := range d.Panels {
			if p.Type == "row" {
				continue
			}
			panels++
			if p.Title == "" || p.FieldConfig.Defaults.Unit == "" {
				t.Errorf("%s: panel %q: title or unit missing", name, p.Title)
			}
			if p.Datasource == nil || p.Datasource.UID != "${DS}" {
				t.Errorf("%s: panel %q: datasource is not ${DS}", name, p.Title)
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", name, p.Title)
			}
			for _, q := range p.Targets {
				if !strings.Contains(q.Expr, "aigcwatch_") {
					t.Errorf("%s: panel %q: query %q reads no aigcwatch metric", name, p.Title, q.Expr)
				}
			}
		}
		if panels < 8 {
			t.Errorf("%s: %d panels", name, panels)
		}
	}
}
