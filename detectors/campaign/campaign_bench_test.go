package campaign

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/internal/benchclock"
	"github.com/aigcwatch/aigcwatch/internal/corpus"
	"github.com/aigcwatch/aigcwatch/record"
)

// BenchmarkDetect is the detector's cost per ~500-byte record (HC3 Plus texts, each from its
// own account, 1,024 of them cycling): a MinHash of the text and a lookup of its 32 bands.
// go test -run '^$' -bench Detect -cpu 1 -count 6 ./detectors/campaign
func BenchmarkDetect(b *testing.B) {
	texts := corpus.Records500(b, 1024)
	recs := make([]record.Record, len(texts))
	at := time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)
	for i, t := range texts {
		recs[i] = record.Record{Text: t, Account: fmt.Sprint("a", i), Time: at}
	}
	d := New(Config{})
	var res detectors.Result
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
