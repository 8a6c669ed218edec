// Package rules turns a record and its findings into a graded verdict. Rules come in
// packs (YAML files, one per jurisdiction or theme); each rule has a condition in the
// expr language (github.com/expr-lang/expr: sandboxed, type-checked against the record
// and findings at load time). The compiled Engine is immutable and safe for concurrent
// use; reloads build a new Engine off the hot path and swap it (pipeline.Reloader).
//
// It leaves out what happens after the verdict: incidents, enforcement and delivery are
// other packages.
package rules

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors"
)

// Decision is what to do with a record, in increasing order of severity.
type Decision uint8

// Decisions. The zero value is Allow.
const (
	Allow Decision = iota
	Label
	Review
	Block
)

var decisionNames = [...]string{"allow", "label", "review", "block"}

// Decisions lists every decision, for metrics created at zero.
var Decisions = []Decision{Allow, Label, Review, Block}

func (d Decision) String() string {
	if int(d) < len(decisionNames) {
		return decisionNames[d]
	}
	return fmt.Sprintf("decision(%d)", uint8(d))
}

// ParseDecision parses allow, label, review or block.
func ParseDecision(s string) (Decision, error) {
	for i, n := range decisionNames {
		if s == n {
			return Decision(i), nil
		}
	}
	return 0, fmt.Errorf("unknown decision %q (want allow, label, review or block)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (d Decision) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Decision) UnmarshalText(b []byte) error {
	v, err := ParseDecision(string(b))
	*d = v
	return err
}

// Tier is the EU AI Act risk tier a rule places the content in.
type Tier uint8

// Tiers, least to most risky. The zero value is Minimal.
const (
	Minimal Tier = iota
	Limited
	High
	Unacceptable
)

var tierNames = [...]string{"minimal", "limited", "high", "unacceptable"}

func (t Tier) String() string {
	if int(t) < len(tierNames) {
		return tierNames[t]
	}
	return fmt.Sprintf("tier(%d)", uint8(t))
}

// ParseTier parses minimal, limited, high or unacceptable.
func ParseTier(s string) (Tier, error) {
	for i, n := range tierNames {
		if s == n {
			return Tier(i), nil
		}
	}
	return 0, fmt.Errorf("unknown tier %q (want minimal, limited, high or unacceptable)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (t Tier) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *Tier) UnmarshalText(b []byte) error {
	v, err := ParseTier(string(b))
	*t = v
	return err
}

// LabelNotices are the label notices a rule may require a platform to show. The first
// three are China's three tiers (Measures Art. 6): the content is / is possibly / is
// suspected to be AI-generated.
var LabelNotices = []string{"is_ai", "possibly_ai", "suspected_ai", "ai_disclosure", "deepfake_disclosure", "political_ad_disclaimer"}

// Pack is one rule pack as written in YAML.
type Pack struct {
	Name          string     `yaml:"pack"`
	Version       string     `yaml:"version"`
	Description   string     `yaml:"description"`
	Jurisdictions []string   `yaml:"jurisdictions"` // "*" = every jurisdiction
	Defaults      RuleSpec   `yaml:"defaults"`      // fields every rule inherits unless it sets them
	Rules         []RuleSpec `yaml:"rules"`
	Examples      []Example  `yaml:"examples"`
	// Enforcement is the optional enforcement ladder and risk appetite (package enforce).
	Enforcement *EnforcementSpec `yaml:"enforcement"`

	File     string `yaml:"-"` // where it was loaded from
	checksum [32]byte
}

// RuleSpec is one rule as written in YAML.
type RuleSpec struct {
	ID          string `yaml:"id"`
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
	Layer       string `yaml:"layer"`
	Severity    string `yaml:"severity"`
	Tier        string `yaml:"tier"`
	Decision    string `yaml:"decision"`
	LabelNotice string `yaml:"label_notice"`
	Basis       string `yaml:"basis"`
	Authority   string `yaml:"authority"`
	Report      *bool  `yaml:"report"`
	From        string `yaml:"from"`  // YYYY-MM-DD: applies to records from this date on
	Until       string `yaml:"until"` // YYYY-MM-DD: applies to records before this date
	When        string `yaml:"when"`  // the condition, an expr expression returning bool
}

// Rule is a compiled rule.
type Rule struct {
	ID          string
	Title       string
	Pack        string
	Layer       detectors.Layer
	Severity    detectors.Severity
	Tier        Tier
	Decision    Decision
	LabelNotice string
	Basis       string
	Authority   string
	Report      bool
	From, Until time.Time
	When        string

	refs refs // what the condition refers to (Verdict.Acted)

	jsonOnce  sync.Once
	jsonBytes []byte
}

// Problem is one thing wrong with a pack.
type Problem struct {
	File string
	Rule string // "" when the problem is not about one rule
	Msg  string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Rule != "" {
		fmt.Fprintf(&b, ": rule %q", p.Rule)
	}
	b.WriteString(": ")
	b.WriteString(p.Msg)
	return b.String()
}

// LoadError lists every problem found in a set of packs. A set with any problem is
// rejected whole.
type LoadError struct{ Problems []Problem }

func (e *LoadError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rules: %d problem(s):", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}
