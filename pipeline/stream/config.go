package stream

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/aigcwatch/aigcwatch/internal/configfile"
	"github.com/aigcwatch/aigcwatch/pipeline"
)

// Config configures a Runner. The zero value is not usable: start from DefaultConfig.
// Durations are Go durations ("250ms", "30s") in YAML.
type Config struct {
	// Pipeline is the judging configuration shared with `aigcwatch scan` (rules, lexicon,
	// jurisdiction, limits, pseudonym key); its keys sit at the top level of the file.
	Pipeline pipeline.Config `yaml:",inline"`

	Brokers        []string `yaml:"brokers"`         // bootstrap addresses, host:port
	Group          string   `yaml:"group"`           // consumer group id
	Topics         []string `yaml:"topics"`          // input topics
	VerdictsTopic  string   `yaml:"verdicts_topic"`  // one verdict per record, key: record id
	IncidentsTopic string   `yaml:"incidents_topic"` // CloudEvents, key: provider; "" disables (incidents counted, not written)
	DLQTopic       string   `yaml:"dlq_topic"`       // rejected records: original bytes, reason in headers
	// VerdictsMode chooses which verdicts are written (docs/outputs.md, "Verdict modes"):
	// "all" (default) a full verdict per record; "compact" full verdicts for records not
	// allowed and a compact one (id, decision, ruleset id, latency) for each allowed one;
	// "flagged" only the verdicts of records not allowed.
	VerdictsMode string `yaml:"verdicts_mode"`
	// RulesetsTopic, when set, receives every ruleset the verdicts name (packs, versions,
	// inputs, checksum), keyed by its checksum, once per load or reload: a compacted
	// topic, so compact and flagged verdicts can name their ruleset by id. Required by
	// the compact and flagged modes.
	RulesetsTopic string `yaml:"rulesets_topic"`
	ClientID      string `yaml:"client_id"`
	// StartOffset is where a partition without a committed offset starts: "first" or "last".
	StartOffset string `yaml:"start_offset"`

	SessionTimeout    time.Duration `yaml:"session_timeout"`
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval"`
	RebalanceTimeout  time.Duration `yaml:"rebalance_timeout"`
	CommitInterval    time.Duration `yaml:"commit_interval"`
	ShutdownTimeout   time.Duration `yaml:"shutdown_timeout"`

	// MaxInFlight bounds the records fetched but not yet acknowledged, over all partitions.
	MaxInFlight int `yaml:"max_in_flight"`
	// BatchRecords is the most records judged and written together for one partition.
	BatchRecords int `yaml:"batch_records"`
	// FetchMaxWait bounds a fetch on an idle partition (data is returned as soon as there
	// is any). kafka-go asks the broker to wait FetchMaxWait-1s (¾ of it under 1s) and
	// times the connection out at FetchMaxWait: under 1s the margin is thin and a loaded
	// broker trips it (a reconnection each time); exactly 1s makes the broker wait 0 (a
	// busy poll). The default 1.5s waits 0.5s with a 1s margin.
	FetchMaxWait time.Duration `yaml:"fetch_max_wait"`
	// FetchMaxBytes bounds one fetch response per partition.
	FetchMaxBytes int `yaml:"fetch_max_bytes"`
	// WriteBatchTimeout is how long the producer waits to fill a batch (kafka-go's default,
	// one second, would add a second of latency to every write).
	WriteBatchTimeout time.Duration `yaml:"write_batch_timeout"`
	// WriteBatchSize is the most messages per produce batch and output partition.
	WriteBatchSize int `yaml:"write_batch_size"`
	// Compression of the outputs: none, gzip, snappy, lz4 or zstd.
	Compression string `yaml:"compression"`
	// DLQMaxBytes bounds the original bytes kept in a dead letter; longer ones are cut
	// and flagged with the aigcwatch-truncated header.
	DLQMaxBytes int `yaml:"dlq_max_bytes"`
	// Watch reloads rules and lexicons when their files change (SIGHUP always does).
	Watch bool `yaml:"watch"`

	LogLevel  string `yaml:"log_level"`  // debug, info, warn, error
	LogFormat string `yaml:"log_format"` // text or json

	// MetricsAddr is where /metrics, /healthz and /readyz are served (host:port; port 0
	// picks one, logged); "" disables the listener.
	MetricsAddr string `yaml:"metrics_addr"`
	// MetricsTopProviders bounds the provider label of metrics (docs/observability.md).
	MetricsTopProviders int `yaml:"metrics_top_providers"`
	// Incident delivery and history (packages incident/deliver and incident/store; cmd run
	// starts them beside the Runner, which does not read these keys).
	Routes              string        `yaml:"routes"`              // routing file; "" = run delivers nothing (aigcwatch deliver may)
	IncidentsStore      string        `yaml:"incidents_store"`     // SQLite file: history and delivered ids; "" = none
	IncidentsRetention  time.Duration `yaml:"incidents_retention"` // history kept this long
	DeliveryGroupPrefix string        `yaml:"delivery_group_prefix"`
	ParkingTopic        string        `yaml:"parking_topic"`
	HistoryGroup        string        `yaml:"history_group"`   // "" = aigcwatch-history-HOSTNAME-HASH, one per instance
	DeliveredTopic      string        `yaml:"delivered_topic"` // compacted topic sharing delivered ids between instances; "" = none

	// Responsive enforcement (enforcer.go, docs/enforcement.md): each judged record of a
	// provider is observed on EnforcementTopic, keyed by provider; the members of
	// EnforcementGroup own the providers of their partitions and keep their state in the
	// compacted EnforcementChangelogTopic. Off by default: it needs the two topics (created
	// when missing) and routes the incidents of providers through the owner.
	Enforcement               bool          `yaml:"enforcement"`
	EnforcementTopic          string        `yaml:"enforcement_topic"`           // "" = GROUP.enforcement
	EnforcementChangelogTopic string        `yaml:"enforcement_changelog_topic"` // "" = GROUP.enforcement-changelog
	EnforcementGroup          string        `yaml:"enforcement_group"`           // "" = GROUP.enforcement
	EnforcementPartitions     int           `yaml:"enforcement_partitions"`      // for topics created; 0 = as the first input topic
	EnforcementReplication    int           `yaml:"enforcement_replication"`     // for topics created; 0 = the broker's default
	EnforcementSweep          time.Duration `yaml:"enforcement_sweep"`           // de-escalation check of silent providers; 0 = none
}

// EnforcementNames returns the enforcement topic, changelog topic and consumer group,
// defaults applied.
func (c *Config) EnforcementNames() (topic, changelog, group string) {
	topic, changelog, group = c.EnforcementTopic, c.EnforcementChangelogTopic, c.EnforcementGroup
	if topic == "" {
		topic = c.Group + ".enforcement"
	}
	if changelog == "" {
		changelog = c.Group + ".enforcement-changelog"
	}
	if group == "" {
		group = c.Group + ".enforcement"
	}
	return topic, changelog, group
}

// DefaultConfig holds the defaults of every setting.
var DefaultConfig = Config{
	Pipeline:          pipeline.DefaultConfig,
	Brokers:           []string{"127.0.0.1:9092"},
	Group:             "aigcwatch",
	Topics:            []string{"aigcwatch.records"},
	VerdictsTopic:     "aigcwatch.verdicts",
	IncidentsTopic:    "aigcwatch.incidents",
	DLQTopic:          "aigcwatch.dlq",
	VerdictsMode:      VerdictsAll,
	ClientID:          "aigcwatch",
	StartOffset:       "first",
	SessionTimeout:    10 * time.Second,
	HeartbeatInterval: time.Second,
	RebalanceTimeout:  30 * time.Second,
	CommitInterval:    time.Second,
	ShutdownTimeout:   30 * time.Second,
	MaxInFlight:       20000,
	BatchRecords:      1000,
	FetchMaxWait:      1500 * time.Millisecond,
	FetchMaxBytes:     4 << 20,
	WriteBatchTimeout: 2 * time.Millisecond,
	WriteBatchSize:    1000,
	Compression:       "none",
	DLQMaxBytes:       900 << 10,
	Watch:             true,
	LogLevel:          "info",
	LogFormat:         "text",
	// The same value as metrics.DefaultAddr (this package does not import that one).
	MetricsAddr:         "127.0.0.1:9464",
	MetricsTopProviders: 50,

	IncidentsRetention:  90 * 24 * time.Hour,
	DeliveryGroupPrefix: "aigcwatch-deliver",
	ParkingTopic:        "aigcwatch.incidents.parked",
	EnforcementSweep:    time.Minute,
}

// LoadFile decodes a YAML config file over c. Unknown keys are errors, so a typo cannot
// silently leave a default in place.
func (c *Config) LoadFile(path string) error { return configfile.Load(path, c) }

// Decode decodes YAML from b (named name in errors) over c, strictly.
func (c *Config) Decode(name string, b []byte) error { return configfile.Decode(name, b, c) }

// Validate reports every problem with the configuration, one per line.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("config: %s: "+format, append([]any{key}, a...)...))
	}
	if len(c.Brokers) == 0 {
		bad("brokers", "at least one broker address is required")
	}
	for _, b := range c.Brokers {
		if !strings.Contains(b, ":") {
			bad("brokers", "%q: want host:port", b)
		}
	}
	if c.Group == "" {
		bad("group", "a consumer group id is required")
	}
	if len(c.Topics) == 0 {
		bad("topics", "at least one input topic is required")
	}
	if c.VerdictsTopic == "" {
		bad("verdicts_topic", "required")
	}
	if c.DLQTopic == "" {
		bad("dlq_topic", "required: rejected records are never dropped")
	}
	switch c.VerdictsMode {
	case VerdictsAll, "":
	case VerdictsCompact, VerdictsFlagged:
		if c.RulesetsTopic == "" {
			bad("rulesets_topic", "required with verdicts_mode %s: its verdicts name their ruleset by id only", c.VerdictsMode)
		}
	default:
		bad("verdicts_mode", "%q: want all, compact or flagged", c.VerdictsMode)
	}
	outs := map[string]bool{c.VerdictsTopic: true, c.IncidentsTopic: true, c.DLQTopic: true, c.RulesetsTopic: true}
	delete(outs, "")
	for _, t := range c.Topics {
		if outs[t] {
			bad("topics", "%q is also an output topic", t)
		}
	}
	if c.StartOffset != "first" && c.StartOffset != "last" {
		bad("start_offset", "%q: want first or last", c.StartOffset)
	}
	positive := []struct {
		key string
		d   time.Duration
	}{{"session_timeout", c.SessionTimeout}, {"heartbeat_interval", c.HeartbeatInterval},
		{"rebalance_timeout", c.RebalanceTimeout}, {"commit_interval", c.CommitInterval},
		{"shutdown_timeout", c.ShutdownTimeout}, {"fetch_max_wait", c.FetchMaxWait},
		{"write_batch_timeout", c.WriteBatchTimeout}}
	for _, p := range positive {
		if p.d <= 0 {
			bad(p.key, "%v: must be positive", p.d)
		}
	}
	if c.HeartbeatInterval >= c.SessionTimeout {
		bad("heartbeat_interval", "%v: must be less than session_timeout (%v)", c.HeartbeatInterval, c.SessionTimeout)
	}
	if c.FetchMaxWait < 100*time.Millisecond || (c.FetchMaxWait >= time.Second && c.FetchMaxWait < 1100*time.Millisecond) {
		bad("fetch_max_wait", "%v: want at least 100ms and not within [1s, 1.1s) (kafka-go would poll the broker without waiting)", c.FetchMaxWait)
	}
	ints := []struct {
		key string
		n   int
	}{{"max_in_flight", c.MaxInFlight}, {"batch_records", c.BatchRecords}, {"fetch_max_bytes", c.FetchMaxBytes},
		{"write_batch_size", c.WriteBatchSize}, {"dlq_max_bytes", c.DLQMaxBytes}}
	for _, p := range ints {
		if p.n <= 0 {
			bad(p.key, "%d: must be positive", p.n)
		}
	}
	if c.BatchRecords > c.MaxInFlight {
		bad("batch_records", "%d: must not exceed max_in_flight (%d)", c.BatchRecords, c.MaxInFlight)
	}
	if c.DLQMaxBytes > maxMessageBytes-64<<10 {
		bad("dlq_max_bytes", "%d: must leave room for headers under the %d-byte message limit", c.DLQMaxBytes, maxMessageBytes)
	}
	if _, err := compression(c.Compression); err != nil {
		bad("compression", "%v", err)
	}
	if _, err := ParseLevel(c.LogLevel); err != nil {
		bad("log_level", "%v", err)
	}
	if c.MetricsAddr != "" && !strings.Contains(c.MetricsAddr, ":") {
		bad("metrics_addr", "%q: want host:port, or empty to disable", c.MetricsAddr)
	}
	if c.MetricsTopProviders <= 0 {
		bad("metrics_top_providers", "%d: must be positive", c.MetricsTopProviders)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("log_format", "%q: want text or json", c.LogFormat)
	}
	if c.Routes != "" {
		if c.IncidentsTopic == "" {
			bad("routes", "delivery reads the incidents topic: set incidents_topic")
		}
		if c.IncidentsStore == "" {
			bad("routes", "delivery remembers what it delivered in incidents_store: set it")
		}
		if c.ParkingTopic == "" || c.DeliveryGroupPrefix == "" {
			bad("parking_topic", "delivery needs parking_topic and delivery_group_prefix")
		}
	}
	if c.IncidentsStore != "" && c.IncidentsTopic == "" {
		bad("incidents_store", "the history is filled from the incidents topic: set incidents_topic")
	}
	if c.Enforcement {
		topic, changelog, group := c.EnforcementNames()
		for _, t := range c.Topics {
			if t == topic || t == changelog {
				bad("topics", "%q is also an enforcement topic", t)
			}
		}
		if topic == changelog || outs[topic] || outs[changelog] {
			bad("enforcement_topic", "%q and the changelog %q must be two topics of their own", topic, changelog)
		}
		if group == c.Group {
			bad("enforcement_group", "%q: must differ from group (it consumes another topic)", group)
		}
	}
	if c.EnforcementPartitions < 0 || c.EnforcementReplication < 0 || c.EnforcementSweep < 0 {
		bad("enforcement_partitions", "enforcement_partitions, enforcement_replication and enforcement_sweep must not be negative")
	}
	if c.IncidentsRetention <= 0 {
		bad("incidents_retention", "%v: must be positive", c.IncidentsRetention)
	}
	return errors.Join(errs...)
}

// Verdict modes (Config.VerdictsMode).
const (
	VerdictsAll     = "all"
	VerdictsCompact = "compact"
	VerdictsFlagged = "flagged"
)

// maxMessageBytes is the largest output message: the broker's default message.max.bytes.
const maxMessageBytes = 1 << 20

func compression(name string) (kafka.Compression, error) {
	switch name {
	case "", "none":
		return 0, nil
	case "gzip":
		return kafka.Gzip, nil
	case "snappy":
		return kafka.Snappy, nil
	case "lz4":
		return kafka.Lz4, nil
	case "zstd":
		return kafka.Zstd, nil
	}
	return 0, fmt.Errorf("%q: want none, gzip, snappy, lz4 or zstd", name)
}
