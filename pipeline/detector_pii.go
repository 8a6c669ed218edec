package pipeline

import (
	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/pii"
)

// The personal-data detector (element layer) has no configuration: what it finds is
// validated, and what is done about it is in the element packs (docs/layers.md).
func init() {
	registerDetector(40, pii.Name, func(*Config) (detectors.Detector, error) { return pii.New(), nil })
}
