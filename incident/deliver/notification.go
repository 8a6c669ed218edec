package deliver

import (
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/aigcwatch/aigcwatch/internal/jsonw"
)

// GroupType is the CloudEvents type of the group event that opens a batched notification.
const GroupType = "org.aigcwatch.incident.group.v1"

// batchBody is the batched-mode body: a JSON array of the group event and then the
// incident events.
func (n *Notification) batchBody(id string) []byte {
	size := 512
	for _, it := range n.Items {
		size += len(it.Event) + 1
	}
	b := make([]byte, 0, size+40*len(n.Items))
	ts := func(t time.Time) []byte { return jsonw.AppendString(nil, t.UTC().Format(time.RFC3339Nano)) }
	b = append(b, `[{"specversion":"1.0","id":`...)
	b = jsonw.AppendString(b, id)
	b = append(b, `,"source":"urn:aigcwatch:deliver","type":"`+GroupType+`","time":`...)
	b = append(b, ts(n.LastSeen)...)
	b = append(b, `,"datacontenttype":"application/json","data":{"receiver":`...)
	b = jsonw.AppendString(b, n.Receiver)
	b = append(b, `,"route":`...)
	b = jsonw.AppendString(b, n.Route)
	b = append(b, `,"group_labels":{`...)
	for i, k := range sortedLabelKeys(n.Labels) {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonw.AppendString(b, k)
		b = append(b, ':')
		b = jsonw.AppendString(b, n.Labels[k])
	}
	b = append(b, `},"count":`...)
	b = strconv.AppendInt(b, int64(n.Count), 10)
	b = append(b, `,"first_seen":`...)
	b = append(b, ts(n.FirstSeen)...)
	b = append(b, `,"last_seen":`...)
	b = append(b, ts(n.LastSeen)...)
	b = append(b, `,"incident_ids":[`...)
	for i, it := range n.Items {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonw.AppendString(b, it.sum.ID)
	}
	b = append(b, "]}}"...)
	for _, it := range n.Items {
		b = append(b, ',')
		b = append(b, it.Event...)
	}
	return append(b, ']')
}

func sortedLabelKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
