// Package defaults embeds what aigcwatch runs with when given nothing else: the rule
// packs for CN, EU, US and UK and the team's default lexicon. Files on disk given by
// --rules and --lexicon replace them.
package defaults

import (
	"embed"
	"io/fs"
)

//go:embed packs/*.yaml
var packs embed.FS

//go:embed lexicon.tsv
var lexicon []byte

// Packs returns the embedded rule packs, rooted at the pack files.
func Packs() fs.FS {
	sub, err := fs.Sub(packs, "packs")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}

// Lexicon returns the embedded default lexicon (TSV: term, category, severity).
func Lexicon() []byte { return lexicon }

// LexiconName is the name the embedded lexicon is reported under.
const LexiconName = "embedded:lexicon.tsv"
