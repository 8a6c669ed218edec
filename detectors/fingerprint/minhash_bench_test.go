package fingerprint

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/fingerprint/pdq"
	"github.com/aigcwatch/aigcwatch/internal/benchclock"
	"github.com/aigcwatch/aigcwatch/record"
)

const benchText = "网传某地发生重大事故造成数百人伤亡，官方已经辟谣称该视频系多年前旧视频被恶意剪辑传播，请勿转发。"

// BenchmarkMinHash measures the signature of a normalised text (short: 48 runes; long:
// about 500 runes).
func BenchmarkMinHash(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	alphabet := []rune(benchText)
	var long strings.Builder
	for range 480 {
		long.WriteRune(alphabet[r.IntN(len(alphabet))])
	}
	for _, c := range []struct {
		name, text string
	}{{"48-runes", benchText}, {"480-runes", long.String()}} {
		norm := AppendNormalized(nil, c.text)
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(norm)))
			b.ReportAllocs()
			clk := benchclock.Start()
			for b.Loop() {
				MinHash(norm)
			}
			clk.ReportBytes(b, int64(len(norm)))
		})
	}
}

// randSigs returns n signatures in clusters of 10 (members differ from their centre in
// up to 40 of 128 values), the shape of a bank of near-duplicate texts.
func randSigs(r *rand.Rand, n int) []MinHashSig {
	sigs := make([]MinHashSig, 0, n)
	for len(sigs) < n {
		var c MinHashSig
		for i := range c {
			c[i] = uint16(r.Uint32())
		}
		for k := 0; k < 10 && len(sigs) < n; k++ {
			m := c
			for range r.IntN(40) {
				m[r.IntN(MinHashPerms)] = uint16(r.Uint32())
			}
			sigs = append(sigs, m)
		}
	}
	return sigs
}

// BenchmarkMinHashLookup measures Set.MatchMinHash (LSH candidates + verification) on
// banks of 100k and 1M signatures, half of the queries near an entry; and the live heap
// per entry of the Set.
func BenchmarkMinHashLookup(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(5, uint64(n)))
			sigs := randSigs(r, n)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			bl, _ := NewBuilder(DefaultConfig())
			for i := range sigs {
				bl.Add(Entry{Kind: KindMinHash, MinHash: &sigs[i], Bank: "known_illegal", Label: "e"})
			}
			s, err := bl.Build()
			if err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			perEntry := float64(after.HeapInuse-before.HeapInuse) / float64(n)
			queries := make([]MinHashSig, 1024)
			for i := range queries {
				var q MinHashSig
				if i%2 == 0 {
					q = sigs[r.IntN(n)]
					for range r.IntN(30) {
						q[r.IntN(MinHashPerms)] = uint16(r.Uint32())
					}
				} else {
					for k := range q {
						q[k] = uint16(r.Uint32())
					}
				}
				queries[i] = q
			}
			matches := 0
			fn := func(Match) bool { matches++; return true }
			b.ReportAllocs()
			clk := benchclock.Start()
			for i := 0; b.Loop(); i++ {
				s.MatchMinHash(&queries[i%len(queries)], fn)
			}
			clk.Report(b, "lookups/cpu-s")
			b.ReportMetric(float64(matches)/float64(b.N), "matches/op")
			b.ReportMetric(perEntry, "heap-B/entry")
			runtime.KeepAlive(sigs)
		})
	}
}

// BenchmarkDetectText measures the fingerprint detector on a 48-rune text against a bank
// of 100k exact keys, 100k SimHashes and, for "minhash", 100k MinHash signatures: the
// added cost of MinHash per text record.
func BenchmarkDetectText(b *testing.B) {
	for _, withMin := range []bool{false, true} {
		name := "exact+simhash"
		if withMin {
			name = "exact+simhash+minhash"
		}
		b.Run(name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(6, 6))
			bl, _ := NewBuilder(DefaultConfig())
			sigs := randSigs(r, 100_000)
			for i := range 100_000 {
				bl.Add(Entry{Kind: KindText, Key: r.Uint64(), Bank: "known_illegal", Label: "t"})
				bl.Add(Entry{Kind: KindSimHash, Key: r.Uint64(), Bank: "known_illegal", Label: "s"})
				if withMin {
					bl.Add(Entry{Kind: KindMinHash, MinHash: &sigs[i], Bank: "known_illegal", Label: "m"})
				}
			}
			s, err := bl.Build()
			if err != nil {
				b.Fatal(err)
			}
			d := NewDetector(NewMatcher(s))
			rec := &record.Record{ID: "r", Text: benchText}
			var res detectors.Result
			b.SetBytes(int64(len(benchText)))
			b.ReportAllocs()
			clk := benchclock.Start()
			for b.Loop() {
				res.Reset()
				d.Detect(context.Background(), rec, &res)
			}
			clk.Report(b, "records/cpu-s")
		})
	}
}

// BenchmarkLiveAdd measures Matcher.Add of single PDQ entries up to MaxLiveAdditions
// (amortised: appends to the tail, a fold into the overlay every tailMax additions), and
// a PDQ lookup with a full tail.
func BenchmarkLiveAdd(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 7))
	hashes := make([]pdq.Hash, MaxLiveAdditions)
	for i := range hashes {
		hashes[i] = pdq.Hash{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
	}
	b.Run("add-100k", func(b *testing.B) {
		b.ReportAllocs()
		clk := benchclock.Start()
		for b.Loop() {
			m := NewMatcher(nil)
			if _, err := m.Reload(DefaultConfig()); err != nil {
				b.Fatal(err)
			}
			for i := range hashes {
				if err := m.Add(Entry{Kind: KindPDQ, PDQ: hashes[i], Bank: "labeled_ai", Label: "x"}); err != nil {
					b.Fatal(err)
				}
			}
		}
		clk.Report(b, "")
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/float64(len(hashes))*1e9, "wall-ns/add")
	})
	b.Run("lookup-with-full-tail", func(b *testing.B) {
		m := NewMatcher(nil)
		if _, err := m.Reload(DefaultConfig()); err != nil {
			b.Fatal(err)
		}
		for i := range MaxLiveAdditions - 1 {
			if err := m.Add(Entry{Kind: KindPDQ, PDQ: hashes[i], Bank: "labeled_ai", Label: "x"}); err != nil {
				b.Fatal(err)
			}
		}
		fn := func(Match) bool { return true }
		s := m.Set()
		b.ReportMetric(float64(len(s.tail.pdq)), "tail-entries")
		b.ReportAllocs()
		clk := benchclock.Start()
		for i := 0; b.Loop(); i++ {
			s.MatchPDQ(hashes[i%len(hashes)], fn)
		}
		clk.Report(b, "lookups/cpu-s")
	})
}
