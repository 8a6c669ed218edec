package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ServerOptions configure Run.
type ServerOptions struct {
	TLSCert, TLSKey string        // both set: HTTPS
	ShutdownTimeout time.Duration // how long a shutdown waits for in-flight requests
	RequestTimeout  time.Duration // bounds reading a request and writing its answer (with margin)
	Log             *slog.Logger
}

// Run serves h on ln until ctx ends, then shuts down gracefully: /readyz turns 503, the
// listener closes, in-flight requests finish (for at most ShutdownTimeout, after which
// the remaining connections are closed and it says so). It returns nil after a clean
// shutdown.
func Run(ctx context.Context, ln net.Listener, h *Handler, opt ServerOptions) error {
	log := opt.Log
	if log == nil {
		log = slog.Default()
	}
	rt := opt.RequestTimeout
	if rt <= 0 {
		rt = 5 * time.Second
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       rt + 5*time.Second,
		WriteTimeout:      rt + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.With("component", "http").Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() {
		var err error
		if opt.TLSCert != "" {
			err = srv.ServeTLS(ln, opt.TLSCert, opt.TLSKey)
		} else {
			err = srv.Serve(ln)
		}
		errc <- err
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	h.SetDraining()
	log.Info("shutting down: finishing in-flight requests", "component", "serve", "timeout", opt.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), opt.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	<-errc // http.ErrServerClosed
	if err != nil {
		srv.Close()
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("serve: shutdown_timeout %v passed with requests in flight; their connections were closed, their clients see errors and may retry", opt.ShutdownTimeout)
		}
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	log.Info("stopped", "component", "serve")
	return nil
}
