// Package enforce places each provider on its regulator's enforcement pyramid
// (responsive regulation: persuasion → warning → civil penalty → … → licence revocation)
// and applies the regulator's risk appetite. The ladders, weights and tolerated rates are
// data in the rule packs (a pack's enforcement section, rules.EnforcementSpec).
//
// A State keeps, per (provider, jurisdiction), the level, the incident points counted
// since the provider reached it (a bucketed sliding window), the provider's volume and
// per-category counts over the appetite window, and a bounded history of level changes.
// Every judged record counts toward volume; incidents add points, escalate one level at
// a time, and only with incidents to show; a compliant period de-escalates one level.
// Time comes from the records (their time, else an injected clock), so a replay of the
// same records gives the same levels.
//
// It leaves out transport: delivering level changes (CloudEvents built here), the
// Kafka changelog and metrics are the callers'. docs/enforcement.md is the user guide.
package enforce

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aigcwatch/aigcwatch/defaults"
	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/rules"
)

// Level is one rung of a ladder.
type Level struct {
	Index      int     `json:"level"`
	Name       string  `json:"name"`
	Action     string  `json:"action"`
	Basis      string  `json:"basis,omitempty"`
	EscalateAt float64 `json:"escalate_at,omitempty"` // points that escalate to this level
}

// Category is one risk-appetite category of a policy.
type Category struct {
	Name          string   `json:"name"`
	Rules         []string `json:"rules"`
	ToleratedRate float64  `json:"tolerated_rate"`
}

// Policy is a compiled enforcement section: a ladder, weights and risk appetite. It is
// immutable and safe for concurrent use.
type Policy struct {
	Ladder        string   // the ladder's name in outputs
	Pack, Version string   // the pack it came from
	Jurisdictions []string // the pack's jurisdictions ("*" = every one)
	Levels        []Level
	Categories    []Category

	Window, Grace, CompliantPeriod, AppetiteWindow time.Duration
	Buckets                                        int
	CompliantMinRecords                            uint32
	SelfReportFactor                               float64
	// Confidence of the appetite test (rules.AppetiteSpec.Confidence); 0 = plain rate.
	Confidence float64

	width, appWidth int64 // bucket widths in nanoseconds
	thresholds      []int64
	sev             [8]int64   // milli-points per severity
	layer           [8]float64 // multiplier per layer
	rules           map[string]int64
	exact           map[string]int // rule id → category
	prefixes        []prefix
	// appetiteOff makes every category escalate as if its tolerated rate were 0: the
	// same policy without risk appetite (WithoutAppetite).
	appetiteOff bool
}

type prefix struct {
	p   string
	cat int
}

// milli is the fixed-point scale of points: sums over a window stay exact.
const milli = 1000

// ErrPolicy is wrapped by the errors of NewPolicies: the packs' enforcement sections
// are inconsistent (fix the packs; the previous policies stay in force on reload).
var ErrPolicy = errors.New("enforce: bad enforcement policy")

// NewPolicy compiles the enforcement section of p. The section must have been checked
// (rules.ParsePack does).
func NewPolicy(p *rules.Pack) (*Policy, error) {
	s := p.Enforcement
	if s == nil {
		return nil, fmt.Errorf("%w: pack %s has no enforcement section", ErrPolicy, p.Name)
	}
	pol := &Policy{
		Ladder: s.Ladder, Pack: p.Name, Version: p.Version, Jurisdictions: p.Jurisdictions,
		Window: s.Window, Buckets: s.Buckets, Grace: s.Grace, CompliantPeriod: s.CompliantPeriod,
		CompliantMinRecords: uint32(s.CompliantMinRecords), SelfReportFactor: rules.DefaultSelfReportFactor,
		AppetiteWindow: s.Appetite.Window, Confidence: s.Appetite.Confidence,
		rules: map[string]int64{}, exact: map[string]int{},
	}
	if pol.Ladder == "" {
		pol.Ladder = p.Name
	}
	if pol.Window == 0 {
		pol.Window = rules.DefaultEnforcementWindow
	}
	if pol.Buckets == 0 {
		pol.Buckets = rules.DefaultEnforcementBuckets
	}
	if pol.CompliantPeriod == 0 {
		pol.CompliantPeriod = rules.DefaultCompliantPeriod
	}
	if pol.AppetiteWindow == 0 {
		pol.AppetiteWindow = rules.DefaultAppetiteWindow
	}
	if s.SelfReportFactor != nil {
		pol.SelfReportFactor = *s.SelfReportFactor
	}
	pol.width = max(1, int64(pol.Window)/int64(pol.Buckets))
	pol.appWidth = max(1, int64(pol.AppetiteWindow)/int64(pol.Buckets))
	if len(s.Levels) < 2 {
		return nil, fmt.Errorf("%w: pack %s: a ladder needs at least two levels", ErrPolicy, p.Name)
	}
	for i, l := range s.Levels {
		pol.Levels = append(pol.Levels, Level{Index: i, Name: l.Name, Action: strings.TrimSpace(l.Action), Basis: l.Basis, EscalateAt: l.EscalateAt})
		pol.thresholds = append(pol.thresholds, toMilli(l.EscalateAt))
	}
	// Default severity points (docs/enforcement.md); a pack overrides any of them.
	def := map[detectors.Severity]float64{detectors.Info: 0, detectors.Low: 1, detectors.Medium: 2, detectors.High: 5, detectors.Critical: 20}
	for sv, w := range def {
		pol.sev[sv] = toMilli(w)
	}
	for name, w := range s.Weights.Severity {
		sv, err := detectors.ParseSeverity(name)
		if err != nil {
			return nil, fmt.Errorf("%w: pack %s: %v", ErrPolicy, p.Name, err)
		}
		pol.sev[sv] = toMilli(w)
	}
	for i := range pol.layer {
		pol.layer[i] = 1
	}
	for name, w := range s.Weights.Layer {
		l, err := detectors.ParseLayer(name)
		if err != nil {
			return nil, fmt.Errorf("%w: pack %s: %v", ErrPolicy, p.Name, err)
		}
		pol.layer[l] = w
	}
	for id, w := range s.Weights.Rules {
		pol.rules[id] = toMilli(w)
	}
	for ci, c := range s.Appetite.Categories {
		pol.Categories = append(pol.Categories, Category{Name: c.Name, Rules: c.Rules, ToleratedRate: c.ToleratedRate})
		for _, r := range c.Rules {
			if strings.HasSuffix(r, "*") {
				pol.prefixes = append(pol.prefixes, prefix{strings.TrimSuffix(r, "*"), ci})
				continue
			}
			if other, dup := pol.exact[r]; dup && other != ci {
				return nil, fmt.Errorf("%w: pack %s: rule %s is in appetite categories %s and %s", ErrPolicy, p.Name, r, s.Appetite.Categories[other].Name, c.Name)
			}
			pol.exact[r] = ci
		}
	}
	return pol, nil
}

func toMilli(f float64) int64 { return int64(math.Round(f * milli)) }

func fromMilli(m int64) float64 { return float64(m) / milli }

// WithoutAppetite returns a copy of the policy in which no incident is tolerated: every
// category escalates as if its tolerated rate were 0. Rates are still computed and
// shown. It exists to measure what risk appetite saves (make simulate).
func (p *Policy) WithoutAppetite() *Policy {
	q := *p
	q.appetiteOff = true
	q.Ladder = p.Ladder
	return &q
}

// toleratedRecords is how many records with an incident of category c a provider with
// volume v may have in the appetite window and stay within the appetite: tolerated
// rate × volume, or with Confidence c the c-quantile of a Poisson count at that rate
// (what a provider exactly at the tolerated rate reaches with probability c).
func (p *Policy) toleratedRecords(c int, v uint64) float64 {
	lambda := p.Categories[c].ToleratedRate * float64(v)
	if p.Confidence == 0 || lambda == 0 {
		return lambda
	}
	return poissonQuantile(lambda, p.Confidence)
}

// poissonQuantile is the smallest k with P(X ≤ k) ≥ q for X ~ Poisson(lambda): summed
// exactly up to lambda 200, by the normal approximation above.
func poissonQuantile(lambda, q float64) float64 {
	if lambda > 200 {
		z := math.Sqrt2 * math.Erfinv(2*q-1)
		return math.Ceil(lambda + z*math.Sqrt(lambda) - 0.5)
	}
	pk := math.Exp(-lambda)
	cum := pk
	k := 0.0
	for cum < q && k < 10*lambda+100 {
		k++
		pk *= lambda / k
		cum += pk
	}
	return k
}

// Top is the highest level.
func (p *Policy) Top() int { return len(p.Levels) - 1 }

// Points returns the milli-points an incident of rule r is worth, before appetite,
// grace and self-report weighting.
func (p *Policy) points(r *rules.Rule) int64 {
	if w, ok := p.rules[r.ID]; ok {
		return w
	}
	return int64(math.Round(float64(p.sev[r.Severity&7]) * p.layer[r.Layer&7]))
}

// Points is the points an incident of rule r is worth (not self-reported, not tolerated).
func (p *Policy) Points(r *rules.Rule) float64 { return fromMilli(p.points(r)) }

// category returns the appetite category of a rule id, or -1.
func (p *Policy) category(id string) int {
	if c, ok := p.exact[id]; ok {
		return c
	}
	best, bestLen := -1, -1
	for _, x := range p.prefixes {
		if len(x.p) > bestLen && strings.HasPrefix(id, x.p) {
			best, bestLen = x.cat, len(x.p)
		}
	}
	return best
}

// Policies is the set of policies of a set of packs: one per pack with an enforcement
// section, and the default for jurisdictions no such pack names.
type Policies struct {
	byPack  map[string]*Policy
	byJuris map[string]*Policy
	def     *Policy
}

// DefaultPolicy is the built-in default ladder (the embedded pack
// enforcement-default.yaml), used when no loaded pack has an enforcement section for
// "*". It is parsed once.
func DefaultPolicy() *Policy { return defaultPolicy() }

var defaultPolicy = sync.OnceValue(func() *Policy {
	packs, err := rules.LoadFS(defaults.Packs(), ".")
	if err != nil {
		panic(fmt.Sprintf("enforce: embedded packs do not load: %v", err)) // fixed at build time; a test holds it
	}
	for _, p := range packs {
		if p.Enforcement != nil && len(p.Jurisdictions) == 1 && p.Jurisdictions[0] == "*" {
			pol, err := NewPolicy(p)
			if err != nil {
				panic(err)
			}
			return pol
		}
	}
	panic("enforce: no default enforcement pack embedded")
})

// NewPolicies compiles the enforcement sections of packs. At most one pack may give a
// ladder for a jurisdiction (and at most one for "*"); without one for "*", the
// embedded default ladder applies to the jurisdictions no pack names.
func NewPolicies(packs []*rules.Pack) (*Policies, error) {
	ps := &Policies{byPack: map[string]*Policy{}, byJuris: map[string]*Policy{}}
	var errs []error
	for _, p := range packs {
		if p.Enforcement == nil {
			continue
		}
		pol, err := NewPolicy(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ps.byPack[p.Name] = pol
		for _, j := range p.Jurisdictions {
			if j == "*" {
				if ps.def != nil {
					errs = append(errs, fmt.Errorf("%w: %s: packs %s and %s both give the default (\"*\") ladder", ErrPolicy, p.File, ps.def.Pack, p.Name))
				}
				ps.def = pol
				continue
			}
			j = strings.ToUpper(j)
			if other, dup := ps.byJuris[j]; dup {
				errs = append(errs, fmt.Errorf("%w: %s: packs %s and %s both give a ladder for %s", ErrPolicy, p.File, other.Pack, p.Name, j))
			}
			ps.byJuris[j] = pol
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if ps.def == nil {
		ps.def = DefaultPolicy()
	}
	return ps, nil
}

// Default is the policy for jurisdictions no pack gives a ladder for.
func (ps *Policies) Default() *Policy { return ps.def }

// All lists the distinct policies, default first.
func (ps *Policies) All() []*Policy {
	out := []*Policy{ps.def}
	seen := map[*Policy]bool{ps.def: true}
	for _, j := range sortedKeys(ps.byJuris) {
		if p := ps.byJuris[j]; !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// For returns the policy for a record judged under ruleset rs (the packs that applied to
// it, which already resolves countries, EU members and aliases) in jurisdiction j: the
// ladder of the jurisdiction-specific pack of rs that has one, else j's own, else the
// default.
func (ps *Policies) For(rs *rules.Ruleset, j string) *Policy {
	if p := ps.forRuleset(rs); p != nil {
		return p
	}
	return ps.forJurisdiction(j)
}

// forRuleset returns the one jurisdiction-specific ladder among rs's packs, or nil when
// there is none or more than one (a verdict ruleset naming every pack: see
// rules.Options.AllPacksInVerdicts).
func (ps *Policies) forRuleset(rs *rules.Ruleset) *Policy {
	if rs == nil {
		return nil
	}
	var found *Policy
	for _, ref := range rs.Packs {
		if p, ok := ps.byPack[ref.Name]; ok && p != ps.def {
			if found != nil && found != p {
				return nil
			}
			found = p
		}
	}
	return found
}

func (ps *Policies) forJurisdiction(j string) *Policy {
	if p, ok := ps.byJuris[j]; ok {
		return p
	}
	return ps.def
}

// WithoutAppetite returns the same policies with risk appetite off (Policy.WithoutAppetite).
func (ps *Policies) WithoutAppetite() *Policies {
	q := &Policies{byPack: map[string]*Policy{}, byJuris: map[string]*Policy{}}
	conv := map[*Policy]*Policy{}
	get := func(p *Policy) *Policy {
		if c, ok := conv[p]; ok {
			return c
		}
		c := p.WithoutAppetite()
		conv[p] = c
		return c
	}
	for k, p := range ps.byPack {
		q.byPack[k] = get(p)
	}
	for k, p := range ps.byJuris {
		q.byJuris[k] = get(p)
	}
	q.def = get(ps.def)
	return q
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
