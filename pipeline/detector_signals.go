package pipeline

import (
	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/signals"
)

func init() {
	registerDetector(15, signals.Name, func(*Config) (detectors.Detector, error) { return signals.New(), nil })
}
