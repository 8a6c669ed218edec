package pipeline

import (
	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/campaign"
)

// The campaign detector (global layer) runs only when Config.CampaignAccounts is set. Its
// state is per build: a reload starts counting afresh (docs/layers.md).
func init() {
	registerDetector(70, campaign.Name, func(c *Config) (detectors.Detector, error) {
		if c.CampaignAccounts <= 0 {
			return nil, nil
		}
		return campaign.New(campaign.Config{Accounts: c.CampaignAccounts, Window: c.CampaignWindow}), nil
	})
}
