package registry

import (
	"context"
	"strings"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/record"
)

// Name is the detector's name in findings.
const Name = "registry"

// Categories of the findings this detector makes.
const (
	Unfiled       = "filing.unfiled"        // industry: the record says provider_info.filed is false
	NotRegistered = "filing.not_registered" // industry: a registry is loaded for the jurisdiction and the service is not in it (or was filed after the record)
	Revoked       = "filing.revoked"        // industry: the filing is revoked or suspended
	Expired       = "filing.expired"        // industry: the filing expired before the record
	CrossBorder   = "global.cross_border"   // global: the provider is registered in another jurisdiction than the record's
)

// Categories lists every category, for lints and metrics.
var Categories = []string{Unfiled, NotRegistered, Revoked, Expired, CrossBorder}

// Detector checks records against a Registry (which may be nil: then only
// provider_info.filed and provider_info.country are read). Safe for concurrent use; it
// allocates only for the findings it makes.
type Detector struct {
	Registry *Registry
	// DefaultJurisdiction is used for records that carry none (as the rules do).
	DefaultJurisdiction string
	// Now is the time records without a time are checked at; nil means time.Now.
	Now func() time.Time
}

// Name implements detectors.Detector.
func (*Detector) Name() string { return Name }

// Detect implements detectors.Detector.
func (d *Detector) Detect(_ context.Context, r *record.Record, res *detectors.Result) error {
	add := func(cat string, sev detectors.Severity, layer detectors.Layer, field, entry, detail string) {
		res.Findings = append(res.Findings, detectors.Finding{Detector: Name, Category: cat, Severity: sev, Layer: layer,
			Evidence: detectors.Evidence{Field: field, Check: "filing", Outcome: "fail", Entry: entry, Detail: detail}})
		// entry (the filing number) is for rules (evidence.entry); the JSON shows it in detail.
	}
	pi := r.ProviderInfo
	if pi != nil && pi.Filed != nil && !*pi.Filed {
		add(Unfiled, detectors.High, detectors.Industry, "provider_info.filed", "", "provider_info.filed is false")
	}
	jur := r.Jurisdiction
	if jur == "" {
		jur = d.DefaultJurisdiction
	}
	country := country(jur)
	reg := d.Registry
	if reg != nil && r.Provider != "" {
		j := jur
		if !reg.Has(j) {
			j = country
		}
		if reg.Has(j) {
			at := r.Time
			if at.IsZero() {
				at = d.now()
			}
			f, ok := reg.Lookup(j, r.Provider, r.Service)
			switch {
			case !ok:
				add(NotRegistered, detectors.High, detectors.Industry, "provider", "", "not in the "+j+" registry")
			case f.Status == StatusRevoked || f.Status == StatusSuspended:
				add(Revoked, detectors.High, detectors.Industry, "provider", f.Number, "filing "+f.Number+" "+string(f.Status)+" ("+f.Source+")")
			case f.Status == StatusExpired || !f.ValidUntil.IsZero() && !at.Before(f.ValidUntil):
				add(Expired, detectors.Medium, detectors.Industry, "provider", f.Number, "filing "+f.Number+" expired ("+f.Source+")")
			case at.Before(f.FiledOn):
				add(NotRegistered, detectors.High, detectors.Industry, "provider", f.Number, "filed "+f.FiledOn.Format(time.DateOnly)+", after the record")
			}
		}
	}
	// Cross-border: where the provider is registered (provider_info.country, else the one
	// registry that lists it) against where the record is judged.
	home := ""
	if pi != nil && pi.Country != "" {
		home = strings.ToUpper(pi.Country)
	} else if reg != nil && r.Provider != "" {
		if in := reg.RegisteredIn(r.Provider); len(in) == 1 {
			home = in[0]
		}
	}
	if home != "" && country != "" && home != country && region(home) != region(country) {
		add(CrossBorder, detectors.Low, detectors.Global, "provider_info.country", "", "provider registered in "+home+", record under "+jur)
	}
	return nil
}

func (d *Detector) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// country is the country part of a jurisdiction code (US-CA → US).
func country(j string) string {
	c, _, _ := strings.Cut(j, "-")
	return c
}

// euMembers are the EU member states: a provider in one serving another, or the EU as a
// whole, is not a cross-border flow for this check (the single market). The rules
// package keeps the same list for choosing packs.
var euMembers = map[string]bool{
	"AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true, "DK": true, "EE": true, "FI": true,
	"FR": true, "DE": true, "GR": true, "EL": true, "HU": true, "IE": true, "IT": true, "LV": true, "LT": true,
	"LU": true, "MT": true, "NL": true, "PL": true, "PT": true, "RO": true, "SK": true, "SI": true, "ES": true, "SE": true,
}

func region(c string) string {
	c = country(c)
	if euMembers[c] {
		return "EU"
	}
	if c == "GB" {
		return "UK"
	}
	return c
}
