package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/stream"
)

// runProviders prints the providers' enforcement levels from a state file written by
// scan --enforcement-state (or serve), or from run's changelog topic: the same content as
// GET /v1/providers[/{id}].
func runProviders(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	cfg := pipeline.DefaultConfig
	fs := newFlagSet("providers", "[PROVIDER]", stderr)
	state := fs.String("state", "", "enforcement state file (written by scan --enforcement-state and serve's enforcement_state)")
	changelog := fs.String("changelog", "", "instead of --state: the enforcement changelog topic of run (GROUP.enforcement-changelog), read to its end: every instance's providers")
	brokers := fs.String("brokers", "127.0.0.1:9092", "with --changelog: Kafka bootstrap brokers, comma-separated")
	asJSON := fs.Bool("json", false, "print JSON (the /v1/providers bodies) instead of a table")
	juris := fs.String("jurisdiction", "", "only this jurisdiction")
	minLevel := fs.Int("min-level", 0, "only providers at this level or above")
	fs.StringVar(&cfg.Rules, "rules", "", "rule packs whose ladders the state was made with (default: the embedded packs)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if (*state == "") == (*changelog == "") || len(pos) > 1 {
		fmt.Fprintln(stderr, "aigcwatch providers: one of --state FILE or --changelog TOPIC is required, and at most one provider")
		fs.Usage()
		return exitUsage
	}
	source := *state
	if *state != "" {
		if _, err := os.Stat(*state); err != nil {
			fmt.Fprintf(stderr, "aigcwatch providers: %v\n", err)
			return exitFailed
		}
	}
	st, err := newEnforcement(&cfg, *state)
	if err != nil {
		fmt.Fprintf(stderr, "aigcwatch providers: %v\n", err)
		return exitFailed
	}
	if *changelog != "" {
		source = "topic " + *changelog
		lctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		if _, err := stream.LoadChangelog(lctx, strings.Split(*brokers, ","), *changelog, st, nil); err != nil {
			fmt.Fprintf(stderr, "aigcwatch providers: %v\n", err)
			return exitFailed
		}
	}
	if len(pos) == 1 {
		views := st.Provider(pos[0])
		if *juris != "" {
			views = filterJurisdiction(views, *juris)
		}
		if len(views) == 0 {
			fmt.Fprintf(stderr, "aigcwatch providers: provider %q is not in %s\n", pos[0], source)
			return exitFailed
		}
		if *asJSON {
			return printJSON(stdout, stderr, enforce.ProviderPage{Provider: pos[0], Jurisdictions: views})
		}
		for i, v := range views {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			printProvider(stdout, v)
		}
		return exitOK
	}
	views, total := st.Views(enforce.Query{Jurisdiction: *juris, MinLevel: *minLevel})
	if *asJSON {
		if views == nil {
			views = []enforce.View{}
		}
		return printJSON(stdout, stderr, enforce.ListPage{Providers: views, Total: total, Stats: st.Stats(), Ladders: st.Ladders()})
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROVIDER\tJURISDICTION\tLADDER\tLEVEL\tPOINTS\tSINCE\tRATES\tRECORDS\tINCIDENTS")
	for _, v := range views {
		next := "top"
		if v.NextLevel != nil {
			next = fmt.Sprintf("%g/%g", v.Points, v.NextLevelAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d %s\t%s\t%s\t%s\t%d\t%d\n", v.Provider, v.Jurisdiction, v.Ladder, v.Level.Level, v.Level.Name,
			next, v.Since.Format(time.DateOnly), rates(v.Rates), v.Totals.Records, v.Totals.Incidents)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "%d providers\n", total)
	return exitOK
}

func filterJurisdiction(views []enforce.View, j string) []enforce.View {
	var out []enforce.View
	for _, v := range views {
		if v.Jurisdiction == j {
			out = append(out, v)
		}
	}
	return out
}

// rates prints only the categories above the appetite, or "-".
func rates(rs []enforce.Rate) string {
	var out []string
	for _, r := range rs {
		if r.Records > 0 {
			mark := "≤"
			if r.Above {
				mark = ">"
			}
			out = append(out, fmt.Sprintf("%s %.2f%%%s%.2f%%", r.Category, 100*r.Rate, mark, 100*r.ToleratedRate))
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, ", ")
}

func printProvider(w io.Writer, v enforce.View) {
	fmt.Fprintf(w, "%s in %s (ladder %s): level %d %s since %s\n", v.Provider, v.Jurisdiction, v.Ladder, v.Level.Level, v.Level.Name, v.Since.Format(time.RFC3339))
	fmt.Fprintf(w, "  recommended action: %s\n", v.Level.Action)
	if v.NextLevel != nil {
		fmt.Fprintf(w, "  points: %g of %g for %s (window %s)\n", v.Points, v.NextLevelAt, v.NextLevel.Name, v.Window)
	}
	if v.GraceUntil != nil {
		fmt.Fprintf(w, "  grace until: %s\n", v.GraceUntil.Format(time.RFC3339))
	}
	if v.DeescalatesAt != nil {
		fmt.Fprintf(w, "  steps down at: %s if no escalating incident comes\n", v.DeescalatesAt.Format(time.RFC3339))
	}
	for _, r := range v.Rates {
		fmt.Fprintf(w, "  appetite %s: %d of %d records (%.3f%%), tolerated %.3f%%, above: %v\n", r.Category, r.Records, r.Volume, 100*r.Rate, 100*r.ToleratedRate, r.Above)
	}
	fmt.Fprintf(w, "  totals: %d records, %d incidents (%d tolerated, %d in grace, %d self-reported), %d escalations, %d de-escalations\n",
		v.Totals.Records, v.Totals.Incidents, v.Totals.Tolerated, v.Totals.Grace, v.Totals.SelfReported, v.Totals.Escalations, v.Totals.Deescalations)
	if len(v.OpenIncidents) > 0 {
		fmt.Fprintf(w, "  open incidents: %s\n", strings.Join(v.OpenIncidents, " "))
	}
	for _, c := range v.History {
		fmt.Fprintf(w, "  %s  %-11s %s → %s: %s\n", c.Time.Format(time.RFC3339), c.Direction, c.From.Name, c.To.Name, c.Reason)
	}
}

func printJSON(stdout, stderr io.Writer, v any) int {
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(stderr, "aigcwatch providers: %v\n", err)
		return exitFailed
	}
	return exitOK
}
