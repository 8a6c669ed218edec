package main

import (
	"context"
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
func (e *runEnforcement) API() http.Handler {
	if e == nil {
		return nil
	}
	return enforce.Handler(e.state)
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
		packs, err := cfg.LoadPacks()
		if err == nil {
			var pols *enforce.Policies
			if pols, err = enforce.NewPolicies(packs); err == nil {
				e.state.SetPolicies(pols)
				return
			}
		}
		log.Error("enforcement ladders not reloaded: the running ones stay", "component", "enforcement", "err", err)
	}
}
