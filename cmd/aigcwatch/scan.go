package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/rules"
)

func runScan(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg := pipeline.DefaultConfig
	fs := newFlagSet("scan", "[FILE...]  (stdin when no file or -)", stderr)
	configFlags(fs, &cfg)
	out := fs.String("out", "", "write verdicts (JSONL) to this file instead of stdout")
	incidents := fs.String("incidents", "", "write incidents (CloudEvents JSONL) to this file (default: counted, not written)")
	dlq := fs.String("dlq", "", "write rejected lines (JSONL with line number, reason and original) to this file (default: stderr)")
	failOn := fs.String("fail-on", "", "exit with status 3 if any verdict is at least this decision: label, review or block")
	workers := fs.Int("workers", 0, "parallel workers (0: one per CPU)")
	quiet := fs.Bool("quiet", false, "no summary and no progress bar on stderr")
	metricsFile := fs.String("metrics-file", "", "at the end, write Prometheus metrics to this file, atomically, for node_exporter's textfile collector (docs/observability.md)")
	enforcement := fs.Bool("enforcement", true, "place providers on their enforcement ladders: incidents carry the level they warrant, level changes are written with the incidents (docs/enforcement.md)")
	stateFile := fs.String("enforcement-state", "", "continue the enforcement history kept in this file, and save it there (atomically) at the end")
	outboxPath := fs.String("outbox", "", "keep incidents in this store (history and, with --routes, the outbox) before their verdicts are written")
	routesPath := fs.String("routes", "", "with --outbox: deliver incidents to the receivers of this routing file after the scan (docs/incidents.md)")
	deliverTimeout := fs.Duration("deliver-timeout", 30*time.Second, "with --routes: how long to deliver after the scan; the rest stays in the outbox")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	var gate rules.Decision
	if *failOn != "" {
		if gate, err = rules.ParseDecision(*failOn); err != nil || gate == rules.Allow {
			fmt.Fprintf(stderr, "aigcwatch scan: --fail-on %q: want label, review or block\n", *failOn)
			return exitUsage
		}
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	if *routesPath != "" && *outboxPath == "" {
		fmt.Fprintln(stderr, "aigcwatch scan: --routes needs --outbox (incidents are delivered from it)")
		return exitUsage
	}
	var ob *scanOutbox
	if *outboxPath != "" {
		if ob, err = openScanOutbox(*outboxPath, *routesPath); err != nil {
			fmt.Fprintf(stderr, "aigcwatch scan: %v\n", err)
			return exitUsage
		}
		defer ob.close()
	}
	p, err := pipeline.Build(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "aigcwatch scan: %v\n", err)
		return exitFailed
	}
	var sm *scanMetrics
	if *metricsFile != "" {
		if sm, err = newScanMetrics(p); err != nil {
			fmt.Fprintf(stderr, "aigcwatch scan: %v\n", err)
			return exitFailed
		}
	}
	if _, dev, _ := cfg.PseudonymKey(); dev && *incidents != "" && !*quiet {
		fmt.Fprintln(stderr, "aigcwatch scan: warning: accounts in incidents are pseudonymised with the public development key; set AIGCWATCH_PSEUDONYM_KEY in production")
	}

	var closers []func() error
	open := func(path string, def io.Writer) (io.Writer, error) {
		if path == "" {
			return def, nil
		}
		f, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		closers = append(closers, func() error { return errors.Join(bw.Flush(), f.Close()) })
		return bw, nil
	}
	bufOut := bufio.NewWriterSize(stdout, 1<<20)
	opt := pipeline.ScanOptions{Workers: *workers}
	if cfg.AutoBankLabeled {
		// Auto-banking makes a verdict depend on the records judged before it: judge them in
		// input order, on one worker, so a scan stays reproducible.
		opt.Workers = 1
	}
	esc, deesc := 0, 0
	if *stateFile != "" && !*enforcement {
		fmt.Fprintln(stderr, "aigcwatch scan: --enforcement-state needs --enforcement")
		return exitUsage
	}
	if *enforcement {
		if opt.Enforcement, err = newEnforcement(&cfg, *stateFile); err != nil {
			fmt.Fprintf(stderr, "aigcwatch scan: %v\n", err)
			return exitFailed
		}
		if sm != nil {
			if err := sm.enforcement(opt.Enforcement); err != nil {
				fmt.Fprintf(stderr, "aigcwatch scan: %v\n", err)
				return exitFailed
			}
		}
		opt.EnforcementChanges = func(c enforce.Change) {
			if c.Direction == enforce.Escalate {
				esc++
			} else {
				deesc++
			}
		}
	}
	var werr error
	if opt.Verdicts, werr = open(*out, bufOut); werr == nil {
		if opt.Incidents, werr = open(*incidents, nil); werr == nil {
			opt.DLQ, werr = open(*dlq, stderr)
		}
	}
	if ob != nil {
		if opt.Incidents == nil {
			opt.Incidents = ob.writer(ctx)
		} else {
			opt.Incidents = io.MultiWriter(ob.writer(ctx), opt.Incidents)
		}
	}
	status := exitOK
	var sum pipeline.Summary
	if werr != nil {
		fmt.Fprintf(stderr, "aigcwatch scan: %v\n", werr)
		status = exitFailed
	} else {
		for _, f := range files {
			if err := scanOne(ctx, p, f, stdin, stderr, opt, &sum, *quiet); err != nil {
				fmt.Fprintf(stderr, "aigcwatch scan: %v\n", err)
				status = exitFailed
				break
			}
		}
	}
	if err := bufOut.Flush(); err != nil && status == exitOK {
		fmt.Fprintf(stderr, "aigcwatch scan: %v\n", err)
		status = exitFailed
	}
	for _, c := range closers {
		if err := c(); err != nil && status == exitOK {
			fmt.Fprintf(stderr, "aigcwatch scan: %v\n", err)
			status = exitFailed
		}
	}
	if opt.Enforcement != nil && *stateFile != "" && status == exitOK {
		if err := opt.Enforcement.SaveFile(*stateFile); err != nil {
			fmt.Fprintf(stderr, "aigcwatch scan: %v\n", err)
			status = exitFailed
		}
	}
	if sm != nil {
		if err := sm.write(*metricsFile, status == exitOK); err != nil {
			fmt.Fprintf(stderr, "aigcwatch scan: %v\n", err)
			status = exitFailed
		}
	}
	if !*quiet {
		fmt.Fprintln(stderr)
		sum.WriteTable(stderr)
		if opt.Enforcement != nil {
			enforcementSummary(stderr, opt.Enforcement, esc, deesc, *stateFile)
		}
	}
	if ob != nil && status == exitOK {
		if err := ob.drain(ctx, *deliverTimeout, *outboxPath, *routesPath, stderr, *quiet); err != nil {
			fmt.Fprintf(stderr, "aigcwatch scan: delivering: %v\n", err)
			status = exitFailed
		}
	}
	if status == exitOK && gate != rules.Allow && sum.Worst() >= gate {
		if !*quiet {
			fmt.Fprintf(stderr, "\n--fail-on %s: at least one verdict was %s\n", gate, sum.Worst())
		}
		return exitGate
	}
	return status
}

func scanOne(ctx context.Context, p *pipeline.Processor, path string, stdin io.Reader, stderr io.Writer, opt pipeline.ScanOptions, sum *pipeline.Summary, quiet bool) error {
	opt.Source = path
	var in io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
		if st, err := f.Stat(); err == nil && !quiet && isTerminal(stderr) && st.Size() > 0 {
			opt.Progress = progressBar(stderr, path, st.Size())
			defer fmt.Fprintln(stderr)
		}
	}
	return p.Scan(ctx, in, opt, sum)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func progressBar(w io.Writer, name string, total int64) func(int64) {
	start := time.Now()
	return func(read int64) {
		frac := min(float64(read)/float64(total), 1)
		const width = 30
		n := int(frac * width)
		bar := make([]byte, width)
		for i := range bar {
			bar[i] = '.'
			if i < n {
				bar[i] = '#'
			}
		}
		rate := float64(read) / 1e6 / max(time.Since(start).Seconds(), 1e-9)
		fmt.Fprintf(w, "\r%s [%s] %5.1f%% %.1f MB/s", name, bar, 100*frac, rate)
	}
}
