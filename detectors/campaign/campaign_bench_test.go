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

// BenchmarkShard is the campaign topic's cost per observation in the partitions that own
// it (the MinHash is computed by the judging instance, not here): the assignment in each
// of 6 partitions (a lookup through the bands it owns) and the count in the fingerprint's
// partition, with the messages encoded and decoded. HC3 Plus texts cut to ~500 bytes, each
// from its own account.
// go test -run '^$' -bench Shard -cpu 1 -count 6 ./detectors/campaign
func BenchmarkShard(b *testing.B) {
	texts := corpus.Records500(b, 1024)
	obs := make([]Observation, len(texts))
	at := time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)
	d := New(Config{})
	for i, t := range texts {
		o, ok := d.observation(&record.Record{Text: t, Account: fmt.Sprint("a", i), Time: at, ID: fmt.Sprint("r", i)})
		if !ok {
			o = obs[0]
		}
		obs[i] = o
	}
	const n = 6
	parts := make([]*Detector, n)
	tallies := make([]*Tally, n)
	for p := range n {
		parts[p], tallies[p] = New(Config{}), NewTally(Config{})
	}
	b.ReportAllocs()
	clk := benchclock.Start()
	i := 0
	for b.Loop() {
		o := obs[i%len(obs)]
		o.At = at.Add(time.Duration(i) * time.Millisecond)
		bands := BandKeys(&o.Sig)
		masks := Shards(&bands, n)
		for p, m := range masks {
			if m == 0 {
				continue
			}
			raw, _ := (&Banded{Mask: m, Of: n, Observation: o}).MarshalBinary()
			v, _ := UnmarshalShardMessage(raw)
			bd := v.(*Banded)
			fp, created, _ := parts[p].Assign(&bd.Observation, bd.Mask)
			raw, _ = (&Assignment{FP: fp, Who: bd.Who, At: bd.At, Created: created, Part: p, Of: n, RecordID: bd.RecordID}).MarshalBinary()
			v, _ = UnmarshalShardMessage(raw)
			tallies[PartitionOf(fp, n)].Add(v.(*Assignment))
		}
		i++
	}
	clk.Report(b, "observations/cpu-s")
}
