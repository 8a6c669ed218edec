package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aigcwatch/aigcwatch/incident/deliver"
	"github.com/aigcwatch/aigcwatch/incident/route"
	"github.com/aigcwatch/aigcwatch/incident/store"
)

// outboxWriter turns scan's incident output (whole JSONL lines per Write) into outbox
// entries: each Write returns once its incidents are on disk.
type outboxWriter struct {
	ctx  context.Context
	sink store.Sink
	rest []byte
}

func (w *outboxWriter) Write(p []byte) (int, error) {
	w.rest = append(w.rest, p...)
	end := bytes.LastIndexByte(w.rest, '\n')
	if end < 0 {
		return len(p), nil
	}
	var events [][]byte
	for _, line := range bytes.Split(w.rest[:end], []byte{'\n'}) {
		if len(bytes.TrimSpace(line)) > 0 {
			events = append(events, bytes.Clone(line))
		}
	}
	w.rest = append(w.rest[:0], w.rest[end+1:]...)
	if err := w.sink.Put(w.ctx, events); err != nil {
		return 0, fmt.Errorf("outbox: %w", err)
	}
	return len(p), nil
}

// scanOutbox is scan's outbox: opened before judging, drained after.
type scanOutbox struct {
	st     *store.Store
	routes *route.Tree
	sink   *store.GroupSink
}

func openScanOutbox(path, routesPath string) (*scanOutbox, error) {
	var tree *route.Tree
	if routesPath != "" {
		var err error
		if tree, err = route.Load(routesPath); err != nil {
			return nil, err
		}
	}
	st, err := store.Open(path)
	if err != nil {
		return nil, err
	}
	return &scanOutbox{st: st, routes: tree}, nil
}

func (o *scanOutbox) writer(ctx context.Context) io.Writer {
	o.sink = store.NewSink(o.st, func() *route.Tree { return o.routes })
	return &outboxWriter{ctx: ctx, sink: o.sink}
}

func (o *scanOutbox) close() {
	if o.sink != nil {
		o.sink.Close()
	}
	o.st.Close()
}

// drain delivers the outbox for at most timeout; what is left stays for `aigcwatch
// deliver --outbox`. It reports what it did on stderr.
func (o *scanOutbox) drain(ctx context.Context, timeout time.Duration, outboxPath, routesPath string, stderr io.Writer, quiet bool) error {
	if o.routes == nil || timeout <= 0 {
		return nil
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := o.st.Deliver(dctx, deliver.Options{Tree: func() *route.Tree { return o.routes }, Log: log}, true)
	left, perr := o.st.Pending(ctx)
	n := 0
	for _, c := range left {
		n += c
	}
	switch {
	case perr != nil:
		return perr
	case n > 0:
		fmt.Fprintf(stderr, "aigcwatch scan: %d incident deliveries still pending after %v; they are kept in %s: run aigcwatch deliver --outbox %s --routes %s --until-empty\n",
			n, timeout, outboxPath, outboxPath, routesPath)
	case err != nil && !errors.Is(err, context.DeadlineExceeded):
		return err
	case !quiet:
		fmt.Fprintf(stderr, "aigcwatch scan: incidents delivered (or parked: see aigcwatch incidents --parked --store %s)\n", outboxPath)
	}
	return nil
}
