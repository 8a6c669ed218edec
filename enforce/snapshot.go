package enforce

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// StateFormat names the snapshot format; a snapshot of another format is refused.
const StateFormat = "aigcwatch.enforcement.state.v1"

// ErrSnapshot is wrapped by the errors of Restore and LoadFile: the snapshot is not one
// this version can read. The state is left unchanged: fix or move the file, never
// start over silently (the history would be lost).
var ErrSnapshot = errors.New("enforce: bad state snapshot")

// EntryState is one provider's state as persisted: everything needed to continue its
// history exactly. It is also the unit a changelog would carry per (provider,
// jurisdiction) key. Times are unix nanoseconds.
type EntryState struct {
	Provider     string `json:"provider"`
	Jurisdiction string `json:"jurisdiction"`
	Ladder       string `json:"ladder"`
	Level        int    `json:"level"`
	LastUp       bool   `json:"last_up,omitempty"`
	Seq          uint32 `json:"seq"`
	Since        uint32 `json:"records_since_change"`
	ChangedAtNS  int64  `json:"changed_at_ns"`
	FirstSeenNS  int64  `json:"first_seen_ns"`
	LastSeenNS   int64  `json:"last_seen_ns"`
	LastBadNS    int64  `json:"last_escalating_ns,omitempty"`
	// LastIDs are FNV-1a hashes of the ids of the records at LastSeenNS: a later scan
	// skips those records and counts the others of the same time.
	LastIDs []uint64 `json:"last_record_id_hashes,omitempty"`

	Buckets       int        `json:"buckets"`
	WidthNS       int64      `json:"bucket_ns"`
	Head          int64      `json:"head"`
	Points        []int64    `json:"points_milli"`
	AppWidthNS    int64      `json:"appetite_bucket_ns"`
	AppHead       int64      `json:"appetite_head"`
	Volume        []uint32   `json:"volume"`
	Categories    []string   `json:"categories,omitempty"`
	Counts        [][]uint32 `json:"category_counts,omitempty"`
	Started       bool       `json:"started"`
	Causes        []string   `json:"causes,omitempty"`
	CausesOmitted int        `json:"causes_omitted,omitempty"`
	History       []Change   `json:"history,omitempty"`
	Totals        Totals     `json:"totals"`
}

type snapshot struct {
	Format    string       `json:"format"`
	Saved     time.Time    `json:"saved"`
	Stats     Stats        `json:"stats"`
	Providers []EntryState `json:"providers"`
}

func (e *entry) export() EntryState {
	p := e.pol
	es := EntryState{
		Provider: e.key.Provider, Jurisdiction: e.key.Jurisdiction, Ladder: p.Ladder, Level: int(e.level), LastUp: e.lastUp,
		Seq: e.seq, Since: e.since, ChangedAtNS: e.changedAt, FirstSeenNS: e.firstSeen, LastSeenNS: e.lastSeen, LastBadNS: e.lastBad, LastIDs: slices.Clone(e.lastIDs),
		Buckets: p.Buckets, WidthNS: p.width, Head: e.head, Points: slices.Clone(e.pts),
		AppWidthNS: p.appWidth, AppHead: e.ahead, Volume: slices.Clone(e.vol), Started: e.started,
		Causes: slices.Clone(e.causes), CausesOmitted: e.causesOmitted, History: slices.Clone(e.history), Totals: e.totals,
	}
	b := p.Buckets
	for c, cat := range p.Categories {
		es.Categories = append(es.Categories, cat.Name)
		if e.cat != nil {
			es.Counts = append(es.Counts, slices.Clone(e.cat[c*b:(c+1)*b]))
		}
	}
	return es
}

// Export returns every provider's state, sorted by provider and jurisdiction.
func (s *State) Export() []EntryState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]EntryState, 0, len(s.entries))
	for _, k := range s.sortedKeysLocked() {
		out = append(out, s.entries[k].export())
	}
	return out
}

// policyNamed finds the ladder a persisted entry was on, else the one of its jurisdiction.
func (s *State) policyNamed(ladder, j string) *Policy {
	for _, p := range s.pols.All() {
		if p.Ladder == ladder {
			return p
		}
	}
	return s.pols.forJurisdiction(j)
}

// importEntry rebuilds an entry. Its windows are kept when the ladder's window shape is
// unchanged, else they restart (level, history and totals are always kept).
func (s *State) importEntry(es EntryState) (*entry, error) {
	if es.Provider == "" {
		return nil, fmt.Errorf("%w: a provider entry without a provider", ErrSnapshot)
	}
	pol := s.policyNamed(es.Ladder, es.Jurisdiction)
	if es.Level < 0 || es.Level > 255 {
		return nil, fmt.Errorf("%w: provider %q: level %d", ErrSnapshot, es.Provider, es.Level)
	}
	e := &entry{key: Key{es.Provider, es.Jurisdiction}, level: uint8(es.Level)}
	e.setPolicy(pol)
	e.lastUp, e.seq, e.since = es.LastUp, es.Seq, es.Since
	e.changedAt, e.firstSeen, e.lastSeen, e.lastBad = es.ChangedAtNS, es.FirstSeenNS, es.LastSeenNS, es.LastBadNS
	e.lastIDs = slices.Clone(es.LastIDs)
	e.resumeAfter, e.resumeIDs = es.LastSeenNS, slices.Clone(es.LastIDs)
	if e.resumeIDs == nil {
		e.resumeIDs = []uint64{} // restored: the guard applies even without ids
	}
	e.causes, e.causesOmitted, e.history, e.totals = es.Causes, es.CausesOmitted, es.History, es.Totals
	b := pol.Buckets
	names := make([]string, len(pol.Categories))
	for i, c := range pol.Categories {
		names[i] = c.Name
	}
	// Points and counts are absent until the provider's first incident.
	rings := len(es.Points) == b && len(es.Counts) == len(names)
	// The heads are the buckets of the last record: anything else is not a snapshot
	// this package wrote, and its windows are not trusted.
	same := es.Started && es.Buckets == b && es.WidthNS == pol.width && es.AppWidthNS == pol.appWidth &&
		es.Head == floorDiv(es.LastSeenNS, pol.width) && es.AppHead == floorDiv(es.LastSeenNS, pol.appWidth) &&
		len(es.Volume) == b && slices.Equal(es.Categories, names) && (rings || len(es.Points) == 0 && len(es.Counts) == 0)
	for _, c := range es.Counts {
		same = same && len(c) == b
	}
	if !same {
		// The window restarts; the first record sets its head (firstSeen is kept).
		return e, nil
	}
	e.started, e.head, e.ahead = true, es.Head, es.AppHead
	copy(e.vol, es.Volume)
	for _, v := range e.vol {
		e.volSum += uint64(v)
	}
	if !rings {
		return e, nil
	}
	e.ensureRings()
	copy(e.pts, es.Points)
	for _, v := range e.pts {
		e.ptsSum += v
	}
	for c := range names {
		copy(e.cat[c*b:(c+1)*b], es.Counts[c])
		for _, v := range es.Counts[c] {
			e.catSum[c] += uint64(v)
		}
	}
	return e, nil
}

// WriteTo writes the whole state as one JSON snapshot.
func (s *State) WriteTo(w io.Writer) (int64, error) {
	snap := snapshot{Format: StateFormat, Saved: s.now().UTC(), Stats: s.Stats(), Providers: s.Export()}
	js, err := json.MarshalIndent(snap, "", " ")
	if err != nil {
		return 0, fmt.Errorf("enforce: encoding state: %w", err)
	}
	js = append(js, '\n')
	n, err := w.Write(js)
	return int64(n), err
}

// Restore replaces the state's providers with those of a snapshot read from r. On any
// error the state is unchanged.
func (s *State) Restore(r io.Reader) error {
	var snap snapshot
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&snap); err != nil {
		return fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	if snap.Format != StateFormat {
		return fmt.Errorf("%w: format %q, want %q", ErrSnapshot, snap.Format, StateFormat)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	entries := make(map[Key]*entry, len(snap.Providers))
	for _, es := range snap.Providers {
		e, err := s.importEntry(es)
		if err != nil {
			return err
		}
		if _, dup := entries[e.key]; dup {
			return fmt.Errorf("%w: provider %q in %q twice", ErrSnapshot, e.key.Provider, e.key.Jurisdiction)
		}
		entries[e.key] = e
	}
	s.entries = entries
	s.stats = snap.Stats
	return nil
}

// LoadFile restores the state from a snapshot file written by SaveFile. A missing file
// is an empty history (the first run), not an error.
func (s *State) LoadFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("enforce: %w", err)
	}
	defer f.Close()
	if err := s.Restore(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// SaveFile writes the state to path atomically: to a temporary file in the same
// directory, synced, then renamed over path, so a crash leaves the old or the new
// snapshot, never a torn one.
func (s *State) SaveFile(path string) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("enforce: saving state: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = s.WriteTo(f); err != nil {
		return fmt.Errorf("enforce: saving state: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("enforce: saving state: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("enforce: saving state: %w", err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("enforce: saving state: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync() // make the rename durable; not all filesystems support it
		d.Close()
	}
	return nil
}
