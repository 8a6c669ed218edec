package pipeline

import (
	"context"
	"testing"

	"github.com/aigcwatch/aigcwatch/internal/benchclock"
)

var benchRecords = map[string][]byte{
	"clean-text-CN":    []byte(`{"id":"bench-000001","time":"2026-10-01T08:00:00Z","jurisdiction":"CN","provider":"provider-a","service":"chat-model v3","platform":"platform-b","role":"platform","account":"acct-123456","modality":"text","declared_ai":true,"text":"人工智能生成内容的标识办法自2025年9月1日起施行，要求服务提供者对生成合成内容添加显式标识和隐式标识。平台应当核验文件元数据中的隐式标识，并在发布内容周边添加显著的提示标识。"}`),
	"fraud-text-CN":    []byte(`{"id":"bench-000002","time":"2026-10-01T08:00:00Z","jurisdiction":"CN","provider":"provider-a","role":"provider","account":"acct-1","modality":"text","text":"兼职刷单返利，日赚五百，联系客服把钱转入安全账户转账即可。"}`),
	"labeled-image-EU": []byte(`{"id":"bench-img-1","time":"2026-10-01T08:00:00Z","jurisdiction":"EU","provider":"provider-a","role":"provider","modality":"image","text":"a cat","labels":{"implicit":[{"carrier":"xmp:TC260:AIGC","raw":"{\"AIGC\":{\"Label\":\"1\",\"ContentProducer\":\"001191110108MA01KP2T5U10000\",\"ProduceID\":\"img-1\",\"ReservedCode1\":\"\",\"ContentPropagator\":\"001191110108MA01KP2T5U10000\",\"PropagateID\":\"img-1\",\"ReservedCode2\":\"\"}}"}]},"c2pa":{"present":true,"validation_state":"Trusted","actions":[{"action":"c2pa.created","digital_source_type":"http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"}]},"media":{"mime":"image/png","sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","width":1024,"height":1024}}`),
}

// BenchmarkJudge is the whole per-record path with the embedded defaults (every
// registered detector, the embedded packs): decode, detect, evaluate, build incidents,
// encode the verdict.
func BenchmarkJudge(b *testing.B) {
	p, err := Build(DefaultConfig)
	if err != nil {
		b.Fatal(err)
	}
	for name, raw := range benchRecords {
		b.Run(name, func(b *testing.B) {
			w := p.NewWorker()
			if j, err := w.Judge(context.Background(), raw); err != nil || j.Reject != nil {
				b.Fatalf("%v %v", err, j.Reject)
			}
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			clk := benchclock.Start()
			for b.Loop() {
				if _, err := w.Judge(context.Background(), raw); err != nil {
					b.Fatal(err)
				}
			}
			clk.Report(b, "records/cpu-s")
		})
	}
}
