package pipeline

import (
	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/fingerprint"
)

func init() { registerDetector(30, fingerprint.Name, buildFingerprint) }

// buildFingerprint loads the configured banks. Without banks there is nothing to match,
// so the detector is left out of the chain rather than hashing every record for nothing.
func buildFingerprint(c *Config) (detectors.Detector, error) {
	if len(c.Banks) == 0 {
		return nil, nil
	}
	m := fingerprint.NewMatcher(nil)
	if _, err := m.Reload(fingerprint.DefaultConfig(), c.Banks...); err != nil {
		return nil, err
	}
	return fingerprint.NewDetector(m), nil
}
