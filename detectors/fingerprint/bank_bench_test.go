package fingerprint

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/internal/benchclock"
)

var benchBankN = flag.Int("fingerprint.n", 1_000_000, "PDQ entries in BenchmarkLoadBank (10000000 for the 10M figure)")

// BenchmarkLoadBank writes a bank file of *benchBankN random PDQ entries, then measures
// LoadFiles (parse + index) and the live heap of the loaded Set.
func BenchmarkLoadBank(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bank.tsv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewPCG(1, 2))
	banks := []string{"known_deepfake", "known_illegal", "protected_original", "allow"}
	for i := 0; i < *benchBankN; i++ {
		fmt.Fprintf(w, "pdq:%016x%016x%016x%016x\t%s\te%07d\tcat%d\tsrc%d\n",
			r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64(), banks[i%4], i, i%7, i%3)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ReportAllocs()
	var set *Set
	for b.Loop() {
		set = nil
		runtime.GC()
		start, cpu := time.Now(), benchclock.ProcessCPU()
		set, err = LoadFiles(DefaultConfig(), path)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "load-s")
		b.ReportMetric(float64(benchclock.ProcessCPU()-cpu)/1e9, "load-cpu-s")
	}
	b.StopTimer()
	var before, after runtime.MemStats
	s := set
	set = nil
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(s)
	s = nil
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/1e6, "set-MB")
	b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/float64(*benchBankN), "B/entry")
}

// BenchmarkExact measures exact lookups (text key and media key) in a bank of 1M keys.
func BenchmarkExact(b *testing.B) {
	bl, _ := NewBuilder(DefaultConfig())
	r := rand.New(rand.NewPCG(3, 3))
	keys := make([]uint64, 1_000_000)
	for i := range keys {
		keys[i] = r.Uint64()
		bl.Add(Entry{Kind: KindText, Key: keys[i], Bank: "known_illegal", Label: fmt.Sprint(i)})
		bl.Add(Entry{Kind: KindSHA256, Key: keys[i], Bank: "known_illegal", Label: fmt.Sprint(i)})
	}
	s, err := bl.Build()
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	fn := func(Match) bool { n++; return true }
	b.Run("text-key-hit", func(b *testing.B) {
		b.ReportAllocs()
		clk := benchclock.Start()
		for i := 0; b.Loop(); i++ {
			s.MatchTextKey(keys[i%len(keys)], fn)
		}
		clk.Report(b, "")
	})
	b.Run("media-key-miss", func(b *testing.B) {
		b.ReportAllocs()
		clk := benchclock.Start()
		for i := 0; b.Loop(); i++ {
			s.MatchMediaKey(keys[i%len(keys)]^1, fn)
		}
		clk.Report(b, "")
	})
	b.Run("text-normalise+hash-100B", func(b *testing.B) {
		text := "这是一段已知的违法宣传文本，内容很长，用于测试精确匹配和近似重复。"
		b.SetBytes(int64(len(text)))
		b.ReportAllocs()
		clk := benchclock.Start()
		for b.Loop() {
			s.MatchTextKey(TextKey(text), fn)
		}
		clk.Report(b, "")
	})
}
