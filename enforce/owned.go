package enforce

import (
	"time"
)

// The methods of this file let a process that owns only some providers (aigcwatch run:
// the providers of the Kafka partitions it is assigned) move their state in and out
// one provider at a time: Entry and Put carry one provider's state to and from a
// changelog, Forget drops the providers of a partition taken away, and SweepKeys
// de-escalates silent providers of one partition. Unlike Restore, Put installs no
// replay guard: a changelog knows exactly which records a state includes (by their
// input offsets), so the caller skips replays itself, and records that arrive out of
// time order across input partitions still count.

// ByLadder returns the policy named ladder, or nil.
func (ps *Policies) ByLadder(ladder string) *Policy {
	if ps.def.Ladder == ladder {
		return ps.def
	}
	for _, p := range ps.byPack {
		if p.Ladder == ladder {
			return p
		}
	}
	return nil
}

// Entry returns one provider's state, as persisted, and whether it is tracked.
func (s *State) Entry(k Key) (EntryState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[k]
	if e == nil {
		return EntryState{}, false
	}
	return e.export(), true
}

// Put installs one provider's state (replacing any), as Entry returned it, without a
// replay guard. It ignores MaxProviders: a changelog's providers are never dropped.
func (s *State) Put(es EntryState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.importEntry(es)
	if err != nil {
		return err
	}
	e.resumeAfter, e.resumeIDs = 0, nil
	s.entries[e.key] = e
	return nil
}

// Forget drops the given providers' state (their partition was assigned elsewhere).
func (s *State) Forget(keys ...Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		delete(s.entries, k)
	}
}

// SweepKeys is Sweep for the given providers only (those of one partition); untracked
// keys are skipped. The changes come in the order of keys.
func (s *State) SweepKeys(now time.Time, keys []Key) []Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sweepLocked(now, keys)
}

// sweepLocked de-escalates the providers of keys whose compliant period has passed at now
// (the State's clock when zero); untracked keys are skipped. s.mu is held.
func (s *State) sweepLocked(now time.Time, keys []Key) []Change {
	if now.IsZero() {
		now = s.now()
	}
	ts := now.UnixNano()
	var out []Change
	for _, k := range keys {
		if e := s.entries[k]; e != nil {
			out = e.deescalate(s, ts, out)
		}
	}
	return out
}

// policyForObservation is the policy of an observation: its ruleset's, else the named
// ladder's (an observation carried over Kafka names its ladder), else its jurisdiction's.
func (s *State) policyForObservation(o *Observation) *Policy {
	if o.Ruleset == nil && o.Ladder != "" {
		if p := s.pols.ByLadder(o.Ladder); p != nil {
			return p
		}
	}
	return s.policyFor(o.Ruleset, o.Jurisdiction)
}

// LadderFor names the ladder an observation of a record judged under the verdict's
// ruleset rs in jurisdiction j is applied on (what Observation.Ladder carries when the
// ruleset cannot travel with it).
func (s *State) LadderFor(o *Observation) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.policyForObservation(o).Ladder
}
