package incident

import (
	"bytes"
	"strconv"

	"github.com/aigcwatch/aigcwatch/internal/jsonw"
)

// Enforcement is the level of response an incident warrants at the moment it happened,
// on its provider's enforcement ladder (package enforce computes it; docs/enforcement.md).
// It is the incident's data.enforcement; events built without enforcement have none.
type Enforcement struct {
	Ladder    string `json:"ladder"`     // the ladder's name, e.g. "CN"
	Level     int    `json:"level"`      // the provider's level once this incident is counted
	LevelName string `json:"level_name"` // e.g. "warning"
	Action    string `json:"action"`     // the recommended response at that level
	// Points are what this incident added towards the next level: 0 when it was
	// tolerated (risk appetite) or arrived during a grace period.
	Points       float64 `json:"points"`
	WindowPoints float64 `json:"window_points"`           // points counted since the provider reached its level
	NextLevelAt  float64 `json:"next_level_at,omitempty"` // points that escalate; absent at the top
	Counted      string  `json:"counted"`                 // "escalating", "self_reported", "tolerated", "grace" or "replayed"
	SelfReported bool    `json:"self_reported,omitempty"`
	// Category, Rate and ToleratedRate are set when the incident's rule belongs to a
	// risk-appetite category: the provider's share of records in that category over the
	// appetite window, against the share the regulator tolerates.
	Category      string   `json:"category,omitempty"`
	Rate          *float64 `json:"rate,omitempty"`
	ToleratedRate *float64 `json:"tolerated_rate,omitempty"`
	Escalated     bool     `json:"escalated,omitempty"` // this incident moved the provider up a level
}

// EnforcementType is the CloudEvents type of an enforcement level change (package
// enforce builds them). They travel with the incidents (same outputs, same topic, same
// store and routes): Summarize accepts them, with their provider and jurisdiction, and
// their direction ("escalate", "de-escalate") as the decision label.
const EnforcementType = "org.aigcwatch.enforcement.level_changed.v1"

// WithEnforcement returns a copy of the event with e added to its data as
// data.enforcement, after every existing field. ev.JSON is not modified. JSON that is
// not an incident built by this package, or already has it, gives ErrNotIncident.
func (ev Event) WithEnforcement(e *Enforcement) (Event, error) {
	js := bytes.TrimRight(ev.JSON, " \n")
	if !bytes.HasSuffix(js, []byte("}}")) || bytes.Contains(js, []byte(`"enforcement":{"ladder"`)) {
		return ev, ErrNotIncident
	}
	body := js[:len(js)-2]
	out := make([]byte, 0, len(body)+256+len(e.Action))
	out = append(out, body...)
	out = append(out, `,"enforcement":`...)
	out = e.AppendJSON(out)
	out = append(out, "}}"...)
	ev.JSON = out
	return ev, nil
}

// AppendJSON appends e as a JSON object, field names as in its json tags.
func (e *Enforcement) AppendJSON(dst []byte) []byte {
	num := func(key string, f float64) {
		dst = append(dst, ',', '"')
		dst = append(dst, key...)
		dst = append(dst, '"', ':')
		dst = strconv.AppendFloat(dst, f, 'g', -1, 64)
	}
	str := func(key, val string) {
		dst = append(dst, ',', '"')
		dst = append(dst, key...)
		dst = append(dst, '"', ':')
		dst = jsonw.AppendString(dst, val)
	}
	dst = append(dst, `{"ladder":`...)
	dst = jsonw.AppendString(dst, e.Ladder)
	dst = append(dst, `,"level":`...)
	dst = strconv.AppendInt(dst, int64(e.Level), 10)
	str("level_name", e.LevelName)
	str("action", e.Action)
	num("points", e.Points)
	num("window_points", e.WindowPoints)
	if e.NextLevelAt != 0 {
		num("next_level_at", e.NextLevelAt)
	}
	str("counted", e.Counted)
	if e.SelfReported {
		dst = append(dst, `,"self_reported":true`...)
	}
	if e.Category != "" {
		str("category", e.Category)
	}
	if e.Rate != nil {
		num("rate", *e.Rate)
	}
	if e.ToleratedRate != nil {
		num("tolerated_rate", *e.ToleratedRate)
	}
	if e.Escalated {
		dst = append(dst, `,"escalated":true`...)
	}
	return append(dst, '}')
}
