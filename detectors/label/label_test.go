package label

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/record"
)

func detect(t *testing.T, r *record.Record) *detectors.Result {
	t.Helper()
	var res detectors.Result
	if err := New(Config{}).Detect(context.Background(), r, &res); err != nil {
		t.Fatalf("Detect: %v", err)
	}
	return &res
}

func finding(res *detectors.Result, category string) *detectors.Finding {
	for i := range res.Findings {
		if res.Findings[i].Category == category {
			return &res.Findings[i]
		}
	}
	return nil
}

func implicit(raws ...string) record.Labels {
	var l record.Labels
	for i, raw := range raws {
		l.Implicit = append(l.Implicit, record.ImplicitLabel{Carrier: []string{"xmp:TC260:AIGC", "png:tEXt:AIGC", "id3:TXXX:AIGC"}[i%3], Raw: raw})
	}
	return l
}

func TestFindingsCarryOutcomeAndSeverity(t *testing.T) {
	t.Parallel()
	num := strings.Replace(inner, `"Label":"1"`, `"Label":1`, 1)
	cases := []struct {
		name     string
		rec      record.Record
		category string
		outcome  string
		sev      detectors.Severity
		term     string
	}{
		{"numeric Label is a low warning", record.Record{Role: "provider", Modality: "image", Labels: implicit(num)}, "label.cn_imp_04.warn", "warn", detectors.Low, "xmp:TC260:AIGC"},
		{"bad Label fails high", record.Record{Role: "provider", Modality: "image", Labels: implicit(strings.Replace(inner, `"Label":"1"`, `"Label":"true"`, 1))}, "label.cn_imp_04", "fail", detectors.High, "xmp:TC260:AIGC"},
		{"truncated payload is inconclusive, one step lower", record.Record{Labels: implicit(inner[:50])}, "label.cn_imp_02.inconclusive", "inconclusive", detectors.Medium, "xmp:TC260:AIGC"},
		{"conflict names the second carrier", record.Record{Labels: implicit(inner, strings.Replace(inner, "p-1", "p-2", 2))}, "label.cn_imp_08", "fail", detectors.Medium, "png:tEXt:AIGC"},
		{"untrusted C2PA is a low warning", record.Record{C2PA: &record.C2PA{Present: true, ValidationState: "Valid", StatusCodes: []string{"signingCredential.untrusted"}}}, "label.c2pa_01.warn", "warn", detectors.Low, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			res := detect(t, &c.rec)
			f := finding(res, c.category)
			if f == nil {
				t.Fatalf("no %s finding in %+v", c.category, res.Findings)
			}
			if f.Detector != "label" || f.Evidence.Outcome != c.outcome || f.Severity != c.sev || f.Evidence.Term != c.term || f.Evidence.Check == "" || f.Evidence.Detail == "" {
				t.Errorf("finding %+v, want outcome %s severity %s term %q", f, c.outcome, c.sev, c.term)
			}
		})
	}
}

func TestGoodLabelHasNoFindings(t *testing.T) {
	t.Parallel()
	res := detect(t, &record.Record{Jurisdiction: "CN", Role: "provider", Modality: "image", Labels: implicit(wrapped)})
	if len(res.Findings) != 0 || len(res.Problems) != 0 {
		t.Errorf("findings %+v problems %+v, want none", res.Findings, res.Problems)
	}
	l := &res.Label
	if !l.Analyzed || l.Sites != 1 || l.Parsed != 1 || l.LabelValue != "1" || !l.AILabel || !l.AIE || l.Markings != 1 ||
		l.Producer != "001191110102MAD55U9H0F10002" || l.ProduceID != "p-1" || !l.ProducerIsCode || l.CNImp01 != "pass" || l.CNImp04 != "pass" {
		t.Errorf("facts %+v", l)
	}
}

func TestDutyFindingsFollowJurisdiction(t *testing.T) {
	t.Parallel()
	// A provider image with no marking fails CN-IMP-01 and EU-50-2 alike.
	for _, c := range []struct {
		j      string
		cn, eu bool
	}{{"CN", true, false}, {"FR", false, true}, {"EU", false, true}, {"", true, true}, {"US-TX", false, false}, {"CN-SH", true, false}} {
		res := detect(t, &record.Record{Jurisdiction: c.j, Role: "provider", Modality: "image"})
		if got := finding(res, "label.cn_imp_01") != nil; got != c.cn {
			t.Errorf("%q: CN-IMP-01 finding %v, want %v", c.j, got, c.cn)
		}
		if got := finding(res, "label.eu_50_2") != nil; got != c.eu {
			t.Errorf("%q: EU-50-2 finding %v, want %v", c.j, got, c.eu)
		}
		if res.Label.CNImp01 != "fail" || res.Label.EU502 != "fail" {
			t.Errorf("%q: the facts hold every outcome: %s %s", c.j, res.Label.CNImp01, res.Label.EU502)
		}
	}
}

func TestProblemsForUnreadablePayloads(t *testing.T) {
	t.Parallel()
	res := detect(t, &record.Record{Labels: implicit("nope", inner[:40], "")})
	var reasons []string
	for _, p := range res.Problems {
		reasons = append(reasons, p.Reason)
	}
	if strings.Join(reasons, ",") != "label_syntax,label_truncated" {
		t.Errorf("problems %v, want label_syntax, label_truncated (an empty field is a shell, not a problem)", reasons)
	}
	if !res.Label.EmptyShell || res.Label.TamperReason != "empty_shell" || res.Label.Parsed != 0 {
		t.Errorf("facts %+v", res.Label)
	}
}

func TestRequiredNotice(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	score := 0.95
	cases := []struct {
		name string
		rec  record.Record
		want string
	}{
		{"Label 2 asks for possibly", record.Record{Labels: implicit(strings.Replace(inner, `"Label":"1"`, `"Label":"2"`, 1)), DeclaredAI: &no}, "possibly_ai"},
		{"metadata beats the declaration", record.Record{Labels: implicit(inner), DeclaredAI: &yes}, "is_ai"},
		{"declaration", record.Record{DeclaredAI: &yes}, "possibly_ai"},
		{"C2PA GenAI is a trace", record.Record{C2PA: &record.C2PA{Present: true, ValidationState: "Trusted",
			Actions: []record.C2PAAction{{Action: "c2pa.created", DigitalSourceType: "https://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"}}}}, "suspected_ai"},
		{"an invalid manifest's AI claim is not", record.Record{C2PA: &record.C2PA{Present: true, ValidationState: "Invalid",
			Actions: []record.C2PAAction{{Action: "c2pa.created", DigitalSourceType: "trainedAlgorithmicMedia"}}}}, ""},
		{"deepfake score", record.Record{Signals: record.Signals{DeepfakeScore: &score}}, "suspected_ai"},
		{"nothing", record.Record{DeclaredAI: &no}, ""},
	}
	for _, c := range cases {
		if got := detect(t, &c.rec).Label.RequiredNotice; got != c.want {
			t.Errorf("%s: required notice %q, want %q", c.name, got, c.want)
		}
	}
}

func TestC2PAClass(t *testing.T) {
	t.Parallel()
	yes := true
	const iptc = "http://cv.iptc.org/newscodes/digitalsourcetype/"
	cases := []struct {
		name string
		c    record.C2PA
		want string
	}{
		{"created with trained media", record.C2PA{Actions: []record.C2PAAction{{Action: "c2pa.created", DigitalSourceType: iptc + "trainedAlgorithmicMedia"}}}, ClassFull},
		{"edited with trained media", record.C2PA{Actions: []record.C2PAAction{{Action: "c2pa.edited", DigitalSourceType: iptc + "trainedAlgorithmicMedia"}}}, ClassPartial},
		{"C2PA's own vocabulary", record.C2PA{Actions: []record.C2PAAction{{Action: "c2pa.created", DigitalSourceType: "http://c2pa.org/digitalsourcetype/trainedAlgorithmicData"}}}, ClassPartial},
		{"GenAI ingredient", record.C2PA{AllActionsIncluded: &yes, Actions: []record.C2PAAction{{Action: "c2pa.placed"}},
			Ingredients: []record.C2PAIngredient{{DigitalSourceTypes: []string{iptc + "compositeSynthetic"}}}}, ClassPartial},
		{"digital art", record.C2PA{Actions: []record.C2PAAction{{Action: "c2pa.created", DigitalSourceType: iptc + "digitalArt"}}}, ClassPossible},
		{"incomplete capture", record.C2PA{Actions: []record.C2PAAction{{Action: "c2pa.created", DigitalSourceType: iptc + "digitalCapture"}}}, ClassAmbiguous},
		{"complete capture", record.C2PA{AllActionsIncluded: &yes, Actions: []record.C2PAAction{{Action: "c2pa.created", DigitalSourceType: iptc + "digitalCapture"}}}, ClassNone},
		{"no actions", record.C2PA{AllActionsIncluded: &yes}, ClassAmbiguous},
	}
	for _, c := range cases {
		if got := c2paClass(&c.c); got != c.want {
			t.Errorf("%s: class %s, want %s", c.name, got, c.want)
		}
	}
}

// TestConcurrentDetect runs one detector from many goroutines (run with -race).
func TestConcurrentDetect(t *testing.T) {
	t.Parallel()
	d := New(Config{})
	recs := []record.Record{
		{Jurisdiction: "CN", Role: "platform", Modality: "image", Labels: implicit(wrapped, strings.ReplaceAll(wrapped, `"`, "&quot;"))},
		{Jurisdiction: "EU", Role: "provider", Modality: "text", Text: "x"},
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var res detectors.Result
			for i := 0; i < 200; i++ {
				res.Reset()
				r := &recs[i%len(recs)]
				_ = d.Detect(context.Background(), r, &res)
				if i%len(recs) == 0 && !res.Label.Duplicate {
					t.Error("two encodings of one label are a duplicate")
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestChinaOnlyProvenanceNotes: a C2PA FULL image without a CN label, or with an Invalid
// manifest, is a CN matter (X-CONSIST-01 warning, CN-TAMPER-01), not an EU or US one.
func TestChinaOnlyProvenanceNotes(t *testing.T) {
	t.Parallel()
	full := &record.C2PA{Present: true, ValidationState: "Trusted", Actions: []record.C2PAAction{{Action: "c2pa.created", DigitalSourceType: "trainedAlgorithmicMedia"}}}
	invalid := &record.C2PA{Present: true, ValidationState: "Invalid"}
	for _, c := range []struct {
		j    string
		want bool
	}{{"CN", true}, {"US", false}, {"DE", false}} {
		res := detect(t, &record.Record{Jurisdiction: c.j, Modality: "image", C2PA: full})
		if got := finding(res, "label.x_consist_01.warn") != nil; got != c.want {
			t.Errorf("%s: X-CONSIST-01 warning %v, want %v", c.j, got, c.want)
		}
		res = detect(t, &record.Record{Jurisdiction: c.j, Modality: "image", C2PA: invalid})
		if got := finding(res, "label.cn_tamper_01") != nil; got != c.want {
			t.Errorf("%s: CN-TAMPER-01 for an Invalid manifest %v, want %v", c.j, got, c.want)
		}
	}
}

// TestUnverifiedC2PA: a manifest whose integrity was checked but not its signature is AI
// evidence, but where trust is needed (C2PA-01, a marking layer for EU-50-2) it is
// inconclusive, never a pass; Trusted and Invalid keep their meaning.
func TestUnverifiedC2PA(t *testing.T) {
	t.Parallel()
	genai := []record.C2PAAction{{Action: "c2pa.created", DigitalSourceType: "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"}}
	rec := func(state string) *record.Record {
		return &record.Record{Jurisdiction: "EU", Role: "provider", Modality: "image",
			C2PA: &record.C2PA{Present: true, ValidationState: state, Actions: genai}}
	}
	res := detect(t, rec("Unverified"))
	if finding(res, "label.c2pa_01.inconclusive") == nil || finding(res, "label.c2pa_01") != nil {
		t.Errorf("Unverified: C2PA-01 not inconclusive: %+v", res.Findings)
	}
	if finding(res, "label.eu_50_2.inconclusive") == nil || finding(res, "label.eu_50_2") != nil {
		t.Errorf("Unverified: EU-50-2 should be inconclusive: %+v", res.Findings)
	}
	if !res.Label.AIE || !res.Label.AIC2PA || res.Label.Markings != 0 || res.Label.C2PAState != StateUnverified {
		t.Errorf("Unverified facts: AIE %v AIC2PA %v markings %d state %q", res.Label.AIE, res.Label.AIC2PA, res.Label.Markings, res.Label.C2PAState)
	}
	res = detect(t, rec("Trusted"))
	if res.Label.Markings != 1 || finding(res, "label.eu_50_2.warn") == nil {
		t.Errorf("Trusted: markings %d, findings %+v", res.Label.Markings, res.Findings)
	}
	res = detect(t, rec("Invalid"))
	if res.Label.AIC2PA || finding(res, "label.c2pa_01") == nil || finding(res, "label.eu_50_2") == nil {
		t.Errorf("Invalid: AIC2PA %v, findings %+v", res.Label.AIC2PA, res.Findings)
	}
}
