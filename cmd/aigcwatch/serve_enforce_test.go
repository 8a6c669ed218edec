package main

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aigcwatch/aigcwatch/enforce"
)

// TestServeEnforcementAgreesWithScan posts the records of the enforcement test to serve
// with enforcement and a state file, in order: GET /v1/providers (behind the tokens)
// shows every provider as a scan of the same records leaves it, and still does after
// every record is posted again (client retries count once), the incident sink holds
// every level change, and after SIGTERM the state file brings the same state back.
func TestServeEnforcementAgreesWithScan(t *testing.T) {
	t.Parallel()
	bin := aigcwatchBinary(t)
	_, file := enforcementRecords(t)
	want := scanEnforcement(t, bin, file)
	changes := 0
	for _, s := range want {
		changes += len(s.Hist)
	}
	dir := t.TempDir()
	tokens, state, incFile := filepath.Join(dir, "tokens"), filepath.Join(dir, "state.json"), filepath.Join(dir, "inc.jsonl")
	const tok = "enforcement-token-0123456789"
	if err := os.WriteFile(tokens, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--token-file", tokens, "--incidents-file", incFile, "--enforcement", "--enforcement-state", state, "--watch=false"}
	s := startServe(t, bin, nil, args...)
	lines := bytes.SplitAfter(file, []byte("\n"))
	postAll := func() {
		t.Helper()
		for i := 0; i < len(lines); i += 1000 {
			if code, _, body := s.post(t, "/v1/moderate/batch", tok, "application/x-ndjson", bytes.Join(lines[i:min(i+1000, len(lines))], nil)); code != 200 {
				t.Fatalf("batch %d: %d %s", i/1000, code, body)
			}
		}
	}
	postAll()
	if code, _ := httpGet(s.url + "/v1/providers"); code != http.StatusUnauthorized {
		t.Errorf("GET /v1/providers without a token: %d, want 401", code)
	}
	check := func(what string) {
		t.Helper()
		req, _ := http.NewRequest("GET", s.url+"/v1/providers?limit=10000", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var page struct{ Providers []enforce.View }
		if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: GET /v1/providers: %d %v", what, resp.StatusCode, err)
		}
		got := map[enforce.Key]providerState{}
		for _, v := range page.Providers {
			got[enforce.Key{Provider: v.Provider, Jurisdiction: v.Jurisdiction}] = providerState{Level: v.Level.Level,
				Points: int64(math.Round(v.Points * 1000)), Totals: v.Totals}
		}
		strip := map[enforce.Key]providerState{}
		for k, w := range want {
			w.Seq, w.Last, w.Hist = 0, 0, nil
			strip[k] = w
		}
		compareStates(t, what, got, strip)
	}
	check("serve")
	// A client retrying every request (as after a 503) counts nothing twice: the state,
	// and below the level changes in the sink, are still the scan's.
	postAll()
	check("serve, every record posted a second time")
	// The gauge: one series per provider above the base (30 of them, all within the top 50).
	above := 0
	for _, w := range want {
		if w.Level > 0 {
			above++
		}
	}
	_, metrics := httpGet(s.url + "/metrics")
	if n := strings.Count(metrics, "\naigcwatch_provider_enforcement_level{"); n != above || above == 0 {
		t.Errorf("/metrics: %d aigcwatch_provider_enforcement_level series, want %d", n, above)
	}
	n := 0
	forLines(t, incFile, func(b []byte) {
		if bytes.Contains(b, []byte(`"type":"`+enforce.LevelChangedType+`"`)) {
			n++
		}
	})
	if n != changes {
		t.Errorf("incident sink: %d level changes, the scan made %d", n, changes)
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	<-s.done
	s.done <- nil
	if _, err := os.Stat(state); err != nil {
		t.Fatalf("no state file after SIGTERM: %v", err)
	}
	s = startServe(t, bin, nil, args...)
	check("serve restarted on its state file")
}
