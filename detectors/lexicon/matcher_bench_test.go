package lexicon

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/internal/benchclock"
	cfac "github.com/cloudflare/ahocorasick"
	coac "github.com/coregx/ahocorasick"
)

// engine is one matcher under comparison, reduced to "count occurrences".
type engine struct {
	name  string
	build func(terms []string) (scan func(text []byte) int, err error)
}

func engines() []engine {
	return []engine{
		{"aigcwatch", func(terms []string) (func([]byte) int, error) {
			m, err := NewMatcher(terms)
			if err != nil {
				return nil, err
			}
			buf := make([]Match, 0, 1024)
			return func(text []byte) int {
				buf = m.FindAllBytes(text, Overlapping, buf[:0])
				return len(buf)
			}, nil
		}},
		{"coregx", func(terms []string) (func([]byte) int, error) {
			a, err := coac.NewBuilder().AddStrings(terms).Build()
			if err != nil {
				return nil, err
			}
			return func(text []byte) int { return len(a.FindAllOverlapping(text)) }, nil
		}},
		{"cloudflare", func(terms []string) (func([]byte) int, error) {
			m := cfac.NewStringMatcher(terms)
			return func(text []byte) int { return len(m.Match(text)) }, nil
		}},
	}
}

func benchScan(b *testing.B, terms []string, text string, only string) {
	for _, e := range engines() {
		if only != "" && e.name != only {
			continue
		}
		b.Run(e.name, func(b *testing.B) {
			scan, err := e.build(terms)
			if err != nil {
				b.Fatal(err)
			}
			data := []byte(text)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			n := 0
			clk := benchclock.Start()
			for b.Loop() {
				n = scan(data)
			}
			clk.ReportBytes(b, int64(len(data)))
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "matches/s")
		})
		// Give a large automaton (cloudflare's: GBs) back before the next engine.
		runtime.GC()
		debug.FreeOSMemory()
	}
}

// BenchmarkSparseChinese: 100k jieba terms, none of which occurs in the HC3 texts.
func BenchmarkSparseChinese(b *testing.B) {
	zh, _, sparse := benchCorpora(b)
	benchScan(b, sparse, zh, "")
}

// BenchmarkDenseChinese: the first 100k jieba terms over the HC3 texts.
func BenchmarkDenseChinese(b *testing.B) {
	zh, _, _ := benchCorpora(b)
	benchScan(b, jiebaTerms(b, 100_000), zh, "")
}

// BenchmarkEnglish: LDNOOBW English over English prose.
func BenchmarkEnglish(b *testing.B) {
	_, en, _ := benchCorpora(b)
	benchScan(b, ldnoobw(b, "en"), en, "")
}

// BenchmarkSmallChinese: LDNOOBW Chinese over the HC3 texts (a small lexicon,
// so the automaton over bytes with a full table).
func BenchmarkSmallChinese(b *testing.B) {
	zh, _, _ := benchCorpora(b)
	benchScan(b, ldnoobw(b, "zh"), zh, "")
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// buildMemLimit is the soft memory limit (runtime/debug.SetMemoryLimit) while
// BenchmarkBuild runs: the shared machine must not see one benchmark above ~6 GB.
const buildMemLimit = 5 << 30

// BenchmarkBuild measures build time (build-s, and build-cpu-s of the building
// thread; ns/op also counts the GCs around it) and the heap held by the built automaton (MB-held) for 100k and all 349k
// jieba terms. cloudflare is skipped at 349k: issue 3 measured > 8 GB RSS after
// 22 s of its build.
func BenchmarkBuild(b *testing.B) {
	old := debug.SetMemoryLimit(buildMemLimit)
	defer debug.SetMemoryLimit(old)
	for _, n := range []int{100_000, 0} {
		terms := jiebaTerms(b, n)
		for _, e := range engines() {
			b.Run(fmt.Sprintf("terms=%d/%s", len(terms), e.name), func(b *testing.B) {
				if e.name == "cloudflare" && n == 0 {
					b.Skip("cloudflare at 349k terms: > 8 GB RSS after 22 s of build (issue 3); skipped to keep the shared machine under 6 GB")
				}
				var held uint64
				var gcPause, wall time.Duration
				var cpu float64
				heapInUse()
				debug.FreeOSMemory()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				for b.Loop() {
					before := heapInUse()
					c0, t0 := float64(benchclock.ThreadCPU())/1e9, time.Now()
					scan, err := e.build(terms)
					wall, cpu = time.Since(t0), float64(benchclock.ThreadCPU())/1e9-c0
					if err != nil {
						b.Fatal(err)
					}
					held = heapInUse() - before
					t0 = time.Now()
					runtime.GC()
					gcPause = time.Since(t0)
					runtime.KeepAlive(scan)
				}
				b.ReportMetric(wall.Seconds(), "build-s")
				b.ReportMetric(cpu, "build-cpu-s")
				b.ReportMetric(float64(held)/1e6, "MB-held")
				b.ReportMetric(float64(gcPause.Microseconds())/1e3, "ms/GC")
			})
			runtime.GC()
			debug.FreeOSMemory()
		}
	}
}
