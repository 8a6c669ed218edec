package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/aigcwatch/aigcwatch/incident/webhook"
)

// runReceive is a small receiver for signed incident deliveries: what a regulator runs to
// try delivery end to end (docs/incidents.md).
func runReceive(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("receive", "", stderr)
	addr := fs.String("addr", "127.0.0.1:8099", "listen address, host:port")
	secretFile := fs.String("secret-file", "", "file of signing secrets, one a line: whsec_<base64 key> (required)")
	out := fs.String("out", "", "append each new event, one JSON a line, to this file (required)")
	tolerance := fs.Duration("tolerance", webhook.DefaultTolerance, "replay window: refuse timestamps further than this from the clock")
	certFile := fs.String("tls-cert", "", "serve HTTPS with this certificate (PEM; with --tls-key)")
	keyFile := fs.String("tls-key", "", "the certificate's private key (PEM)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if *secretFile == "" || *out == "" || fs.NArg() > 0 || (*certFile == "") != (*keyFile == "") {
		fmt.Fprintln(stderr, "aigcwatch receive: --secret-file and --out are required (--tls-cert and --tls-key together), and no arguments")
		return exitUsage
	}
	b, err := os.ReadFile(*secretFile)
	if err != nil {
		fmt.Fprintf(stderr, "aigcwatch receive: %v\n", err)
		return exitUsage
	}
	secrets, err := webhook.ParseSecrets(b)
	if err != nil {
		fmt.Fprintf(stderr, "aigcwatch receive: %s: %v\n", *secretFile, err)
		return exitUsage
	}
	f, err := os.OpenFile(*out, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintf(stderr, "aigcwatch receive: %v\n", err)
		return exitFailed
	}
	defer f.Close()
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if cut, err := cutTornTail(f); err != nil {
		fmt.Fprintf(stderr, "aigcwatch receive: %s: %v\n", *out, err)
		return exitFailed
	} else if cut > 0 {
		// A line without its newline was being written when the process died; its request
		// got no 2xx, so the sender sends it again.
		log.Warn("removed a torn last line (its request was not acknowledged and will be sent again)", "component", "receive", "bytes", cut)
	}
	in := webhook.NewInbox(f, secrets)
	in.Tolerance, in.Log, in.Sync = *tolerance, log, f.Sync
	n, err := in.Load(f)
	if err != nil {
		fmt.Fprintf(stderr, "aigcwatch receive: %s: %v\n", *out, err)
		return exitFailed
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "aigcwatch receive: %v\n", err)
		return exitFailed
	}
	mux := http.NewServeMux()
	mux.Handle("POST /{$}", in)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	if *certFile != "" {
		scheme = "https"
	}
	fmt.Fprintf(stdout, "receiving on %s://%s/ (%d events already in %s)\n", scheme, ln.Addr(), n, *out)
	errc := make(chan error, 1)
	go func() {
		if *certFile != "" {
			errc <- srv.ServeTLS(ln, *certFile, *keyFile)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "aigcwatch receive: %v\n", err)
		return exitFailed
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	s := in.Stats()
	fmt.Fprintf(stdout, "received %d requests: %d events written, %d redeliveries acknowledged\n", s.Requests, s.Written, s.Duplicates)
	return exitOK
}

// cutTornTail truncates f after its last newline and returns how many bytes it removed.
func cutTornTail(f *os.File) (int64, error) {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return 0, err
	}
	size := st.Size()
	buf := make([]byte, 64<<10)
	for end := size; end > 0; {
		start := max(end-int64(len(buf)), 0)
		n, err := f.ReadAt(buf[:end-start], start)
		if err != nil && n < int(end-start) {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			keep := start + int64(i) + 1
			if keep == size {
				return 0, nil
			}
			return size - keep, f.Truncate(keep)
		}
		end = start
	}
	return size, f.Truncate(0)
}
