package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"time"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("aigcwatch-loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c Config
	fs.StringVar(&c.URL, "url", "http://127.0.0.1:8080", "base URL of aigcwatch serve")
	fs.Float64Var(&c.Rate, "rate", 1000, "requests per second (open loop: sent on schedule whatever the answers)")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "how long to measure")
	fs.DurationVar(&c.Warmup, "warmup", 2*time.Second, "sent at the same rate first, not measured")
	fs.IntVar(&c.Batch, "batch", 1, "records per request: 1 posts /v1/moderate, more posts JSONL to /v1/moderate/batch")
	fs.IntVar(&c.TextBytes, "text-bytes", 500, "bytes of text in each record")
	tokenFile := fs.String("token-file", "", "read the bearer token from the first line of this file (else $AIGCWATCH_TOKEN)")
	fs.DurationVar(&c.Timeout, "timeout", 5*time.Second, "per-request timeout")
	fs.IntVar(&c.MaxOutstanding, "max-outstanding", 10000, "requests in flight at most; later ones are counted as skipped")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	u, err := url.Parse(c.URL)
	if err != nil || u.Host == "" {
		fmt.Fprintf(stderr, "aigcwatch-loadgen: --url %q: want http(s)://host:port\n", c.URL)
		return 2
	}
	c.Token = os.Getenv("AIGCWATCH_TOKEN")
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			fmt.Fprintf(stderr, "aigcwatch-loadgen: %v\n", err)
			return 2
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				c.Token = l
				break
			}
		}
	}
	if os.Getenv("GOMAXPROCS") == "" {
		// The pacer keeps a P while it sleeps in the kernel (pace_linux.go); one P more
		// than the CPUs leaves the senders as many as they would have had.
		runtime.GOMAXPROCS(runtime.NumCPU() + 1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := Run(ctx, c)
	if err != nil {
		fmt.Fprintf(stderr, "aigcwatch-loadgen: %v\n", err)
		return 2
	}
	if *asJSON {
		fmt.Fprintf(stdout, "%s\n", rep.JSON())
	} else {
		rep.WriteText(stdout)
	}
	if rep.OK == 0 {
		return 1
	}
	return 0
}
