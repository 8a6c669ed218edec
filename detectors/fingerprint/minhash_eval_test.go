package fingerprint

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

type minEval struct {
	threshold         float64
	recall5, recall10 float64
	fp, negatives     int
	// The same over long texts only (at least longShingles shingles; negatives: both).
	longRecall5, longRecall10 float64
	longFP, longNegatives     int
}

// longShingles splits the evaluation: the corpus is mostly short templated questions
// ("...请用中文回答，什么是 X"), whose pairs differ in a few characters and are genuinely
// similar as shingle sets.
const longShingles = 40

// evalMinHash measures MinHash near-duplicate detection on the same pairs as
// evalSimHash, through the real path: a bank of the corpus texts' signatures (LSH index,
// then the estimate), queried with each paraphrase (recall) and each original (false
// positives: any other text of the corpus matched; pairs counted once).
func evalMinHash(t testing.TB, minRunes int, thresholds []float64) []minEval {
	c := loadSICorpus(t, minRunes)
	low := thresholds[0]
	cfg := Config{Banks: []BankConfig{{Name: "b", Meaning: KnownDeepfake, MinHashThreshold: &low}}}
	b, err := NewBuilder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	long := make([]bool, len(c.texts))
	for i, s := range c.texts {
		sig, n := MinHash(AppendNormalized(nil, s))
		long[i] = n >= longShingles
		if err := b.Add(Entry{Kind: KindMinHash, MinHash: &sig, Bank: "b", Label: strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	set, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	// best[i] is the most equal values with which text i's own entry is found (-1: not found).
	found := func(q []string) []int {
		best := make([]int, len(q))
		for i, s := range q {
			best[i] = -1
			sig := MinHashOf(s)
			want := strconv.Itoa(i)
			set.MatchMinHash(&sig, func(m Match) bool {
				if m.Label == want {
					best[i] = MinHashPerms - m.Distance
				}
				return true
			})
		}
		return best
	}
	b5, b10 := found(c.p5), found(c.p10)
	type neg struct {
		eq   int
		long bool
	}
	var negs []neg // every false pair found, each twice
	for i, s := range c.texts {
		sig := MinHashOf(s)
		self := strconv.Itoa(i)
		set.MatchMinHash(&sig, func(m Match) bool {
			if m.Label != self {
				j, _ := strconv.Atoi(m.Label)
				negs = append(negs, neg{MinHashPerms - m.Distance, long[i] && long[j]})
			}
			return true
		})
	}
	n, nl := len(c.texts), 0
	for _, l := range long {
		if l {
			nl++
		}
	}
	var out []minEval
	for _, th := range thresholds {
		e := minEval{threshold: th, negatives: n * (n - 1) / 2, longNegatives: nl * (nl - 1) / 2}
		need := minHashEqualMin(th)
		for i := range n {
			if b5[i] >= need {
				e.recall5++
				if long[i] {
					e.longRecall5++
				}
			}
			if b10[i] >= need {
				e.recall10++
				if long[i] {
					e.longRecall10++
				}
			}
		}
		e.recall5 /= float64(n)
		e.recall10 /= float64(n)
		e.longRecall5 /= float64(nl)
		e.longRecall10 /= float64(nl)
		for _, ng := range negs {
			if ng.eq >= need {
				e.fp++
				if ng.long {
					e.longFP++
				}
			}
		}
		e.fp /= 2
		e.longFP /= 2
		out = append(out, e)
	}
	return out
}

// TestMinHashQuality prints the MinHash table of docs/fingerprints.md and holds the
// default threshold to it: recall well above SimHash's at 5% edits with a false-positive
// rate no worse than SimHash's default.
func TestMinHashQuality(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus evaluation")
	}
	ths := []float64{0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9}
	res := evalMinHash(t, 20, ths)
	var b strings.Builder
	fmt.Fprintf(&b, "\n| Jaccard threshold | recall 5%% edits | recall 10%% edits | false-positive pairs | FP rate | long texts: recall 5%% | recall 10%% | FP pairs | FP rate |\n|---|---|---|---|---|---|---|---|---|\n")
	var d minEval
	for _, e := range res {
		fmt.Fprintf(&b, "| %.2f | %.3f | %.3f | %d | %.2e | %.3f | %.3f | %d | %.2e |\n", e.threshold, e.recall5, e.recall10, e.fp,
			float64(e.fp)/float64(e.negatives), e.longRecall5, e.longRecall10, e.longFP, float64(e.longFP)/float64(e.longNegatives))
		if e.threshold == DefaultMinHashThreshold {
			d = e
		}
	}
	t.Logf("long texts: >= %d shingles; %d negative pairs of them", longShingles, res[0].longNegatives)
	t.Log(b.String())
	// Bounds from the measurement (docs/fingerprints.md), with a margin.
	if d.recall5 < 0.85 || d.longRecall5 < 0.9 {
		t.Errorf("recall at 5%% edits %.3f (long texts %.3f) at the default threshold, want >= 0.85 (0.9)", d.recall5, d.longRecall5)
	}
	if rate := float64(d.fp) / float64(d.negatives); rate > 1.5e-3 {
		t.Errorf("false-positive rate %.2e > 1.5e-3 at the default threshold", rate)
	}
	if rate := float64(d.longFP) / float64(d.longNegatives); rate > 2e-4 {
		t.Errorf("long texts: false-positive rate %.2e > 2e-4 at the default threshold", rate)
	}
}
