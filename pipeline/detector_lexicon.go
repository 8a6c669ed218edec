package pipeline

import (
	"log/slog"

	"github.com/aigcwatch/aigcwatch/defaults"
	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/lexicon"
)

func init() { registerDetector(10, lexicon.Name, buildLexicon) }

// buildLexicon loads the configured lexicon files, or the embedded default lexicon.
// Warnings (e.g. a one-character term left out) are logged; errors list every bad line.
func buildLexicon(c *Config) (detectors.Detector, error) {
	var lexs []*lexicon.Lexicon
	var err error
	if len(c.Lexicons) == 0 {
		var lx *lexicon.Lexicon
		lx, err = lexicon.Parse(defaults.LexiconName, defaults.Lexicon(), lexicon.TSV)
		lexs = []*lexicon.Lexicon{lx}
	} else {
		lexs, err = lexicon.Load(c.Lexicons...)
	}
	if err != nil {
		return nil, err
	}
	if lexs, err = withPhrases(lexs); err != nil {
		return nil, err
	}
	for _, lx := range lexs {
		for _, w := range lx.Warnings {
			slog.Warn(w, "component", "lexicon")
		}
	}
	set, err := lexicon.Compile(lexs...)
	if err != nil {
		return nil, err
	}
	return lexicon.New(set), nil
}
