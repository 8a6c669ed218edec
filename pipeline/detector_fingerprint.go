package pipeline

import (
	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/fingerprint"
)

func init() { registerDetector(30, fingerprint.Name, buildFingerprint) }

// FingerprintMatcher is the fingerprint bank holder, named here so that Config can hold
// one (Config.Fingerprints) without config.go importing the detector.
type FingerprintMatcher = fingerprint.Matcher

// AutoBank is the bank that Config.AutoBankLabeled fills: fingerprint.DefaultConfig's
// bank of meaning labeled_ai.
const AutoBank = "labeled_ai"

// buildFingerprint loads the configured banks into Config.Fingerprints (or a Matcher of
// its own). Without bank files, banks topic or auto-banking there is nothing to match, so
// the detector is left out of the chain rather than hashing every record for nothing.
// With a shared Matcher the new bank files are swapped in here, before the rest of the
// reload is known to succeed; live additions are kept.
func buildFingerprint(c *Config) (detectors.Detector, error) {
	if len(c.Banks) == 0 && c.BanksTopic == "" && !c.AutoBankLabeled && c.Fingerprints == nil {
		return nil, nil
	}
	m := c.Fingerprints
	if m == nil {
		m = fingerprint.NewMatcher(nil)
	}
	if _, err := m.Reload(fingerprint.DefaultConfig(), c.Banks...); err != nil {
		return nil, err
	}
	d := fingerprint.NewDetector(m)
	if c.AutoBankLabeled {
		d.AutoBankLabeled = AutoBank
	}
	return d, nil
}

// FingerprintDetector returns p's current fingerprint detector (its Matcher takes live
// additions, its AutoBank counters say what auto-banking did), or nil when the chain has
// none.
func (p *Processor) FingerprintDetector() *fingerprint.Detector {
	var find func(d detectors.Detector) *fingerprint.Detector
	find = func(d detectors.Detector) *fingerprint.Detector {
		switch d := d.(type) {
		case *fingerprint.Detector:
			return d
		case detectors.Chain:
			for _, x := range d {
				if f := find(x); f != nil {
					return f
				}
			}
		}
		return nil
	}
	return find(p.current.Load().raw) // not the observer's wrappers
}
