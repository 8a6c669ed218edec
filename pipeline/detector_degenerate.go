package pipeline

import (
	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/degenerate"
	"github.com/aigcwatch/aigcwatch/detectors/lexicon"
)

// The degenerate-output detector runs with its default thresholds but for the length
// limit, which is the service's (Config.MaxOutputRunes).
func init() {
	registerDetector(50, degenerate.Name, func(c *Config) (detectors.Detector, error) {
		return degenerate.New(degenerate.Config{MaxRunes: c.MaxOutputRunes})
	})
}

// withPhrases adds the degenerate detector's refusal and prompt-leak phrases to the
// lexicons, so that the lexicon detector's one automaton finds them too (they use the
// default normalisation, so they share its pass over the text); they are added whatever
// lexicon files are configured.
func withPhrases(lexs []*lexicon.Lexicon) ([]*lexicon.Lexicon, error) {
	lx, err := degenerate.Phrases()
	if err != nil {
		return nil, err
	}
	return append(lexs, lx), nil
}
