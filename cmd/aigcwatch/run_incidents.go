package main

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aigcwatch/aigcwatch/incident/deliver"
	"github.com/aigcwatch/aigcwatch/incident/route"
	"github.com/aigcwatch/aigcwatch/incident/store"
	"github.com/aigcwatch/aigcwatch/pipeline/stream"
)

// runIncidentsSide is what `run` adds for incidents beside judging: the history store
// filled from the incidents topic and delivery to the receivers of the routing file.
// Every part is optional; the zero value does nothing.
type runIncidentsSide struct {
	routes *route.Holder
	store  *store.Store
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// Registry holds the delivery, routing and store metrics. Merge note: when run has a
	// metrics registry of its own, register on that one instead.
	Registry *prometheus.Registry
}

// API is the history API (GET /v1/incidents, GET /v1/incidents/{id}) to mount on run's
// HTTP listener at /v1/incidents and /v1/incidents/; nil without incidents_store.
func (s *runIncidentsSide) API() http.Handler {
	if s == nil || s.store == nil {
		return nil
	}
	return s.store.Handler()
}

// Reload reloads the routing file (SIGHUP); a bad file keeps the running routes.
func (s *runIncidentsSide) Reload() {
	if s != nil && s.routes != nil {
		_ = s.routes.Reload()
	}
}

// Close stops the history reader and delivery (what is not acknowledged is read again
// by the next run), waits for them and closes the store.
func (s *runIncidentsSide) Close() {
	if s == nil || s.store == nil {
		return
	}
	s.cancel()
	s.wg.Wait()
	s.store.Close()
}

// startIncidents starts the history reader (incidents_store) and delivery (routes) for
// cfg; they run until ctx ends or Close. It returns at once.
func startIncidents(ctx context.Context, cfg stream.Config, log *slog.Logger) (*runIncidentsSide, error) {
	side := &runIncidentsSide{Registry: prometheus.NewRegistry()}
	if cfg.IncidentsStore == "" {
		return side, nil
	}
	ctx, side.cancel = context.WithCancel(ctx)
	wg := &side.wg
	var err error
	if cfg.Routes != "" {
		if side.routes, err = route.NewHolder(cfg.Routes, side.Registry, log); err != nil {
			return nil, err
		}
	}
	if side.store, err = store.Open(cfg.IncidentsStore); err != nil {
		return nil, err
	}
	side.Registry.MustRegister(side.store.Collector())
	kc := deliver.KafkaConfig{Brokers: cfg.Brokers, Topic: cfg.IncidentsTopic, GroupPrefix: cfg.DeliveryGroupPrefix,
		ParkingTopic: cfg.ParkingTopic, ClientID: cfg.ClientID + "-deliver", SessionTimeout: cfg.SessionTimeout,
		StartOffset: cfg.StartOffset} // a new receiver's group starts where new input groups do
	kc.DeliveredTopic = cfg.DeliveredTopic
	group := cfg.HistoryGroup
	if group == "" {
		group = instanceGroup("aigcwatch-history", cfg.IncidentsStore)
	}
	wg.Go(func() { _ = deliver.ConsumeInto(ctx, kc, group, side.store.Insert, log) })
	wg.Go(func() {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			if _, err := side.store.Prune(ctx, time.Now().Add(-cfg.IncidentsRetention)); err != nil && ctx.Err() == nil {
				log.Warn("pruning the incident history", "component", "history", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	if side.routes != nil {
		parker := deliver.NewKafkaParker(kc)
		opts := deliver.Options{Tree: side.routes.Tree, Dedup: side.store, Parker: parker, Log: log, Metrics: deliver.NewMetrics(side.Registry)}
		var shared *deliver.SharedDedup
		if kc.DeliveredTopic != "" {
			shared = deliver.NewSharedDedup(kc, side.store)
			opts.Dedup = shared
			wg.Go(func() {
				_ = deliver.ConsumeDelivered(ctx, kc, instanceGroup("aigcwatch-delivered", cfg.IncidentsStore), side.store, log)
			})
		}
		wg.Go(func() {
			defer parker.Close()
			if shared != nil {
				defer shared.Close()
			}
			_ = deliver.RunKafka(ctx, kc, opts)
		})
		log.Info("delivering incidents", "component", "run", "receivers", side.routes.Tree().Names, "routes", cfg.Routes)
	}
	return side, nil
}
