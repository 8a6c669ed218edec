package main

import (
	"context"
	"encoding/json"
	"syscall"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/internal/kafkatest"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/stream/streamtest"
	"github.com/aigcwatch/aigcwatch/rules"
)

// TestRunModesKill9 runs the built binary with --verdicts-mode flagged, then compact, on a
// realistic mix, kills it with SIGKILL mid-stream and starts it again: every record not
// allowed has its full verdict (duplicates allowed: the uncommitted tail is judged
// again), every allowed record has a compact verdict (compact) or none (flagged), the
// group's offsets reach the end (every record judged), and every ruleset a verdict names
// is in the rulesets topic.
func TestRunModesKill9(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"flagged", "compact"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			runModeKill9(t, mode)
		})
	}
}

func runModeKill9(t *testing.T, mode string) {
	addr := kafkatest.Broker(t)
	bin := aigcwatchBinary(t)
	recs := streamtest.MixedRecords(t, mode+"9", 20_000, 100, 400)
	p, err := pipeline.Build(pipeline.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	w := p.NewWorker()
	want := map[string]rules.Decision{}
	for _, r := range recs {
		j, err := w.Judge(context.Background(), r.Value)
		if err != nil || j.Reject != nil {
			t.Fatal(err, j.Reject)
		}
		want[r.ID] = j.Verdict.Decision
	}
	rt := newRunTopics(t, addr, 6)
	rulesets := kafkatest.CreateTopic(t, addr, "rulesets", 1)
	env, args := rt.args()
	args = append(args, "--verdicts-mode", mode, "--rulesets-topic", rulesets)
	produced := streamtest.ProduceSteadily(t, addr, rt.in, recs, 4000)
	a := startProc(t, "first", bin, env, args...)
	if err := streamtest.Until(2*time.Minute, func() bool {
		lag, err := streamtest.Lag(context.Background(), addr, rt.in, rt.group, 6)
		end, _ := streamtest.EndOffsets(context.Background(), addr, rt.in, 6)
		var total int64
		for _, e := range end {
			total += e
		}
		return err == nil && total-lag >= 4000
	}); err != nil {
		t.Fatalf("no progress before the kill:\n%s", lastLines(a.log.String(), 20))
	}
	a.cmd.Process.Signal(syscall.SIGKILL)
	<-a.done
	a.done <- nil
	startProc(t, "second", bin, env, args...)
	<-produced
	streamtest.WaitLag(t, addr, rt.in, rt.group, 6, 0, 3*time.Minute)
	ids := map[string]bool{}
	for _, m := range streamtest.ReadAll(t, addr, rulesets, 1) {
		var rs struct{ ID string }
		if err := json.Unmarshal(m.Value, &rs); err != nil {
			t.Fatal(err)
		}
		ids[rs.ID] = true
	}
	got := map[string]int{}
	for _, m := range streamtest.ReadAll(t, addr, rt.verdicts, 3) {
		var v struct {
			Decision string
			RS       string `json:"rs"`
			Ruleset  *struct{ Checksum string }
		}
		if err := json.Unmarshal(m.Value, &v); err != nil {
			t.Fatal(err)
		}
		full := v.Ruleset != nil
		if full && !ids[v.Ruleset.Checksum[:16]] || !full && !ids[v.RS] {
			t.Errorf("%s names a ruleset not in the rulesets topic: %s", m.Key, m.Value)
		}
		if full != (want[m.Key] != rules.Allow) {
			t.Errorf("%s: decision %s, full verdict %v in mode %s", m.Key, want[m.Key], full, mode)
		}
		got[m.Key]++
	}
	missing, wrong, dups, flagged := 0, 0, 0, 0
	for id, d := range want {
		switch {
		case d == rules.Allow && mode == "flagged" && got[id] > 0:
			wrong++
		case d == rules.Allow && mode == "flagged":
		case got[id] == 0:
			missing++
		default:
			dups += got[id] - 1
		}
		if d != rules.Allow {
			flagged++
		}
	}
	if missing > 0 || wrong > 0 {
		t.Fatalf("after kill -9 (%s): %d records without the verdict they need, %d allowed records with one", mode, missing, wrong)
	}
	t.Logf("after kill -9 (%s): %d records not allowed, %d allowed, every one accounted for (%d duplicates); lag 0", mode, flagged, len(recs)-flagged, dups)
}
