package main

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/internal/kafkatest"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/stream/streamtest"
	"github.com/aigcwatch/aigcwatch/rules"
)

// TestRunFlaggedKill9 runs the built binary with --verdicts-mode flagged on a realistic
// mix, kills it with SIGKILL mid-stream and starts it again: every record not allowed
// has its verdict (duplicates allowed: the uncommitted tail is judged again), no allowed
// record has one, and the group's offsets reach the end (every record judged).
func TestRunFlaggedKill9(t *testing.T) {
	t.Parallel()
	addr := kafkatest.Broker(t)
	bin := aigcwatchBinary(t)
	recs := streamtest.MixedRecords(t, "flag9", 20_000, 100, 400)
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
	args = append(args, "--verdicts-mode", "flagged", "--rulesets-topic", rulesets)
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
	got := map[string]int{}
	for _, m := range streamtest.ReadAll(t, addr, rt.verdicts, 3) {
		got[m.Key]++
	}
	missing, wrong, dups, flagged := 0, 0, 0, 0
	for id, d := range want {
		switch {
		case d == rules.Allow && got[id] > 0:
			wrong++
		case d != rules.Allow:
			flagged++
			if got[id] == 0 {
				missing++
			}
			dups += max(0, got[id]-1)
		}
	}
	if missing > 0 || wrong > 0 {
		t.Fatalf("after kill -9: %d of %d flagged records without a verdict, %d allowed records with one", missing, flagged, wrong)
	}
	if len(streamtest.ReadAll(t, addr, rulesets, 1)) == 0 {
		t.Error("nothing in the rulesets topic")
	}
	t.Logf("after kill -9: %d flagged records all have verdicts (%d duplicates), %d allowed records none; lag 0", flagged, dups, len(recs)-flagged)
}
