package registry

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/internal/benchclock"
	"github.com/aigcwatch/aigcwatch/record"
)

// BenchmarkDetect is the detector's cost per record: a filed CN provider looked up in
// the test registry (the common case; the text does not matter to it).
// go test -run '^$' -bench Detect -cpu 1 -count 6 ./detectors/registry
func BenchmarkDetect(b *testing.B) {
	reg, err := Load(filepath.Join("testdata", "cn.tsv"))
	if err != nil {
		b.Fatal(err)
	}
	yes := true
	r := &record.Record{Jurisdiction: "CN", Provider: "shenlan-model", Service: "chat", Time: time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC),
		ProviderInfo: &record.ProviderInfo{Filed: &yes, Country: "CN"}}
	d := &Detector{Registry: reg, DefaultJurisdiction: "CN"}
	var res detectors.Result
	b.ReportAllocs()
	clk := benchclock.Start()
	for b.Loop() {
		res.Reset()
		_ = d.Detect(context.Background(), r, &res)
	}
	if len(res.Findings) != 0 {
		b.Fatalf("findings %+v", res.Findings)
	}
	clk.Report(b, "records/cpu-s")
}
