package record

import (
	"testing"

	"github.com/aigcwatch/aigcwatch/internal/benchclock"
)

// A ~500-byte text record, the size the Kafka throughput target is stated for.
var benchText = []byte(`{"id":"bench-000001","time":"2026-10-01T08:00:00Z","jurisdiction":"CN","provider":"provider-a","service":"chat-model v3","platform":"platform-b","role":"platform","account":"acct-123456","modality":"text","declared_ai":true,"text":"人工智能生成内容的标识办法自2025年9月1日起施行，要求服务提供者对生成合成内容添加显式标识和隐式标识。平台应当核验文件元数据中的隐式标识，并在发布内容周边添加显著的提示标识。"}`)

var benchImage = []byte(`{"id":"bench-img-1","time":"2026-10-01T08:00:00Z","jurisdiction":"CN","provider":"provider-a","role":"provider","modality":"image","text":"a cat","labels":{"implicit":[{"carrier":"xmp:TC260:AIGC","raw":"{\"AIGC\":{\"Label\":\"1\",\"ContentProducer\":\"001191110108MA01KP2T5U10000\",\"ProduceID\":\"img-1\",\"ReservedCode1\":\"\",\"ContentPropagator\":\"001191110108MA01KP2T5U10000\",\"PropagateID\":\"img-1\",\"ReservedCode2\":\"\"}}"}]},"c2pa":{"present":true,"validation_state":"Trusted","actions":[{"action":"c2pa.created","digital_source_type":"http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"}]},"media":{"mime":"image/png","sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","pdq":"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22","pdq_quality":100,"width":1024,"height":1024}}`)

func BenchmarkDecode(b *testing.B) {
	for _, c := range []struct {
		name string
		in   []byte
	}{{"text500B", benchText}, {"imageWithLabels", benchImage}} {
		b.Run(c.name, func(b *testing.B) {
			var r Record
			if err := Decode(c.in, Limits{}, &r); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(c.in)))
			b.ReportAllocs()
			clk := benchclock.Start()
			for b.Loop() {
				if err := Decode(c.in, Limits{}, &r); err != nil {
					b.Fatal(err)
				}
			}
			clk.Report(b, "records/cpu-s")
		})
	}
}
