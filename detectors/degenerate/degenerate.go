// Package degenerate finds degenerate generated output, the technology layer of risk: a
// model stuck in a repetition loop, output that ran past the configured length, garbage
// (replacement and control characters, mis-decoded text), text in a script its declared
// language does not use; and it owns the phrase list (phrases.tsv) for refusals and leaked
// system prompts and chat-template tokens, which the pipeline compiles into the lexicon
// detector's automaton (Phrases), so that matching them costs no second pass over the
// text: those findings come from the lexicon detector, in the technology layer.
//
// It is built to be cheap on the hot path: one pass over the bytes hashes every 32-byte
// window for the loop search and counts garbage (runes are counted only when a check
// needs them); the script of each letter is looked at
// only when the record declares a language. What it leaves out: telling which language a
// Latin-script text is written in (English and German look the same to a script check),
// semantic repetition (the same point made in other words), and judging whether a refusal
// was right.
package degenerate

import (
	"context"
	_ "embed"
	"strconv"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/lexicon"
	"github.com/aigcwatch/aigcwatch/record"
)

// Name is the detector's name in findings.
const Name = "degenerate"

// Categories of the findings this detector makes; all are technology-layer.
const (
	Loop             = "output.repetition_loop"   // the same stretch repeated back to back
	Runaway          = "output.runaway_length"    // more runes than Config.MaxRunes
	Garbage          = "output.garbage"           // replacement/control characters or mojibake
	LanguageMismatch = "output.language_mismatch" // letters mostly in a script the declared language does not use
	Refusal          = "output.refusal"           // a refusal phrase (phrases.tsv, found by the lexicon detector)
	PromptLeak       = "output.prompt_leak"       // a chat-template token or the model's own instructions (likewise)
)

// Categories lists every category, for lints and metrics.
var Categories = []string{Loop, Runaway, Garbage, LanguageMismatch, Refusal, PromptLeak}

//go:embed phrases.tsv
var phrases []byte

// PhrasesName is the name the embedded phrase lexicon is reported under.
const PhrasesName = "embedded:degenerate/phrases.tsv"

// Config sets the thresholds. The zero value of a field means its default.
type Config struct {
	// MaxRunes is the longest text, in runes, that is not runaway output; a platform sets it
	// to its service's output limit. Default 32,768; negative turns the check off.
	MaxRunes int `yaml:"max_runes"`
	// MinLoopBytes is how many bytes a loop must repeat (beyond its first occurrence) to be
	// reported. Default 64.
	MinLoopBytes int `yaml:"min_loop_bytes"`
	// MinLoopRepeats is how many times in a row the looping stretch must occur. Default 4:
	// people repeat a sentence three times for emphasis ("以后再也不会定这家了！！！" ×3 in
	// the waimai reviews); a model stuck in a loop goes on until its token limit.
	MinLoopRepeats int `yaml:"min_loop_repeats"`
	// GarbageShare is the share of runes that are garbage from which a finding is made,
	// with at least MinGarbage of them. Defaults 0.05 and 8.
	GarbageShare float64 `yaml:"garbage_share"`
	MinGarbage   int     `yaml:"min_garbage"`
	// ScriptShare is the share of letters in the declared language's scripts below which
	// the language does not match, counted over at least MinLetters letters. A word of an
	// alphabetic script (Latin, Cyrillic, ...) counts as one letter, like one Han
	// character. Defaults 0.25 and 12.
	ScriptShare float64 `yaml:"script_share"`
	MinLetters  int     `yaml:"min_letters"`
}

// Defaults.
const (
	DefaultMaxRunes       = 32768
	DefaultMinLoopBytes   = 64
	DefaultMinLoopRepeats = 4
	DefaultGarbageShare   = 0.05
	DefaultMinGarbage     = 8
	DefaultScriptShare    = 0.25
	DefaultMinLetters     = 12
)

func (c Config) withDefaults() Config {
	if c.MaxRunes == 0 {
		c.MaxRunes = DefaultMaxRunes
	}
	if c.MinLoopBytes <= 0 {
		c.MinLoopBytes = DefaultMinLoopBytes
	}
	if c.MinLoopRepeats <= 1 {
		c.MinLoopRepeats = DefaultMinLoopRepeats
	}
	if c.GarbageShare <= 0 {
		c.GarbageShare = DefaultGarbageShare
	}
	if c.MinGarbage <= 0 {
		c.MinGarbage = DefaultMinGarbage
	}
	if c.ScriptShare <= 0 {
		c.ScriptShare = DefaultScriptShare
	}
	if c.MinLetters <= 0 {
		c.MinLetters = DefaultMinLetters
	}
	return c
}

// Phrases returns the refusal and prompt-leak phrase lexicon (phrases.tsv), to be compiled
// with the other lexicons into the lexicon detector's Set.
func Phrases() (*lexicon.Lexicon, error) {
	return lexicon.Parse(PhrasesName, phrases, lexicon.TSV)
}

// Detector reports degenerate output. Safe for concurrent use; it allocates only for the
// findings it makes.
type Detector struct {
	cfg Config
}

// New returns a Detector with cfg's thresholds.
func New(cfg Config) (*Detector, error) {
	return &Detector{cfg: cfg.withDefaults()}, nil
}

// Name implements detectors.Detector.
func (*Detector) Name() string { return Name }

// Detect implements detectors.Detector.
func (d *Detector) Detect(_ context.Context, r *record.Record, res *detectors.Result) error {
	text := r.Text
	if text == "" {
		return nil
	}
	add := func(cat string, sev detectors.Severity, start, end int, detail string) {
		res.Findings = append(res.Findings, detectors.Finding{Detector: Name, Category: cat, Severity: sev, Layer: detectors.Technology,
			Evidence: detectors.Evidence{Start: start, End: end, Detail: detail}})
	}
	st := scan(text, &d.cfg)
	if st.loop.found {
		add(Loop, detectors.Medium, st.loop.start, st.loop.end,
			"period "+strconv.Itoa(st.loop.period)+" bytes, "+strconv.Itoa(st.loop.repeats)+" times in a row")
	}
	if d.cfg.MaxRunes > 0 && st.runes > d.cfg.MaxRunes { // counted when the text has more bytes than MaxRunes
		add(Runaway, detectors.Low, 0, 0, strconv.Itoa(st.runes)+" runes, limit "+strconv.Itoa(d.cfg.MaxRunes))
	}
	if g := st.garbage(); g >= d.cfg.MinGarbage && float64(g) >= d.cfg.GarbageShare*float64(st.runes) { // st.runes is counted when g ≥ MinGarbage
		add(Garbage, detectors.Medium, 0, 0, strconv.Itoa(g)+" of "+strconv.Itoa(st.runes)+" runes: "+st.garbageKinds())
	}
	if r.Language != "" {
		if want, ok := languageScripts(r.Language); ok {
			in, letters, top := scriptShare(text, want)
			if letters >= d.cfg.MinLetters && float64(in) < d.cfg.ScriptShare*float64(letters) {
				add(LanguageMismatch, detectors.Low, 0, 0, "declared "+r.Language+", "+strconv.Itoa(in)+" of "+
					strconv.Itoa(letters)+" words or characters in its script; mostly "+top)
			}
		}
	}
	return nil
}
