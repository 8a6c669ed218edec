package pipeline

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// rawPII are the personal-data values in examples/stream.jsonl as written there: none
// of them may appear in a verdict, an incident, a log line or the summary.
var rawPII = []string{
	"110105199003071239", "6217 0000 1234 5670", "13812345678", "13900001111", "18611112222",
	"wangfang@example.com", "jane.doe@example.com", "123-45-6789", "555-0134",
}

// TestSampleStreamLayers scans the sample stream with the embedded defaults: the
// summary's findings by layer shows all five layers, and the personal data the element
// layer finds is masked everywhere it goes.
func TestSampleStreamLayers(t *testing.T) {
	in, err := os.ReadFile("../examples/stream.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range rawPII {
		if !bytes.Contains(in, []byte(v)) {
			t.Fatalf("the sample stream no longer holds %q: update rawPII", v)
		}
	}
	p, err := Build(DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(old)
	var verdicts, incidents, dlq, table bytes.Buffer
	var sum Summary
	if err := p.Scan(context.Background(), bytes.NewReader(in), ScanOptions{Source: "stream.jsonl", Verdicts: &verdicts, Incidents: &incidents, DLQ: &dlq}, &sum); err != nil {
		t.Fatal(err)
	}
	sum.WriteTable(&table)
	for _, layer := range []string{"element", "technology", "content", "industry", "global"} {
		if sum.ByLayer[layer] == 0 {
			t.Errorf("no %s-layer finding on the sample stream:\n%s", layer, table.String())
		}
	}
	if !strings.Contains(incidents.String(), `"category":"pii.cn_resident_id"`) {
		t.Errorf("no incident carries the resident-ID finding")
	}
	for name, out := range map[string]*bytes.Buffer{"verdicts": &verdicts, "incidents": &incidents, "logs": &logs, "summary": &table} {
		for _, v := range append(rawPII, "6217000012345670", "1234 5670", "0012345670") {
			if bytes.Contains(out.Bytes(), []byte(v)) {
				t.Errorf("%s hold the raw value %q", name, v)
			}
		}
	}
	if !strings.Contains(verdicts.String(), `"term":"11**************39"`) {
		t.Errorf("verdicts lack the masked resident ID")
	}
	t.Logf("\n%s", table.String())
}

// TestSampleStreamWithRegistry: with the sample registry (examples/registry-cn.tsv), the
// CN providers missing from it and the suspended service are industry-layer findings.
func TestSampleStreamWithRegistry(t *testing.T) {
	in, err := os.ReadFile("../examples/stream.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig
	cfg.Registries = []string{"../examples/registry-cn.tsv"}
	p, err := Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var verdicts, dlq bytes.Buffer
	var sum Summary
	if err := p.Scan(context.Background(), bytes.NewReader(in), ScanOptions{Source: "stream.jsonl", Verdicts: &verdicts, DLQ: &dlq}, &sum); err != nil {
		t.Fatal(err)
	}
	for rule, want := range map[string]int64{"CN-FILING-01": 3, "CN-FILING-02": 3, "CN-FILING-03": 4} {
		if got := sum.RulesFired[rule]; got != want {
			t.Errorf("%s fired %d times, want %d", rule, got, want)
		}
	}
	if !strings.Contains(verdicts.String(), `"inputs":[{"name":"embedded:lexicon.tsv"`) || !strings.Contains(verdicts.String(), `{"name":"../examples/registry-cn.tsv","sha256":"`) {
		t.Error("verdicts do not name the registry file they were judged with")
	}
}
