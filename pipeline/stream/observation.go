package stream

import (
	"errors"
	"fmt"
	json "github.com/segmentio/encoding/json" // encoding/json's API, several times faster (BenchmarkEnforcementWire)
	"strconv"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/internal/jsonw"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/rules"
)

// An observation is what the owner of a provider needs of one judged record: written by
// the judging partition to the enforcement topic, keyed by provider, so that the
// partition of that topic decides who owns the provider. It carries the record's input
// position (topic, partition, offset): the owner's changelog records, per provider,
// the positions its state includes, and skips an observation it already includes
// whether it is read again (a crash of the owner) or was written again (a crash of the
// judge, which judges its uncommitted tail again).
//
// The value is JSON (format below); the incidents travel whole, without
// data.enforcement, which the owner adds.
//
//	{"v":1,"topic":"in","partition":3,"offset":1234,"record_id":"r1","provider":"p",
//	 "jurisdiction":"CN","ladder":"CN","time_ns":1790000000000000000,"self_reported":true,
//	 "incidents":[{"rule":"CN-IMP-01","severity":3,"layer":1,"id":"…","key":"p","event":{…}}]}
type observationWire struct {
	V            int                `json:"v"`
	Topic        string             `json:"topic"`
	Partition    int                `json:"partition"`
	Offset       int64              `json:"offset"`
	RecordID     string             `json:"record_id"`
	Provider     string             `json:"provider"`
	Jurisdiction string             `json:"jurisdiction"`
	Ladder       string             `json:"ladder"`
	TimeNS       int64              `json:"time_ns"`
	SelfReported bool               `json:"self_reported"`
	Incidents    []observedIncident `json:"incidents"`
}

type observedIncident struct {
	Rule     string          `json:"rule"`
	Severity uint8           `json:"severity"`
	Layer    uint8           `json:"layer"`
	ID       string          `json:"id"`
	Key      string          `json:"key"`
	Event    json.RawMessage `json:"event"`
}

// observationVersion is the "v" of observations this version writes and reads.
const observationVersion = 1

// errBadObservation is wrapped by decodeObservation's errors: the message is not an
// observation this version reads (it goes to the dead-letter topic).
var errBadObservation = errors.New("stream: bad enforcement observation")

// appendObservation appends the observation of judged record j, read at topic/part/off,
// to dst. ladder is the ladder its provider is on (enforce.State.LadderFor).
func appendObservation(dst []byte, topic string, part int, off int64, j *pipeline.Judgement, ladder string) []byte {
	r, v := j.Record, j.Verdict
	dst = append(dst, `{"v":1,"topic":`...)
	dst = jsonw.AppendString(dst, topic)
	dst = append(dst, `,"partition":`...)
	dst = strconv.AppendInt(dst, int64(part), 10)
	dst = append(dst, `,"offset":`...)
	dst = strconv.AppendInt(dst, off, 10)
	dst = append(dst, `,"record_id":`...)
	dst = jsonw.AppendString(dst, r.ID)
	dst = append(dst, `,"provider":`...)
	dst = jsonw.AppendString(dst, r.Provider)
	dst = append(dst, `,"jurisdiction":`...)
	dst = jsonw.AppendString(dst, v.Jurisdiction)
	dst = append(dst, `,"ladder":`...)
	dst = jsonw.AppendString(dst, ladder)
	dst = append(dst, `,"time_ns":`...)
	var ts int64 // 0: no time (the owner's clock)
	if !r.Time.IsZero() {
		ts = r.Time.UnixNano()
	}
	dst = strconv.AppendInt(dst, ts, 10)
	if r.SelfReported {
		dst = append(dst, `,"self_reported":true`...)
	}
	dst = append(dst, `,"incidents":[`...)
	i := 0
	for _, rule := range v.Rules {
		if !rule.Report || i >= len(j.Incidents) {
			continue
		}
		ev := j.Incidents[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"rule":`...)
		dst = jsonw.AppendString(dst, rule.ID)
		dst = append(dst, `,"severity":`...)
		dst = strconv.AppendUint(dst, uint64(rule.Severity), 10)
		dst = append(dst, `,"layer":`...)
		dst = strconv.AppendUint(dst, uint64(rule.Layer), 10)
		dst = append(dst, `,"id":`...)
		dst = jsonw.AppendString(dst, ev.ID)
		dst = append(dst, `,"key":`...)
		dst = jsonw.AppendString(dst, ev.Key)
		dst = append(dst, `,"event":`...)
		dst = append(dst, ev.JSON...)
		dst = append(dst, '}')
		i++
	}
	return append(dst, "]}"...)
}

// observationSize bounds the size of j's observation.
func observationSize(j *pipeline.Judgement) int {
	n := 512 + 6*(len(j.Record.ID)+len(j.Record.Provider))
	for _, ev := range j.Incidents {
		n += len(ev.JSON) + 6*(len(ev.ID)+len(ev.Key)) + 128
	}
	return n
}

// decodeObservation reads an observation; its incidents get a minimal rule (id,
// severity, layer: all the points and the appetite need).
func decodeObservation(b []byte) (observationWire, enforce.Observation, error) {
	var w observationWire
	if err := json.Unmarshal(b, &w); err != nil {
		return w, enforce.Observation{}, fmt.Errorf("%w: %v", errBadObservation, err)
	}
	if w.V != observationVersion {
		return w, enforce.Observation{}, fmt.Errorf("%w: version %d, want %d (written by another version of aigcwatch?)", errBadObservation, w.V, observationVersion)
	}
	if w.Provider == "" || w.Topic == "" || w.Offset < 0 {
		return w, enforce.Observation{}, fmt.Errorf("%w: provider, topic and offset are required", errBadObservation)
	}
	o := enforce.Observation{RecordID: w.RecordID, Provider: w.Provider, Jurisdiction: w.Jurisdiction, Ladder: w.Ladder,
		SelfReported: w.SelfReported}
	if w.TimeNS != 0 {
		o.Time = time.Unix(0, w.TimeNS)
	}
	if len(w.Incidents) > 0 {
		o.Incidents = make([]enforce.Incident, len(w.Incidents))
		for i, inc := range w.Incidents {
			if inc.ID == "" || len(inc.Event) == 0 {
				return w, enforce.Observation{}, fmt.Errorf("%w: incident %d without id or event", errBadObservation, i)
			}
			o.Incidents[i] = enforce.Incident{
				Event: incident.Event{ID: inc.ID, Key: inc.Key, JSON: inc.Event},
				Rule:  &rules.Rule{ID: inc.Rule, Severity: detectors.Severity(inc.Severity), Layer: detectors.Layer(inc.Layer), Report: true},
			}
		}
	}
	return w, o, nil
}

// position names an input partition in a changelog's included offsets: "topic/partition".
func position(topic string, part int) string { return topic + "/" + strconv.Itoa(part) }
