package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/aigcwatch/aigcwatch/pipeline"
)

// listFlag is a repeatable flag that also splits on commas.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// choiceFlag is a string flag that takes one of a fixed set of values.
type choiceFlag struct {
	p       *string
	choices []string
}

func (f choiceFlag) String() string {
	if f.p == nil {
		return ""
	}
	return *f.p
}

func (f choiceFlag) Set(v string) error {
	for _, c := range f.choices {
		if v == c {
			*f.p = v
			return nil
		}
	}
	return fmt.Errorf("want %s", strings.Join(f.choices, " or "))
}

// configFlags registers the flags every judging command shares.
func configFlags(fs *flag.FlagSet, c *pipeline.Config) {
	fs.StringVar(&c.Rules, "rules", c.Rules, "rule packs: a directory of *.yaml or one file (default: the embedded CN, EU, US and UK packs)")
	fs.Var((*listFlag)(&c.Lexicons), "lexicon", "lexicon file, repeatable: TSV lines term<TAB>category<TAB>severity, or a JSON array of terms (default: the embedded lexicon)")
	fs.Var((*listFlag)(&c.Banks), "bank", "fingerprint bank file, repeatable: TSV lines hash<TAB>bank<TAB>label<TAB>category<TAB>source (see docs/fingerprints.md)")
	fs.Var((*listFlag)(&c.Registries), "registry", "filing registry file, repeatable: one per jurisdiction, TSV lines provider<TAB>service<TAB>filing number<TAB>status<TAB>filed on<TAB>valid until (see docs/layers.md)")
	fs.IntVar(&c.CampaignAccounts, "campaign-accounts", c.CampaignAccounts, "report near-identical text from this many distinct accounts within --campaign-window as a campaign (0: off; see docs/layers.md)")
	fs.DurationVar(&c.CampaignWindow, "campaign-window", c.CampaignWindow, "the window of --campaign-accounts (0: 10m)")
	fs.StringVar(&c.CampaignTopic, "campaign-topic", c.CampaignTopic, "run only: Kafka topic (any number of partitions) through which instances count campaigns together (see docs/layers.md)")
	fs.IntVar(&c.MaxOutputRunes, "max-output-runes", c.MaxOutputRunes, "longest text, in runes, that is not runaway output (0: 32768; -1: no check)")
	fs.StringVar(&c.DefaultJurisdiction, "jurisdiction", c.DefaultJurisdiction, "jurisdiction for records that carry none")
	fs.IntVar(&c.MaxRecordBytes, "max-record-bytes", c.MaxRecordBytes, "largest record accepted (0: 1 MiB)")
	fs.IntVar(&c.MaxTextBytes, "max-text-bytes", c.MaxTextBytes, "largest text field accepted (0: 256 KiB)")
	fs.StringVar(&c.PseudonymKeyFile, "pseudonym-key-file", c.PseudonymKeyFile, "secret key for pseudonymising accounts in incidents (else $AIGCWATCH_PSEUDONYM_KEY)")
	fs.StringVar(&c.IncidentSource, "incident-source", c.IncidentSource, "CloudEvents source of incidents (default urn:aigcwatch)")
	fs.StringVar(&c.BanksTopic, "banks-topic", c.BanksTopic, "run only: Kafka topic of live fingerprint bank lines, read from the beginning by every instance (see docs/fingerprints.md)")
	fs.Var(choiceFlag{&c.VerdictRuleset, []string{"applicable", "all"}}, "verdict-ruleset", "what each verdict's ruleset names: applicable (the packs for the record's jurisdiction; default) or all (every loaded pack, one checksum: the form before 2026-11-28)")
	fs.BoolVar(&c.Strict, "strict", c.Strict, "reject records whose jurisdiction no pack names (nor its country, an alias or EU membership) to the dead-letter output, instead of judging them by the global packs only with a problem in the verdict")
	fs.BoolVar(&c.AutoBankLabeled, "auto-bank-labeled", c.AutoBankLabeled, "add the PDQ of every record carrying a valid CN implicit label to the labeled_ai bank (CN-TAMPER-01-HISTORY)")
}

func newFlagSet(name, args string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: aigcwatch %s [flags] %s\n\nFlags:\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parseInterspersed parses flags that may come after positional arguments
// (aigcwatch scan a.jsonl --out v.jsonl).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
