package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/serve"
)

// serveEnforcementEvery is how often serve de-escalates providers that stopped sending
// and saves its enforcement state file.
const serveEnforcementEvery = time.Minute

// providersAPI is GET /v1/providers[/{id}] over st; nil without enforcement.
func providersAPI(st *enforce.State) http.Handler {
	if st == nil {
		return nil
	}
	return enforce.Handler(st)
}

// keepServeEnforcement de-escalates silent providers (at the wall clock: serve judges
// live traffic) and saves the state file, every serveEnforcementEvery until ctx ends.
// The level changes of a sweep go to the incident sink like those of requests (retried
// for a minute; then logged with their ids).
func keepServeEnforcement(ctx context.Context, st *enforce.State, sink serve.IncidentSink, path string, log *slog.Logger) {
	t := time.NewTicker(serveEnforcementEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		changes := st.Sweep(time.Time{})
		for _, c := range changes {
			log.Info("provider de-escalated after a compliant period", "component", "enforcement", "provider", c.Provider,
				"jurisdiction", c.Jurisdiction, "from", c.From.Name, "to", c.To.Name, "id", c.ID)
		}
		if evs := st.Events(changes); len(evs) > 0 {
			var err error
			for attempt := 0; attempt < 12; attempt++ {
				if err = sink.WriteIncidents(ctx, evs); err == nil || ctx.Err() != nil {
					break
				}
				time.Sleep(5 * time.Second)
			}
			if err != nil {
				ids := make([]string, len(evs))
				for i, ev := range evs {
					ids[i] = ev.ID
				}
				log.Error("level changes not written to the incident sink (they are in /v1/providers and the state file)", "component", "enforcement", "ids", ids, "err", err)
			}
		}
		saveServeEnforcement(st, path, log)
	}
}

// saveServeEnforcement saves st to path ("" = nothing to save), logging a failure.
func saveServeEnforcement(st *enforce.State, path string, log *slog.Logger) {
	if path == "" {
		return
	}
	if err := st.SaveFile(path); err != nil {
		log.Error("saving the enforcement state; the previous file stays", "component", "enforcement", "path", path, "err", err)
	}
}
