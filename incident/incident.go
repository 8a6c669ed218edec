// Package incident turns the reportable rules a verdict fired into CloudEvents 1.0
// events for regulators and trust-and-safety teams. An event carries the decision, the
// rule and its legal basis, and the evidence, never the content itself; account ids
// are pseudonymised with a keyed hash. Event ids are deterministic (same record and
// rule, same id) so a redelivered record is recognisable downstream.
//
// Delivery (Kafka topics, webhooks) is not here: this package only builds events.
package incident

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/record"
	"github.com/aigcwatch/aigcwatch/rules"
)

// Type is the CloudEvents type of an incident.
const Type = "org.aigcwatch.incident.v1"

// MaxEvidence bounds the findings copied into one event.
const MaxEvidence = 32

// DevKey is the pseudonymisation key used when none is configured. It is public, so
// pseudonyms made with it can be reversed by guessing: configure a secret key in
// production (AIGCWATCH_PSEUDONYM_KEY).
var DevKey = []byte("aigcwatch-development-key-do-not-use-in-production")

// Builder builds incident events. It is safe for concurrent use.
type Builder struct {
	Source string // CloudEvents source, e.g. "urn:aigcwatch:platform-x"; default "urn:aigcwatch"
	Key    []byte // pseudonymisation key; nil means DevKey
	Now    func() time.Time
}

// Event is one built incident: its id, its Kafka key (the provider) and its JSON.
type Event struct {
	ID   string
	Key  string
	JSON []byte
}

// Data is the payload of an incident event.
type Data struct {
	RecordID         string              `json:"record_id"`
	Rule             RuleRef             `json:"rule"`
	Decision         string              `json:"decision"`
	Layer            string              `json:"layer"`
	Severity         string              `json:"severity"`
	Tier             string              `json:"tier"`
	Jurisdiction     string              `json:"jurisdiction"`
	Basis            string              `json:"basis"`
	Authority        string              `json:"authority"`
	Provider         string              `json:"provider,omitempty"`
	Service          string              `json:"service,omitempty"`
	Platform         string              `json:"platform,omitempty"`
	Role             string              `json:"role,omitempty"`
	Modality         string              `json:"modality,omitempty"`
	AccountPseudonym string              `json:"account_pseudonym,omitempty"`
	ContentSHA256    string              `json:"content_sha256,omitempty"`
	Evidence         []detectors.Finding `json:"evidence"`
	EvidenceOmitted  int                 `json:"evidence_omitted,omitempty"`
	Ruleset          *rules.Ruleset      `json:"ruleset"`
}

// RuleRef names the rule that fired.
type RuleRef struct {
	ID    string `json:"id"`
	Pack  string `json:"pack"`
	Title string `json:"title"`
}

// ID is the deterministic event id for a record and a rule: the first 16 bytes of
// sha256("aigcwatch/incident/v1", then each of record id and rule id prefixed with its
// length as a uvarint), in hex. Length prefixes keep it injective for any strings.
func ID(recordID, ruleID string) string {
	h := sha256.New()
	h.Write([]byte("aigcwatch/incident/v1"))
	var n [binary.MaxVarintLen64]byte
	for _, s := range [...]string{recordID, ruleID} {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Pseudonym is the keyed hash of an account id.
func (b *Builder) Pseudonym(account string) string {
	key := b.Key
	if len(key) == 0 {
		key = DevKey
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(account))
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil)[:16])
}

// Build returns one event per reportable rule that fired in v.
func (b *Builder) Build(r *record.Record, v *rules.Verdict) ([]Event, error) {
	var out []Event
	for _, rule := range v.Rules {
		if !rule.Report {
			continue
		}
		ev, err := b.build(r, v, rule)
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
	return out, nil
}

func (b *Builder) build(r *record.Record, v *rules.Verdict, rule *rules.Rule) (Event, error) {
	e := cloudevents.New(cloudevents.CloudEventsVersionV1)
	id := ID(r.ID, rule.ID)
	e.SetID(id)
	e.SetType(Type)
	src := b.Source
	if src == "" {
		src = "urn:aigcwatch"
	}
	e.SetSource(src)
	subject := r.Provider
	if subject == "" {
		subject = "unknown-provider"
	}
	e.SetSubject(subject)
	t := r.Time
	if t.IsZero() {
		if b.Now != nil {
			t = b.Now()
		} else {
			t = time.Now()
		}
	}
	e.SetTime(t.UTC())
	// Extension attributes let consumers route without parsing data.
	e.SetExtension("jurisdiction", extValue(v.Jurisdiction))
	e.SetExtension("decision", rule.Decision.String())
	e.SetExtension("severity", rule.Severity.String())
	e.SetExtension("layer", rule.Layer.String())
	d := Data{
		RecordID: r.ID, Rule: RuleRef{ID: rule.ID, Pack: rule.Pack, Title: rule.Title},
		Decision: rule.Decision.String(), Layer: rule.Layer.String(), Severity: rule.Severity.String(), Tier: rule.Tier.String(),
		Jurisdiction: v.Jurisdiction, Basis: rule.Basis, Authority: rule.Authority,
		Provider: r.Provider, Service: r.Service, Platform: r.Platform, Role: r.Role, Modality: r.Modality,
		Ruleset: v.Ruleset, Evidence: v.Findings,
	}
	if r.Account != "" {
		d.AccountPseudonym = b.Pseudonym(r.Account)
	}
	if r.Media != nil {
		d.ContentSHA256 = r.Media.SHA256
	}
	if len(d.Evidence) > MaxEvidence {
		d.EvidenceOmitted = len(d.Evidence) - MaxEvidence
		d.Evidence = d.Evidence[:MaxEvidence]
	}
	if d.Evidence == nil {
		d.Evidence = []detectors.Finding{}
	}
	if err := e.SetData(cloudevents.ApplicationJSON, d); err != nil {
		return Event{}, fmt.Errorf("incident: data: %w", err)
	}
	if err := e.Validate(); err != nil {
		return Event{}, fmt.Errorf("incident: invalid event: %w", err)
	}
	js, err := json.Marshal(e)
	if err != nil {
		return Event{}, fmt.Errorf("incident: encode: %w", err)
	}
	return Event{ID: id, Key: subject, JSON: js}, nil
}

// extValue keeps an extension attribute non-empty (CloudEvents forbids empty strings
// only by convention; consumers filter more easily on a value).
func extValue(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
