// Package label checks AIGC labels and provenance on a content record: China's implicit
// metadata label (GB 45438-2025 Annex E) in every carrier given, explicit labels (text,
// image, video, audio, interface), the platform notice and propagation duties (CN
// Measures Art. 6), C2PA validation state and AI classification, the IPTC digital source
// type, and the union of AI evidence that several checks need. It runs the checks of
// LABELING.md section 6 and fills detectors.LabelFacts with one outcome per check (pass,
// fail, warn, skip, inconclusive) plus the facts behind them; the rule packs turn
// outcomes into jurisdictional decisions.
//
// A payload that cannot be parsed is inconclusive or a failed parse, never "no label".
// Checks about the label itself (CN-IMP-02…09, CN-TAMPER-01, C2PA-01/02, X-CONSIST-01)
// also become findings (category "label.<check>", e.g. "label.cn_imp_04") when they do
// not pass, so verdicts explain themselves; duty checks that depend on the jurisdiction
// (CN-IMP-01, CN-PLAT-*, CN-EXP-*, EU-*, US-CA-*) are outcomes only and surface through
// the rules that read them.
//
// It leaves out what needs bytes or history: it reads only the record (upstream
// extractors supply the raw label strings, OCR and C2PA summaries), and the history part
// of CN-TAMPER-01 (a near-duplicate of labeled content arriving unlabeled) belongs to the
// fingerprint store.
package label

import (
	"context"
	"strings"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/signals"
	"github.com/aigcwatch/aigcwatch/record"
)

// Config tunes the checks. The zero value means the defaults below.
type Config struct {
	// TextWindow is N of CN-EXP-01: a text label must be within the first or last N
	// characters. Default 64.
	TextWindow int
	// ScoreThreshold is τ: an upstream AI or deepfake score at or above it is AI evidence
	// (AIE) and a trace for CN's "suspected" tier. Default 0.8.
	ScoreThreshold float64
	// MinSizeRatio is the smallest label text height as a share of the shortest side
	// (GB 45438 §5.2, §5.4). Default 0.05.
	MinSizeRatio float64
	// MinVideoSeconds is how long a video label must show (GB 45438 §5.4). Default 2.
	MinVideoSeconds float64
	// StartToleranceS is how late a video label may begin and still be "at the start".
	// Default 0.5.
	StartToleranceS float64
	// Now is used for records without a time (CN-EXP-06's six months). Default time.Now.
	Now func() time.Time
}

// Defaults.
const (
	DefaultTextWindow      = 64
	DefaultScoreThreshold  = 0.8
	DefaultMinSizeRatio    = 0.05
	DefaultMinVideoSeconds = 2
	DefaultStartToleranceS = 0.5
)

// Detector is the label detector. It is immutable and safe for concurrent use.
type Detector struct{ cfg Config }

// New returns a label detector with cfg's zero fields set to their defaults.
func New(cfg Config) *Detector {
	if cfg.TextWindow <= 0 {
		cfg.TextWindow = DefaultTextWindow
	}
	if cfg.ScoreThreshold <= 0 {
		cfg.ScoreThreshold = DefaultScoreThreshold
	}
	if cfg.MinSizeRatio <= 0 {
		cfg.MinSizeRatio = DefaultMinSizeRatio
	}
	if cfg.MinVideoSeconds <= 0 {
		cfg.MinVideoSeconds = DefaultMinVideoSeconds
	}
	if cfg.StartToleranceS <= 0 {
		cfg.StartToleranceS = DefaultStartToleranceS
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Detector{cfg: cfg}
}

// Name is the label detector's name.
const Name = "label"

// Name implements detectors.Detector.
func (d *Detector) Name() string { return Name }

// Outcome shorthands.
const (
	pass  = detectors.OutcomePass
	fail  = detectors.OutcomeFail
	warn  = detectors.OutcomeWarn
	skip  = detectors.OutcomeSkip
	incon = detectors.OutcomeInconclusive
)

func rank(o string) int {
	switch o {
	case pass:
		return 1
	case warn:
		return 2
	case incon:
		return 3
	case fail:
		return 4
	}
	return 0
}

// check is the running outcome of one check that becomes a finding when it does not pass.
type check struct {
	outcome, detail, term string
}

// set keeps the worst outcome seen.
func (c *check) set(o, detail, term string) {
	if rank(o) > rank(c.outcome) {
		c.outcome, c.detail, c.term = o, detail, term
	}
}

// Intrinsic checks: findings are emitted for them.
const (
	iImp02 = iota
	iImp03
	iImp04
	iImp05
	iImp06
	iImp07
	iImp08
	iImp09
	iTamper
	iC2PA01
	iC2PA02
	iXConsist
	numIntrinsic
)

var intrinsic = [numIntrinsic]struct {
	id, category string
	sev          detectors.Severity // severity of a failure
	layer        detectors.Layer
}{
	{"CN-IMP-02", "label.cn_imp_02", detectors.High, detectors.Content},
	{"CN-IMP-03", "label.cn_imp_03", detectors.High, detectors.Content},
	{"CN-IMP-04", "label.cn_imp_04", detectors.High, detectors.Content},
	{"CN-IMP-05", "label.cn_imp_05", detectors.High, detectors.Content},
	{"CN-IMP-06", "label.cn_imp_06", detectors.Medium, detectors.Content},
	{"CN-IMP-07", "label.cn_imp_07", detectors.Low, detectors.Content},
	{"CN-IMP-08", "label.cn_imp_08", detectors.Medium, detectors.Content},
	{"CN-IMP-09", "label.cn_imp_09", detectors.Low, detectors.Content},
	{"CN-TAMPER-01", "label.cn_tamper_01", detectors.High, detectors.Content},
	{"C2PA-01", "label.c2pa_01", detectors.High, detectors.Technology},
	{"C2PA-02", "label.c2pa_02", detectors.Info, detectors.Technology},
	{"X-CONSIST-01", "label.x_consist_01", detectors.Medium, detectors.Content},
}

// Categories lists every finding category the detector may emit ("label.cn_imp_04", …).
func Categories() []string {
	var out []string
	seen := map[string]bool{}
	add := func(c string) {
		for _, v := range [...]string{c, warnCategory(c), inconCategory(c)} {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	for _, c := range intrinsic {
		add(c.category)
	}
	for _, c := range duties {
		add(c.category)
	}
	return out
}

// Categories of the non-failing outcomes: "label.cn_imp_06.warn",
// "label.cn_imp_02.inconclusive". Precomputed so emitting allocates nothing.
var warnCats, inconCats = map[string]string{}, map[string]string{}

func warnCategory(c string) string {
	if v, ok := warnCats[c]; ok {
		return v
	}
	return c + ".warn"
}

func inconCategory(c string) string {
	if v, ok := inconCats[c]; ok {
		return v
	}
	return c + ".inconclusive"
}

func init() {
	for _, c := range intrinsic {
		warnCats[c.category], inconCats[c.category] = c.category+".warn", c.category+".inconclusive"
	}
	for _, c := range duties {
		warnCats[c.category], inconCats[c.category] = c.category+".warn", c.category+".inconclusive"
	}
}

// Detect implements detectors.Detector. It never fails: inputs it cannot read become
// inconclusive outcomes and problems.
func (d *Detector) Detect(_ context.Context, r *record.Record, res *detectors.Result) error {
	f := &res.Label
	*f = detectors.LabelFacts{Analyzed: true}
	var ck [numIntrinsic]check
	in, out := Payload{Status: Empty}, Payload{Status: Empty} // Empty until a carrier parses
	d.implicit(r, res, f, &ck, &in)
	d.output(r, f, &out)
	d.provenance(r, f, &ck)
	textLabel := d.explicit(r, f)
	d.aie(r, f)
	d.cnDuties(r, f, &ck, &in, &out, textLabel)
	d.otherDuties(r, f)
	d.consistency(r, f, &ck)

	// Outcomes of the intrinsic checks into the facts, and findings for those that did not pass.
	outs := [numIntrinsic]*string{&f.CNImp02, &f.CNImp03, &f.CNImp04, &f.CNImp05, &f.CNImp06, &f.CNImp07,
		&f.CNImp08, &f.CNImp09, &f.CNTamper01, &f.C2PA01, &f.C2PA02, &f.XConsist01}
	for i := range ck {
		c := &ck[i]
		if c.outcome == "" {
			c.outcome = skip
		}
		*outs[i] = c.outcome
		if c.outcome == pass || c.outcome == skip { // most checks of most records: no finding, no call
			continue
		}
		emit(res, intrinsic[i].id, intrinsic[i].category, intrinsic[i].sev, intrinsic[i].layer, fieldOf(i), c.outcome, c.detail, c.term)
	}
	// Duty checks: findings only for records of the check's jurisdiction (or none given),
	// so a CN verdict does not list EU checks; the facts hold every outcome regardless.
	fam := familiesOf(r.Jurisdiction)
	for _, i := range dutiesOf[fam] {
		dc := &duties[i]
		if o := *dc.out(f); o != pass && o != skip {
			emit(res, dc.id, dc.category, dc.sev, detectors.Content, dc.field, o, dc.detail[o], "")
		}
	}
	// The duty checks that take the record's signals as their input: the deep-synthesis
	// duties (CN-DS-01, EU-50-4a) and the intimate-image ones (EU-5-NCII, UK-NCII).
	if fam&famCN != 0 && f.CNDS01 != skip || fam&famEU != 0 && f.EU504a != skip || fam&(famEU|famUK) != 0 && f.NCII != skip {
		consumeSignals(res)
	}
	return nil
}

// consumeSignals marks the signals detector's findings that those checks stand for
// (Finding.ConsumedBy), once one of them applied to the record and ran: its own finding
// (on failure) or its pass is the judgement on them, so they are not counted as findings
// no rule acted on. The signals a rule names directly (signal.minor_intimate,
// signal.synthesis_tool) are left to the rules.
func consumeSignals(res *detectors.Result) {
	for i := range res.Findings {
		g := &res.Findings[i]
		if g.Detector != signals.Name {
			continue
		}
		switch g.Category {
		case signals.Deepfake, signals.FaceSwap, signals.VoiceClone, signals.IntimateRealPerson:
			g.ConsumedBy = Name
		}
	}
}

// emit appends a finding for a check that did not pass.
func emit(res *detectors.Result, id, category string, sev detectors.Severity, layer detectors.Layer, field, outcome, detail, term string) {
	if outcome == pass || outcome == skip || outcome == "" {
		return
	}
	switch {
	case outcome == warn:
		sev = min(sev, detectors.Low)
	case outcome == incon && sev > detectors.Low:
		sev--
	}
	// Warnings and inconclusive outcomes have categories of their own, so a rule on a
	// failure is just has("label.<check>") and the engine fires it from its index.
	switch outcome {
	case warn:
		category = warnCategory(category)
	case incon:
		category = inconCategory(category)
	}
	res.Findings = append(res.Findings, detectors.Finding{Detector: Name, Category: category, Severity: sev, Layer: layer,
		Evidence: detectors.Evidence{Field: field, Term: term, Check: id, Outcome: outcome, Detail: detail}})
}

// Jurisdiction families of the duty checks.
const (
	famCN = 1 << iota
	famEU
	famUSCA
	famUK
	famAll = famCN | famEU | famUSCA | famUK
)

// euMembers mirrors the rules engine: EU packs apply to each member state.
var euMembers = map[string]bool{
	"EU": true, "AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true, "DK": true, "EE": true, "FI": true,
	"FR": true, "DE": true, "GR": true, "EL": true, "HU": true, "IE": true, "IT": true, "LV": true, "LT": true,
	"LU": true, "MT": true, "NL": true, "PL": true, "PT": true, "RO": true, "SK": true, "SI": true, "ES": true, "SE": true,
}

func familiesOf(j string) int {
	if j == "CN" { // the common case, without the cut and the map
		return famCN
	}
	country, _, _ := strings.Cut(j, "-")
	switch {
	case j == "":
		return famAll
	case country == "CN":
		return famCN
	case euMembers[country]:
		return famEU
	case j == "US-CA" || strings.HasPrefix(j, "US-CA-"):
		return famUSCA
	case country == "UK" || country == "GB":
		return famUK
	}
	return 0
}

// dutiesOf lists, for each set of families familiesOf returns, the indexes in duties of
// the checks of those families, in order.
var dutiesOf = func() (t [famAll + 1][]uint8) {
	var _ [255 - len(duties)]struct{} // indexes fit a byte
	for fam := range t {
		for i := range duties {
			if fam&duties[i].family != 0 {
				t[fam] = append(t[fam], uint8(i))
			}
		}
	}
	return t
}()

// duties are the jurisdiction-dependent checks: outcome field, finding category and
// the detail for each non-passing outcome.
var duties = [...]struct {
	id, category, field string
	family              int
	sev                 detectors.Severity
	out                 func(*detectors.LabelFacts) *string
	detail              map[string]string
}{
	{"CN-IMP-01", "label.cn_imp_01", "labels.implicit", famCN, detectors.High, func(f *detectors.LabelFacts) *string { return &f.CNImp01 },
		map[string]string{fail: "generated media without an implicit label, or a platform output without one"}},
	{"CN-PLAT-01", "label.cn_plat_01", "distribution.notice", famCN, detectors.High, func(f *detectors.LabelFacts) *string { return &f.CNPlat01 },
		map[string]string{fail: "the platform notice is missing or weaker than label.required_notice"}},
	{"CN-PLAT-02", "label.cn_plat_02", "distribution.output_labels", famCN, detectors.High, func(f *detectors.LabelFacts) *string { return &f.CNPlat02 },
		map[string]string{fail: "the output label lacks this platform's code or content ID, has the wrong Label, or changed production elements"}},
	{"CN-PLAT-03", "label.cn_plat_03", "declared_ai", famCN, detectors.Medium, func(f *detectors.LabelFacts) *string { return &f.CNPlat03 },
		map[string]string{fail: "no user declaration recorded"}},
	{"CN-EXP-01", "label.cn_exp_01", "text", famCN, detectors.High, func(f *detectors.LabelFacts) *string { return &f.CNExp01 },
		map[string]string{fail: "no AI and generation elements in the first or last characters, and no interface label"}},
	{"CN-EXP-02", "label.cn_exp_02", "labels.explicit", famCN, detectors.Medium, func(f *detectors.LabelFacts) *string { return &f.CNExp02 },
		map[string]string{fail: "image label missing, without both elements, not at an edge or corner, or under 5 %", incon: "label text height unknown (size_ratio 0)"}},
	{"CN-EXP-03", "label.cn_exp_03", "labels.explicit", famCN, detectors.Medium, func(f *detectors.LabelFacts) *string { return &f.CNExp03 },
		map[string]string{fail: "video label missing, not at the start, under 2 s, under 5 % or without both elements", incon: "label duration or text height unknown"}},
	{"CN-EXP-04", "label.cn_exp_04", "labels.explicit", famCN, detectors.Medium, func(f *detectors.LabelFacts) *string { return &f.CNExp04 },
		map[string]string{fail: "no voice label with both elements or 短长短短 rhythm at start, end or middle"}},
	{"CN-EXP-05", "label.cn_exp_05", "labels", famCN, detectors.Low, func(f *detectors.LabelFacts) *string { return &f.CNExp05 },
		map[string]string{fail: "no start-screen or interface label in the virtual scene"}},
	{"CN-EXP-06", "label.cn_exp_06", "export", famCN, detectors.Medium, func(f *detectors.LabelFacts) *string { return &f.CNExp06 },
		map[string]string{fail: "unlabelled export without user request, agreement or six months of logs"}},
	{"CN-ILLEGAL-01", "label.cn_illegal_01", "moderation", famCN, detectors.Critical, func(f *detectors.LabelFacts) *string { return &f.CNIllegal01 },
		map[string]string{fail: "illegal content not stopped, removed and reported"}},
	{"CN-DS-01", "label.cn_ds_01", "signals", famCN, detectors.High, func(f *detectors.LabelFacts) *string { return &f.CNDS01 },
		map[string]string{fail: "face or voice edit of a real person without consent or a prominent label"}},
	{"EU-50-2", "label.eu_50_2", "labels", famEU, detectors.High, func(f *detectors.LabelFacts) *string { return &f.EU502 },
		map[string]string{fail: "no machine-readable marking (C2PA GenAI, IPTC, watermark, CN label)", warn: "one marking layer only"}},
	{"EU-50-4a", "label.eu_50_4a", "labels", famEU, detectors.High, func(f *detectors.LabelFacts) *string { return &f.EU504a },
		map[string]string{fail: "AI media of a real person without a visible disclosure"}},
	{"EU-50-4b", "label.eu_50_4b", "text", famEU, detectors.Medium, func(f *detectors.LabelFacts) *string { return &f.EU504b },
		map[string]string{fail: "AI text on a public-interest matter without disclosure or editorial review"}},
	{"EU-CoP-1.2", "label.eu_cop_1_2", "distribution.output_labels", famEU, detectors.Medium, func(f *detectors.LabelFacts) *string { return &f.EUCoP12 },
		map[string]string{warn: "the platform output dropped the input's implicit label"}},
	{"EU-5-NCII", "label.ncii", "signals", famEU, detectors.Critical, func(f *detectors.LabelFacts) *string { return &f.NCII },
		map[string]string{fail: "intimate image of an identifiable real person without consent"}},
	{"UK-NCII", "label.ncii", "signals", famUK, detectors.Critical, func(f *detectors.LabelFacts) *string { return &f.NCII },
		map[string]string{fail: "intimate image of an identifiable real person without consent"}},
	{"US-CA-942", "label.us_ca_942", "c2pa", famUSCA, detectors.Medium, func(f *detectors.LabelFacts) *string { return &f.USCA942 },
		map[string]string{fail: "latent disclosure lacks provider, system and version, time or unique ID"}},
	{"US-CA-942", "label.us_ca_942_platform", "distribution.output_labels", famUSCA, detectors.Medium, func(f *detectors.LabelFacts) *string { return &f.USCA942Plat },
		map[string]string{fail: "the platform output stripped the input's provenance"}},
	{"US-CA-2355", "label.us_ca_2355", "context.disclaimer", famUSCA, detectors.High, func(f *detectors.LabelFacts) *string { return &f.USCA2355 },
		map[string]string{fail: "AI political ad without the statutory disclaimer"}},
}

func fieldOf(i int) string {
	switch i {
	case iC2PA01, iC2PA02:
		return "c2pa"
	case iXConsist:
		return "labels"
	}
	return "labels.implicit"
}

// implicit parses every input carrier and runs CN-IMP-02…09 on each.
func (d *Detector) implicit(r *record.Record, res *detectors.Result, f *detectors.LabelFacts, ck *[numIntrinsic]check, first *Payload) {
	sites := r.Labels.Implicit
	f.Sites = len(sites)
	if len(sites) == 0 {
		return
	}
	haveFirst, unsure, syntax, differ, rawSame := false, false, false, false, true
	firstRaw := strings.TrimSpace(sites[0].Raw)
	for i := range sites {
		term := sites[i].Carrier
		p := parseArena(sites[i].Raw, &res.Arena)
		rawSame = rawSame && strings.TrimSpace(sites[i].Raw) == firstRaw
		if p.Shell() {
			f.EmptyShell = true
			ck[iTamper].set(fail, "an AIGC field with no label values (empty shell)", term)
			f.TamperReason = "empty_shell"
		}
		switch p.Status {
		case Empty:
			ck[iImp02].set(incon, "the AIGC field is empty", term)
			unsure = true
			continue
		case Truncated:
			ck[iImp02].set(incon, "the payload ends before the JSON object closes (truncated?)", term)
			res.Problems = append(res.Problems, detectors.Problem{Detector: Name, Field: "labels.implicit", Reason: "label_truncated"})
			unsure = true
			continue
		case Syntax:
			ck[iImp02].set(fail, "the payload is not a JSON object", term)
			res.Problems = append(res.Problems, detectors.Problem{Detector: Name, Field: "labels.implicit", Reason: "label_syntax"})
			syntax = true
			continue
		}
		ck[iImp02].set(pass, "", term)
		f.Parsed++
		if !haveFirst {
			*first, haveFirst = p, true
		} else if !p.Equal(first) {
			differ = true
		}
		checkPayload(r, f, ck, &p, term)
	}
	// Copies are duplicates when their raw strings or parsed labels are equal; they
	// conflict when two parsed labels differ, or one parsed and another is not JSON, or
	// every copy was read and they differ. A truncated or empty copy cannot be compared.
	switch {
	case len(sites) < 2 || rawSame:
	case differ, syntax && f.Parsed > 0, !unsure && !(f.Parsed == len(sites)):
		f.Conflict = true
	}
	if haveFirst {
		f.LabelValue = first.Values[kLabel]
		f.Producer = first.Values[kContentProducer]
		f.ProduceID = first.Values[kProduceID]
		f.Propagator = first.Values[kContentPropagator]
		f.PropagateID = first.Values[kPropagateID]
		f.ProducerIsCode = CodeShape(f.Producer) >= CodeGen
	}
	// CN-IMP-08: exactly one label.
	switch {
	case len(sites) == 1:
		ck[iImp08].set(pass, "", "")
	case f.Conflict:
		ck[iImp08].set(fail, "more than one implicit label, with differing contents (conflict)", sites[1].Carrier)
		ck[iTamper].set(fail, "conflicting implicit labels in one file", sites[1].Carrier)
		if f.TamperReason == "" {
			f.TamperReason = "conflict"
		}
	case unsure && !rawSame:
		ck[iImp08].set(fail, "more than one implicit label; some could not be read to compare", sites[1].Carrier)
	default:
		f.Duplicate = true
		ck[iImp08].set(fail, "more than one implicit label, identical copies (duplicate)", sites[1].Carrier)
	}
}

func isAILabel(v string) bool { return v == "1" || v == "2" || v == "3" }

// checkPayload runs CN-IMP-03…07 and 09 on one parsed carrier.
func checkPayload(r *record.Record, f *detectors.LabelFacts, ck *[numIntrinsic]check, p *Payload, term string) {
	// CN-IMP-03: the seven keys.
	missing := -1
	for k := range p.Has {
		if !p.Has[k] {
			missing = k
			break
		}
	}
	f.UnknownKeys += p.Unknown
	switch {
	case missing >= 0:
		ck[iImp03].set(fail, missingDetail[missing], term)
	case p.DupKeys:
		ck[iImp03].set(fail, "a key occurs twice", term)
	case p.Unknown > 0:
		ck[iImp03].set(warn, "keys other than the seven of Annex E", term)
	default:
		nonString := false
		for k := kContentProducer; k < numKeys; k++ {
			nonString = nonString || !p.String[k]
		}
		if nonString {
			ck[iImp03].set(warn, "a value is not a JSON string", term)
		} else {
			ck[iImp03].set(pass, "", term)
		}
	}

	// CN-IMP-04: the Label enum.
	lv := p.Values[kLabel]
	switch {
	case !p.Has[kLabel]:
		ck[iImp04].set(fail, "no Label", term)
	case p.String[kLabel] && isAILabel(lv):
		ck[iImp04].set(pass, "", term)
		f.AILabel = true
	case p.LabelNumber && isAILabel(lv):
		ck[iImp04].set(warn, "Label is a number, not the string \"1\", \"2\" or \"3\"", term)
		f.AILabel = true
	default:
		ck[iImp04].set(fail, "Label is not \"1\", \"2\" or \"3\"", term)
	}

	// CN-IMP-05: required values non-empty; propagation and reserved fields counted.
	req := 0
	for _, k := range [...]int{kLabel, kContentProducer, kProduceID} {
		if p.Values[k] == "" {
			req++
		}
	}
	prop := 0
	for _, k := range [...]int{kContentPropagator, kPropagateID} {
		if p.Values[k] == "" {
			prop++
		}
	}
	for _, k := range [...]int{kReservedCode1, kReservedCode2} {
		if p.Values[k] == "" {
			f.EmptyReserved++
		}
	}
	f.EmptyRequired += req
	f.EmptyPropagation += prop
	switch {
	case req > 0:
		ck[iImp05].set(fail, "Label, ContentProducer or ProduceID is empty", term)
	case prop > 0:
		ck[iImp05].set(warn, "ContentPropagator or PropagateID is empty", term)
	default:
		ck[iImp05].set(pass, "", term)
	}

	// CN-IMP-06: charset.
	bad := false
	for k := range p.Values {
		if p.String[k] && !CharsetOK(p.Values[k]) {
			bad = true
			break
		}
	}
	if bad {
		f.CharsetBad = true
		ck[iImp06].set(warn, "a value has characters outside Annex E j) (space, CJK, backslash or control)", term)
	} else {
		ck[iImp06].set(pass, "", term)
	}

	// CN-IMP-07: provider code shape.
	prod, propa := p.Values[kContentProducer], p.Values[kContentPropagator]
	ps := CodeShape(prod)
	switch {
	case ps == CodeBad:
		ck[iImp07].set(fail, "ContentProducer is 27 characters but not a TC260-PG-20252A code", term)
	case ps == CodeProp:
		ck[iImp07].set(warn, "ContentProducer has a propagation-service code (position 23 = 2)", term)
	}
	if propa != prod {
		switch CodeShape(propa) {
		case CodeBad:
			ck[iImp07].set(fail, "ContentPropagator is 27 characters but not a TC260-PG-20252A code", term)
		case CodeGen:
			ck[iImp07].set(warn, "ContentPropagator has a generation-service code (position 23 = 1)", term)
		}
	}
	if ps >= CodeGen || CodeShape(propa) >= CodeGen {
		ck[iImp07].set(pass, "", term)
	} else if ps == CodeName {
		ck[iImp07].set(skip, "", term) // a name, not a code
	}

	// CN-IMP-09: first-write consistency at generation.
	switch {
	case r.Role == record.RolePlatform:
		ck[iImp09].set(pass, "", term)
	case r.Role != record.RoleProvider || prop > 0:
		ck[iImp09].set(skip, "", term)
	case propa != prod || p.Values[kPropagateID] != p.Values[kProduceID]:
		ck[iImp09].set(warn, "at first write the propagation elements should equal the production elements", term)
	default:
		ck[iImp09].set(pass, "", term)
	}
}

var missingDetail = [numKeys]string{
	"Label is missing", "ContentProducer is missing", "ProduceID is missing", "ReservedCode1 is missing",
	"ContentPropagator is missing", "PropagateID is missing", "ReservedCode2 is missing",
}

// output parses the labels the platform wrote.
func (d *Detector) output(r *record.Record, f *detectors.LabelFacts, out *Payload) {
	if r.Distribution == nil {
		return
	}
	f.OutSites = len(r.Distribution.OutputLabels)
	for i := range r.Distribution.OutputLabels {
		p := Parse(r.Distribution.OutputLabels[i].Raw)
		if p.Status == OK {
			*out = p
			f.OutLabelValue = p.Values[kLabel]
			return
		}
	}
}

// provenance reads C2PA and IPTC (C2PA-01, C2PA-02).
func (d *Detector) provenance(r *record.Record, f *detectors.LabelFacts, ck *[numIntrinsic]check) {
	f.IPTCClass = iptcClass(r.IPTCDigitalSourceType)
	f.AIIPTC = f.IPTCClass == "ai"
	c := r.C2PA
	if c == nil || !c.Present {
		ck[iC2PA01].set(skip, "", "")
		ck[iC2PA02].set(skip, "", "")
		return
	}
	state, _ := c2paState(c)
	f.C2PAState = state
	switch state {
	case StateTrusted:
		ck[iC2PA01].set(pass, "", "")
	case StateValid:
		ck[iC2PA01].set(warn, "valid but the signer is not on a trust list: reduced weight", "")
	case StateUntrusted:
		ck[iC2PA01].set(warn, "signingCredential.untrusted: reduced weight", "")
	case StateInvalid:
		ck[iC2PA01].set(fail, "invalid C2PA manifest or a mismatch/revoked status code: tampered provenance, its AI claims are not used", "")
	case StateUnverified:
		ck[iC2PA01].set(incon, "integrity checked (hard binding, assertion hashes) but the signature and the signer's trust were not validated", "")
	default:
		ck[iC2PA01].set(incon, "no recognised validation state", "")
	}
	if state == StateInvalid {
		ck[iC2PA02].set(skip, "", "")
		return
	}
	class := c2paClass(c)
	f.C2PAClass = class
	f.AIC2PA = class == ClassFull || class == ClassPartial
	if class == ClassAmbiguous {
		ck[iC2PA02].set(warn, "no GenAI source type, and the action list may be incomplete (allActionsIncluded not true, custom or no actions)", "")
	} else {
		ck[iC2PA02].set(pass, "", "")
	}
}

// textPosition reports whether a text label's position is one the Measures allow.
func textPosition(p string) bool {
	switch p {
	case "start", "end", "middle", "interface", "surround":
		return true
	}
	return false
}

// explicit derives ExplicitOK and Disclosed.
//
// It returns whether a text record's own text carries the label (CN-EXP-01's text
// position), which cnExplicit uses again.
//
// A record whose interface shows the label (labels.interface: a chat service's) is not read
// for one when it has no export: ExplicitOK and Disclosed hold on the interface label, which
// also passes CN-EXP-01, and CN-EXP-06 (an export's) is the only other reader of textLabel.
// Reading the head and tail windows was about a twentieth of judging such a record (1,500
// of 27,400 instructions, the stream benchmark's realistic mix).
// TestInterfaceLabelSkipsTextChangesNothing holds the shortcut to the full reading.
func (d *Detector) explicit(r *record.Record, f *detectors.LabelFacts) (textLabel bool) {
	ex := r.Labels.Explicit
	iface := r.Labels.Interface != nil && *r.Labels.Interface
	if iface && r.Export == nil && !readTextAlways {
		f.ExplicitOK, f.Disclosed = true, true
		return false
	}
	exOK := ex != nil && ex.Present && (ex.Type == "rhythm" || Elements(ex.Text))
	var h, t window
	textOK := false
	if r.Modality == record.Text && r.Text != "" {
		h, t = textWindows(r.Text, d.cfg.TextWindow)
		textOK = h.elements || t.elements
	}
	f.ExplicitOK = exOK || textOK || iface
	notice := false
	if r.Distribution != nil {
		switch r.Distribution.Notice {
		case "is", "possibly", "suspected":
			notice = true
		}
	}
	f.Disclosed = f.ExplicitOK || notice || (ex != nil && ex.Present) || h.disclosure || t.disclosure
	return textOK
}

// aie computes the AI-evidence union.
func (d *Detector) aie(r *record.Record, f *detectors.LabelFacts) {
	f.AIWatermark = r.Watermark != nil && r.Watermark.Detected
	f.AIDeclared = r.DeclaredAI != nil && *r.DeclaredAI
	s := &r.Signals
	f.AIScore = (s.AIScore != nil && *s.AIScore >= d.cfg.ScoreThreshold) || (s.DeepfakeScore != nil && *s.DeepfakeScore >= d.cfg.ScoreThreshold)
	f.AIE = f.AILabel || f.AIC2PA || f.AIIPTC || f.AIWatermark || f.AIDeclared || f.AIScore
	usableC2PA := f.AIC2PA && (f.C2PAState == StateValid || f.C2PAState == StateUntrusted || f.C2PAState == StateTrusted)
	for _, m := range [...]bool{f.AILabel, usableC2PA, f.AIIPTC, f.AIWatermark} {
		if m {
			f.Markings++
		}
	}
}

// readTextAlways turns explicit's interface-label shortcut off (tests compare the two).
var readTextAlways bool

func isMedia(m string) bool { return m == record.Image || m == record.Audio || m == record.Video }

// noticeStrength orders notices: is > possibly > suspected > none.
func noticeStrength(n string) int {
	switch n {
	case "is", "is_ai":
		return 3
	case "possibly", "possibly_ai":
		return 2
	case "suspected", "suspected_ai":
		return 1
	}
	return 0
}

// cnDuties runs CN-IMP-01, CN-PLAT-*, CN-TAMPER-01, CN-EXP-*, CN-ILLEGAL-01 and CN-DS-01.
// textLabel is explicit's answer: the text record's own text carries the label.
func (d *Detector) cnDuties(r *record.Record, f *detectors.LabelFacts, ck *[numIntrinsic]check, in, out *Payload, textLabel bool) {
	// Files: media, and text or other modalities delivered as a file (Markdown, PDF, DOCX).
	fileLike := isMedia(r.Modality) || ((r.Modality == record.Text || r.Modality == record.Other) && r.Media != nil)
	dist := r.Distribution
	processed := dist != nil && dist.Processed

	// CN-PLAT-01: the required notice (platforms).
	switch {
	case f.AILabel:
		switch f.LabelValue {
		case "2":
			f.RequiredNotice = "possibly_ai"
		case "3":
			f.RequiredNotice = "suspected_ai"
		default:
			f.RequiredNotice = "is_ai"
		}
	case f.AIDeclared:
		f.RequiredNotice = "possibly_ai"
	case f.ExplicitOK || f.AIScore || f.AIC2PA || f.AIIPTC || f.AIWatermark || (f.Sites > 0 && f.Parsed == 0):
		f.RequiredNotice = "suspected_ai"
	}
	f.CNPlat01, f.CNPlat02, f.CNPlat03 = skip, skip, skip
	if r.Role == record.RolePlatform {
		shown := ""
		if dist != nil {
			shown = dist.Notice
		}
		if noticeStrength(shown) >= noticeStrength(f.RequiredNotice) {
			f.CNPlat01 = pass
		} else {
			f.CNPlat01 = fail
		}
		if r.DeclaredAI == nil {
			f.CNPlat03 = fail
		} else {
			f.CNPlat03 = pass
		}
		if f.RequiredNotice != "" && processed {
			f.CNPlat02 = plat02(f, dist, in, out)
		}
	}

	// CN-IMP-01: label present.
	f.CNImp01 = skip
	switch {
	case !fileLike:
	case r.Role == record.RoleProvider:
		f.CNImp01 = pass
		if f.Sites == 0 {
			f.CNImp01 = fail
		}
	case r.Role == record.RolePlatform && processed:
		f.CNImp01 = pass
		if f.RequiredNotice != "" && f.OutSites == 0 {
			f.CNImp01 = fail
		}
	}

	// CN-TAMPER-01 (the parts the record shows; history waits for the fingerprint store).
	tamper := func(reason, detail string) {
		ck[iTamper].set(fail, detail, "distribution.output_labels")
		if f.TamperReason == "" {
			f.TamperReason = reason
		}
	}
	if processed && f.AILabel {
		if f.LabelValue == "1" && f.OutLabelValue != "1" {
			tamper("downgraded", "the platform output downgrades or drops Label 1")
		}
		if out.Status == OK && out.Values[kProduceID] == in.Values[kProduceID] && out.Values[kContentProducer] != in.Values[kContentProducer] {
			tamper("producer_changed", "same ProduceID, different ContentProducer in the platform output")
		}
	}
	if f.C2PAState == StateInvalid && !f.AILabel && familiesOf(r.Jurisdiction)&famCN != 0 {
		ck[iTamper].set(fail, "invalid C2PA provenance and no CN label saying AI", "c2pa")
		if f.TamperReason == "" {
			f.TamperReason = "c2pa_invalid"
		}
	}
	if f.Sites > 0 || f.C2PAState != "" || processed {
		ck[iTamper].set(pass, "", "")
	}

	d.cnExplicit(r, f, textLabel)

	// CN-ILLEGAL-01.
	f.CNIllegal01 = skip
	if m := r.Moderation; m != nil && m.Verdict == "illegal" {
		var stop, removed, reported bool
		for _, a := range m.ActionsTaken {
			switch a {
			case "stop_generation", "stop_transmission":
				stop = true
			case "remove", "removed", "delete", "deleted":
				removed = true
			case "report", "reported":
				reported = true
			}
		}
		reported = reported || m.ReportTicket != ""
		f.CNIllegal01 = pass
		if !stop || !removed || !reported {
			f.CNIllegal01 = fail
		}
	}

	// CN-DS-01.
	f.CNDS01 = skip
	s := &r.Signals
	// A record that does not say whether a real person is depicted is assumed to depict
	// one (fail safe); the packs' rules declare the fact, so the verdict notes it.
	if (isTrue(s.FaceSwap) || isTrue(s.VoiceClone)) && !isFalse(s.DepictsRealPerson) {
		f.CNDS01 = pass
		if !isTrue(s.Consent) || !f.Disclosed {
			f.CNDS01 = fail
		}
	}
}

func isTrue(b *bool) bool { return b != nil && *b }

func isFalse(b *bool) bool { return b != nil && !*b }

// plat02 checks the propagation elements the platform wrote (CN-PLAT-02).
func plat02(f *detectors.LabelFacts, dist *record.Distribution, in, out *Payload) string {
	if f.OutSites != 1 || out.Status != OK {
		return fail
	}
	if dist.PlatformCode == "" || out.Values[kContentPropagator] != dist.PlatformCode ||
		dist.ContentID == "" || out.Values[kPropagateID] != dist.ContentID {
		return fail
	}
	want := f.LabelValue
	if !f.AILabel {
		want = "3"
		if f.RequiredNotice == "possibly_ai" {
			want = "2"
		}
	}
	if out.Values[kLabel] != want {
		return fail
	}
	if in.Status == OK && (out.Values[kContentProducer] != in.Values[kContentProducer] ||
		out.Values[kProduceID] != in.Values[kProduceID] || out.Values[kReservedCode1] != in.Values[kReservedCode1]) {
		return fail
	}
	return pass
}

// cnExplicit runs CN-EXP-01…06.
func (d *Detector) cnExplicit(r *record.Record, f *detectors.LabelFacts, textLabel bool) {
	f.CNExp01, f.CNExp02, f.CNExp03, f.CNExp04, f.CNExp05, f.CNExp06 = skip, skip, skip, skip, skip, skip
	if r.Moderation != nil && r.Moderation.Verdict == "illegal" {
		return // illegal content must not be delivered at all: CN-ILLEGAL-01 judges it, not a label
	}
	ex := r.Labels.Explicit
	iface := isTrue(r.Labels.Interface)
	exPresent := ex != nil && ex.Present
	if r.Role == record.RoleProvider {
		switch r.Modality {
		case record.Text:
			if r.Text != "" {
				f.CNExp01 = fail
				if iface || textLabel || (exPresent && textPosition(ex.Position) && Elements(ex.Text)) {
					f.CNExp01 = pass
				}
			}
		case record.Image:
			f.CNExp02 = d.imageLabel(ex)
		case record.Video:
			f.CNExp03 = d.videoLabel(ex)
		case record.Audio:
			switch {
			case iface:
				f.CNExp04 = pass
			case ex == nil:
				f.CNExp04 = skip
			case !ex.Present || !(ex.Position == "start" || ex.Position == "end" || ex.Position == "middle"):
				f.CNExp04 = fail
			case ex.Type == "rhythm" || (ex.Type == "voice" && Elements(ex.Text)):
				f.CNExp04 = pass
			default:
				f.CNExp04 = fail
			}
		case record.Virtual:
			f.CNExp05 = fail
			if iface || (exPresent && (ex.Position == "start" || ex.Position == "interface" || ex.Position == "surround")) {
				f.CNExp05 = pass
			}
		}
	}
	// CN-EXP-06: an export without an explicit label needs a request, an agreement and six months of logs.
	if e := r.Export; e != nil {
		labeled := !e.RequestedWithoutLabel && ((exPresent && (ex.Type == "rhythm" || Elements(ex.Text))) ||
			textLabel)
		f.CNExp06 = pass
		if !labeled {
			at := r.Time
			if at.IsZero() {
				at = d.cfg.Now()
			}
			if e.UserRequestID == "" || e.AgreementVersion == "" || e.LogRetentionUntil.Before(at.AddDate(0, 6, 0)) {
				f.CNExp06 = fail
			}
		}
	}
}

func (d *Detector) imageLabel(ex *record.ExplicitLabel) string {
	switch {
	case ex == nil:
		return skip // no OCR result: nothing to check
	case !ex.Present, !Elements(ex.Text), ex.Position != "edge" && ex.Position != "corner":
		return fail
	case ex.SizeRatio == 0:
		return incon
	case ex.SizeRatio < d.cfg.MinSizeRatio:
		return fail
	}
	return pass
}

func (d *Detector) videoLabel(ex *record.ExplicitLabel) string {
	switch {
	case ex == nil:
		return skip
	case !ex.Present, !Elements(ex.Text), ex.StartS > d.cfg.StartToleranceS:
		return fail
	case ex.DurationS == 0 || ex.SizeRatio == 0:
		return incon
	case ex.DurationS < d.cfg.MinVideoSeconds, ex.SizeRatio < d.cfg.MinSizeRatio:
		return fail
	}
	return pass
}

// otherDuties runs the EU, UK and US checks.
func (d *Detector) otherDuties(r *record.Record, f *detectors.LabelFacts) {
	s := &r.Signals
	// EU-50-2: machine-readable marking by providers.
	f.EU502 = skip
	if r.Role == record.RoleProvider && (isMedia(r.Modality) || r.Modality == record.Text) {
		switch f.Markings {
		case 0:
			f.EU502 = fail
			if f.AIC2PA && f.C2PAState == StateUnverified {
				// A GenAI manifest whose signature nobody validated: marked, but whether
				// validly cannot be told here.
				f.EU502 = incon
			}
		case 1:
			f.EU502 = warn // the Code of Practice expects two layers where necessary
		default:
			f.EU502 = pass
		}
	}
	// EU-50-4a: deepfake disclosure.
	f.EU504a = skip
	// depicts_real_person is what makes AI media a deepfake here, so it is not assumed:
	// assuming it would fire the deepfake notice on every unlabelled AI image, which
	// EU-50-2's marking duty already covers (docs/rules.md, "Fail-safe scope").
	if isMedia(r.Modality) && f.AIE && isTrue(s.DepictsRealPerson) && (s.Realistic == nil || *s.Realistic) {
		f.EU504a = pass
		if !f.Disclosed {
			f.EU504a = fail
		}
	}
	// EU-50-4b: AI text on matters of public interest.
	f.EU504b = skip
	if r.Modality == record.Text && f.AIE && isTrue(r.Context.PublicInterest) {
		f.EU504b = pass
		if r.Context.EditorialReviewBy == "" && !f.Disclosed {
			f.EU504b = fail
		}
	}
	// EU-CoP-1.2: markings kept through the platform's transform.
	f.EUCoP12 = skip
	if r.Distribution != nil && r.Distribution.Processed && f.Sites > 0 {
		f.EUCoP12 = pass
		if f.OutSites == 0 {
			f.EUCoP12 = warn
		}
	}
	// EU-5-NCII / UK-NCII (the EU rule adds label.aie).
	f.NCII = skip
	if isTrue(s.Intimate) && !isFalse(s.DepictsRealPerson) {
		f.NCII = pass
		if !isTrue(s.Consent) {
			f.NCII = fail
		}
	}
	// US-CA-942: latent disclosure content of covered providers.
	f.USCA942, f.USCA942Plat = skip, skip
	pi := r.ProviderInfo
	if r.Role == record.RoleProvider && isMedia(r.Modality) && pi != nil && pi.MAU > 1_000_000 && (pi.CAAccessible == nil || *pi.CAAccessible) {
		f.USCA942 = fail
		if latentComplete(r.C2PA, f) {
			f.USCA942 = pass
		}
	}
	if r.Role == record.RolePlatform && r.Distribution != nil && r.Distribution.Processed && (f.Sites > 0 || (r.C2PA != nil && r.C2PA.Present)) {
		f.USCA942Plat = pass
		if f.OutSites == 0 {
			f.USCA942Plat = fail
		}
	}
	// US-CA-2355: the AI political ad disclaimer.
	f.USCA2355 = skip
	if isTrue(r.Context.PoliticalAd) && f.AIE {
		f.USCA2355 = fail
		if containsFold(r.Context.Disclaimer, "ad generated or substantially altered using artificial intelligence") {
			f.USCA2355 = pass
		}
	}
}

// latentComplete reports whether the latent data yields provider name, system name and
// version, creation time and a unique ID (Cal. B&P §22757.3(b)).
func latentComplete(c *record.C2PA, f *detectors.LabelFacts) bool {
	var provider, system, when, id bool
	provider = f.Producer != ""
	id = f.ProduceID != ""
	if c != nil && c.Present && f.C2PAState != StateInvalid {
		provider = provider || c.SignerOrg != ""
		system = (c.ClaimGeneratorInfo != nil && c.ClaimGeneratorInfo.Name != "" && c.ClaimGeneratorInfo.Version != "") ||
			strings.Contains(c.ClaimGenerator, "/")
		when = c.When != ""
		for i := range c.Actions {
			when = when || c.Actions[i].When != ""
		}
		id = id || c.InstanceID != ""
	}
	return provider && system && when && id
}

func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// consistency runs X-CONSIST-01.
func (d *Detector) consistency(r *record.Record, f *detectors.LabelFacts, ck *[numIntrinsic]check) {
	c := r.C2PA
	usable := c != nil && c.Present && f.C2PAState != StateInvalid
	capture := usable && c2paCapture(c)
	switch {
	case usable && f.AIC2PA && f.IPTCClass == "capture":
		ck[iXConsist].set(fail, "C2PA says generative AI, IPTC says captured", "iptc_digital_source_type")
	case usable && capture && !f.AIC2PA && (f.AIIPTC || f.LabelValue == "1"):
		ck[iXConsist].set(fail, "C2PA says captured, IPTC or the CN label says AI-generated", "c2pa")
	case f.IPTCClass == "capture" && f.LabelValue == "1":
		ck[iXConsist].set(warn, "IPTC says captured, the CN label says AI-generated", "iptc_digital_source_type")
	case usable && f.C2PAClass == ClassFull && f.Sites == 0 && familiesOf(r.Jurisdiction)&famCN != 0:
		ck[iXConsist].set(warn, "C2PA says fully AI-generated but there is no CN implicit label", "labels.implicit")
	case f.Sites > 0 || usable || f.IPTCClass != "":
		ck[iXConsist].set(pass, "", "")
	}
}
