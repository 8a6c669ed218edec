package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/internal/kafkatest"
	"github.com/aigcwatch/aigcwatch/pipeline/stream/streamtest"
)

// enforcementRecords is a ten-day stream of 40 providers (200 records each,
// in time order): every fourth provider clean, the others sending fraud scripts (CN
// harmful content, reported) at rates from 4 % to 33 %, one group self-reporting half of
// them. Each record is keyed by its provider, so a provider's records keep their order
// in Kafka as in the file (the levels depend on it).
func enforcementRecords(t *testing.T) ([]streamtest.Record, []byte) {
	t.Helper()
	frauds := []string{"加我微信，刷单返利，日赚500", "【兼职】刷单返利，日结200元，加微信了解详情。", "安全账户转账，请私聊客服"}
	const clean = "今天天气不错，我们去公园散步吧。这是一个关于学习编程的简单建议：每天坚持写一点代码。"
	const n, providers = 8000, 40
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var recs []streamtest.Record
	var file []byte
	for i := range n {
		p, k := i%providers, i/providers
		var fraud bool
		switch p % 4 {
		case 0:
			fraud = k%5 == 0
		case 1:
			fraud = k%25 == 0
		case 3:
			fraud = k%3 == 0
		}
		rec := map[string]any{"id": fmt.Sprintf("enf-%06d", i), "time": t0.Add(time.Duration(i) * 10 * 24 * time.Hour / n).Format(time.RFC3339Nano),
			"provider": fmt.Sprintf("ent-%02d", p), "service": "chat", "role": "provider", "modality": "text", "jurisdiction": "CN",
			"labels": map[string]any{"interface": true}, "text": clean}
		if fraud {
			rec["text"] = frauds[i%len(frauds)]
			if p%4 == 3 && k%2 == 0 {
				rec["self_reported"] = true
			}
		}
		v, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, streamtest.Record{ID: rec["provider"].(string), Value: v}) // ID is the Kafka key
		file = append(append(file, v...), '\n')
	}
	return recs, file
}

// providerState is what must agree between a single scan and the scaled-out run.
type providerState struct {
	Level  int
	Seq    uint32
	Points int64 // milli-points in the window
	Totals enforce.Totals
	Last   int64
	Hist   []string // ids of the level changes
}

func stateOf(es enforce.EntryState) providerState {
	var pts int64
	for _, p := range es.Points {
		pts += p
	}
	s := providerState{Level: es.Level, Seq: es.Seq, Points: pts, Totals: es.Totals, Last: es.LastSeenNS}
	for _, c := range es.History {
		s.Hist = append(s.Hist, c.ID)
	}
	return s
}

// scanEnforcement scans file with the binary and returns each provider's state.
func scanEnforcement(t *testing.T, bin string, file []byte) map[enforce.Key]providerState {
	t.Helper()
	dir := t.TempDir()
	in, state := filepath.Join(dir, "recs.jsonl"), filepath.Join(dir, "state.json")
	if err := os.WriteFile(in, file, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "scan", in, "--out", filepath.Join(dir, "v.jsonl"), "--incidents", filepath.Join(dir, "i.jsonl"),
		"--enforcement-state", state).CombinedOutput()
	if err != nil {
		t.Fatalf("scan: %v\n%s", err, out)
	}
	b, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	var snap struct{ Providers []enforce.EntryState }
	if err := json.Unmarshal(b, &snap); err != nil {
		t.Fatal(err)
	}
	want := map[enforce.Key]providerState{}
	for _, es := range snap.Providers {
		want[enforce.Key{Provider: es.Provider, Jurisdiction: es.Jurisdiction}] = stateOf(es)
	}
	return want
}

// TestRunEnforcementKill9Takeover is the must-show of scaled-out enforcement on the real
// broker: two `run` instances share the input and the enforcement group; one is killed
// with SIGKILL mid-stream and the other takes over its partitions, rebuilding their
// providers from the changelog. Every provider's final state on the changelog (level,
// points, totals, change ids) equals a single scan of the same records: nothing counted
// twice, nothing lost, although the survivor read again what the dead one had not
// committed (checked: replays were skipped). Then both are restarted and rebuild the
// same state from the changelog, served on GET /v1/providers.
func TestRunEnforcementKill9Takeover(t *testing.T) {
	t.Parallel()
	addr := kafkatest.Broker(t)
	bin := aigcwatchBinary(t)
	recs, file := enforcementRecords(t)
	want := scanEnforcement(t, bin, file)
	escalated := 0
	for _, s := range want {
		if s.Level > 0 {
			escalated++
		}
	}
	if escalated < 20 {
		t.Fatalf("the scan escalates only %d providers: the test would prove little", escalated)
	}

	const parts = 6
	rt := newRunTopics(t, addr, parts)
	enfTopic, changelog := kafkatest.Name(t, "enf"), kafkatest.Name(t, "enf-changelog")
	kafkatest.DeleteAtCleanup(t, addr, enfTopic)
	kafkatest.DeleteAtCleanup(t, addr, changelog)
	env, args := rt.args()
	args = append(args, "--enforcement", "--enforcement-topic", enfTopic, "--enforcement-changelog-topic", changelog)
	// a commits every 3 s (the last --commit-interval wins), so that when it is killed, a
	// second or more of its records have acknowledged outputs and uncommitted offsets: the
	// survivor judges them again and must skip their observations as replays. With the
	// 200 ms of the others the kill could fall just after a commit with nothing to replay
	// (it did, once, in a fresh-clone CI run).
	a := startProc(t, "a", bin, env, append(slices.Clone(args), "--commit-interval", "3s")...)
	b := startProc(t, "b", bin, env, args...)
	// Both own enforcement partitions before the records flow.
	ownRe := regexp.MustCompile(`msg="enforcement partitions assigned" component=enforcement generation=\d+ partitions="([^"]+)"`)
	if err := streamtest.Until(2*time.Minute, func() bool {
		ma, mb := ownRe.FindAllStringSubmatch(a.log.String(), -1), ownRe.FindAllStringSubmatch(b.log.String(), -1)
		return len(ma) > 0 && len(mb) > 0 && len(strings.Fields(ma[len(ma)-1][1]))+len(strings.Fields(mb[len(mb)-1][1])) == parts
	}); err != nil {
		t.Fatalf("the two instances do not share the enforcement partitions:\n%s\n---\n%s", lastLines(a.log.String(), 20), lastLines(b.log.String(), 20))
	}
	produced := streamtest.ProduceSteadily(t, addr, rt.in, recs, 1500)
	if err := streamtest.Until(2*time.Minute, func() bool {
		lag, err := streamtest.Lag(context.Background(), addr, rt.in, rt.group, parts)
		end, _ := streamtest.EndOffsets(context.Background(), addr, rt.in, parts)
		var total int64
		for _, e := range end {
			total += e
		}
		return err == nil && total-lag >= 3000
	}); err != nil {
		t.Fatalf("no progress before the kill:\n%s", lastLines(a.log.String(), 20))
	}
	time.Sleep(1500 * time.Millisecond) // halfway to a's next commit: the kill lands mid-interval
	a.cmd.Process.Signal(syscall.SIGKILL)
	<-a.done
	a.done <- nil
	<-produced
	streamtest.WaitLag(t, addr, rt.in, rt.group, parts, 0, 3*time.Minute)
	streamtest.WaitLag(t, addr, enfTopic, rt.group+".enforcement", parts, 0, 3*time.Minute)

	// The changelog holds every provider's final state.
	got := map[enforce.Key]providerState{}
	for _, m := range streamtest.ReadAll(t, addr, changelog, parts) { // per partition in offset order: the last wins
		var v struct {
			Entry enforce.EntryState
		}
		if err := json.Unmarshal(m.Value, &v); err != nil {
			t.Fatal(err)
		}
		got[enforce.Key{Provider: v.Entry.Provider, Jurisdiction: v.Entry.Jurisdiction}] = stateOf(v.Entry)
	}
	compareStates(t, "changelog after kill -9", got, want)
	// aigcwatch providers --changelog shows them all, as the scan does.
	out, err := exec.Command(bin, "providers", "--changelog", changelog, "--brokers", addr, "--json").Output()
	if err != nil {
		t.Fatalf("providers --changelog: %v\n%s", err, out)
	}
	var page struct{ Providers []enforce.View }
	if err := json.Unmarshal(out, &page); err != nil || len(page.Providers) != len(want) {
		t.Fatalf("providers --changelog: %d providers (%v), want %d", len(page.Providers), err, len(want))
	}
	for _, v := range page.Providers {
		if w := want[enforce.Key{Provider: v.Provider, Jurisdiction: v.Jurisdiction}]; v.Level.Level != w.Level || v.Totals != w.Totals {
			t.Errorf("providers --changelog: %s at %d %+v, the scan %d %+v", v.Provider, v.Level.Level, v.Totals, w.Level, w.Totals)
		}
	}
	replayed := scrapeValue(t, "http://"+listenAddr(t, b), "aigcwatch_enforcement_observations_replayed_total")
	if replayed == 0 {
		t.Errorf("the survivor skipped no replayed observation: the kill did not exercise the replay guard")
	}
	t.Logf("after kill -9: %d providers (%d escalated) equal to a single scan; the survivor skipped %v replayed observations", len(got), escalated, replayed)

	// Every level change of the scan is on the incidents topic, and every incident
	// there carries its enforcement level.
	changes := map[string]bool{}
	for _, s := range want {
		for _, id := range s.Hist {
			changes[id] = true
		}
	}
	seen, stamped, plain := map[string]bool{}, 0, 0
	for _, m := range streamtest.ReadAll(t, addr, rt.incidents, 3) {
		var ev struct {
			ID, Type string
			Data     struct {
				Enforcement *struct{ Level int }
			}
		}
		if err := json.Unmarshal(m.Value, &ev); err != nil {
			t.Fatal(err)
		}
		switch {
		case ev.Type == enforce.LevelChangedType:
			seen[ev.ID] = true
		case ev.Data.Enforcement != nil:
			stamped++
		default:
			plain++
		}
	}
	for id := range changes {
		if !seen[id] {
			t.Errorf("level change %s of the scan is not on the incidents topic", id)
		}
	}
	if plain > 0 || stamped == 0 {
		t.Errorf("incidents topic: %d incidents with data.enforcement, %d without", stamped, plain)
	}

	// Restart both: they rebuild the same state from the changelog.
	b.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-b.done; err != nil {
		t.Errorf("b after SIGTERM: %v", err)
	}
	b.done <- nil
	a2 := startProc(t, "a2", bin, env, args...)
	b2 := startProc(t, "b2", bin, env, args...)
	served := map[enforce.Key]providerState{}
	if err := streamtest.Until(2*time.Minute, func() bool {
		clear(served)
		for _, p := range []*proc{a2, b2} {
			m := regexp.MustCompile(`msg="serving metrics" component=run addr=(\S+)`).FindStringSubmatch(p.log.String())
			if m == nil {
				return false
			}
			if code, _ := httpGet("http://" + m[1] + "/readyz"); code != 200 {
				return false
			}
			code, body := httpGet("http://" + m[1] + "/v1/providers?limit=10000")
			if code != 200 {
				return false
			}
			var page struct{ Providers []enforce.View }
			if json.Unmarshal([]byte(body), &page) != nil {
				return false
			}
			for _, v := range page.Providers {
				served[enforce.Key{Provider: v.Provider, Jurisdiction: v.Jurisdiction}] = providerState{Level: v.Level.Level,
					Points: int64(math.Round(v.Points * 1000)), Totals: v.Totals}
			}
		}
		return len(served) == len(want)
	}); err != nil {
		t.Fatalf("after the restart, the instances serve %d providers, want %d", len(served), len(want))
	}
	for k, w := range want {
		w.Seq, w.Last, w.Hist = 0, 0, nil
		if s := served[k]; !equalState(s, w) {
			t.Errorf("after the restart, %v: served %+v, want %+v", k, s, w)
		}
	}
	// Each instance answers for its own providers, and says where to look for the others.
	owned, other := 0, 0
	for k := range want {
		for _, p := range []*proc{a2, b2} {
			code, body := httpGet("http://" + listenAddr(t, p) + "/v1/providers/" + k.Provider)
			switch {
			case code == 200:
				owned++
			case code == 404 && strings.Contains(body, "not among the providers this instance owns"):
				other++
			default:
				t.Errorf("%s: GET /v1/providers/%s: %d %s", p.name, k.Provider, code, body)
			}
		}
	}
	if owned != len(want) || other != len(want) {
		t.Errorf("GET /v1/providers/{id}: %d answered by their owner, %d by the other instance; want %d each", owned, other, len(want))
	}
	t.Logf("after restarting both: %d providers rebuilt from the changelog and served, equal to the scan", len(served))
}

func equalState(a, b providerState) bool {
	return a.Level == b.Level && a.Seq == b.Seq && a.Points == b.Points && a.Totals == b.Totals && a.Last == b.Last && slices.Equal(a.Hist, b.Hist)
}

func compareStates(t *testing.T, what string, got, want map[enforce.Key]providerState) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d providers, want %d", what, len(got), len(want))
	}
	bad := 0
	for k, w := range want {
		if g, ok := got[k]; !ok || !equalState(g, w) {
			if bad++; bad <= 10 {
				t.Errorf("%s: %v: got %+v, want %+v", what, k, g, w)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%s: %d of %d providers differ from a single scan", what, bad, len(want))
	}
}

func listenAddr(t *testing.T, p *proc) string {
	t.Helper()
	m := regexp.MustCompile(`msg="serving metrics" component=run addr=(\S+)`).FindStringSubmatch(p.log.String())
	if m == nil {
		t.Fatalf("no listener address in %s's log", p.name)
	}
	return m[1]
}

// TestRunEnforcementRefusesUncompactedChangelog: a changelog topic that exists with
// cleanup.policy=delete would lose the history; run refuses to start and says how to fix it.
func TestRunEnforcementRefusesUncompactedChangelog(t *testing.T) {
	t.Parallel()
	addr := kafkatest.Broker(t)
	bin := aigcwatchBinary(t)
	rt := newRunTopics(t, addr, 2)
	enfTopic := kafkatest.CreateTopic(t, addr, "enf", 2)
	changelog := kafkatest.CreateTopic(t, addr, "enf-changelog", 2) // cleanup.policy=delete
	env, args := rt.args()
	cmd := exec.Command(bin, append([]string{"run"}, append(args, "--enforcement", "--enforcement-topic", enfTopic, "--enforcement-changelog-topic", changelog)...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("run started with an uncompacted changelog:\n%s", out)
	}
	if !strings.Contains(string(out), "cleanup.policy") || !strings.Contains(string(out), changelog) {
		t.Errorf("the error does not say what is wrong:\n%s", out)
	}
}
