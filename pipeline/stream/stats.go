package stream

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Stats counts what a Runner did since it started.
type Stats struct {
	Fetched      int64            // input messages handed to the judge, re-reads included
	Refetched    int64            // messages read twice in one assignment (after a reconnection) and skipped
	Acked        int64            // input records whose outputs were all acknowledged
	Verdicts     int64            // full verdicts produced (written or being written)
	Compact      int64            // compact verdicts of allowed records (verdicts_mode compact)
	Unwritten    int64            // allowed records whose verdict is not written (verdicts_mode flagged)
	Rulesets     int64            // rulesets written to the rulesets topic
	Incidents    int64            // incidents built
	Rejected     map[string]int64 // dead letters by reason
	WriteErrors  int64            // failed write attempts (each retried)
	FetchErrors  int64
	JudgeErrors  int64 // pipeline failures (each retried)
	Commits      int64
	CommitErrors int64
	Generations  int64 // group generations joined (1 + rebalances)
	GroupErrors  int64 // failed attempts to join the group
	Abandoned    int64 // batches given up at a drain deadline (replayed later: duplicates)
	// IncidentsDelivered counts incidents acknowledged by the incidents topic;
	// IncidentWriteErrors the failed write attempts that included incidents (each retried).
	IncidentsDelivered, IncidentWriteErrors int64
	// Observations counts records of providers sent to the enforcement topic (with
	// enforcement on: their incidents are written by the provider's owner).
	Observations int64
}

type counters struct {
	fetched, refetched, acked, verdicts, incidents  atomic.Int64
	writeErrors, fetchErrors, judgeErrors           atomic.Int64
	commits, commitErrors, generations, groupErrors atomic.Int64
	abandoned                                       atomic.Int64
	compact, allowUnwritten, rulesets               atomic.Int64
	incidentsAcked, incidentWriteErrors             atomic.Int64
	observations                                    atomic.Int64
	mu                                              sync.Mutex
	rejected                                        map[string]int64
}

func (c *counters) reject(reason string) {
	c.mu.Lock()
	if c.rejected == nil {
		c.rejected = map[string]int64{}
	}
	c.rejected[reason]++
	c.mu.Unlock()
}

// Stats returns a snapshot of the counters. Safe to call while Run runs.
func (r *Runner) Stats() Stats {
	c := &r.stats
	s := Stats{
		Fetched: c.fetched.Load(), Refetched: c.refetched.Load(), Acked: c.acked.Load(),
		Verdicts: c.verdicts.Load(), Incidents: c.incidents.Load(),
		Compact: c.compact.Load(), Unwritten: c.allowUnwritten.Load(), Rulesets: c.rulesets.Load(),
		WriteErrors: c.writeErrors.Load(), FetchErrors: c.fetchErrors.Load(), JudgeErrors: c.judgeErrors.Load(),
		Commits: c.commits.Load(), CommitErrors: c.commitErrors.Load(),
		Generations: c.generations.Load(), GroupErrors: c.groupErrors.Load(), Abandoned: c.abandoned.Load(),
		IncidentsDelivered: c.incidentsAcked.Load(), IncidentWriteErrors: c.incidentWriteErrors.Load(),
		Observations: c.observations.Load(),
		Rejected:     map[string]int64{},
	}
	c.mu.Lock()
	for k, v := range c.rejected {
		s.Rejected[k] = v
	}
	c.mu.Unlock()
	return s
}

// String is a one-line summary for logs.
func (s Stats) String() string {
	var rej []string
	for k, v := range s.Rejected {
		rej = append(rej, fmt.Sprintf("%s:%d", k, v))
	}
	sort.Strings(rej)
	return fmt.Sprintf("acked=%d verdicts=%d compact=%d unwritten_allow=%d incidents=%d rejected=[%s] fetched=%d refetched=%d write_errors=%d fetch_errors=%d commits=%d commit_errors=%d generations=%d abandoned=%d observations=%d",
		s.Acked, s.Verdicts, s.Compact, s.Unwritten, s.Incidents, strings.Join(rej, " "), s.Fetched, s.Refetched, s.WriteErrors, s.FetchErrors,
		s.Commits, s.CommitErrors, s.Generations, s.Abandoned, s.Observations)
}
