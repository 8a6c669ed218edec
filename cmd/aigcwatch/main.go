// Command aigcwatch is a streaming content-risk monitor for AI-generated content.
//
//	aigcwatch scan [FILE...]      judge JSONL records from files or stdin
//	aigcwatch run --config FILE   judge records streaming through Kafka
//	aigcwatch serve [flags]       inline moderation over HTTP
//	aigcwatch rules lint|test     check rule packs, run their example cases
//	aigcwatch providers --state F enforcement levels per provider (docs/enforcement.md)
//	aigcwatch inspect FILE...     content records from media files' labels and provenance
//	aigcwatch hash FILE...        PDQ perceptual hashes of images
//	aigcwatch deliver --routes F  deliver incidents to receivers (docs/incidents.md)
//	aigcwatch incidents [filters] list incidents from the history
//	aigcwatch receive             receive signed incident deliveries (docs/incidents.md)
//	aigcwatch version
//
// main only parses the command line and wires signals; the work is in package pipeline.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // the command itself failed
	exitUsage  = 2
	exitGate   = 3 // --fail-on threshold reached
)

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"scan", "judge JSONL content records from files (or stdin) and write verdicts", runScan},
		{"run", "consume records from Kafka, judge them and produce verdicts, incidents and dead letters", runRun},
		{"serve", "serve the inline moderation HTTP API: POST /v1/moderate, /v1/moderate/batch", runServe},
		{"rules", "lint rule packs or run their example cases (rules lint|test [DIR])", runRules},
		{"providers", "providers' enforcement levels, from a scan's --enforcement-state file or run's changelog topic", runProviders},
		{"inspect", "read implicit labels, IPTC source type and the C2PA manifest (integrity checked, not trust) from media files and documents and print content records", runInspect},
		{"hash", "print PDQ perceptual hashes of image files: pdq_hex quality path", func(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
			return runHash(ctx, args, stdout, stderr)
		}},
		{"deliver", "deliver incidents to the receivers of a routing file, from the incidents topic or an outbox", runDeliver},
		{"incidents", "list incidents from the history (a store file or a running aigcwatch's API), as a table or JSON", runIncidents},
		{"receive", "receive signed incident deliveries and append them to a file (receive --addr --secret-file --out)", runReceive},
		{"version", "print the version", runVersion},
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdin, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "aigcwatch: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "aigcwatch: content-risk monitor for AI-generated content\n\nUsage: aigcwatch COMMAND [flags] [args]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s  %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'aigcwatch COMMAND -h' for a command's flags.")
}
