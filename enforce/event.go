package enforce

import (
	"encoding/json"
	"time"

	"github.com/aigcwatch/aigcwatch/incident"
)

// LevelChangedType is the CloudEvents type of a level change (incident.EnforcementType:
// the incident package's Summarize knows it, so level changes are stored, routed and
// delivered with the incidents).
const LevelChangedType = incident.EnforcementType

// levelChangedEvent is the CloudEvents 1.0 structured-mode envelope of a Change.
type levelChangedEvent struct {
	SpecVersion     string  `json:"specversion"`
	ID              string  `json:"id"`
	Source          string  `json:"source"`
	Type            string  `json:"type"`
	Subject         string  `json:"subject"`
	Time            string  `json:"time"`
	DataContentType string  `json:"datacontenttype"`
	Jurisdiction    string  `json:"jurisdiction"` // extension attributes, as on incidents:
	Direction       string  `json:"direction"`    // consumers route without parsing data
	Level           string  `json:"level"`        // the new level's name
	Data            *Change `json:"data"`
}

// Event returns the change as a CloudEvents event: its id is Change.ID, its key (the
// Kafka key, as for incidents) the provider, its data the Change. source "" is
// "urn:aigcwatch".
func (c *Change) Event(source string) incident.Event {
	if source == "" {
		source = "urn:aigcwatch"
	}
	js, err := json.Marshal(levelChangedEvent{
		SpecVersion: "1.0", ID: c.ID, Source: source, Type: LevelChangedType, Subject: c.Provider,
		Time: c.Time.UTC().Format(time.RFC3339Nano), DataContentType: "application/json",
		Jurisdiction: extValue(c.Jurisdiction), Direction: c.Direction, Level: c.To.Name, Data: c,
	})
	if err != nil {
		panic(err) // a Change holds only strings, numbers and times
	}
	return incident.Event{ID: c.ID, Key: c.Provider, JSON: js}
}

// Event returns the change as an event with the State's source.
func (s *State) Event(c *Change) incident.Event { return c.Event(s.opt.Source) }

// Events returns the changes as events with the State's source.
func (s *State) Events(changes []Change) []incident.Event {
	if len(changes) == 0 {
		return nil
	}
	out := make([]incident.Event, len(changes))
	for i := range changes {
		out[i] = changes[i].Event(s.opt.Source)
	}
	return out
}

func extValue(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// OutcomeEvents returns what an outcome writes, in the order scan and run write it: the
// de-escalations (they happened before the record), the record's incidents with their
// level, then the escalations they caused.
func (s *State) OutcomeEvents(out Outcome) []incident.Event {
	if len(out.Changes) == 0 {
		return out.Incidents
	}
	evs := make([]incident.Event, 0, len(out.Incidents)+len(out.Changes))
	for i := range out.Changes {
		if c := &out.Changes[i]; c.Direction == Deescalate {
			evs = append(evs, s.Event(c))
		}
	}
	evs = append(evs, out.Incidents...)
	for i := range out.Changes {
		if c := &out.Changes[i]; c.Direction == Escalate {
			evs = append(evs, s.Event(c))
		}
	}
	return evs
}
