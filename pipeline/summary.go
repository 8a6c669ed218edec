package pipeline

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/rules"
)

// Summary counts what a run judged. It is not safe for concurrent use: keep one per
// goroutine and Merge them.
type Summary struct {
	Records    int64 // verdicts produced
	Rejected   int64 // records sent to the dead-letter output
	Blank      int64 // blank input lines skipped
	Incidents  int64
	Findings   int64
	Decisions  [len(decisionsOrder)]int64
	ByLayer    map[string]int64
	ByCategory map[string]int64
	RulesFired map[string]int64
	Rejects    map[string]int64 // by reason
	Problems   map[string]int64 // by detector/reason
	Unacted    map[string]int64 // findings above info that no fired rule acted on, by category (rules.Verdict.Acted)
	Bytes      int64
	Elapsed    time.Duration
}

var decisionsOrder = [...]rules.Decision{rules.Allow, rules.Label, rules.Review, rules.Block}

func bump(m *map[string]int64, k string, n int64) {
	if *m == nil {
		*m = map[string]int64{}
	}
	(*m)[k] += n
}

// Add counts one judgement.
func (s *Summary) Add(j *Judgement) {
	if j.Reject != nil {
		s.Rejected++
		bump(&s.Rejects, j.Reject.Reason, 1)
		return
	}
	v := j.Verdict
	s.Records++
	s.Decisions[v.Decision]++
	s.Incidents += int64(len(j.Incidents))
	s.Findings += int64(len(v.Findings))
	for i := range v.Findings {
		f := &v.Findings[i]
		bump(&s.ByCategory, f.Category, 1)
		bump(&s.ByLayer, f.Layer.String(), 1)
		if f.Severity > detectors.Info && !v.Acted(i) {
			bump(&s.Unacted, f.Category, 1)
		}
	}
	for _, r := range v.Rules {
		bump(&s.RulesFired, r.ID, 1)
	}
	for _, p := range v.Problems {
		bump(&s.Problems, p.Detector+"/"+p.Reason, 1)
	}
}

// Merge adds o into s.
func (s *Summary) Merge(o *Summary) {
	s.Records += o.Records
	s.Rejected += o.Rejected
	s.Blank += o.Blank
	s.Incidents += o.Incidents
	s.Findings += o.Findings
	s.Bytes += o.Bytes
	for i := range s.Decisions {
		s.Decisions[i] += o.Decisions[i]
	}
	for _, p := range []struct{ dst, src *map[string]int64 }{
		{&s.ByLayer, &o.ByLayer}, {&s.ByCategory, &o.ByCategory}, {&s.RulesFired, &o.RulesFired},
		{&s.Rejects, &o.Rejects}, {&s.Problems, &o.Problems}, {&s.Unacted, &o.Unacted},
	} {
		for k, v := range *p.src {
			bump(p.dst, k, v)
		}
	}
}

// Worst returns the most severe decision counted, Allow when none.
func (s *Summary) Worst() rules.Decision {
	for i := len(decisionsOrder) - 1; i >= 0; i-- {
		if s.Decisions[i] > 0 {
			return decisionsOrder[i]
		}
	}
	return rules.Allow
}

// WriteTable writes the summary as aligned text tables.
func (s *Summary) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	rate := 0.0
	if s.Elapsed > 0 {
		rate = float64(s.Records+s.Rejected) / s.Elapsed.Seconds()
	}
	fmt.Fprintf(tw, "records\t%d\tjudged in %s (%.0f records/s, %.1f MB/s)\n", s.Records, s.Elapsed.Round(time.Millisecond), rate,
		float64(s.Bytes)/1e6/max(s.Elapsed.Seconds(), 1e-9))
	fmt.Fprintf(tw, "rejected\t%d\t%s\n", s.Rejected, kv(s.Rejects))
	if s.Blank > 0 {
		fmt.Fprintf(tw, "blank lines\t%d\tskipped\n", s.Blank)
	}
	fmt.Fprintf(tw, "incidents\t%d\t\n", s.Incidents)
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(tw, "decision\trecords\tshare")
	for i, d := range decisionsOrder {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", d, s.Decisions[i], pct(s.Decisions[i], s.Records))
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintf(tw, "findings by layer\t%d\t\n", s.Findings)
	for _, l := range detectors.Layers {
		fmt.Fprintf(tw, "  %s\t%d\t\n", l, s.ByLayer[l.String()])
	}
	tw.Flush()
	writeCounts(w, "findings by category", s.ByCategory)
	writeCounts(w, "rules fired", s.RulesFired)
	writeCounts(w, "findings no rule acted on (above info), by category", s.Unacted)
	if len(s.Problems) > 0 {
		writeCounts(w, "problems (input a detector could not use)", s.Problems)
	}
}

func writeCounts(w io.Writer, title string, m map[string]int64) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\tcount\n", title)
	if len(m) == 0 {
		fmt.Fprintf(tw, "  (none)\t\n")
	}
	for _, k := range sortedKeys(m) {
		fmt.Fprintf(tw, "  %s\t%d\n", k, m[k])
	}
	tw.Flush()
}

// sortedKeys orders by count descending, then name.
func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

func kv(m map[string]int64) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

func pct(n, d int64) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(d))
}
