package label_test

import (
	"context"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/internal/benchclock"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/label"
	"github.com/aigcwatch/aigcwatch/record"
	"github.com/aigcwatch/aigcwatch/rules"
)

const goodRaw = `{"AIGC":{"Label":"1","ContentProducer":"001191110102MAD55U9H0F10002","ProduceID":"p-0001","ReservedCode1":"e862483430d978cbf828b8b24296ef9328d843a0","ContentPropagator":"001191110102MAD55U9H0F10002","PropagateID":"p-0001","ReservedCode2":""}}`

func ptr[T any](v T) *T { return &v }

// benchRecords are records that carry labels, one per typical shape of traffic.
func benchRecords() map[string]*record.Record {
	at := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	return map[string]*record.Record{
		// A provider's labeled image with a C2PA manifest (China).
		"cn_provider_image": {ID: "b1", Time: at, Jurisdiction: "CN", Role: record.RoleProvider, Modality: record.Image,
			Labels: record.Labels{Implicit: []record.ImplicitLabel{{Carrier: "xmp:TC260:AIGC", Raw: goodRaw}},
				Explicit: &record.ExplicitLabel{Present: true, Type: "text", Text: "AI生成", Position: "corner", SizeRatio: 0.06}},
			C2PA: &record.C2PA{Present: true, ValidationState: "Trusted", AllActionsIncluded: ptr(true),
				Actions: []record.C2PAAction{{Action: "c2pa.created", DigitalSourceType: "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"}}}},
		// A platform upload with a label, a notice and the platform's output label (China).
		"cn_platform_upload": {ID: "b2", Time: at, Jurisdiction: "CN", Role: record.RolePlatform, Modality: record.Image, DeclaredAI: ptr(false),
			Labels: record.Labels{Implicit: []record.ImplicitLabel{{Carrier: "xmp:TC260:AIGC", Raw: goodRaw}}},
			Distribution: &record.Distribution{Notice: "is", PlatformCode: "001191440300708461136T2XGW3", ContentID: "v-77", Processed: true,
				OutputLabels: []record.ImplicitLabel{{Carrier: "xmp:TC260:AIGC", Raw: `{"AIGC":{"Label":"1","ContentProducer":"001191110102MAD55U9H0F10002","ProduceID":"p-0001","ReservedCode1":"e862483430d978cbf828b8b24296ef9328d843a0","ContentPropagator":"001191440300708461136T2XGW3","PropagateID":"v-77","ReservedCode2":""}}`}}}},
		// A bad label: duplicate carriers, XML-escaped, one warning and one failure (China).
		"cn_bad_label": {ID: "b3", Time: at, Jurisdiction: "CN", Role: record.RoleProvider, Modality: record.Image,
			Labels: record.Labels{Implicit: []record.ImplicitLabel{
				{Carrier: "xmp:TC260:AIGC", Raw: `{&quot;Label&quot;:&quot;AIGC&quot;,&quot;ContentProducer&quot;:&quot;Minimax Agent AI&quot;,&quot;ProduceID&quot;:&quot;m-1&quot;}`},
				{Carrier: "png:tEXt:AIGC", Raw: `{"Label":"AIGC","ContentProducer":"Minimax Agent AI","ProduceID":"m-1"}`}}}},
		// An EU provider image with a watermark and C2PA.
		"eu_provider_image": {ID: "b4", Time: at, Jurisdiction: "DE", Role: record.RoleProvider, Modality: record.Image,
			Watermark: &record.Watermark{Detected: true},
			Labels:    record.Labels{Implicit: []record.ImplicitLabel{{Carrier: "xmp:TC260:AIGC", Raw: goodRaw}}},
			C2PA: &record.C2PA{Present: true, ValidationState: "Valid", StatusCodes: []string{"signingCredential.untrusted"},
				Actions: []record.C2PAAction{{Action: "c2pa.created", DigitalSourceType: "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"}}}},
	}
}

// BenchmarkDetect measures the label detector alone.
func BenchmarkDetect(b *testing.B) {
	det := label.New(label.Config{})
	for name, r := range benchRecords() {
		b.Run(name, func(b *testing.B) {
			var res detectors.Result
			b.ReportAllocs()
			defer benchclock.Start().Report(b, "")
			for b.Loop() {
				res.Reset()
				_ = det.Detect(context.Background(), r, &res)
			}
		})
	}
}

// BenchmarkDetectAndEvaluate measures the label detector plus every embedded pack's
// rules for the record's jurisdiction (rules.Engine.Evaluate): the budget is
// 2 µs per labeled record.
func BenchmarkDetectAndEvaluate(b *testing.B) {
	e := compile(b, embeddedPacks(b))
	det := label.New(label.Config{})
	for name, r := range benchRecords() {
		b.Run(name, func(b *testing.B) {
			var res detectors.Result
			var s rules.Scratch
			var v rules.Verdict
			b.ReportAllocs()
			defer benchclock.Start().Report(b, "")
			for b.Loop() {
				res.Reset()
				_ = det.Detect(context.Background(), r, &res)
				e.Evaluate(&s, r, &res, &v)
			}
		})
	}
}

// BenchmarkParse measures parsing one payload in each encoding.
func BenchmarkParse(b *testing.B) {
	for name, raw := range map[string]string{
		"wrapped":   goodRaw,
		"xml":       `{&quot;AIGC&quot;:{&quot;Label&quot;:&quot;1&quot;,&quot;ContentProducer&quot;:&quot;001191110102MAD55U9H0F10002&quot;,&quot;ProduceID&quot;:&quot;p-0001&quot;,&quot;ReservedCode1&quot;:&quot;&quot;,&quot;ContentPropagator&quot;:&quot;001191110102MAD55U9H0F10002&quot;,&quot;PropagateID&quot;:&quot;p-0001&quot;,&quot;ReservedCode2&quot;:&quot;&quot;}}`,
		"backslash": `{\"AIGC\":{\"Label\":\"1\",\"ContentProducer\":\"001191110102MAD55U9H0F10002\",\"ProduceID\":\"p-0001\",\"ReservedCode1\":\"\",\"ContentPropagator\":\"001191110102MAD55U9H0F10002\",\"PropagateID\":\"p-0001\",\"ReservedCode2\":\"\"}}`,
	} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if p := label.Parse(raw); p.Status != label.OK {
					b.Fatal(p.Status)
				}
			}
		})
	}
}

// TestBenchRecordsVerdicts pins what the benchmark records decide, so the benchmark
// measures the intended paths (a bad label must fire rules; good ones none).
func TestBenchRecordsVerdicts(t *testing.T) {
	e := compile(t, embeddedPacks(t))
	det := label.New(label.Config{})
	want := map[string]string{"cn_provider_image": "allow", "cn_platform_upload": "allow", "cn_bad_label": "review", "eu_provider_image": "allow"}
	for name, r := range benchRecords() {
		var res detectors.Result
		var s rules.Scratch
		var v rules.Verdict
		_ = det.Detect(context.Background(), r, &res)
		e.Evaluate(&s, r, &res, &v)
		if v.Decision.String() != want[name] {
			t.Errorf("%s: decision %s (rules %v), want %s", name, v.Decision, v.RuleIDs(), want[name])
		}
	}
}
