package metrics_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aigcwatch/aigcwatch/internal/benchclock"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/metrics"
)

// benchRecords are two of pipeline's BenchmarkJudge records: one clean, one with findings,
// fired rules and incidents.
var benchRecords = map[string][]byte{
	"clean-text-CN": []byte(`{"id":"bench-000001","time":"2026-10-01T08:00:00Z","jurisdiction":"CN","provider":"provider-a","service":"chat-model v3","platform":"platform-b","role":"platform","account":"acct-123456","modality":"text","declared_ai":true,"text":"人工智能生成内容的标识办法自2025年9月1日起施行，要求服务提供者对生成合成内容添加显式标识和隐式标识。平台应当核验文件元数据中的隐式标识，并在发布内容周边添加显著的提示标识。"}`),
	"fraud-text-CN": []byte(`{"id":"bench-000002","time":"2026-10-01T08:00:00Z","jurisdiction":"CN","provider":"provider-a","role":"provider","account":"acct-1","modality":"text","text":"兼职刷单返利，日赚五百，联系客服把钱转入安全账户转账即可。"}`),
}

// BenchmarkObserverJudged is the metrics' own work per judged record (what the observer
// adds to pipeline.Worker.Judge), measured alone so that it is not lost in the noise of
// the whole judging path: compare with BenchmarkJudgeRecords/metrics=off.
func BenchmarkObserverJudged(b *testing.B) {
	names := make([]string, 0, len(benchRecords))
	for name := range benchRecords {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b.Run("record="+name, func(b *testing.B) {
			p, err := pipeline.Build(pipeline.DefaultConfig)
			if err != nil {
				b.Fatal(err)
			}
			m, err := metrics.New(prometheus.NewRegistry(), metrics.Options{AdmitAfter: 1})
			if err != nil {
				b.Fatal(err)
			}
			m.SetRuleset(p.Engine())
			j, err := p.NewWorker().Judge(context.Background(), benchRecords[name])
			if err != nil || j.Reject != nil {
				b.Fatalf("%v %v", err, j.Reject)
			}
			obs := m.Observer().NewWorkerObserver()
			obs.Judged(j.Record, j.Verdict, j.Incidents, time.Microsecond)
			b.ReportAllocs()
			clk := benchclock.Start()
			for b.Loop() {
				obs.Judged(j.Record, j.Verdict, j.Incidents, time.Microsecond)
			}
			clk.Report(b, "")
			b.ReportMetric(float64(len(j.Verdict.Findings)), "findings")
			b.ReportMetric(float64(len(j.Verdict.Rules)), "rules")
		})
	}
}
