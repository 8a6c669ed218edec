package pipeline

import (
	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/label"
)

// The label detector runs after the lexicon (10) and before fingerprints (30). It has no
// configuration of its own yet: label.Config's defaults (N = 64, τ = 0.8, 5 %, 2 s) are
// the ones LABELING.md section 6 gives; strictness options are rule packs (docs/labels.md).
func init() {
	registerDetector(20, "label", func(*Config) (detectors.Detector, error) {
		return label.New(label.Config{}), nil
	})
}
