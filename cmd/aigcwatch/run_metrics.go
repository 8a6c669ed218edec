package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/metrics"
	"github.com/aigcwatch/aigcwatch/pipeline/stream"
)

// serveRunMetrics instruments p and r on a registry of their own and serves /metrics,
// /healthz and /readyz on cfg.MetricsAddr until ctx ends (the server goroutine joins wg).
// Ready means the group was joined and a generation is held and, with a banks topic, the
// banks were read up to the end they had at start; the rules are loaded before this is called.
func serveRunMetrics(ctx context.Context, cfg *stream.Config, p *pipeline.Processor, r *stream.Runner, banks *stream.Banks, camps *stream.Campaigns, rl *pipeline.Reloader, incidents *runIncidentsSide, enf *runEnforcement, wg *sync.WaitGroup, log *slog.Logger) error {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{TopProviders: cfg.MetricsTopProviders, Version: version, Runtime: true})
	if err != nil {
		return err
	}
	p.SetObserver(m.Observer())
	m.SetRuleset(p.Engine())
	rl.OnReload = m.ReloadHook(p)
	if err := r.RegisterMetrics(reg); err != nil {
		return err
	}
	if banks != nil {
		if err := banks.RegisterMetrics(reg); err != nil {
			return err
		}
	}
	if camps != nil {
		if err := camps.RegisterMetrics(reg); err != nil {
			return err
		}
	}
	if cfg.Pipeline.AutoBankLabeled {
		if err := metrics.RegisterAutoBank(reg, p); err != nil {
			return err
		}
	}
	if enf != nil {
		if err := m.RegisterEnforcement(reg, enf.state); err != nil {
			return err
		}
		if err := enf.RegisterMetrics(reg); err != nil {
			return err
		}
	}
	ready := func() error {
		if banks != nil {
			select {
			case <-banks.Ready():
			default:
				return errors.New("the banks topic is not read up to its end yet")
			}
		}
		if enf != nil {
			if err := enf.Ready(); err != nil {
				return err
			}
		}
		return r.Ready()
	}
	// One listener: the ops endpoints, with the delivery, routing and history metrics of
	// the incidents side beside the judging ones, and the incident history API.
	h := metrics.OpsHandler(prometheus.Gatherers{reg, incidents.Registry}, ready)
	endpoints := "/metrics /healthz /readyz"
	if api, papi := incidents.API(), enf.API(); api != nil || papi != nil {
		mux := http.NewServeMux()
		mux.Handle("/", h)
		if api != nil {
			mux.Handle("/v1/incidents", api)
			mux.Handle("/v1/incidents/", api)
			endpoints += " /v1/incidents"
		}
		if papi != nil {
			mux.Handle("/v1/providers", papi)
			mux.Handle("/v1/providers/", papi)
			endpoints += " /v1/providers"
		}
		h = mux
	}
	addr, wait, err := metrics.Serve(ctx, cfg.MetricsAddr, h)
	if err != nil {
		return err
	}
	log.Info("serving metrics", "component", "run", "addr", addr, "endpoints", endpoints)
	wg.Go(func() {
		if err := wait(); err != nil {
			log.Error("metrics listener stopped", "component", "run", "err", err)
		}
	})
	return nil
}
