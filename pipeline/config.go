package pipeline

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/aigcwatch/aigcwatch/defaults"
	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/record"
	"github.com/aigcwatch/aigcwatch/rules"
)

// Config is what every way in (scan, run, serve) needs to build a Processor.
type Config struct {
	Rules               string   `yaml:"rules"`   // directory or file of packs; "" = embedded packs
	Lexicons            []string `yaml:"lexicon"` // lexicon files; none = embedded default lexicon
	Banks               []string `yaml:"banks"`   // fingerprint bank files; none = no fingerprint matching
	DefaultJurisdiction string   `yaml:"jurisdiction"`
	MaxRecordBytes      int      `yaml:"max_record_bytes"`
	MaxTextBytes        int      `yaml:"max_text_bytes"`
	IncidentSource      string   `yaml:"incident_source"`
	PseudonymKeyFile    string   `yaml:"pseudonym_key_file"` // else $AIGCWATCH_PSEUDONYM_KEY, else incident.DevKey
	BanksTopic          string   `yaml:"banks_topic"`        // Kafka topic of live bank lines (aigcwatch run); "" = none
	AutoBankLabeled     bool     `yaml:"auto_bank_labeled"`  // bank the PDQ of every validly CN-labeled record as labeled_ai
	// VerdictRuleset is what each verdict's ruleset names: "applicable" (or ""), the packs
	// for the record's jurisdiction with their own checksum; "all", every loaded pack
	// with one checksum (the form before 2026-11-28; docs/outputs.md).
	VerdictRuleset string `yaml:"verdict_ruleset"`
	// Strict rejects records whose jurisdiction no pack names (directly, through its
	// country, an alias or EU membership) to the dead-letter output, reason
	// unknown_jurisdiction. Otherwise they are judged by the "*" packs only and the
	// verdict names the problem.
	Strict bool `yaml:"strict"`
	// MaxOutputRunes is the longest text, in runes, that is not runaway output (the
	// service's output limit): 0 = 32,768, negative = no check (docs/layers.md).
	MaxOutputRunes int `yaml:"max_output_runes"`
	// CampaignAccounts turns on campaign detection (docs/layers.md): near-identical text from
	// this many distinct accounts within CampaignWindow (0 = 10 minutes) is a campaign.
	// 0 = off: it computes a MinHash of every text, which costs more than the rest of the
	// default path.
	CampaignAccounts int           `yaml:"campaign_accounts"`
	CampaignWindow   time.Duration `yaml:"campaign_window"`
	// CampaignTopic (aigcwatch run) is a Kafka topic (any number of partitions, shared by
	// the instances in a consumer group) through which instances count campaigns together,
	// keyed by LSH band and by fingerprint, so that several of them count the same accounts;
	// campaigns are then reported as events on the incidents topic, not as findings in
	// verdicts (docs/layers.md). "" = each process counts what it judges.
	CampaignTopic string `yaml:"campaign_topic"`
	// Campaigns, if set, holds the campaign counts across builds, so a reload does not
	// start them afresh (as Fingerprints holds the banks); nil: each build counts anew.
	Campaigns *CampaignDetector `yaml:"-"`
	// Registries are filing registry files, one per jurisdiction (docs/layers.md), watched
	// and reloaded like packs and banks; none = only provider_info.filed is read.
	Registries []string `yaml:"registries"`
	// Fingerprints, if set, holds the banks across builds, so live additions (banks topic,
	// auto-banking) survive reloads; nil: each build loads its own (docs/fingerprints.md).
	Fingerprints *FingerprintMatcher `yaml:"-"`
}

// DefaultConfig is the embedded defaults with China as the default jurisdiction.
var DefaultConfig = Config{DefaultJurisdiction: "CN"}

// LoadPacks reads the configured packs.
func (c *Config) LoadPacks() ([]*rules.Pack, error) {
	if c.Rules == "" {
		return rules.LoadFS(defaults.Packs(), ".")
	}
	return rules.LoadPath(c.Rules)
}

// Policies reads the configured packs and builds the enforcement ladders they declare.
func (c *Config) Policies() (*enforce.Policies, error) {
	packs, err := c.LoadPacks()
	if err != nil {
		return nil, err
	}
	return enforce.NewPolicies(packs)
}

// LoadEngine reads and compiles the configured packs.
func (c *Config) LoadEngine() (*rules.Engine, []*rules.Pack, error) {
	packs, err := c.LoadPacks()
	if err != nil {
		return nil, nil, err
	}
	inputs, err := c.inputs()
	if err != nil {
		return nil, nil, err
	}
	opt := rules.Options{DefaultJurisdiction: c.DefaultJurisdiction, Inputs: inputs}
	switch c.VerdictRuleset {
	case "", "applicable":
	case "all":
		opt.AllPacksInVerdicts = true
	default:
		return nil, nil, fmt.Errorf("verdict_ruleset %q: want applicable or all", c.VerdictRuleset)
	}
	e, err := rules.Compile(packs, opt)
	return e, packs, err
}

// inputs hashes the detectors' input files (lexicons, or the embedded one; banks) for the
// verdicts' ruleset, so a verdict names the exact data it was made with.
func (c *Config) inputs() ([]rules.InputRef, error) {
	var out []rules.InputRef
	add := func(name string, data []byte) {
		sum := sha256.Sum256(data)
		out = append(out, rules.InputRef{Name: name, SHA256: hex.EncodeToString(sum[:])})
	}
	if len(c.Lexicons) == 0 {
		add(defaults.LexiconName, defaults.Lexicon())
	}
	for _, p := range append(append(append([]string{}, c.Lexicons...), c.Banks...), c.Registries...) {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", p, err)
		}
		add(p, data)
	}
	return out, nil
}

// PseudonymKey returns the configured key and whether it is the public development key.
func (c *Config) PseudonymKey() ([]byte, bool, error) {
	check := func(where string, k []byte) ([]byte, bool, error) {
		// A key file written by echo ends in a newline that is not meant to be key material.
		k = bytes.TrimRight(k, "\r\n")
		if len(k) < 16 {
			return nil, false, fmt.Errorf("pseudonym key from %s: %d bytes, want at least 16", where, len(k))
		}
		return k, false, nil
	}
	if c.PseudonymKeyFile != "" {
		k, err := os.ReadFile(c.PseudonymKeyFile)
		if err != nil {
			return nil, false, fmt.Errorf("pseudonym key: %w", err)
		}
		return check(c.PseudonymKeyFile, k)
	}
	if k := os.Getenv("AIGCWATCH_PSEUDONYM_KEY"); k != "" {
		return check("$AIGCWATCH_PSEUDONYM_KEY", []byte(k))
	}
	return incident.DevKey, true, nil
}

// Build loads rules and detectors and returns a ready Processor.
func Build(c Config) (*Processor, error) {
	e, _, err := c.LoadEngine()
	if err != nil {
		return nil, err
	}
	det, err := c.BuildDetectors()
	if err != nil {
		return nil, err
	}
	key, _, err := c.PseudonymKey()
	if err != nil {
		return nil, err
	}
	p := NewProcessor(e, det)
	p.Limits = record.Limits{MaxRecordBytes: c.MaxRecordBytes, MaxTextBytes: c.MaxTextBytes}
	p.Strict = c.Strict
	p.Incidents = &incident.Builder{Source: c.IncidentSource, Key: key}
	return p, nil
}

// BuildDetectors builds the configured detectors, in the order they run.
func (c *Config) BuildDetectors() (detectors.Detector, error) {
	var chain detectors.Chain
	for _, b := range detectorBuilders {
		d, err := b.build(c)
		if err != nil {
			return nil, err
		}
		if d != nil {
			chain = append(chain, d)
		}
	}
	return chain, nil
}

// detectorBuilders build each detector from the config; a nil detector is skipped.
// Each detector registers itself from its own file (detector_*.go) so detectors can be
// added without touching this one; order fixes the order they run in.
var detectorBuilders []detectorBuilder

type detectorBuilder struct {
	order int
	name  string
	build func(*Config) (detectors.Detector, error)
}

// registerDetector is called from init functions only; it keeps the list sorted by order
// so that building, which may happen concurrently (reloads), only reads it.
func registerDetector(order int, name string, build func(*Config) (detectors.Detector, error)) {
	detectorBuilders = append(detectorBuilders, detectorBuilder{order, name, build})
	sort.SliceStable(detectorBuilders, func(i, j int) bool { return detectorBuilders[i].order < detectorBuilders[j].order })
}
