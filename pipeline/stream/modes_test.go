package stream_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/internal/kafkatest"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/stream"
	"github.com/aigcwatch/aigcwatch/pipeline/stream/streamtest"
	"github.com/aigcwatch/aigcwatch/rules"
)

// expectedDecisions judges recs in-process: what every mode must account for.
func expectedDecisions(t *testing.T, recs []streamtest.Record) map[string]rules.Decision {
	t.Helper()
	p, err := pipeline.Build(pipeline.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	w := p.NewWorker()
	out := make(map[string]rules.Decision, len(recs))
	for _, r := range recs {
		j, err := w.Judge(context.Background(), r.Value)
		if err != nil || j.Reject != nil {
			t.Fatalf("%s: %v %v", r.ID, err, j.Reject)
		}
		out[r.ID] = j.Verdict.Decision
	}
	return out
}

// TestVerdictModes runs the three verdict modes on the real broker over a realistic mix
// and accounts for every record: a full verdict, a compact verdict, or (flagged) no
// verdict for an allowed record, with every partition's offsets committed to the end
// (judged, not lagging). The rulesets topic holds every ruleset the verdicts name.
func TestVerdictModes(t *testing.T) {
	t.Parallel()
	addr := kafkatest.Broker(t)
	recs := streamtest.MixedRecords(t, "modes", 3000, 50, 300)
	want := expectedDecisions(t, recs)
	flagged := 0
	for _, d := range want {
		if d != rules.Allow {
			flagged++
		}
	}
	if flagged == 0 || flagged == len(recs) {
		t.Fatalf("the mix has %d of %d records not allowed: want some of each", flagged, len(recs))
	}
	for _, mode := range []string{stream.VerdictsAll, stream.VerdictsCompact, stream.VerdictsFlagged} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			tp := newTopics(t, addr, 3)
			rulesetsTopic := kafkatest.CreateTopic(t, addr, "rulesets", 1)
			c := tp.config(t)
			c.VerdictsMode, c.RulesetsTopic = mode, rulesetsTopic
			streamtest.Produce(t, addr, tp.in, recs)
			run := start(t, c)
			streamtest.WaitLag(t, addr, tp.in, c.Group, tp.partitions, 0, 3*time.Minute)
			run.shutdown(t)
			st := run.r.Stats()

			rulesets := map[string]string{} // id → checksum
			for _, m := range streamtest.ReadAll(t, addr, rulesetsTopic, 1) {
				var rs struct{ ID, Checksum string }
				if err := json.Unmarshal(m.Value, &rs); err != nil || rs.Checksum != m.Key || len(rs.ID) != 16 {
					t.Fatalf("ruleset message %s: %s (%v)", m.Key, m.Value, err)
				}
				rulesets[rs.ID] = rs.Checksum
			}
			got := map[string]int{}
			for _, m := range streamtest.ReadAll(t, addr, tp.verdicts, 3) {
				got[m.Key]++
				var v struct {
					Decision string
					RS       string `json:"rs"`
					Ruleset  *struct{ Checksum string }
				}
				if err := json.Unmarshal(m.Value, &v); err != nil {
					t.Fatalf("verdict %s: %v", m.Key, err)
				}
				d, ok := want[m.Key]
				if !ok {
					t.Fatalf("verdict for an unknown record %s", m.Key)
				}
				if v.Decision != d.String() {
					t.Errorf("%s: decision %s, want %s", m.Key, v.Decision, d)
				}
				switch {
				case v.Ruleset != nil:
					if _, ok := rulesets[v.Ruleset.Checksum[:16]]; !ok {
						t.Errorf("%s names ruleset %s, not in the rulesets topic", m.Key, v.Ruleset.Checksum)
					}
					if mode != stream.VerdictsAll && d == rules.Allow {
						t.Errorf("%s: a full verdict for an allowed record in mode %s", m.Key, mode)
					}
				case v.RS != "":
					if mode != stream.VerdictsCompact || d != rules.Allow {
						t.Errorf("%s: a compact verdict in mode %s for decision %s", m.Key, mode, d)
					}
					if len(m.Value) >= 100 {
						t.Errorf("%s: compact verdict of %d bytes: %s", m.Key, len(m.Value), m.Value)
					}
					if _, ok := rulesets[v.RS]; !ok {
						t.Errorf("%s names ruleset id %s, not in the rulesets topic", m.Key, v.RS)
					}
				default:
					t.Errorf("%s: verdict names no ruleset: %s", m.Key, m.Value)
				}
			}
			missing, unwritten := 0, 0
			for id, d := range want {
				switch {
				case got[id] > 1:
					t.Errorf("%s: %d verdicts in a run without failures", id, got[id])
				case got[id] == 1:
				case mode == stream.VerdictsFlagged && d == rules.Allow:
					unwritten++
				default:
					missing++
				}
			}
			if missing > 0 {
				t.Errorf("mode %s: %d records without the verdict they need", mode, missing)
			}
			if st.Acked != int64(len(recs)) || st.Unwritten != int64(unwritten) {
				t.Errorf("mode %s: acked %d (want %d), unwritten allow %d (want %d): %v", mode, st.Acked, len(recs), st.Unwritten, unwritten, st)
			}
			t.Logf("mode %s: %d verdicts, %d allowed and unwritten, %d rulesets: %v", mode, len(got), unwritten, len(rulesets), st)
		})
	}
}

func TestVerdictModeConfig(t *testing.T) {
	c := stream.DefaultConfig
	c.VerdictsMode = "some"
	if err := c.Validate(); err == nil {
		t.Error("verdicts_mode some: no error")
	}
	c.VerdictsMode = stream.VerdictsFlagged
	if err := c.Validate(); err == nil {
		t.Error("flagged without rulesets_topic: no error")
	}
	c.RulesetsTopic = "aigcwatch.rulesets"
	if err := c.Validate(); err != nil {
		t.Errorf("flagged with a rulesets topic: %v", err)
	}
}
