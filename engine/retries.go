package engine

import (
	"strconv"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/record"
)

// retryCapacity is how many applied records the retry guard remembers: at 5,000 records
// a second, the last 26 seconds; longer at lower rates. About 5 MB.
const retryCapacity = 1 << 17

// retryTTL is the longest a record is remembered: a client's retry comes after a
// Retry-After of seconds, not minutes.
const retryTTL = 10 * time.Minute

// retries remembers the records recently applied to enforcement, so that a client's
// retry of the same record (after a 503 because the incident sink failed, a timeout, a
// lost answer) is not counted again: its incidents are stamped with the provider's level
// and counted "replayed", as a scan replayed over its state file is.
//
// The same record is the same provider, jurisdiction, id, time and text, and the same
// incident ids (which name the record and the rule): an edited text under the same id,
// or a record whose judging changed, is new and counts.
type retries struct {
	mu   sync.Mutex
	seen map[uint64]int64 // key → when applied (unix ns)
	ring []applied        // in the order applied: the oldest is forgotten first
	next int
}

type applied struct {
	key uint64
	at  int64
}

func newRetries() *retries {
	return &retries{seen: make(map[uint64]int64, retryCapacity), ring: make([]applied, 0, retryCapacity)}
}

// retryKey identifies a record as judged.
func retryKey(r *record.Record, evs []incident.Event) uint64 {
	var d xxhash.Digest
	d.Reset()
	sep := []byte{0}
	var buf [24]byte
	d.Write(strconv.AppendInt(buf[:0], r.Time.UnixNano(), 10))
	for _, s := range [...]string{r.Provider, r.Jurisdiction, r.ID, r.Text} {
		d.Write(sep)
		d.WriteString(s)
	}
	for _, ev := range evs {
		d.Write(sep)
		d.WriteString(ev.ID)
	}
	return d.Sum64()
}

// again reports whether key was applied within retryTTL before now, and remembers it
// as applied now when it was not.
func (g *retries) again(key uint64, now time.Time) bool {
	ns := now.UnixNano()
	g.mu.Lock()
	defer g.mu.Unlock()
	if t, ok := g.seen[key]; ok && ns-t < int64(retryTTL) {
		return true
	}
	a := applied{key, ns}
	if len(g.ring) < cap(g.ring) {
		g.ring = append(g.ring, a)
	} else {
		if old := g.ring[g.next]; g.seen[old.key] == old.at { // not applied again since
			delete(g.seen, old.key)
		}
		g.ring[g.next] = a
		g.next = (g.next + 1) % len(g.ring)
	}
	g.seen[key] = ns
	return false
}
