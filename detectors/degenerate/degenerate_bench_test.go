package degenerate

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/internal/benchclock"
	"github.com/aigcwatch/aigcwatch/internal/corpus"
	"github.com/aigcwatch/aigcwatch/record"
)

// BenchmarkDetect is the detector's cost per ~500-byte record, with no declared language
// and with the texts declared Chinese (the script check runs): HC3 Plus texts (Chinese,
// AI and human) cut to 500 bytes, cycling through 1,024 of them.
// go test -run '^$' -bench Detect -cpu 1 -count 6 ./detectors/degenerate
func BenchmarkDetect(b *testing.B) {
	b.Run("undeclared", func(b *testing.B) { benchDetect(b, "") })
	b.Run("declared-zh", func(b *testing.B) { benchDetect(b, "zh") })
}

func benchDetect(b *testing.B, lang string) {
	texts := corpus.Records500(b, 1024)
	recs := make([]record.Record, len(texts))
	size := 0
	for i, t := range texts {
		recs[i].Text = t
		recs[i].Language = lang
		size += len(t)
	}
	d, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	var res detectors.Result
	b.SetBytes(int64(size / len(recs)))
	b.ReportAllocs()
	clk := benchclock.Start()
	i := 0
	for b.Loop() {
		res.Reset()
		_ = d.Detect(context.Background(), &recs[i%len(recs)], &res)
		i++
	}
	clk.Report(b, "records/cpu-s")
}

// BenchmarkRuns: texts that are one character repeated (laughter, filler, an attack) are
// no loop (not wordy) and must cost time linear in their length: before the judged
// stretch was skipped, every anchor inside the run extended it again (quadratic: 23 µs
// for a 500-byte text with a 300-byte run of 好, seconds for 64 KiB).
// go test -run '^$' -bench Runs -cpu 1 ./detectors/degenerate
func BenchmarkRuns(b *testing.B) {
	for _, n := range []int{512, 8 << 10, 64 << 10} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			rec := record.Record{Text: strings.Repeat("好", n/3)}
			d, err := New(Config{})
			if err != nil {
				b.Fatal(err)
			}
			var res detectors.Result
			b.SetBytes(int64(len(rec.Text)))
			for b.Loop() {
				res.Reset()
				_ = d.Detect(context.Background(), &rec, &res)
			}
		})
	}
}
