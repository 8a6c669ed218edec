package rules

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors"
)

// EnforcementSpec is a pack's optional enforcement section: the regulator's ladder (the
// enforcement pyramid), how incidents are weighted into points, and its risk appetite.
// This package only parses and checks it; package enforce gives it meaning
// (docs/enforcement.md). A pack may hold an enforcement section and no rules.
type EnforcementSpec struct {
	// Ladder names the ladder in outputs (e.g. "CN"); default: the pack name.
	Ladder string `yaml:"ladder"`
	// Window is the sliding window over which incident points add up (default 168h).
	Window time.Duration `yaml:"window"`
	// Buckets is the window's resolution (default 24): an incident leaves the window
	// between Window-Window/Buckets and Window after it happened.
	Buckets int `yaml:"buckets"`
	// Grace is how long after an escalation new incidents do not count towards the next
	// one: the provider's time to respond to the measure (default 0).
	Grace time.Duration `yaml:"grace"`
	// CompliantPeriod without escalating incidents de-escalates one level (default 336h).
	CompliantPeriod time.Duration `yaml:"compliant_period"`
	// CompliantMinRecords is how many records the provider must have sent during the
	// compliant period to show compliance (default 0: silence counts as compliance).
	CompliantMinRecords int `yaml:"compliant_min_records"`
	// SelfReportFactor multiplies the points of a self-reported incident (default 0.25).
	SelfReportFactor *float64     `yaml:"self_report_factor"`
	Weights          WeightSpec   `yaml:"weights"`
	Appetite         AppetiteSpec `yaml:"appetite"`
	// Levels are the rungs of the ladder, bottom first. Level 0 is where every provider
	// starts; each higher level names the points that escalate to it.
	Levels []LevelSpec `yaml:"levels"`
}

// WeightSpec turns an incident into points: the severity's points, times the layer's
// multiplier; a rule listed under rules has those points instead.
type WeightSpec struct {
	Severity map[string]float64 `yaml:"severity"` // info, low, medium, high, critical
	Layer    map[string]float64 `yaml:"layer"`    // multiplier per layer; default 1
	Rules    map[string]float64 `yaml:"rules"`    // rule id → points, replacing the rest
}

// AppetiteSpec is the regulator's risk appetite: per category, the share of a
// provider's records it tolerates before incidents of that category escalate.
type AppetiteSpec struct {
	Window time.Duration `yaml:"window"` // the rate's window (default 24h)
	// Confidence, in [0, 1), asks for evidence before a provider counts as above the
	// appetite: its count must exceed what a provider exactly at the tolerated rate would
	// reach with this probability (a one-sided Poisson test), so noise at small volumes
	// does not escalate. 0 (the default) compares the plain rate.
	Confidence float64                `yaml:"confidence"`
	Categories []AppetiteCategorySpec `yaml:"categories"`
}

// AppetiteCategorySpec is one tolerated risk.
type AppetiteCategorySpec struct {
	Name string `yaml:"name"`
	// Rules are the rule ids in the category; an id ending in "*" matches a prefix.
	Rules []string `yaml:"rules"`
	// ToleratedRate is the tolerated share of the provider's records in the window with
	// an incident of this category, in [0, 1] (0.005 = 0.5 %).
	ToleratedRate float64 `yaml:"tolerated_rate"`
}

// LevelSpec is one rung of the ladder.
type LevelSpec struct {
	Name   string `yaml:"name"`
	Action string `yaml:"action"` // the recommended response at this level
	Basis  string `yaml:"basis"`  // its legal basis, if any
	// EscalateAt is the points, counted since the provider reached the level below, at
	// which it escalates to this one. Level 0 has none.
	EscalateAt float64 `yaml:"escalate_at"`
}

// Enforcement defaults, used where a pack leaves a field out.
const (
	DefaultEnforcementWindow  = 168 * time.Hour
	DefaultEnforcementBuckets = 24
	DefaultCompliantPeriod    = 336 * time.Hour
	DefaultAppetiteWindow     = 24 * time.Hour
	DefaultSelfReportFactor   = 0.25
	MaxEnforcementBuckets     = 1024
	MaxEnforcementLevels      = 16
	maxEnforcementCategories  = 32
)

// check reports every problem of the section, each naming its field.
func (s *EnforcementSpec) check(file string) []Problem {
	var probs []Problem
	bad := func(field, format string, a ...any) {
		probs = append(probs, Problem{File: file, Msg: "enforcement." + field + ": " + fmt.Sprintf(format, a...)})
	}
	if s.Window < 0 {
		bad("window", "must not be negative")
	}
	if s.Buckets < 0 || s.Buckets > MaxEnforcementBuckets {
		bad("buckets", "must be between 1 and %d", MaxEnforcementBuckets)
	}
	if s.Grace < 0 {
		bad("grace", "must not be negative")
	}
	if s.CompliantPeriod < 0 {
		bad("compliant_period", "must not be negative")
	}
	if s.CompliantMinRecords < 0 {
		bad("compliant_min_records", "must not be negative")
	}
	if f := s.SelfReportFactor; f != nil && (*f < 0 || *f > 1 || math.IsNaN(*f)) {
		bad("self_report_factor", "%v is not in [0, 1]", *f)
	}
	for name, w := range s.Weights.Severity {
		if _, err := detectors.ParseSeverity(name); err != nil {
			bad("weights.severity."+name, "%v", trimPkg(err))
		}
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			bad("weights.severity."+name, "%v is not a finite number ≥ 0", w)
		}
	}
	for name, w := range s.Weights.Layer {
		if _, err := detectors.ParseLayer(name); err != nil {
			bad("weights.layer."+name, "%v", trimPkg(err))
		}
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			bad("weights.layer."+name, "%v is not a finite number ≥ 0", w)
		}
	}
	for id, w := range s.Weights.Rules {
		if strings.TrimSpace(id) == "" {
			bad("weights.rules", "empty rule id")
		}
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			bad("weights.rules."+id, "%v is not a finite number ≥ 0", w)
		}
	}
	if s.Appetite.Window < 0 {
		bad("appetite.window", "must not be negative")
	}
	if c := s.Appetite.Confidence; c < 0 || c >= 1 || math.IsNaN(c) {
		bad("appetite.confidence", "%v is not in [0, 1)", c)
	}
	if len(s.Appetite.Categories) > maxEnforcementCategories {
		bad("appetite.categories", "%d categories, at most %d", len(s.Appetite.Categories), maxEnforcementCategories)
	}
	names := map[string]bool{}
	for i, c := range s.Appetite.Categories {
		at := fmt.Sprintf("appetite.categories[%d]", i)
		if c.Name == "" {
			bad(at+".name", "is required")
		} else if names[c.Name] {
			bad(at+".name", "duplicate category %q", c.Name)
		}
		names[c.Name] = true
		if len(c.Rules) == 0 {
			bad(at+".rules", "at least one rule id (or prefix ending in *) is required")
		}
		for j, r := range c.Rules {
			if strings.TrimSpace(strings.TrimSuffix(r, "*")) == "" {
				bad(fmt.Sprintf("%s.rules[%d]", at, j), "empty rule id %q", r)
			}
		}
		if c.ToleratedRate < 0 || c.ToleratedRate > 1 || math.IsNaN(c.ToleratedRate) {
			bad(at+".tolerated_rate", "%v is not in [0, 1]", c.ToleratedRate)
		}
	}
	if len(s.Levels) < 2 {
		bad("levels", "a ladder needs at least two levels (the base and one escalation), has %d", len(s.Levels))
	}
	if len(s.Levels) > MaxEnforcementLevels {
		bad("levels", "%d levels, at most %d", len(s.Levels), MaxEnforcementLevels)
	}
	for i, l := range s.Levels {
		at := fmt.Sprintf("levels[%d]", i)
		if strings.TrimSpace(l.Name) == "" {
			bad(at+".name", "is required")
		}
		if strings.TrimSpace(l.Action) == "" {
			bad(at+".action", "is required (the recommended response)")
		}
		switch {
		case i == 0 && l.EscalateAt != 0:
			bad(at+".escalate_at", "level 0 is where providers start: it has no escalate_at")
		case i > 0 && (!(l.EscalateAt > 0) || math.IsInf(l.EscalateAt, 0)):
			bad(at+".escalate_at", "%v: must be a finite number of points > 0", l.EscalateAt)
		}
	}
	return probs
}
