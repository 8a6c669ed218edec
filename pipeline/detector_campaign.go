package pipeline

import (
	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/campaign"
)

// CampaignDetector is the campaign detector, named here so that Config can hold one
// (Config.Campaigns) without config.go importing the detector.
type CampaignDetector = campaign.Detector

// NewCampaignDetector returns the campaign detector c's settings ask for, for
// Config.Campaigns; nil when campaign detection is off.
func NewCampaignDetector(c *Config) *CampaignDetector {
	if c.CampaignAccounts <= 0 {
		return nil
	}
	return campaign.New(campaign.Config{Accounts: c.CampaignAccounts, Window: c.CampaignWindow})
}

// NewSharedCampaignDetector returns the campaign detector for a campaign topic: it makes
// no findings and hands each record's observation to publish (stream.Campaigns.Publish).
func NewSharedCampaignDetector(c *Config, publish func(campaign.Observation)) *CampaignDetector {
	if c.CampaignAccounts <= 0 {
		return nil
	}
	return campaign.NewShared(campaign.Config{Accounts: c.CampaignAccounts, Window: c.CampaignWindow}, publish)
}

// The campaign detector (global layer) runs only when Config.CampaignAccounts is set. With
// Config.Campaigns set (aigcwatch run sets it) its counts survive reloads, as long as the
// settings stay the same; otherwise each build counts afresh (docs/layers.md).
func init() {
	registerDetector(70, campaign.Name, func(c *Config) (detectors.Detector, error) {
		d := NewCampaignDetector(c)
		if d == nil {
			return nil, nil
		}
		if c.Campaigns != nil && c.Campaigns.Config() == d.Config() {
			return c.Campaigns, nil
		}
		return d, nil
	})
}
