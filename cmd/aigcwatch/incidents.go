package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/incident/store"
)

// runIncidents lists incidents from the history: a local store file, or the API of a
// running aigcwatch (GET /v1/incidents).
func runIncidents(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("incidents", "", stderr)
	storePath := fs.String("store", "", "store file (deliver --state, scan --outbox); else --url")
	base := fs.String("url", "", "base URL of a running aigcwatch whose listener serves /v1/incidents, e.g. http://127.0.0.1:9090")
	filters := map[string]*string{}
	for _, f := range []string{"provider", "jurisdiction", "authority", "rule", "layer", "severity", "decision", "pack"} {
		filters[f] = fs.String(f, "", "only incidents with this "+f)
	}
	since := fs.String("since", "", "only incidents at or after this time: RFC 3339, or a duration ago (24h)")
	until := fs.String("until", "", "only incidents before this time: RFC 3339, or a duration ago")
	limit := fs.Int("limit", store.DefaultLimit, fmt.Sprintf("incidents per page (at most %d)", store.MaxLimit))
	cursor := fs.String("cursor", "", "continue from a page's next cursor")
	all := fs.Bool("all", false, "follow the cursors to the last page")
	asJSON := fs.Bool("json", false, "print the CloudEvents, one JSON a line, instead of a table")
	id := fs.String("id", "", "print the one incident with this id (JSON)")
	parked := fs.Bool("parked", false, "list the incidents parked in --store (undeliverable, with their last error)")
	unpark := fs.String("unpark", "", "move RECEIVER's parked incidents in --store back into its outbox, to be delivered again")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if (*storePath == "") == (*base == "") || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "aigcwatch incidents: give exactly one of --store FILE and --url URL, and no arguments")
		return exitUsage
	}
	v := url.Values{}
	for k, p := range filters {
		if *p != "" {
			v.Set(k, *p)
		}
	}
	for k, s := range map[string]string{"since": *since, "until": *until} {
		if s == "" {
			continue
		}
		if d, err := time.ParseDuration(s); err == nil {
			s = time.Now().Add(-d).UTC().Format(time.RFC3339Nano)
		}
		v.Set(k, s)
	}
	v.Set("limit", fmt.Sprint(*limit))
	if *cursor != "" {
		v.Set("cursor", *cursor)
	}
	q, err := store.ParseQuery(v)
	if err != nil {
		fmt.Fprintf(stderr, "aigcwatch incidents: %v\n", err)
		return exitUsage
	}
	var st *store.Store
	if *storePath != "" {
		if _, err := os.Stat(*storePath); err != nil {
			fmt.Fprintf(stderr, "aigcwatch incidents: %v\n", err)
			return exitUsage
		}
		if st, err = store.Open(*storePath); err != nil {
			fmt.Fprintf(stderr, "aigcwatch incidents: %v\n", err)
			return exitFailed
		}
		defer st.Close()
	}
	if *unpark != "" {
		if st == nil {
			fmt.Fprintln(stderr, "aigcwatch incidents: --unpark works on a --store (with Kafka, replay the parking topic into the incidents topic)")
			return exitUsage
		}
		n, err := st.Unpark(ctx, *unpark)
		if err != nil {
			fmt.Fprintf(stderr, "aigcwatch incidents: %v\n", err)
			return exitFailed
		}
		fmt.Fprintf(stdout, "%d parked incidents of %s are back in the outbox\n", n, *unpark)
		return exitOK
	}
	if *parked {
		if st == nil {
			fmt.Fprintln(stderr, "aigcwatch incidents: --parked reads a --store (with Kafka, parked incidents are on the parking topic)")
			return exitUsage
		}
		ps, err := st.Parked(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "aigcwatch incidents: %v\n", err)
			return exitFailed
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PARKED AT\tRECEIVER\tINCIDENT\tATTEMPTS\tLAST ERROR")
		for _, p := range ps {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", p.At.UTC().Format(time.RFC3339), p.Receiver, p.ID, p.Attempts, p.Error)
		}
		tw.Flush()
		return exitOK
	}
	if *id != "" {
		var ev json.RawMessage
		if st != nil {
			ev, err = st.Get(ctx, *id)
		} else {
			err = getJSON(ctx, strings.TrimRight(*base, "/")+"/v1/incidents/"+url.PathEscape(*id), &ev)
		}
		if err != nil {
			fmt.Fprintf(stderr, "aigcwatch incidents: %v\n", err)
			return exitFailed
		}
		fmt.Fprintf(stdout, "%s\n", ev)
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	if !*asJSON {
		fmt.Fprintln(tw, "TIME\tID\tPROVIDER\tJURISDICTION\tAUTHORITY\tRULE\tLAYER\tSEVERITY\tDECISION")
	}
	n := 0
	for {
		var page store.Page
		if st != nil {
			page, err = st.Find(ctx, q)
		} else {
			v.Set("cursor", q.Cursor)
			if q.Cursor == "" {
				v.Del("cursor")
			}
			err = getJSON(ctx, strings.TrimRight(*base, "/")+"/v1/incidents?"+v.Encode(), &page)
		}
		if err != nil {
			fmt.Fprintf(stderr, "aigcwatch incidents: %v\n", err)
			return exitFailed
		}
		for _, ev := range page.Incidents {
			n++
			if *asJSON {
				fmt.Fprintf(stdout, "%s\n", ev)
				continue
			}
			s, err := incident.Summarize(ev)
			if err != nil {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Time.UTC().Format(time.RFC3339), s.ID, s.Provider, s.Jurisdiction, s.Authority, s.Rule, s.Layer, s.Severity, s.Decision)
		}
		if page.Next == "" || !*all {
			tw.Flush()
			if page.Next != "" {
				fmt.Fprintf(stderr, "more: --cursor %s (or --all)\n", page.Next)
			}
			break
		}
		q.Cursor = page.Next
	}
	if !*asJSON && n == 0 {
		fmt.Fprintln(stderr, "no incidents match")
	}
	return exitOK
}

func getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d: %s", u, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return json.Unmarshal(b, v)
}
