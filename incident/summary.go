package incident

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrNotIncident is returned by Summarize for bytes that are not an incident event of
// this package (not JSON, no id, another type): the caller should dead-letter them
// with the error, not drop them.
var ErrNotIncident = errors.New("incident: not an aigcwatch incident event")

// Summary is what routing, grouping and the history need from an event: its id and time,
// and the attributes a route can match on. It is read back from the event's JSON, so
// delivery works the same on events from a file, a topic or an outbox.
type Summary struct {
	ID           string    `json:"id"`
	Time         time.Time `json:"time"`
	Provider     string    `json:"provider"`
	Jurisdiction string    `json:"jurisdiction"`
	Authority    string    `json:"authority"`
	Layer        string    `json:"layer"`
	Severity     string    `json:"severity"`
	Decision     string    `json:"decision"`
	Rule         string    `json:"rule"`
	Pack         string    `json:"pack"`
}

// Labels are the attribute names a route can match on and group by, in the order
// Summary.Label knows them.
var Labels = []string{"provider", "jurisdiction", "authority", "layer", "severity", "decision", "rule", "pack"}

// Label returns the attribute called name ("" for an unknown name; see Labels).
func (s *Summary) Label(name string) string {
	switch name {
	case "provider":
		return s.Provider
	case "jurisdiction":
		return s.Jurisdiction
	case "authority":
		return s.Authority
	case "layer":
		return s.Layer
	case "severity":
		return s.Severity
	case "decision":
		return s.Decision
	case "rule":
		return s.Rule
	case "pack":
		return s.Pack
	}
	return ""
}

// CampaignType is the CloudEvents type of a coordinated-campaign event (the campaign
// topic of `aigcwatch run`, docs/layers.md): written to the incidents topic, keyed by the
// content's fingerprint, and delivered like an incident.
const CampaignType = "aigcwatch.campaign"

// CampaignDecision is the decision label of a campaign event's Summary, which no
// incident has: routes can send campaigns to their own receiver.
const CampaignDecision = "campaign"

// Summarize reads the Summary of an incident event (CloudEvents structured JSON). An
// enforcement level change (EnforcementType) is accepted too: it travels with the
// incidents; its provider and jurisdiction are set, and its decision is the direction
// ("escalate" or "de-escalate"), which no incident has. So is a campaign event
// (CampaignType): no provider or jurisdiction (a campaign spans accounts and platforms),
// its layer and severity from its data, decision CampaignDecision.
func Summarize(event []byte) (Summary, error) {
	var e struct {
		ID      string    `json:"id"`
		Type    string    `json:"type"`
		Subject string    `json:"subject"`
		Time    time.Time `json:"time"`
		Data    struct {
			Rule struct {
				ID   string `json:"id"`
				Pack string `json:"pack"`
			} `json:"rule"`
			Decision     string `json:"decision"`
			Layer        string `json:"layer"`
			Severity     string `json:"severity"`
			Jurisdiction string `json:"jurisdiction"`
			Authority    string `json:"authority"`
			Provider     string `json:"provider"`
			Direction    string `json:"direction"` // enforcement level changes
		} `json:"data"`
	}
	if err := json.Unmarshal(event, &e); err != nil {
		return Summary{}, fmt.Errorf("%w: %v", ErrNotIncident, err)
	}
	if e.ID == "" || (e.Type != Type && e.Type != EnforcementType && e.Type != CampaignType) {
		return Summary{}, fmt.Errorf("%w: id %q, type %q", ErrNotIncident, e.ID, e.Type)
	}
	d := e.Data
	prov := d.Provider
	switch e.Type {
	case EnforcementType:
		d.Decision = d.Direction // "escalate" or "de-escalate": routes can tell level changes apart
	case CampaignType:
		d.Decision = CampaignDecision
		e.Subject = "" // the content's fingerprint, not a provider
	}
	if prov == "" {
		prov = e.Subject
	}
	return Summary{ID: e.ID, Time: e.Time, Provider: prov, Jurisdiction: d.Jurisdiction, Authority: d.Authority,
		Layer: d.Layer, Severity: d.Severity, Decision: d.Decision, Rule: d.Rule.ID, Pack: d.Rule.Pack}, nil
}
