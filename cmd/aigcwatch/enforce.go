package main

import (
	"fmt"
	"io"

	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/pipeline"
)

// newEnforcement builds the enforcement state of the configured packs' ladders,
// continuing the history in stateFile if it exists ("" = in memory only).
func newEnforcement(cfg *pipeline.Config, stateFile string) (*enforce.State, error) {
	pols, err := cfg.Policies()
	if err != nil {
		return nil, err
	}
	st := enforce.NewState(pols, enforce.Options{Source: cfg.IncidentSource})
	if stateFile != "" {
		if err := st.LoadFile(stateFile); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// enforcementSummary is printed after scan's summary table.
func enforcementSummary(w io.Writer, st *enforce.State, esc, deesc int, stateFile string) {
	above, _ := st.Views(enforce.Query{MinLevel: 1})
	fmt.Fprintf(w, "\nenforcement: %d providers tracked, %d above the base level; %d escalations, %d de-escalations in this scan", st.Len(), len(above), esc, deesc)
	if stateFile != "" {
		fmt.Fprintf(w, "; state in %s", stateFile)
	}
	fmt.Fprintln(w)
	if s := st.Stats(); s.Untracked > 0 {
		fmt.Fprintf(w, "enforcement: warning: %d records of providers not tracked (state full)\n", s.Untracked)
	}
}
