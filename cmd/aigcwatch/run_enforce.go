package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/stream"
)

// runEnforcement is what `run` adds for responsive enforcement: the state of the
// providers this instance owns and the Enforcer that owns them (docs/enforcement.md,
// "Enforcement in aigcwatch run").
type runEnforcement struct {
	*stream.Enforcer
	state *enforce.State
}

// startEnforcement builds the enforcement state and Enforcer when cfg.Enforcement is on
// (nil otherwise), makes sure its topics exist and are usable, and tells r to observe
// its records. It does not start the Enforcer.
func startEnforcement(ctx context.Context, cfg stream.Config, r *stream.Runner, log *slog.Logger) (*runEnforcement, error) {
	if !cfg.Enforcement {
		return nil, nil
	}
	st, err := newEnforcement(&cfg.Pipeline, "")
	if err != nil {
		return nil, err
	}
	enf, err := stream.NewEnforcer(cfg, st, log)
	if err != nil {
		return nil, err
	}
	if err := enf.EnsureTopics(ctx); err != nil {
		return nil, err
	}
	r.SetEnforcement(st)
	enf.OnIncidentsAcked = r.CountIncidentsDelivered
	return &runEnforcement{Enforcer: enf, state: st}, nil
}

// API is GET /v1/providers[/{id}] over the providers this instance owns; nil when off.
// A provider this instance does not own is answered 404 with where to look instead.
func (e *runEnforcement) API() http.Handler {
	if e == nil {
		return nil
	}
	h := enforce.Handler(e.state)
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.HandleFunc("GET /v1/providers/{id}", func(w http.ResponseWriter, r *http.Request) {
		if id := r.PathValue("id"); len(e.state.Provider(id)) == 0 {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": fmt.Sprintf(
				"provider %q is not among the providers this instance owns (enforcement partitions %v): ask the other instances, or read them all with aigcwatch providers --changelog TOPIC",
				id, e.Owned())})
			return
		}
		h.ServeHTTP(w, r)
	})
	return mux
}

// followReloads rebuilds the ladders after each successful reload of the rules (a pack's
// enforcement section may have changed); providers keep their levels.
func (e *runEnforcement) followReloads(rl *pipeline.Reloader, cfg pipeline.Config, log *slog.Logger) {
	prev := rl.OnReload
	rl.OnReload = func(ok bool, checksum string) {
		if prev != nil {
			prev(ok, checksum)
		}
		if !ok {
			return
		}
		pols, err := cfg.Policies()
		if err == nil {
			e.state.SetPolicies(pols)
			return
		}
		log.Error("enforcement ladders not reloaded: the running ones stay", "component", "enforcement", "err", err)
	}
}
