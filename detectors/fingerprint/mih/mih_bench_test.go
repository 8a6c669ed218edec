package mih

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors/fingerprint/pdq"
	"github.com/aigcwatch/aigcwatch/internal/benchclock"
)

var (
	benchN      = flag.Int("mih.n", 1_000_000, "bank size for the mih benchmarks (10000000 for the 10M figures)")
	benchKernel = flag.String("mih.kernel", "", "sibling filter kernel for BenchmarkSearch31 (avx512, avx2, go; default: the best this CPU has)")
)

// benchKernelID returns the kernel named by -mih.kernel.
func benchKernelID(b *testing.B) kernelID {
	if *benchKernel == "" {
		return kernel
	}
	for _, k := range kernels {
		if k.name == *benchKernel {
			return k.id
		}
	}
	b.Fatalf("-mih.kernel %q: this CPU has %v", *benchKernel, kernelNames())
	return 0
}

type benchBank struct {
	ix      *Index
	queries []pdq.Hash
}

var benchBanks = map[string]*benchBank{}

// bank builds (once per process) a random or clustered bank of *benchN hashes and
// queries: half are near-duplicates of bank members (distance 0..31), half random.
func bank(b *testing.B, kind string) *benchBank {
	key := fmt.Sprintf("%s/%d", kind, *benchN)
	if bb, ok := benchBanks[key]; ok {
		return bb
	}
	for k := range benchBanks { // keep the random and the clustered bank of one size
		if !strings.HasSuffix(k, fmt.Sprintf("/%d", *benchN)) {
			delete(benchBanks, k)
		}
	}
	runtime.GC()
	r := rand.New(rand.NewPCG(42, uint64(len(kind))))
	var hashes []pdq.Hash
	if kind == "random" {
		hashes = MakeHashes(*benchN)
		for i := range hashes {
			hashes[i] = randHash(r)
		}
	} else {
		hashes = MakeHashes(*benchN)
		copy(hashes, clustered(r, *benchN, 50, 24))
	}
	qs := make([]pdq.Hash, 4096)
	for i := range qs {
		if i%2 == 0 {
			qs[i] = flip(r, hashes[r.IntN(len(hashes))], r.IntN(32))
		} else {
			qs[i] = randHash(r)
		}
	}
	bb := &benchBank{ix: New(hashes), queries: qs}
	benchBanks[key] = bb
	return bb
}

// BenchmarkSearch31 measures one lookup at threshold 31; lookups/s = 1e9 / ns/op.
func BenchmarkSearch31(b *testing.B) {
	for _, kind := range []string{"random", "clustered"} {
		b.Run(fmt.Sprintf("%s/n=%d", kind, *benchN), func(b *testing.B) {
			bb := bank(b, kind)
			defer func(k kernelID) { bb.ix.kernel = k }(bb.ix.kernel)
			bb.ix.kernel = benchKernelID(b)
			b.ReportAllocs()
			b.ResetTimer()
			found := 0
			var dst []Match
			clk := benchclock.Start()
			for i := 0; b.Loop(); i++ {
				dst = bb.ix.Find(bb.queries[i%len(bb.queries)], 31, dst[:0])
				found += len(dst)
			}
			clk.Report(b, "lookups/cpu-s")
			b.ReportMetric(float64(found)/float64(b.N), "matches/op")
			b.ReportMetric(benchclock.AnonHugeMB(), "hugepage-MB")
		})
	}
}

// BenchmarkBuild measures building the index (the part of loading a bank after parsing).
func BenchmarkBuild(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	hashes := make([]pdq.Hash, *benchN)
	for i := range hashes {
		hashes[i] = randHash(r)
	}
	b.ReportAllocs()
	cpu := benchclock.ProcessCPU()
	for b.Loop() {
		_ = New(hashes)
	}
	b.ReportMetric(float64(benchclock.ProcessCPU()-cpu)/float64(b.N), "process-cpu-ns/op")
}
