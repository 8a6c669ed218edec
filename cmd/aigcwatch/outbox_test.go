package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/incident/store"
)

// TestOutboxKill9WhileReceiverDown is the no-Kafka must-show: scan keeps its incidents
// in the outbox while the receiver is down; `aigcwatch deliver --outbox` is killed with
// SIGKILL while it retries and restarted; once the receiver is back every incident
// arrives exactly once by id, and the history holds them all.
func TestOutboxKill9WhileReceiverDown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it for a few seconds; skipped in -short")
	}
	bin := aigcwatchBinary(t)
	evs := realIncidents(t, bin, 2)
	want := map[string]bool{}
	for _, ev := range evs {
		s, _ := incident.Summarize(ev)
		want[s.ID] = true
	}
	rcv := newTestReceiver(t, false)
	dir := t.TempDir()
	routes := writeRoutes(t, dir, fmt.Sprintf(`
receivers:
  - {name: regulator, url: %q, secret_file: r.whsec, max_attempts: 100000, backoff_min: 50ms, backoff_max: 300ms}
route: {receiver: regulator, group_wait: 100ms, group_interval: 100ms}
`, rcv.srv.URL))
	ob := filepath.Join(dir, "outbox.db")
	// The same input as realIncidents judged, with the outbox: the receiver is down, so the
	// scan gives up delivering after a second and leaves everything in the outbox.
	in := filepath.Join(dir, "in.jsonl")
	var b strings.Builder
	src, _ := os.ReadFile("../../examples/stream.jsonl")
	for k := range 2 {
		b.WriteString(strings.ReplaceAll(string(src), `"id":"`, fmt.Sprintf(`"id":"c%d-`, k)))
	}
	os.WriteFile(in, []byte(b.String()), 0o644)
	out, err := exec.Command(bin, "scan", in, "--out", os.DevNull, "--dlq", os.DevNull, "--quiet",
		"--outbox", ob, "--routes", routes, "--deliver-timeout", "1s").CombinedOutput()
	if err != nil {
		t.Fatalf("scan: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), fmt.Sprintf("%d incident deliveries still pending", len(want))) {
		t.Fatalf("scan should report every incident pending:\n%s", out)
	}
	args := []string{"deliver", "--outbox", ob, "--routes", routes}
	p1 := startCmd(t, "deliver#1", bin, args...)
	waitFor(t, "attempts against the down receiver", 30*time.Second, func() bool { _, d, _, _ := rcv.state(); return d >= 8 })
	p1.kill9(t)
	_, downs1, _, _ := rcv.state()
	p2 := startCmd(t, "deliver#2", bin, args...)
	waitFor(t, "attempts after the restart", 30*time.Second, func() bool { _, d, _, _ := rcv.state(); return d >= downs1+3 })
	rcv.setUp(true)
	waitFor(t, "the first deliveries", 30*time.Second, func() bool { _, _, _, u := rcv.state(); return u > 0 })
	p2.kill9(t)
	p3 := startCmd(t, "deliver#3", bin, append(args, "--until-empty")...)
	select {
	case err := <-p3.done:
		p3.done <- err
		if err != nil {
			t.Fatalf("deliver --until-empty: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("deliver --until-empty did not finish")
	}
	rcv.mu.Lock()
	for id := range want {
		if rcv.ids[id] == 0 {
			t.Errorf("incident %s never arrived", id)
		}
	}
	if len(rcv.ids) != len(want) {
		t.Errorf("%d distinct incidents arrived, want %d", len(rcv.ids), len(want))
	}
	t.Logf("%d incidents, %d distinct arrived; raw deliveries %d (%d duplicates before dedup); %d refused while down",
		len(want), len(rcv.ids), rcv.raw, rcv.raw-len(rcv.ids), rcv.downs)
	rcv.mu.Unlock()
	st, err := store.Open(ob)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if p, _ := st.Pending(t.Context()); len(p) != 0 {
		t.Errorf("outbox not empty: %v", p)
	}
	page, err := st.Find(t.Context(), store.Query{Limit: store.MaxLimit})
	if err != nil || len(page.Incidents) != len(want) {
		t.Errorf("history holds %d incidents, want %d (%v)", len(page.Incidents), len(want), err)
	}
}

// TestDeliverBadReloadKeepsRoutes: `aigcwatch deliver --outbox` gets SIGHUP with a broken
// routing file: it logs every problem, keeps the running routes (metric at 0), and goes on
// delivering what a concurrent `scan` enqueues.
func TestDeliverBadReloadKeepsRoutes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped in -short")
	}
	bin := aigcwatchBinary(t)
	rcv := newTestReceiver(t, true)
	dir := t.TempDir()
	good := fmt.Sprintf("receivers: [{name: regulator, url: %q, secret_file: r.whsec}]\nroute: {receiver: regulator, group_wait: 100ms}\n", rcv.srv.URL)
	routes := writeRoutes(t, dir, good)
	ob := filepath.Join(dir, "outbox.db")
	p := startCmd(t, "deliver", bin, "deliver", "--outbox", ob, "--routes", routes, "--listen", "127.0.0.1:0")
	waitFor(t, "the listener", 20*time.Second, func() bool { return strings.Contains(p.log.String(), "serving /metrics") })
	os.WriteFile(routes, []byte(strings.Replace(good, "{receiver: regulator,", "{receiver: ghost,", 1)+"bogus: 1\n"), 0o644)
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the failed reload in the log", 20*time.Second, func() bool {
		return strings.Contains(p.log.String(), "reload failed; the running routes stay")
	})
	for _, want := range []string{`\"ghost\": no receiver`, "field bogus not found"} {
		if !strings.Contains(p.log.String(), want) {
			t.Errorf("the reload error does not name %q", want)
		}
	}
	addr := regexp.MustCompile(`on http://(\S+)`).FindStringSubmatch(p.log.String())[1]
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "aigcwatch_routes_config_last_reload_successful 0") {
		t.Error("the reload metric does not say the reload failed")
	}
	// The old routes still deliver: scan enqueues (the routing file scan reads is a good copy).
	goodCopy := filepath.Join(dir, "good.yaml")
	os.WriteFile(goodCopy, []byte(good), 0o644)
	out, err := exec.Command(bin, "scan", "../../examples/stream.jsonl", "--out", os.DevNull, "--dlq", os.DevNull, "--quiet",
		"--outbox", ob, "--routes", goodCopy, "--deliver-timeout", "0s").CombinedOutput()
	if err != nil {
		t.Fatalf("scan: %v\n%s", err, out)
	}
	st, err := store.Open(ob)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, _ := st.Find(t.Context(), store.Query{Limit: store.MaxLimit})
	waitFor(t, "delivery with the old routes", 30*time.Second, func() bool { _, _, _, u := rcv.state(); return u == len(page.Incidents) && u > 0 })
}

// TestScanOutboxBeforeVerdicts kills `scan --outbox` with SIGKILL mid-way: every verdict
// that reached the verdicts file has its incidents in the outbox's history already (they
// are committed before the verdicts are written).
func TestScanOutboxBeforeVerdicts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped in -short")
	}
	bin := aigcwatchBinary(t)
	dir := t.TempDir()
	src, err := os.ReadFile("../../examples/stream.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "in.jsonl")
	f, _ := os.Create(in)
	for k := range 60 {
		f.WriteString(strings.ReplaceAll(string(src), `"id":"`, fmt.Sprintf(`"id":"k%d-`, k)))
	}
	f.Close()
	verdicts, ob := filepath.Join(dir, "verdicts.jsonl"), filepath.Join(dir, "outbox.db")
	p := startCmd(t, "scan", bin, "scan", in, "--out", verdicts, "--dlq", os.DevNull, "--quiet", "--outbox", ob, "--workers", "1")
	waitFor(t, "verdicts on disk", 60*time.Second, func() bool { st, err := os.Stat(verdicts); return err == nil && st.Size() > 2<<20 })
	p.kill9(t)
	b, _ := os.ReadFile(verdicts)
	st, err := store.Open(ob)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lines := strings.Split(string(b), "\n")
	lines = lines[:len(lines)-1] // the last one may be torn
	checked := 0
	for _, line := range lines {
		var v struct {
			ID    string
			Rules []struct {
				ID     string
				Report bool
			}
		}
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("verdict line: %v", err)
		}
		for _, r := range v.Rules {
			if !r.Report {
				continue
			}
			checked++
			if _, err := st.Get(t.Context(), incident.ID(v.ID, r.ID)); err != nil {
				t.Fatalf("verdict %s is on disk but its incident for %s is not in the outbox: %v", v.ID, r.ID, err)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no reportable verdict reached the file before the kill")
	}
	t.Logf("%d verdicts on disk at the kill, %d incidents checked", len(lines), checked)
}
