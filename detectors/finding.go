package detectors

import (
	"fmt"
	"strings"
)

// Severity grades a finding. The order is meaningful: a higher value is more severe.
// LABELING.md's BLOCK maps to Critical.
type Severity uint8

// Severities, least to most severe.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

// String returns the lower-case name used in JSON, YAML and lexicon files.
func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", uint8(s))
}

// ParseSeverity parses a severity name (case-insensitive); "block" is accepted for Critical.
func ParseSeverity(s string) (Severity, error) {
	ls := strings.ToLower(strings.TrimSpace(s))
	if ls == "block" {
		return Critical, nil
	}
	for i, n := range severityNames {
		if ls == n {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("detectors: unknown severity %q (want info, low, medium, high or critical)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Layer is one of the five layers of risk of DOMAIN.md. Every finding carries one.
type Layer uint8

// Layers of risk (要素层, 技术层, 内容层, 产业层, 全球网络空间安全).
const (
	Content Layer = iota // the zero value: most findings are content-layer
	Element
	Technology
	Industry
	Global
)

var layerNames = [...]string{"content", "element", "technology", "industry", "global"}

// Layers lists every layer, for metrics that create all label values at zero.
var Layers = []Layer{Element, Technology, Content, Industry, Global}

// String returns the lower-case name used in JSON and YAML.
func (l Layer) String() string {
	if int(l) < len(layerNames) {
		return layerNames[l]
	}
	return fmt.Sprintf("layer(%d)", uint8(l))
}

// ParseLayer parses a layer name (case-insensitive).
func ParseLayer(s string) (Layer, error) {
	ls := strings.ToLower(strings.TrimSpace(s))
	for i, n := range layerNames {
		if ls == n {
			return Layer(i), nil
		}
	}
	return 0, fmt.Errorf("detectors: unknown layer %q (want element, technology, content, industry or global)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (l Layer) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (l *Layer) UnmarshalText(b []byte) error {
	v, err := ParseLayer(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// Finding is one thing a detector found in a record. Findings are values: a detector
// appends them to a Result and must not keep pointers into them.
type Finding struct {
	Detector string   `json:"detector" expr:"detector"` // name of the detector, e.g. "lexicon"
	Category string   `json:"category" expr:"category"` // e.g. "violent_extremism", "label.implicit"
	Severity Severity `json:"severity" expr:"severity"`
	Layer    Layer    `json:"layer" expr:"layer"`
	Evidence Evidence `json:"evidence" expr:"evidence"`
	// ConsumedBy names a later detector whose own checks took this finding's input as
	// theirs (the label detector's deep-synthesis and intimate-image checks take the
	// signals detector's deepfake, face-swap, voice-clone and intimate-image findings'):
	// that detector's findings stand for it, and a check it passed met the duty the
	// finding raised, so rules.Verdict.Acted counts it as acted on. Not in verdicts.
	ConsumedBy string `json:"-" expr:"consumed_by"`
}

// Evidence says why a finding was made. Which fields are set depends on the detector:
// text matches set Term, Start and End (byte offsets into the record's text, End exclusive);
// hash matches set Bank, Entry and Distance; checks set Check, Outcome and Detail.
type Evidence struct {
	// Text evidence.
	Field string `json:"field,omitempty" expr:"field"` // record field the offsets refer to; "" means "text"
	Term  string `json:"term,omitempty" expr:"term"`   // the term as written in its lexicon
	Start int    `json:"start" expr:"start"`
	End   int    `json:"end" expr:"end"`

	// Hash evidence.
	Bank     string `json:"bank,omitempty" expr:"bank"`
	Entry    string `json:"entry,omitempty" expr:"entry"`
	Distance int    `json:"distance,omitempty" expr:"distance"`

	// Check evidence (label and provenance checks).
	Check   string `json:"check,omitempty" expr:"check"`     // check ID, e.g. "CN-IMP-04"
	Outcome string `json:"outcome,omitempty" expr:"outcome"` // pass, fail, warn, skip, inconclusive
	Detail  string `json:"detail,omitempty" expr:"detail"`   // short human explanation, never whole content
}

// Problem is an input that a detector could not use (a malformed hash, undecodable image
// bytes, an unparsable label payload). The record is still judged; the problem is counted
// and named in the verdict.
type Problem struct {
	Detector string `json:"detector"`
	Field    string `json:"field"`
	Reason   string `json:"reason"` // a short closed-set reason, e.g. "bad_pdq", "undecodable_image"
}
