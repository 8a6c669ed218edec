package rules

import (
	"encoding/json"

	"github.com/aigcwatch/aigcwatch/detectors"
)

// Verdict is the outcome for one record: the output contract documented in
// docs/outputs.md. One verdict per record, always, even when nothing fired (allow).
type Verdict struct {
	ID           string
	Jurisdiction string
	Decision     Decision
	LabelNotice  string
	Tier         Tier
	Findings     []detectors.Finding
	Rules        []*Rule // fired rules, in pack and rule order
	Problems     []detectors.Problem
	Notes        []Note // assumptions the fired rules made (scope.go)
	Ruleset      *Ruleset
	LatencyUS    int64

	noticeDecision Decision // decision of the rule that set LabelNotice
}

func (v *Verdict) reset() {
	*v = Verdict{Rules: v.Rules[:0], Problems: v.Problems[:0], Notes: v.Notes[:0]}
}

// fire records that r fired: the strongest decision and tier win; the label notice
// comes from the first fired rule with the strongest decision among those with one.
func (v *Verdict) fire(r *Rule) {
	v.Rules = append(v.Rules, r)
	if r.Tier > v.Tier {
		v.Tier = r.Tier
	}
	if r.Decision > v.Decision {
		v.Decision = r.Decision
	}
	if r.LabelNotice != "" && (v.LabelNotice == "" || r.Decision > v.noticeDecision) {
		v.LabelNotice = r.LabelNotice
		v.noticeDecision = r.Decision
	}
}

// RuleIDs returns the ids of the fired rules.
func (v *Verdict) RuleIDs() []string {
	ids := make([]string, len(v.Rules))
	for i, r := range v.Rules {
		ids[i] = r.ID
	}
	return ids
}

// Reportable returns the fired rules marked report: true.
func (v *Verdict) Reportable() []*Rule {
	var out []*Rule
	for _, r := range v.Rules {
		if r.Report {
			out = append(out, r)
		}
	}
	return out
}

// FiredRule is how a fired rule appears in a verdict.
type FiredRule struct {
	ID          string             `json:"id"`
	Pack        string             `json:"pack"`
	Title       string             `json:"title"`
	Decision    Decision           `json:"decision"`
	Severity    detectors.Severity `json:"severity"`
	Layer       detectors.Layer    `json:"layer"`
	Tier        Tier               `json:"tier"`
	LabelNotice string             `json:"label_notice,omitempty"`
	Basis       string             `json:"basis"`
	Authority   string             `json:"authority"`
	Report      bool               `json:"report"`
}

// Fired converts a rule for output.
func Fired(r *Rule) FiredRule {
	return FiredRule{ID: r.ID, Pack: r.Pack, Title: r.Title, Decision: r.Decision, Severity: r.Severity, Layer: r.Layer,
		Tier: r.Tier, LabelNotice: r.LabelNotice, Basis: r.Basis, Authority: r.Authority, Report: r.Report}
}

type verdictJSON struct {
	ID           string              `json:"id"`
	Jurisdiction string              `json:"jurisdiction,omitempty"`
	Decision     Decision            `json:"decision"`
	LabelNotice  string              `json:"label_notice,omitempty"`
	Tier         Tier                `json:"tier"`
	Findings     []detectors.Finding `json:"findings"`
	Rules        []FiredRule         `json:"rules"`
	Problems     []detectors.Problem `json:"problems,omitempty"`
	Notes        []Note              `json:"notes,omitempty"`
	Ruleset      *Ruleset            `json:"ruleset"`
	LatencyUS    int64               `json:"latency_us"`
}

// MarshalJSON writes the verdict in its documented shape.
func (v *Verdict) MarshalJSON() ([]byte, error) { return v.AppendJSON(nil), nil }

// marshalReflect is the reference encoding AppendJSON is tested against.
func (v *Verdict) marshalReflect() ([]byte, error) {
	out := verdictJSON{ID: v.ID, Jurisdiction: v.Jurisdiction, Decision: v.Decision, LabelNotice: v.LabelNotice, Tier: v.Tier,
		Findings: v.Findings, Rules: make([]FiredRule, len(v.Rules)), Problems: v.Problems, Notes: v.Notes, Ruleset: v.Ruleset, LatencyUS: v.LatencyUS}
	if out.Findings == nil {
		out.Findings = []detectors.Finding{}
	}
	for i, r := range v.Rules {
		out.Rules[i] = Fired(r)
	}
	return json.Marshal(out)
}
