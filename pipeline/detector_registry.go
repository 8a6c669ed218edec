package pipeline

import (
	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/registry"
)

// The filing-registry detector (industry and global layers) always runs: without registry
// files it still reads provider_info.filed and provider_info.country. Registry files are
// loaded at every build, so a reload (SIGHUP, or a watched file changing) swaps in the new
// filings; a bad file fails the build with file:line and the running ones stay.
func init() { registerDetector(60, registry.Name, buildRegistry) }

func buildRegistry(c *Config) (detectors.Detector, error) {
	d := &registry.Detector{DefaultJurisdiction: c.DefaultJurisdiction}
	if len(c.Registries) > 0 {
		reg, err := registry.Load(c.Registries...)
		if err != nil {
			return nil, err
		}
		d.Registry = reg
	}
	return d, nil
}
