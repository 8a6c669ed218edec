package detectors

// Check outcomes, as LabelFacts' per-check fields and Evidence.Outcome carry them.
// OutcomeNone ("") means the check was not run (the label detector did not run).
const (
	OutcomeNone         = ""
	OutcomePass         = "pass"
	OutcomeFail         = "fail"
	OutcomeWarn         = "warn"
	OutcomeSkip         = "skip" // the check does not apply to this record
	OutcomeInconclusive = "inconclusive"
)

// LabelFacts are the structured facts the label detector derives from a record's labels,
// provenance and signals, for rules to read as `label.*`. The label detector owns the
// meaning of each field; see detectors/label and docs/labels.md.
//
// Two kinds of field: facts (counts, values, classes) and one outcome per check of
// LABELING.md section 6 (pass, fail, warn, skip, inconclusive), so a rule condition is
// usually one comparison: label.cn_imp_04 == "fail". Strings hold constants or point into
// the record; nothing here outlives the record.
type LabelFacts struct {
	// Analyzed is true when the label detector ran on the record.
	Analyzed bool `expr:"analyzed"`

	// Implicit labels (GB 45438 Annex E) in the input: record.labels.implicit.
	Sites      int    `expr:"sites"`       // carriers found
	Parsed     int    `expr:"parsed"`      // carriers whose payload parsed to a JSON object
	LabelValue string `expr:"label_value"` // Label of the first parsed carrier ("1", "2", "3", or what was there); "" when none
	Producer   string `expr:"producer"`    // ContentProducer of that carrier
	ProduceID  string `expr:"produce_id"`  // ProduceID of that carrier
	// Propagator and PropagateID are the propagation elements of that carrier.
	Propagator       string `expr:"propagator"`
	PropagateID      string `expr:"propagate_id"`
	UnknownKeys      int    `expr:"unknown_keys"`      // keys other than the seven, over all carriers
	CharsetBad       bool   `expr:"charset_bad"`       // a value has characters outside Annex E j)
	EmptyRequired    int    `expr:"empty_required"`    // empty Label, ContentProducer or ProduceID values
	EmptyPropagation int    `expr:"empty_propagation"` // empty ContentPropagator or PropagateID values
	EmptyReserved    int    `expr:"empty_reserved"`    // empty ReservedCode1 or ReservedCode2 values
	Duplicate        bool   `expr:"duplicate"`         // more than one carrier, all with the same label
	Conflict         bool   `expr:"conflict"`          // more than one carrier, with differing labels
	EmptyShell       bool   `expr:"empty_shell"`       // an AIGC carrier with no label values at all
	ProducerIsCode   bool   `expr:"producer_is_code"`  // ContentProducer has the 27-character code shape

	// Implicit labels the platform wrote: record.distribution.output_labels.
	OutSites      int    `expr:"out_sites"`
	OutLabelValue string `expr:"out_label_value"`

	// Explicit labels and disclosure.
	ExplicitOK bool `expr:"explicit_ok"` // a GB 45438 explicit label (AI and generation elements), an audio rhythm cue or an interface label
	Disclosed  bool `expr:"disclosed"`   // any visible AI disclosure: explicit label, interface label, platform notice

	// Provenance.
	C2PAState string `expr:"c2pa_state"` // Trusted, Valid, Untrusted (Valid + signingCredential.untrusted), Invalid; "" when absent
	C2PAClass string `expr:"c2pa_class"` // FULL, PARTIAL, POSSIBLE, AMBIGUOUS, NONE; "" when absent or Invalid
	IPTCClass string `expr:"iptc_class"` // ai, capture, other; "" when absent
	Markings  int    `expr:"markings"`   // machine-readable AI markings: CN label, C2PA GenAI, IPTC AI, watermark

	// AI evidence (LABELING.md section 6 "AIE") and its sources.
	AIE         bool `expr:"aie"`
	AILabel     bool `expr:"ai_label"`     // a CN implicit label with Label 1, 2 or 3
	AIC2PA      bool `expr:"ai_c2pa"`      // a non-Invalid C2PA manifest classed FULL or PARTIAL
	AIIPTC      bool `expr:"ai_iptc"`      // IPTC DigitalSourceType trainedAlgorithmicMedia or compositeWithTrainedAlgorithmicMedia
	AIWatermark bool `expr:"ai_watermark"` // a watermark detector hit
	AIDeclared  bool `expr:"ai_declared"`  // the user declared the content AI-generated
	AIScore     bool `expr:"ai_score"`     // an upstream AI or deepfake score at or above the threshold

	// RequiredNotice is the CN platform notice the record calls for (Measures Art. 6):
	// is_ai, possibly_ai, suspected_ai, or "" when none.
	RequiredNotice string `expr:"required_notice"`
	// TamperReason names why CN-TAMPER-01 failed: conflict, empty_shell, downgraded,
	// producer_changed, c2pa_invalid.
	TamperReason string `expr:"tamper_reason"`

	// One outcome per check of LABELING.md section 6.
	CNImp01     string `expr:"cn_imp_01"`
	CNImp02     string `expr:"cn_imp_02"`
	CNImp03     string `expr:"cn_imp_03"`
	CNImp04     string `expr:"cn_imp_04"`
	CNImp05     string `expr:"cn_imp_05"`
	CNImp06     string `expr:"cn_imp_06"`
	CNImp07     string `expr:"cn_imp_07"`
	CNImp08     string `expr:"cn_imp_08"`
	CNImp09     string `expr:"cn_imp_09"`
	CNPlat01    string `expr:"cn_plat_01"`
	CNPlat02    string `expr:"cn_plat_02"`
	CNPlat03    string `expr:"cn_plat_03"`
	CNTamper01  string `expr:"cn_tamper_01"`
	CNExp01     string `expr:"cn_exp_01"`
	CNExp02     string `expr:"cn_exp_02"`
	CNExp03     string `expr:"cn_exp_03"`
	CNExp04     string `expr:"cn_exp_04"`
	CNExp05     string `expr:"cn_exp_05"`
	CNExp06     string `expr:"cn_exp_06"`
	CNIllegal01 string `expr:"cn_illegal_01"`
	CNDS01      string `expr:"cn_ds_01"`
	EU502       string `expr:"eu_50_2"`
	EU504a      string `expr:"eu_50_4a"`
	EU504b      string `expr:"eu_50_4b"`
	EUCoP12     string `expr:"eu_cop_1_2"`
	NCII        string `expr:"ncii"` // EU-5-NCII / UK-NCII, without the AI-evidence part (EU rules add label.aie)
	C2PA01      string `expr:"c2pa_01"`
	C2PA02      string `expr:"c2pa_02"`
	XConsist01  string `expr:"x_consist_01"`
	USCA942     string `expr:"us_ca_942"`
	USCA942Plat string `expr:"us_ca_942_platform"`
	USCA2355    string `expr:"us_ca_2355"`
}
