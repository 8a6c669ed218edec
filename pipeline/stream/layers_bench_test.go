package stream_test

import (
	"testing"

	"github.com/aigcwatch/aigcwatch/defaults"
	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/lexicon"
	"github.com/aigcwatch/aigcwatch/pipeline"
)

// BenchmarkJudgeLayers is BenchmarkJudgeRecords A/B: "default" with every registered
// detector (the pii, degenerate and registry detectors and the phrase list of issue 15
// included), "content-only" with the detectors there were before them (lexicon without
// the phrases, signals, label) under the same rules, and content-only plus each new one.
// The ratios are what the element, technology, industry and global layers cost on the
// default path. Interleave the two in one run on a quiet machine:
// go test -run '^$' -bench JudgeLayers -cpu 1 -count 6 ./pipeline/stream
func BenchmarkJudgeLayers(b *testing.B) {
	recs := benchRecords(b, 4096)
	full, err := pipeline.Build(pipeline.DefaultConfig)
	if err != nil {
		b.Fatal(err)
	}
	lx, err := lexicon.Parse(defaults.LexiconName, defaults.Lexicon(), lexicon.TSV)
	if err != nil {
		b.Fatal(err)
	}
	set, err := lexicon.Compile(lx)
	if err != nil {
		b.Fatal(err)
	}
	det, err := pipeline.DefaultConfig.BuildDetectors()
	if err != nil {
		b.Fatal(err)
	}
	byName := map[string]detectors.Detector{}
	for _, d := range det.(detectors.Chain) {
		byName[d.Name()] = d
	}
	// with builds the chain of before issue 15 plus the named new detectors ("phrases":
	// the default lexicon with the phrase list).
	with := func(names ...string) *pipeline.Processor {
		lex := detectors.Detector(lexicon.New(set))
		var extra detectors.Chain
		for _, n := range names {
			if n == "phrases" {
				lex = byName["lexicon"]
			} else {
				extra = append(extra, byName[n])
			}
		}
		return pipeline.NewProcessor(full.Engine(), append(detectors.Chain{lex, byName["signals"], byName["label"]}, extra...))
	}
	for _, c := range []struct {
		name string
		p    *pipeline.Processor
	}{{"content-only", with()}, {"+phrases", with("phrases")}, {"+pii", with("pii")}, {"+degenerate", with("degenerate")},
		{"+registry", with("registry")}, {"default", full}} {
		b.Run(c.name, func(b *testing.B) {
			judgeLoop(b, c.p.NewWorker(), recs, nil)
		})
	}
}
