package fingerprint

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aigcwatch/aigcwatch/internal/shareddata"
)

func sharedData(t testing.TB, rel string) string { return shareddata.Path(t, rel) }

// paraphrase makes a near-duplicate of s the way reposts drift: about rate of the runes
// are deleted, replaced by a rune from alphabet or followed by an inserted one (a third
// each), and punctuation, spaces and full-width forms are changed (which normalisation
// removes). Deterministic for a given r.
func paraphrase(r *rand.Rand, s string, rate float64, alphabet []rune) string {
	var b strings.Builder
	for _, c := range s {
		x := r.Float64()
		switch {
		case x < rate/3: // delete
		case x < 2*rate/3:
			b.WriteRune(alphabet[r.IntN(len(alphabet))])
		case x < rate:
			b.WriteRune(c)
			b.WriteRune(alphabet[r.IntN(len(alphabet))])
		default:
			if c >= '0' && c <= '9' && r.IntN(2) == 0 {
				c += 0xFEE0 // full-width digit
			}
			b.WriteRune(c)
		}
		if r.IntN(40) == 0 {
			b.WriteString([]string{"，", " ", "！", "\u200b"}[r.IntN(4)])
		}
	}
	return b.String()
}

type simEval struct {
	threshold         int
	recall5, recall10 float64
	fp                int
	negatives         int
}

// siCorpus is the evaluation set built from the HC3 Plus "si" corpus: the distinct texts
// with at least minRunes normalised runes and, for each, a paraphrase at 5% and at 10%
// edits (see paraphrase), drawn from one seeded generator in a fixed order so that every
// evaluation (SimHash, MinHash) sees the same pairs.
type siCorpus struct {
	texts, p5, p10 []string
}

func loadSICorpus(t testing.TB, minRunes int) siCorpus {
	p := sharedData(t, "corpus/hc3plus_zh_val_si.jsonl")
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var texts []string
	seen := map[string]bool{}
	alphabetSet := map[rune]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var row struct{ Text string }
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		norm := string(AppendNormalized(nil, row.Text))
		if utf8.RuneCountInString(norm) < minRunes || seen[norm] {
			continue
		}
		seen[norm] = true
		texts = append(texts, row.Text)
		for _, c := range norm {
			alphabetSet[c] = true
		}
	}
	var alphabet []rune
	for c := range alphabetSet {
		alphabet = append(alphabet, c)
	}
	// map order is random: sort for determinism
	slicesSortRunes(alphabet)
	r := rand.New(rand.NewPCG(2024, 6))
	c := siCorpus{texts: texts, p5: make([]string, len(texts)), p10: make([]string, len(texts))}
	for i, s := range texts {
		c.p5[i] = paraphrase(r, s, 0.05, alphabet)
		c.p10[i] = paraphrase(r, s, 0.10, alphabet)
	}
	t.Logf("texts: %d (>= %d normalised runes, distinct)", len(texts), minRunes)
	return c
}

// evalSimHash measures SimHash near-duplicate detection on the HC3 Plus "si" corpus:
// positives are each text (>= minRunes normalised runes) against its paraphrase at 5%
// and 10% edit rates; negatives are all pairs of distinct texts of the corpus.
func evalSimHash(t testing.TB, minRunes int) []simEval {
	c := loadSICorpus(t, minRunes)
	texts := c.texts
	orig := make([]uint64, len(texts))
	p5 := make([]uint64, len(texts))
	p10 := make([]uint64, len(texts))
	for i, s := range texts {
		orig[i], _ = SimHash(AppendNormalized(nil, s))
		p5[i], _ = SimHash(AppendNormalized(nil, c.p5[i]))
		p10[i], _ = SimHash(AppendNormalized(nil, c.p10[i]))
	}
	var out []simEval
	negHist := make([]int, 65)
	for i := range orig {
		for j := i + 1; j < len(orig); j++ {
			negHist[SimDistance(orig[i], orig[j])]++
		}
	}
	n := len(texts)
	for th := 0; th <= 10; th++ {
		e := simEval{threshold: th, negatives: n * (n - 1) / 2}
		for i := range orig {
			if SimDistance(orig[i], p5[i]) <= th {
				e.recall5++
			}
			if SimDistance(orig[i], p10[i]) <= th {
				e.recall10++
			}
		}
		e.recall5 /= float64(n)
		e.recall10 /= float64(n)
		for d := 0; d <= th; d++ {
			e.fp += negHist[d]
		}
		out = append(out, e)
	}
	return out
}

func slicesSortRunes(a []rune) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// TestSimHashQuality prints the precision/recall table of docs/fingerprints.md and holds
// the default threshold to it: high recall at 5% edits, a negligible false-positive rate.
func TestSimHashQuality(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus evaluation")
	}
	res := evalSimHash(t, 20)
	var b strings.Builder
	fmt.Fprintf(&b, "\n| threshold | recall 5%% edits | recall 10%% edits | false-positive pairs | FP rate |\n|---|---|---|---|---|\n")
	for _, e := range res {
		fmt.Fprintf(&b, "| %d | %.3f | %.3f | %d | %.2e |\n", e.threshold, e.recall5, e.recall10, e.fp, float64(e.fp)/float64(e.negatives))
	}
	t.Log(b.String())
	d := res[DefaultSimHashThreshold]
	if d.recall5 < 0.2 {
		t.Errorf("recall at 5%% edits %.3f < 0.2 at the default threshold", d.recall5)
	}
	if rate := float64(d.fp) / float64(d.negatives); rate > 1e-5 {
		t.Errorf("false-positive rate %.2e > 1e-5 at the default threshold", rate)
	}
}
