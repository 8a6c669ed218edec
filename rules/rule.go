package rules

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors"
)

// compileMeta checks and converts everything but the condition.
func (s *RuleSpec) compileMeta(pack string) (*Rule, error) {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	r := &Rule{ID: s.ID, Title: s.Title, Pack: pack, LabelNotice: s.LabelNotice, Basis: s.Basis, Authority: s.Authority, When: s.When}
	if s.Title == "" {
		bad("title is required")
	}
	if strings.TrimSpace(s.When) == "" {
		bad("when (the condition) is required")
	}
	if s.Basis == "" {
		bad("basis (the legal basis) is required")
	}
	if s.Authority == "" {
		bad("authority is required")
	}
	var err error
	if s.Layer == "" {
		bad("layer is required")
	} else if r.Layer, err = detectors.ParseLayer(s.Layer); err != nil {
		bad("layer: %v", trimPkg(err))
	}
	if s.Severity == "" {
		bad("severity is required")
	} else if r.Severity, err = detectors.ParseSeverity(s.Severity); err != nil {
		bad("severity: %v", trimPkg(err))
	}
	if s.Decision == "" {
		bad("decision is required")
	} else if r.Decision, err = ParseDecision(s.Decision); err != nil {
		bad("decision: %v", err)
	}
	if s.Tier != "" {
		if r.Tier, err = ParseTier(s.Tier); err != nil {
			bad("tier: %v", err)
		}
	}
	if s.LabelNotice != "" && !slices.Contains(LabelNotices, s.LabelNotice) {
		bad("label_notice: unknown notice %q (want one of %s)", s.LabelNotice, strings.Join(LabelNotices, ", "))
	}
	if s.LabelNotice != "" && r.Decision == Allow {
		bad("label_notice is set but decision is allow: a notice needs decision label or stronger")
	}
	if s.Report != nil {
		r.Report = *s.Report
	}
	parseDate := func(field, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			bad("%s: %q is not a date (YYYY-MM-DD)", field, v)
		}
		return t
	}
	r.From = parseDate("from", s.From)
	r.Until = parseDate("until", s.Until)
	if !r.From.IsZero() && !r.Until.IsZero() && !r.Until.After(r.From) {
		bad("until %s is not after from %s", s.Until, s.From)
	}
	return r, errors.Join(errs...)
}

func trimPkg(err error) string { return strings.TrimPrefix(err.Error(), "detectors: ") }

// appliesAt reports whether the rule is in force at t.
func (r *Rule) appliesAt(t time.Time) bool {
	return (r.From.IsZero() || !t.Before(r.From)) && (r.Until.IsZero() || t.Before(r.Until))
}
