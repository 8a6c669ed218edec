package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/engine"
	"github.com/aigcwatch/aigcwatch/incident/deliver"
	"github.com/aigcwatch/aigcwatch/incident/route"
	"github.com/aigcwatch/aigcwatch/incident/store"
	"github.com/aigcwatch/aigcwatch/internal/gcheadroom"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/metrics"
	"github.com/aigcwatch/aigcwatch/pipeline/stream"
	"github.com/aigcwatch/aigcwatch/serve"
)

// serveUsage documents the settings of `serve` that are not shared with scan (configFlags
// documents those). Every key of serve.Config must have an entry (a test checks).
var serveUsage = map[string]string{
	"addr":                  "listen address, host:port (port 0: any free port, logged)",
	"tls_cert":              "PEM certificate chain: serve HTTPS (with tls_key)",
	"tls_key":               "PEM private key for tls_cert",
	"token_file":            "bearer tokens, one a line (several for rotation; re-read on SIGHUP and admin reload); every /v1/ route then needs Authorization: Bearer TOKEN",
	"max_in_flight":         "most requests judged at once; one more is answered 429 with Retry-After",
	"max_batches_in_flight": "most batch requests judged at once (0: max(4, 2 x GOMAXPROCS)); memory is bounded by max_in_flight x max_record_bytes + this x max_batch_bytes",
	"max_batch_records":     "most records in one batch request",
	"max_batch_bytes":       "largest batch request body, bytes",
	"request_timeout":       "deadline of one request (judging and incident writes)",
	"retry_after":           "what 429 and 503 answers tell clients to wait (Retry-After, whole seconds)",
	"shutdown_timeout":      "how long SIGTERM waits for in-flight requests",
	"brokers":               "Kafka bootstrap brokers: incidents go to incidents_topic (else to incidents_file)",
	"incidents_topic":       "Kafka topic of incidents (CloudEvents, key: provider), with brokers",
	"client_id":             "Kafka client id",
	"incidents_file":        "without brokers or incidents_store: append incidents (CloudEvents JSONL) to this file; - for stdout",
	"incidents_store":       "without brokers: commit incidents to this SQLite outbox before answering; it keeps their history (GET /v1/incidents) and delivers them to the receivers of routes (docs/incidents.md)",
	"routes":                "with incidents_store: routing file of the receivers incidents are delivered to (SIGHUP reloads it)",
	"incidents_retention":   "with incidents_store: how long the history is kept",
	"watch":                 "reload rules, lexicons and banks when their files change (SIGHUP always reloads)",
	"log_level":             "log level: debug, info, warn or error",
	"log_format":            "log format: text or json",
	"metrics_top_providers": "providers that keep their name in the judging metrics' labels; the rest are \"other\"",
	"enforcement":           "responsive enforcement (docs/enforcement.md): incidents carry their provider's level, level changes go to the incident sink, GET /v1/providers shows the state",
	"enforcement_state":     "with enforcement: keep the providers' state in this file (loaded at start, saved atomically every minute and at shutdown); empty: in memory",
}

// loadServeConfig builds the configuration as loadRunConfig does: defaults, then the
// YAML file (--config or $AIGCWATCH_CONFIG), then AIGCWATCH_* variables, then flags.
func loadServeConfig(args []string, getenv func(string) (string, bool), stderr io.Writer) (serve.Config, bool, error) {
	cfg := serve.DefaultConfig
	cfg.Pipeline.Lexicons = append([]string(nil), cfg.Pipeline.Lexicons...)

	fs := newFlagSet("serve", "", stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: aigcwatch serve [--config FILE] [flags]\n\n"+
			"Serve the inline moderation HTTP API (docs/serve.md, docs/openapi.yaml).\n"+
			"Every setting is a YAML key (max_in_flight), a flag (--max-in-flight) and an environment\n"+
			"variable (AIGCWATCH_MAX_IN_FLIGHT); precedence: flag > environment > file > default.\n"+
			"SIGTERM/SIGINT: finish in-flight requests and stop; SIGHUP: reload rules, lexicons, banks and tokens.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	printOnly, err := layerConfig(fs, "serve", &cfg, serveUsage, cfg.LoadFile, args, getenv)
	if err != nil {
		return cfg, false, err
	}
	return cfg, printOnly, cfg.Validate()
}

// newServeRegistry is the one place where serve's Prometheus registry and its /metrics
// handler are made: the Go and process collectors are registered here, serve.New adds
// its HTTP metrics, and runServe the judging metrics (pipeline/metrics).
func newServeRegistry() (*prometheus.Registry, http.Handler) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg, promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

func newServeLogger(cfg *serve.Config, w io.Writer) (*slog.Logger, error) {
	lvl, err := stream.ParseLevel(cfg.LogLevel)
	if err != nil {
		return nil, err
	}
	opt := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opt)), nil
	}
	return slog.New(slog.NewTextHandler(w, opt)), nil
}

func runServe(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, printOnly, err := loadServeConfig(args, os.LookupEnv, stderr)
	if code, done := configDone("serve", &cfg, printOnly, err, stdout, stderr); done {
		return code
	}
	log, err := newServeLogger(&cfg, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "aigcwatch serve: %v\n", err)
		return exitUsage
	}
	fail := func(msg string, err error) int {
		log.Error(msg, "component", "serve", "err", err)
		return exitFailed
	}

	ctx, cancel := context.WithCancel(ctx)
	// Every goroutine started here is waited for before runServe returns.
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	reg, metricsHandler := newServeRegistry()
	// Judging metrics (pipeline/metrics), the same as run's: installed before the engine
	// judges anything, the rule set recorded at start and after each reload.
	jm, err := metrics.New(reg, metrics.Options{Version: version, TopProviders: cfg.MetricsTopProviders})
	if err != nil {
		return fail("metrics", err)
	}
	var proc atomic.Pointer[pipeline.Processor]
	onReload := func(ok bool, checksum string) {
		if ok && proc.Load() != nil {
			go setGCHeadroom(log, "serve") // the new rules' heap, once the old ones are garbage
		}
		if p := proc.Load(); p != nil {
			jm.ReloadHook(p)(ok, checksum)
			return
		}
		jm.ObserveReload(ok, checksum)
	}
	var enf *enforce.State
	if cfg.Enforcement {
		if enf, err = newEnforcement(&cfg.Pipeline, cfg.EnforcementState); err != nil {
			return fail("enforcement", err)
		}
		if err := jm.RegisterEnforcement(reg, enf); err != nil {
			return fail("metrics", err)
		}
		defer saveServeEnforcement(enf, cfg.EnforcementState, log) // after the server stopped
	}
	eng, err := engine.New(ctx, engine.Config{Pipeline: cfg.Pipeline, Watch: cfg.Watch, Logger: log, Observer: jm.Observer(), OnReload: onReload,
		Enforcement: enf})
	if err != nil {
		return fail("building the engine", err)
	}
	proc.Store(eng.Processor())
	jm.SetRuleset(eng.Processor().Engine())
	setGCHeadroom(log, "serve")
	defer eng.Close()
	if _, dev, _ := cfg.Pipeline.PseudonymKey(); dev {
		log.Warn("accounts in incidents are pseudonymised with the public development key; set AIGCWATCH_PSEUDONYM_KEY in production", "component", "serve")
	}

	var tokens *serve.Tokens
	loadTokens := func() error {
		list, err := serve.LoadTokenFile(cfg.TokenFile)
		if err != nil {
			return err
		}
		return tokens.Set(list)
	}
	if cfg.TokenFile != "" {
		tokens = &serve.Tokens{}
		if err := loadTokens(); err != nil {
			return fail("token file", err)
		}
	} else if host, _, _ := net.SplitHostPort(cfg.Addr); !isLoopback(host) {
		log.Warn("no token file: anyone who reaches the address can call the API", "component", "serve", "addr", cfg.Addr)
	}

	var sink interface {
		serve.IncidentSink
		io.Closer
	}
	var history http.Handler
	var routes *route.Holder
	switch {
	case len(cfg.Brokers) > 0:
		sink, err = serve.NewKafkaSink(ctx, cfg.Brokers, cfg.IncidentsTopic, cfg.ClientID, log)
	case cfg.IncidentsStore != "":
		// The outbox: incidents are on disk before the answer, delivered from there to the
		// receivers (surviving restarts), and kept as history (docs/incidents.md).
		var st *store.Store
		if st, err = store.Open(cfg.IncidentsStore); err != nil {
			return fail("incidents store", err)
		}
		defer st.Close()
		reg.MustRegister(st.Collector())
		history = st.Handler()
		// Delivery and pruning stop before the store closes (deferred after it: run first).
		dctx, stop := context.WithCancel(ctx)
		var dwg sync.WaitGroup
		defer func() { stop(); dwg.Wait() }()
		if cfg.Routes != "" {
			if routes, err = route.NewHolder(cfg.Routes, reg, log); err != nil {
				return fail("routes", err)
			}
			dm := deliver.NewMetrics(reg)
			dwg.Go(func() { _ = st.Deliver(dctx, deliver.Options{Tree: routes.Tree, Log: log, Metrics: dm}, false) })
			log.Info("delivering incidents", "component", "serve", "receivers", routes.Tree().Names, "routes", cfg.Routes)
		}
		dwg.Go(func() {
			t := time.NewTicker(time.Hour)
			defer t.Stop()
			for {
				if _, err := st.Prune(dctx, time.Now().Add(-cfg.IncidentsRetention)); err != nil && dctx.Err() == nil {
					log.Warn("pruning the incident history", "component", "serve", "err", err)
				}
				select {
				case <-dctx.Done():
					return
				case <-t.C:
				}
			}
		})
		sink = serve.OutboxSink{G: store.NewSink(st, routesTree(routes))}
	default:
		sink, err = serve.OpenFileSink(cfg.IncidentsFile)
	}
	if err != nil {
		return fail("incident sink", err)
	}
	defer func() {
		if err := sink.Close(); err != nil {
			log.Error("closing the incident sink", "component", "serve", "err", err)
		}
	}()

	if enf != nil {
		wg.Go(func() { keepServeEnforcement(ctx, enf, sink, cfg.EnforcementState, log) })
	}

	reload := func(ctx context.Context) (string, error) {
		var errs []error
		if tokens != nil {
			if err := loadTokens(); err != nil {
				log.Error("token file reload failed, keeping the running tokens", "component", "serve", "err", err)
				errs = append(errs, fmt.Errorf("%w (the running tokens stay)", err))
			} else {
				log.Info("reloaded the token file", "component", "serve", "tokens", tokens.Len())
			}
		}
		if err := eng.Reload(ctx); err != nil {
			errs = append(errs, err)
		}
		if routes != nil {
			if err := routes.Reload(); err != nil {
				errs = append(errs, fmt.Errorf("routes: %w (the running routes stay)", err))
			}
		}
		return eng.Ruleset(), errors.Join(errs...)
	}
	h, err := serve.New(serve.Options{
		Checker:   eng,
		Incidents: sink,
		Reload:    reload,
		Tokens:    tokens,
		Limits: serve.Limits{
			MaxInFlight:        cfg.MaxInFlight,
			MaxBatchesInFlight: cfg.MaxBatchesInFlight,
			MaxRecordBytes:     eng.Limits().MaxRecordBytes,
			MaxBatchRecords:    cfg.MaxBatchRecords,
			MaxBatchBytes:      cfg.MaxBatchBytes,
			RequestTimeout:     cfg.RequestTimeout,
			RetryAfter:         cfg.RetryAfter,
		},
		Log:        log,
		Registerer: reg,
		Metrics:    metricsHandler,
		History:    history,
		Providers:  providersAPI(enf),
	})
	if err != nil {
		return fail("serve", err)
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				_, _ = reload(ctx) // logged by the engine; the running rules and tokens stay on failure
			}
		}
	})

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fail("listen", err)
	}
	log.Info("listening", "component", "serve", "addr", ln.Addr().String(), "tls", cfg.TLSCert != "",
		"auth", tokens != nil, "tokens", tokens.Len(), "ruleset", eng.Ruleset(), "incidents", incidentsWhere(&cfg))
	err = serve.Run(ctx, ln, h, serve.ServerOptions{TLSCert: cfg.TLSCert, TLSKey: cfg.TLSKey,
		ShutdownTimeout: cfg.ShutdownTimeout, RequestTimeout: cfg.RequestTimeout, Log: log})
	if err != nil {
		return fail("stopped with an error", err)
	}
	return exitOK
}

// setGCHeadroom lets the heap grow by gcheadroom.DefaultBytes between collections (unless
// GOGC is set): with the embedded rules, Go's default collected about five times a
// second at 5,000 requests/s, and those cycles made much of serve's p99; run's judges
// collect less often too.
func setGCHeadroom(log *slog.Logger, component string) {
	if p, ok := gcheadroom.Apply(gcheadroom.DefaultBytes); ok {
		log.Info("garbage collector headroom set", "component", component, "gogc", p, "headroom_mib", gcheadroom.DefaultBytes>>20)
	}
}

func incidentsWhere(cfg *serve.Config) string {
	switch {
	case len(cfg.Brokers) > 0:
		return "topic " + cfg.IncidentsTopic
	case cfg.IncidentsStore != "":
		return "outbox " + cfg.IncidentsStore
	}
	return "file " + cfg.IncidentsFile
}

// routesTree is the running routing tree of h, or none (history only) without routes.
func routesTree(h *route.Holder) func() *route.Tree {
	if h == nil {
		return nil
	}
	return h.Tree
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
