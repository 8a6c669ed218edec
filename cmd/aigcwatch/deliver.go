package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/aigcwatch/aigcwatch/incident/deliver"
	"github.com/aigcwatch/aigcwatch/incident/route"
	"github.com/aigcwatch/aigcwatch/incident/store"
	"github.com/aigcwatch/aigcwatch/pipeline/stream"
)

// runDeliver delivers incidents to the receivers of a routing file: from the incidents
// topic (one consumer group per receiver), or from an on-disk outbox without Kafka.
func runDeliver(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("deliver", "", stderr)
	kc := deliver.DefaultKafkaConfig
	routesPath := fs.String("routes", "", "routing file: receivers and routes (docs/incidents.md; required)")
	brokers := fs.String("brokers", strings.Join(kc.Brokers, ","), "Kafka bootstrap brokers, comma-separated")
	fs.StringVar(&kc.Topic, "topic", kc.Topic, "incidents topic to deliver from")
	fs.StringVar(&kc.GroupPrefix, "group-prefix", kc.GroupPrefix, "consumer groups are PREFIX.RECEIVER, one per receiver")
	fs.StringVar(&kc.ParkingTopic, "parking-topic", kc.ParkingTopic, "topic of undeliverable incidents (with their last error in headers)")
	fs.IntVar(&kc.MaxInFlight, "max-in-flight", kc.MaxInFlight, "incidents fetched and not yet delivered, per receiver")
	fs.Var(choiceFlag{&kc.StartOffset, []string{"first", "last"}}, "start-offset", "where a receiver's group that never committed starts: first (every incident the topic holds) or last (new ones)")
	statePath := fs.String("state", "aigcwatch-deliver.db", "store (SQLite) of delivered ids, so none is delivered twice to a receiver, and of the history")
	outbox := fs.String("outbox", "", "deliver from this outbox (the store written by scan --outbox or serve) instead of Kafka")
	untilEmpty := fs.Bool("until-empty", false, "with --outbox: exit once the outbox is empty (delivered or parked)")
	history := fs.Bool("history", false, "also keep every incident of the topic in the store's history (aigcwatch incidents, GET /v1/incidents)")
	historyGroup := fs.String("history-group", "", "consumer group of the history reader: one per instance (default aigcwatch-history-HOSTNAME-HASH of --state)")
	fs.StringVar(&kc.DeliveredTopic, "delivered-topic", "", "compacted topic sharing delivered ids between deliver processes, so a rebalance does not resend (docs/incidents.md); empty: per process")
	retention := fs.Duration("retention", 90*24*time.Hour, "history retention: older incidents and delivery records are pruned hourly")
	listen := fs.String("listen", "", "serve /metrics and /v1/incidents on this address (host:port)")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if *routesPath == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "aigcwatch deliver: --routes FILE is required, and no arguments")
		return exitUsage
	}
	lvl, err := stream.ParseLevel(*level)
	if err != nil {
		fmt.Fprintf(stderr, "aigcwatch deliver: %v\n", err)
		return exitUsage
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	kc.Brokers = strings.Split(*brokers, ",")
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	routes, err := route.NewHolder(*routesPath, reg, log)
	if err != nil {
		fmt.Fprintf(stderr, "aigcwatch deliver: %v\n", err)
		return exitUsage
	}
	path := *statePath
	if *outbox != "" {
		path = *outbox
	}
	st, err := store.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "aigcwatch deliver: %v\n", err)
		return exitFailed
	}
	defer st.Close()
	reg.MustRegister(st.Collector())
	opts := deliver.Options{Tree: routes.Tree, Dedup: st, Parker: st, Log: log, Metrics: deliver.NewMetrics(reg)}

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	wg.Go(func() {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			if n, err := st.Prune(ctx, time.Now().Add(-*retention)); err != nil && ctx.Err() == nil {
				log.Warn("pruning the history", "component", "deliver", "err", err)
			} else if n > 0 {
				log.Info("history pruned", "component", "deliver", "incidents", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-hup:
				_ = routes.Reload() // logged; the running routes stay on failure
			case <-t.C:
			}
		}
	})
	if *listen != "" {
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			fmt.Fprintf(stderr, "aigcwatch deliver: %v\n", err)
			return exitFailed
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		h := st.Handler()
		mux.Handle("/v1/incidents", h)
		mux.Handle("/v1/incidents/", h)
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		wg.Go(func() { _ = srv.Serve(ln) })
		wg.Go(func() {
			<-ctx.Done()
			sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
			defer c()
			_ = srv.Shutdown(sctx)
		})
		fmt.Fprintf(stdout, "serving /metrics and /v1/incidents on http://%s\n", ln.Addr())
	}

	if *outbox != "" {
		log.Info("delivering from the outbox", "component", "deliver", "outbox", *outbox, "receivers", routes.Tree().Names)
		err := st.Deliver(ctx, opts, *untilEmpty)
		if err != nil && !errors.Is(err, context.Canceled) {
			log.Error("delivery stopped", "component", "deliver", "err", err)
			return exitFailed
		}
		return exitOK
	}
	parker := deliver.NewKafkaParker(kc)
	defer parker.Close()
	opts.Parker = parker
	if *history {
		group := *historyGroup
		if group == "" {
			group = instanceGroup("aigcwatch-history", path)
		}
		wg.Go(func() { _ = deliver.ConsumeInto(ctx, kc, group, st.Insert, log) })
	}
	if kc.DeliveredTopic != "" {
		shared := deliver.NewSharedDedup(kc, st)
		defer shared.Close()
		opts.Dedup = shared
		wg.Go(func() { _ = deliver.ConsumeDelivered(ctx, kc, instanceGroup("aigcwatch-delivered", path), st, log) })
	}
	log.Info("delivering from the incidents topic", "component", "deliver", "topic", kc.Topic, "receivers", routes.Tree().Names, "groups", kc.GroupPrefix+".RECEIVER")
	_ = deliver.RunKafka(ctx, kc, opts)
	return exitOK
}

// instanceGroup names a consumer group of this process alone: prefix, the host name and a
// hash of the store's absolute path (two processes on one host have two stores).
func instanceGroup(prefix, storePath string) string {
	host, _ := os.Hostname()
	abs, err := filepath.Abs(storePath)
	if err != nil {
		abs = storePath
	}
	sum := sha256.Sum256([]byte(abs))
	return prefix + "-" + host + "-" + hex.EncodeToString(sum[:4])
}
