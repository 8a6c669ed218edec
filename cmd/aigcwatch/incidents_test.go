package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/incident/store"
)

func TestIncidentsCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	var evs [][]byte
	for i := range 7 {
		prov := "p1"
		if i >= 4 {
			prov = "p2"
		}
		evs = append(evs, fmt.Appendf(nil, `{"specversion":"1.0","id":"inc-%d","source":"urn:aigcwatch","type":%q,"subject":%q,"time":%q,"data":{"rule":{"id":"R%d","pack":"p"},"decision":"block","layer":"content","severity":"high","jurisdiction":"CN","authority":"CAC","provider":%q}}`,
			i, incident.Type, prov, t0.Add(time.Duration(i)*time.Hour).Format(time.RFC3339), i, prov))
	}
	if err := st.Insert(t.Context(), evs); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(st.Handler())
	defer srv.Close()
	defer st.Close()
	cli := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := runIncidents(context.Background(), args, nil, &out, &errb)
		return code, out.String(), errb.String()
	}
	for _, src := range [][]string{{"--store", path}, {"--url", srv.URL}} {
		t.Run(src[0], func(t *testing.T) {
			code, out, _ := cli(append(src, "--provider", "p1", "--limit", "2", "--all")...)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if code != 0 || len(lines) != 5 || !strings.HasPrefix(lines[0], "TIME") || !strings.Contains(lines[1], "inc-3") || !strings.Contains(lines[4], "inc-0") {
				t.Errorf("table, all pages: %d\n%s", code, out)
			}
			code, out, errs := cli(append(src, "--json", "--limit", "3")...)
			if code != 0 || strings.Count(out, "\n") != 3 || !strings.HasPrefix(out, `{"specversion"`) || !strings.Contains(errs, "--cursor") {
				t.Errorf("json page: %d %q %q", code, out, errs)
			}
			code, out, _ = cli(append(src, "--since", t0.Add(5*time.Hour).Format(time.RFC3339), "--json")...)
			if code != 0 || strings.Count(out, "\n") != 2 {
				t.Errorf("since: %q", out)
			}
			code, out, _ = cli(append(src, "--id", "inc-6")...)
			if code != 0 || !strings.Contains(out, `"id":"inc-6"`) {
				t.Errorf("by id: %d %q", code, out)
			}
			if code, _, errs = cli(append(src, "--provider", "nobody")...); code != 0 || !strings.Contains(errs, "no incidents match") {
				t.Errorf("empty: %d %q", code, errs)
			}
		})
	}
	if code, _, errs := cli("--store", path, "--since", "whenever"); code != exitUsage || !strings.Contains(errs, "since") {
		t.Errorf("bad time: %d %q", code, errs)
	}
	if code, _, _ := cli(); code != exitUsage {
		t.Error("no source must be a usage error")
	}
}
