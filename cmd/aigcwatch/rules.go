package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/rules"
)

func runRules(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "lint" && args[0] != "test") {
		fmt.Fprintln(stderr, "Usage: aigcwatch rules lint|test [flags] [DIR|FILE]\n\n  lint  load and type-check packs without running them\n  test  run every pack's example cases with the real detectors")
		if len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			return exitOK // asked for, as every other command's -h
		}
		return exitUsage
	}
	sub := args[0]
	cfg := pipeline.DefaultConfig
	fs := newFlagSet("rules "+sub, "[DIR|FILE]  (default: the embedded packs)", stderr)
	configFlags(fs, &cfg)
	verbose := fs.Bool("v", false, "list every example, not only failures")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if len(pos) > 1 {
		fmt.Fprintln(stderr, "aigcwatch rules: at most one DIR or FILE")
		return exitUsage
	}
	if len(pos) == 1 {
		cfg.Rules = pos[0]
	}
	where := cfg.Rules
	if where == "" {
		where = "embedded packs"
	}
	e, packs, err := cfg.LoadEngine()
	if err != nil {
		fmt.Fprintf(stderr, "aigcwatch rules %s: %s: %v\n", sub, where, err)
		return exitFailed
	}
	if sub == "lint" {
		return lint(stdout, e, packs, where)
	}
	det, err := cfg.BuildDetectors()
	if err != nil {
		fmt.Fprintf(stderr, "aigcwatch rules test: %v\n", err)
		return exitFailed
	}
	results := rules.RunExamples(ctx, e, packs, det, time.Now())
	passed, failed := 0, 0
	for _, r := range results {
		if len(r.Failures) == 0 {
			passed++
			if *verbose {
				fmt.Fprintf(stdout, "ok    %s: %s\n", r.File, r.Name)
			}
			continue
		}
		failed++
		fmt.Fprintf(stdout, "FAIL  %s: %s: %s\n", r.File, r.Name, strings.Join(r.Failures, "; "))
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 || passed == 0 {
		return exitFailed
	}
	return exitOK
}

func lint(w io.Writer, e *rules.Engine, packs []*rules.Pack, where string) int {
	examples := 0
	for _, p := range packs {
		examples += len(p.Examples)
		if len(p.Examples) == 0 && len(p.Rules) > 0 {
			fmt.Fprintf(w, "warning: %s: pack %q has no example cases\n", p.File, p.Name)
		}
	}
	for _, pr := range e.Warnings() {
		fmt.Fprintf(w, "warning: %s\n", pr)
	}
	fmt.Fprintf(w, "%s: %d packs, %d rules, %d examples, jurisdictions %s: ok\n", where, len(packs), len(e.Rules()), examples, strings.Join(e.Jurisdictions(), " "))
	fmt.Fprintf(w, "ruleset checksum %s\n", e.Info().Checksum)
	return lintEnforcement(w, packs)
}
