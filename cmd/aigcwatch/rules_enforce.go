package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/rules"
)

// lintEnforcement checks that the packs' enforcement sections fit together and names
// the ladders in force.
func lintEnforcement(w io.Writer, packs []*rules.Pack) int {
	pols, err := enforce.NewPolicies(packs)
	if err != nil {
		fmt.Fprintf(w, "enforcement: %v\n", err)
		return exitFailed
	}
	var names []string
	for _, p := range pols.All() {
		lv := make([]string, len(p.Levels))
		for i, l := range p.Levels {
			lv[i] = l.Name
		}
		names = append(names, fmt.Sprintf("%s (%s: %s)", p.Ladder, strings.Join(p.Jurisdictions, ","), strings.Join(lv, " → ")))
	}
	fmt.Fprintf(w, "enforcement ladders: %s\n", strings.Join(names, "; "))
	return exitOK
}
