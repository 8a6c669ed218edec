package serve

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/aigcwatch/aigcwatch/internal/configfile"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/stream"
)

// Config configures `aigcwatch serve`. Start from DefaultConfig. Durations are Go
// durations ("250ms", "5s") in YAML.
type Config struct {
	// Pipeline is the judging configuration shared with scan and run (rules, lexicons,
	// banks, jurisdiction, limits, pseudonym key); its keys sit at the top level of the file.
	Pipeline pipeline.Config `yaml:",inline"`

	Addr      string `yaml:"addr"`       // listen address, host:port
	TLSCert   string `yaml:"tls_cert"`   // PEM certificate chain; with tls_key, serve HTTPS
	TLSKey    string `yaml:"tls_key"`    // PEM private key
	TokenFile string `yaml:"token_file"` // bearer tokens, one a line; "" = no authentication

	// MaxInFlight bounds the requests being judged at once; one more is answered 429 with
	// Retry-After instead of waiting in an unbounded queue.
	MaxInFlight int `yaml:"max_in_flight"`
	// MaxBatchesInFlight bounds the batch requests among them (memory: each holds up to
	// max_batch_bytes); 0 means max(4, 2×GOMAXPROCS).
	MaxBatchesInFlight int           `yaml:"max_batches_in_flight"`
	MaxBatchRecords    int           `yaml:"max_batch_records"` // most records in one batch request
	MaxBatchBytes      int           `yaml:"max_batch_bytes"`   // largest batch request body
	RequestTimeout     time.Duration `yaml:"request_timeout"`   // deadline of one request, judging and incident writes included
	RetryAfter         time.Duration `yaml:"retry_after"`       // what a 429 or 503 tells the client to wait (whole seconds, at least 1)
	ShutdownTimeout    time.Duration `yaml:"shutdown_timeout"`  // how long SIGTERM waits for in-flight requests

	// Incidents of reportable rules go to IncidentsTopic when Brokers is set; else to the
	// IncidentsStore outbox (SQLite, committed before the answer, delivered to the
	// receivers of Routes, kept as history for GET /v1/incidents) when it is set; else
	// they are appended to IncidentsFile ("-" = stdout). docs/incidents.md.
	Brokers            []string      `yaml:"brokers"`
	IncidentsTopic     string        `yaml:"incidents_topic"`
	ClientID           string        `yaml:"client_id"`
	IncidentsFile      string        `yaml:"incidents_file"`
	IncidentsStore     string        `yaml:"incidents_store"`
	Routes             string        `yaml:"routes"`
	IncidentsRetention time.Duration `yaml:"incidents_retention"`

	Watch     bool   `yaml:"watch"`      // reload rules, lexicons and banks when their files change
	LogLevel  string `yaml:"log_level"`  // debug, info, warn, error
	LogFormat string `yaml:"log_format"` // text or json

	// MetricsTopProviders bounds the provider label of the judging metrics
	// (docs/observability.md), as for `aigcwatch run`.
	MetricsTopProviders int `yaml:"metrics_top_providers"`

	// Enforcement places every judged record's provider on its enforcement ladder
	// (docs/enforcement.md): incidents carry data.enforcement, level changes go to the
	// incident sink with them, GET /v1/providers shows the state. The state is this
	// process's own, kept in EnforcementState (a local file, saved atomically every
	// minute and at shutdown) when set; several serve processes do not share it.
	Enforcement      bool   `yaml:"enforcement"`
	EnforcementState string `yaml:"enforcement_state"`
}

// DefaultConfig holds the default of every setting.
var DefaultConfig = Config{
	Pipeline:           pipeline.DefaultConfig,
	Addr:               "127.0.0.1:8080",
	MaxInFlight:        256,
	MaxBatchRecords:    1000,
	MaxBatchBytes:      8 << 20,
	RequestTimeout:     5 * time.Second,
	RetryAfter:         time.Second,
	ShutdownTimeout:    30 * time.Second,
	IncidentsTopic:     "aigcwatch.incidents",
	ClientID:           "aigcwatch-serve",
	IncidentsFile:      "aigcwatch-incidents.jsonl",
	IncidentsRetention: 90 * 24 * time.Hour,
	Watch:              true,
	LogLevel:           "info",
	LogFormat:          "text",
	// The same bound as `aigcwatch run`'s (metrics.DefaultTopProviders).
	MetricsTopProviders: 50,
}

// LoadFile decodes a YAML config file over c. Unknown keys are errors.
func (c *Config) LoadFile(path string) error { return configfile.Load(path, c) }

// Decode decodes YAML from b (named name in errors) over c, strictly.
func (c *Config) Decode(name string, b []byte) error { return configfile.Decode(name, b, c) }

// Validate reports every problem with the configuration.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("config: %s: "+format, append([]any{key}, a...)...))
	}
	if c.EnforcementState != "" && !c.Enforcement {
		bad("enforcement_state", "needs enforcement: true")
	}
	if c.Pipeline.BanksTopic != "" {
		bad("banks_topic", "read by aigcwatch run only; serve takes bank files (banks) and reloads them")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("addr", "%q: want host:port", c.Addr)
	}
	if c.MaxBatchesInFlight < 0 {
		bad("max_batches_in_flight", "%d: must not be negative (0: automatic)", c.MaxBatchesInFlight)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		bad("tls_cert", "tls_cert and tls_key go together")
	}
	for _, p := range []struct {
		key string
		n   int
	}{{"max_in_flight", c.MaxInFlight}, {"max_batch_records", c.MaxBatchRecords}, {"max_batch_bytes", c.MaxBatchBytes}} {
		if p.n <= 0 {
			bad(p.key, "%d: must be positive", p.n)
		}
	}
	for _, p := range []struct {
		key string
		d   time.Duration
	}{{"request_timeout", c.RequestTimeout}, {"shutdown_timeout", c.ShutdownTimeout}, {"retry_after", c.RetryAfter}} {
		if p.d <= 0 {
			bad(p.key, "%v: must be positive", p.d)
		}
	}
	for _, b := range c.Brokers {
		if !strings.Contains(b, ":") {
			bad("brokers", "%q: want host:port", b)
		}
	}
	if len(c.Brokers) > 0 && c.IncidentsTopic == "" {
		bad("incidents_topic", "required with brokers: incidents of reportable rules are never dropped")
	}
	if len(c.Brokers) == 0 && c.IncidentsFile == "" && c.IncidentsStore == "" {
		bad("incidents_file", "required without brokers or incidents_store: incidents of reportable rules are never dropped")
	}
	if len(c.Brokers) > 0 && c.IncidentsStore != "" {
		bad("incidents_store", "not with brokers: incidents go to incidents_topic, and aigcwatch run or deliver keeps their history and delivers them")
	}
	if c.Routes != "" && c.IncidentsStore == "" {
		bad("routes", "needs incidents_store: delivery drains the outbox")
	}
	if c.IncidentsRetention <= 0 {
		bad("incidents_retention", "%v: must be positive", c.IncidentsRetention)
	}
	if _, err := stream.ParseLevel(c.LogLevel); err != nil {
		bad("log_level", "%v", err)
	}
	if c.MetricsTopProviders <= 0 {
		bad("metrics_top_providers", "%d: must be positive", c.MetricsTopProviders)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("log_format", "%q: want text or json", c.LogFormat)
	}
	return errors.Join(errs...)
}
