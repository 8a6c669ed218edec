package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors/fingerprint"

	"go.yaml.in/yaml/v3"

	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/stream"
)

// runUsage documents the settings of `run` that are not shared with scan (configFlags
// documents those). Every key of stream.Config must have an entry (a test checks).
var runUsage = map[string]string{
	"brokers":               "Kafka bootstrap brokers, host:port, comma-separated",
	"group":                 "consumer group id; processes with the same group share the partitions",
	"topics":                "input topics of content records, comma-separated",
	"verdicts_topic":        "output topic of verdicts (key: record id)",
	"incidents_topic":       "output topic of incidents as CloudEvents (key: provider); empty: not written",
	"dlq_topic":             "output topic of rejected records (original bytes; reason, field, error and source in headers)",
	"verdicts_mode":         "which verdicts are written: all (a full verdict per record), compact (full for records not allowed, a compact one for each allowed) or flagged (only records not allowed; allowed ones are counted)",
	"rulesets_topic":        "compacted topic of the rulesets verdicts name (key: checksum), written once per load or reload; required by compact and flagged",
	"client_id":             "Kafka client id",
	"start_offset":          "where a partition without a committed offset starts: first or last",
	"session_timeout":       "group session timeout: how long a dead process keeps its partitions",
	"heartbeat_interval":    "group heartbeat interval",
	"rebalance_timeout":     "how long the group waits for members to rejoin on a rebalance",
	"commit_interval":       "how often acknowledged offsets are committed",
	"shutdown_timeout":      "bound on the shutdown after SIGTERM: drain, flush, commit, leave",
	"max_in_flight":         "most records fetched and not yet acknowledged, over all partitions (back-pressure)",
	"batch_records":         "most records judged and written together per partition",
	"fetch_max_wait":        "how long the broker may hold a fetch waiting for data",
	"fetch_max_bytes":       "largest fetch response per partition, bytes",
	"write_batch_timeout":   "how long the producer waits to fill a batch",
	"write_batch_size":      "most messages per produce batch and output partition",
	"compression":           "output compression: none, gzip, snappy, lz4 or zstd",
	"dlq_max_bytes":         "original bytes kept in a dead letter; longer values are cut (header aigcwatch-truncated)",
	"watch":                 "reload rules and lexicons when their files change (SIGHUP always reloads)",
	"log_level":             "log level: debug, info, warn or error",
	"log_format":            "log format: text or json",
	"metrics_addr":          "listen address of /metrics, /healthz and /readyz (port 0: any free port, logged); empty: no listener",
	"metrics_top_providers": "providers that keep their name in metric labels; the rest are \"other\"",

	"routes":                "routing file of incident receivers: run delivers the incidents topic to them (docs/incidents.md); empty: no delivery",
	"incidents_store":       "SQLite file keeping every incident of the topic (GET /v1/incidents, aigcwatch incidents) and the ids delivered; empty: none",
	"incidents_retention":   "how long the incident history and delivery records are kept",
	"delivery_group_prefix": "delivery consumer groups are PREFIX.RECEIVER, one per receiver",
	"parking_topic":         "topic of incidents that could not be delivered, with their last error in headers",
	"history_group":         "consumer group filling this instance's history (default aigcwatch-history-HOSTNAME-HASH of incidents_store: one per instance)",
	"delivered_topic":       "compacted topic sharing delivered incident ids between instances, so a rebalance does not resend; empty: per instance",

	"enforcement":                 "responsive enforcement (docs/enforcement.md): providers' levels kept per partition of the enforcement topic, durable in its changelog; incidents of providers carry their level",
	"enforcement_topic":           "internal topic of judged records' observations, keyed by provider (default GROUP.enforcement; created when missing)",
	"enforcement_changelog_topic": "compacted topic of the providers' enforcement state (default GROUP.enforcement-changelog; created when missing, refused if not compacted)",
	"enforcement_group":           "consumer group owning the providers of the enforcement topic's partitions (default GROUP.enforcement)",
	"enforcement_partitions":      "partitions of the enforcement topics when created (0: as many as the first input topic); never change them later",
	"enforcement_replication":     "replication factor of the enforcement topics when created (0: the broker's default)",
	"enforcement_sweep":           "how often providers that stopped sending are checked for de-escalation (0: only at their next record)",
}

// envPrefix prefixes the environment variable of every setting: key max_in_flight is
// AIGCWATCH_MAX_IN_FLIGHT, flag --max-in-flight.
const envPrefix = "AIGCWATCH_"

// sharedFlagNames maps the pipeline keys whose configFlags flag is not the key with
// dashes (the flag is singular because it is repeatable).
var sharedFlagNames = map[string]string{"banks": "bank", "registries": "registry"}

// setting is one configuration key, reachable as a YAML key, a flag and a variable.
type setting struct {
	key, flag, env string
	field          reflect.Value // settable field in the Config being built
	shared         bool          // a pipeline.Config key: its flag comes from configFlags
}

// settings lists every key of c, a pointer to a config struct (stream.Config,
// serve.Config), pipeline keys included, in YAML order.
func settings(c any) []setting {
	var out []setting
	var walk func(v reflect.Value, shared bool)
	walk = func(v reflect.Value, shared bool) {
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("yaml")
			if strings.Contains(tag, "inline") {
				walk(v.Field(i), true)
				continue
			}
			key, _, _ := strings.Cut(tag, ",")
			if key == "" || key == "-" {
				continue
			}
			flagName := strings.ReplaceAll(key, "_", "-")
			if n, ok := sharedFlagNames[key]; ok && shared {
				flagName = n
			}
			out = append(out, setting{key: key, flag: flagName,
				env: envPrefix + strings.ToUpper(key), field: v.Field(i), shared: shared})
		}
	}
	walk(reflect.ValueOf(c).Elem(), false)
	return out
}

// set parses s into the setting's field.
func (s setting) set(v string) error {
	f := s.field
	switch f.Interface().(type) {
	case string:
		f.SetString(v)
	case []string:
		var l []string
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				l = append(l, e)
			}
		}
		f.Set(reflect.ValueOf(l))
	case int:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not an integer", v)
		}
		f.SetInt(int64(n))
	case bool:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not a boolean", v)
		}
		f.SetBool(b)
	case time.Duration:
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not a duration (e.g. 500ms, 30s)", v)
		}
		f.SetInt(int64(d))
	default:
		return fmt.Errorf("unsupported setting type %s", f.Type())
	}
	return nil
}

func (s setting) String() string {
	switch v := s.field.Interface().(type) {
	case []string:
		return strings.Join(v, ",")
	default:
		return fmt.Sprint(v)
	}
}

// rawFlag records a flag's text; it is applied after the file and the environment.
type rawFlag struct {
	isBool bool
	def    string
}

func (f *rawFlag) String() string     { return f.def }
func (f *rawFlag) Set(v string) error { f.def = v; return nil } // read back with fs.Visit
func (f *rawFlag) IsBoolFlag() bool   { return f.isBool }

// loadRunConfig builds the configuration: defaults, then the YAML file (--config or
// $AIGCWATCH_CONFIG), then AIGCWATCH_* variables, then flags. It returns the config
// and whether to only print it.
func loadRunConfig(args []string, getenv func(string) (string, bool), stderr io.Writer) (stream.Config, bool, error) {
	cfg := stream.DefaultConfig
	cfg.Brokers = append([]string(nil), cfg.Brokers...)
	cfg.Topics = append([]string(nil), cfg.Topics...)
	cfg.Pipeline.Lexicons = append([]string(nil), cfg.Pipeline.Lexicons...)

	fs := newFlagSet("run", "", stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: aigcwatch run [--config FILE] [flags]\n\n"+
			"Consume content records from Kafka, judge them, produce verdicts, incidents and dead letters.\n"+
			"Every setting is a YAML key (max_in_flight), a flag (--max-in-flight) and an environment\n"+
			"variable (AIGCWATCH_MAX_IN_FLIGHT); precedence: flag > environment > file > default.\n"+
			"SIGTERM/SIGINT: drain, commit and leave the group; SIGHUP: reload rules and lexicons.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	printOnly, err := layerConfig(fs, "run", &cfg, runUsage, cfg.LoadFile, args, getenv)
	if err != nil {
		return cfg, false, err
	}
	return cfg, printOnly, cfg.Validate()
}

// layerConfig fills cfg (a *stream.Config or *serve.Config: a struct whose keys
// settings walks) in the order every long-running command uses: the defaults already in
// cfg, then the YAML file (--config or $AIGCWATCH_CONFIG, read by loadFile), then the
// AIGCWATCH_* variables, then the flags. It registers the shared judging flags and one
// flag per other key (documented by usage) on fs, and reports --print-config.
func layerConfig(fs *flag.FlagSet, cmd string, cfg any, usage map[string]string, loadFile func(string) error,
	args []string, getenv func(string) (string, bool)) (printOnly bool, err error) {
	var scratch pipeline.Config
	configFlags(fs, &scratch)
	configPath := fs.String("config", "", "YAML config file (else $AIGCWATCH_CONFIG); unknown keys are errors")
	printConfig := fs.Bool("print-config", false, "print the effective configuration as YAML and exit")
	all := settings(cfg)
	byFlag := map[string]setting{}
	for _, s := range all {
		byFlag[s.flag] = s
		if s.shared {
			continue
		}
		_, isBool := s.field.Interface().(bool)
		fs.Var(&rawFlag{isBool: isBool, def: s.String()}, s.flag, usage[s.key]+" (env "+s.env+")")
	}
	if err := fs.Parse(args); err != nil {
		return false, err
	}
	if fs.NArg() > 0 {
		return false, fmt.Errorf("unexpected argument %q: %s takes flags only", fs.Arg(0), cmd)
	}
	path := *configPath
	if path == "" {
		path, _ = getenv(envPrefix + "CONFIG")
	}
	if path != "" {
		if err := loadFile(path); err != nil {
			return false, err
		}
	}
	var errs []error
	for _, s := range all {
		if v, ok := getenv(s.env); ok {
			if err := s.set(v); err != nil {
				errs = append(errs, fmt.Errorf("environment %s: %w", s.env, err))
			}
		}
	}
	fs.Visit(func(f *flag.Flag) {
		s, ok := byFlag[f.Name]
		if !ok {
			return
		}
		v := f.Value.String()
		if rf, ok := f.Value.(*rawFlag); ok {
			v = rf.def
		}
		if err := s.set(v); err != nil {
			errs = append(errs, fmt.Errorf("flag --%s: %w", f.Name, err))
		}
	})
	return *printConfig, errors.Join(errs...)
}

// configDone ends a command whose configuration failed to load (usage error; help is
// not one) or that was asked to print it (--print-config), and says whether it did.
func configDone(cmd string, cfg any, printOnly bool, err error, stdout, stderr io.Writer) (int, bool) {
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK, true
	case err != nil:
		fmt.Fprintf(stderr, "aigcwatch %s: %v\n", cmd, err)
		return exitUsage, true
	case printOnly:
		b, err := yaml.Marshal(cfg)
		if err != nil {
			fmt.Fprintf(stderr, "aigcwatch %s: %v\n", cmd, err)
			return exitFailed, true
		}
		stdout.Write(b)
		return exitOK, true
	}
	return 0, false
}

func runRun(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, printOnly, err := loadRunConfig(args, os.LookupEnv, stderr)
	if code, done := configDone("run", &cfg, printOnly, err, stdout, stderr); done {
		return code
	}
	log, err := stream.NewLogger(&cfg, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "aigcwatch run: %v\n", err)
		return exitUsage
	}
	// One fingerprint matcher for the life of the process, shared by every rebuild, so live
	// bank additions (banks topic, auto-banking) survive reloads. Only when there are banks:
	// without any, the matcher would hash every text and image for nothing (4-5 times the
	// judging CPU, and bad_pdq problems that scan does not report).
	if len(cfg.Pipeline.Banks) > 0 || cfg.Pipeline.BanksTopic != "" || cfg.Pipeline.AutoBankLabeled {
		cfg.Pipeline.Fingerprints = fingerprint.NewMatcher(nil)
	}
	// Likewise one campaign detector, so campaign counts survive reloads (nil when off);
	// with a campaign topic it hands its observations to the topic shared by all instances.
	cfg.Pipeline.Campaigns = pipeline.NewCampaignDetector(&cfg.Pipeline)
	host, _ := os.Hostname()
	camps, err := stream.NewCampaigns(cfg, fmt.Sprintf("%s/%d", host, os.Getpid()), log) // nil without a campaign topic
	if err != nil {
		log.Error("config", "component", "run", "err", err)
		return exitUsage
	}
	if camps != nil {
		cfg.Pipeline.Campaigns = pipeline.NewSharedCampaignDetector(&cfg.Pipeline, camps.Publish)
	}
	p, err := pipeline.Build(cfg.Pipeline)
	if err != nil {
		log.Error("building the pipeline", "component", "run", "err", err)
		return exitFailed
	}
	if _, dev, _ := cfg.Pipeline.PseudonymKey(); dev && cfg.IncidentsTopic != "" {
		log.Warn("accounts in incidents are pseudonymised with the public development key; set AIGCWATCH_PSEUDONYM_KEY in production", "component", "run")
	}
	r, err := stream.New(cfg, p, log)
	if err != nil {
		log.Error("config", "component", "run", "err", err)
		return exitUsage
	}
	banks, err := stream.NewBanks(cfg, p, log) // nil without a banks topic
	if err != nil {
		log.Error("config", "component", "run", "err", err)
		return exitUsage
	}
	reloader := &pipeline.Reloader{P: p, Cfg: cfg.Pipeline, Log: log}
	enf, err := startEnforcement(ctx, cfg, r, log) // nil when off (run_enforce.go)
	if err != nil {
		log.Error("enforcement", "component", "run", "err", err)
		return exitFailed
	}
	ctx, cancel := context.WithCancel(ctx)
	// Every goroutine started here is waited for before run returns.
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	incidents, err := startIncidents(ctx, cfg, log) // delivery and history (run_incidents.go)
	if err != nil {
		log.Error("incident delivery", "component", "run", "err", err)
		return exitUsage
	}
	defer incidents.Close()
	if cfg.MetricsAddr != "" {
		if err := serveRunMetrics(ctx, &cfg, p, r, banks, camps, reloader, incidents, enf, &wg, log); err != nil {
			log.Error("metrics", "component", "run", "err", err)
			return exitFailed
		}
	}
	if enf != nil {
		enf.followReloads(reloader, cfg.Pipeline, log) // after the metrics hook, which it calls
	}
	setGCHeadroom(log, "run")
	prevReload := reloader.OnReload
	reloader.OnReload = func(ok bool, checksum string) {
		if prevReload != nil {
			prevReload(ok, checksum)
		}
		if ok {
			go setGCHeadroom(log, "run") // the new rules' heap, once the old ones are garbage
		}
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
				_ = reloader.Reload() // logged; the running rules stay on failure
				incidents.Reload()    // the routing file, likewise
			}
		}
	})
	if cfg.Watch {
		wg.Go(func() {
			if err := reloader.Watch(ctx, 500*time.Millisecond); err != nil {
				log.Warn("not watching rule and lexicon files; SIGHUP still reloads", "component", "run", "err", err)
			}
		})
	}
	if enf != nil {
		wg.Go(func() {
			if err := enf.Run(ctx); err != nil {
				log.Error("enforcement stopped", "component", "enforcement", "err", err)
			}
		})
	}
	if banks != nil {
		wg.Go(func() {
			if err := banks.Run(ctx); err != nil && ctx.Err() == nil {
				log.Error("banks topic reader stopped", "component", "banks", "err", err)
			}
		})
	}
	if camps != nil {
		// The campaign topic stops after the judging (when run returns), so that the
		// observations of the last records judged are written.
		campCtx, stopCamps := context.WithCancel(context.WithoutCancel(ctx))
		defer stopCamps()
		wg.Go(func() {
			if err := camps.Run(campCtx); err != nil && campCtx.Err() == nil {
				log.Error("campaign topic stopped", "component", "campaigns", "err", err)
			}
		})
	}
	if err := r.Run(ctx); err != nil {
		log.Error("stopped with an error", "component", "run", "err", err)
		return exitFailed
	}
	return exitOK
}
