package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
)

// DefaultAddr is where `aigcwatch run` serves /metrics, /healthz and /readyz by default:
// loopback only (exposing it is a deliberate choice), port 9464 (not Prometheus' 9090
// nor node_exporter's 9100).
const DefaultAddr = "127.0.0.1:9464"

// OpsHandler serves the operations endpoints of a long-running process:
//
//	/metrics  the exposition of g (OpenMetrics when the scraper asks for it)
//	/healthz  200 "ok" while the process serves HTTP at all (liveness)
//	/readyz   200 "ready" when ready returns nil, else 503 with its error (readiness)
//
// ready may be nil (always ready). `run` and `serve` mount the same handler.
func OpsHandler(g prometheus.Gatherer, ready func() error) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{EnableOpenMetrics: true, ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if ready != nil {
			if err := ready(); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprintf(w, "not ready: %v\n", err)
				return
			}
		}
		io.WriteString(w, "ready\n")
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "aigcwatch: /metrics /healthz /readyz\n")
	})
	return mux
}

// Serve listens on addr and serves h until ctx ends, then shuts the server down (bounded
// by 5 s). It returns once the listener is open (or failed to open) and the server runs
// in a goroutine; the returned wait function blocks until it stopped and returns its error.
// The actual address (addr may use port 0) is returned too.
func Serve(ctx context.Context, addr string, h http.Handler) (bound string, wait func() error, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("metrics: listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		done <- err
	}()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	return ln.Addr().String(), func() error {
		<-stopped
		return <-done
	}, nil
}

// WriteFile writes g's exposition to path in the text format node_exporter's textfile
// collector reads, atomically: to a temporary file in the same directory, synced, then
// renamed over path, so the collector never reads half a file. The file is 0644.
func WriteFile(g prometheus.Gatherer, path string) error {
	mfs, err := g.Gather()
	if err != nil {
		return fmt.Errorf("metrics: gather: %w", err)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("metrics: write %s: %w", path, err)
	}
	enc := expfmt.NewEncoder(f, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return fail(err)
		}
	}
	if err := f.Chmod(0o644); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("metrics: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("metrics: write %s: %w", path, err)
	}
	return nil
}
