// Package lexicon finds the terms of risk lexicons in text, through normalisation
// that resists the usual evasions, and reports them as detector findings.
//
// A Lexicon is parsed from a file (TSV, a JSON array of strings as in LDNOOBW, or a
// jieba dictionary); lexicons are compiled into an immutable Set (one Matcher per
// distinct normalisation); the Detector holds the current Set behind an
// atomic.Pointer so that a reload swaps it without stopping scans. The package does
// not fetch lexicons, weigh findings or decide verdicts: rules do that.
//
// TSV format, one entry a line, '#' starts a comment line, blank lines are skipped:
//
//	term<TAB>category<TAB>severity<TAB>layer<TAB>jurisdictions<TAB>flags
//
// Only term is required; empty or missing columns take the defaults (category
// "default", severity medium, layer from the category→layer map, no jurisdictions
// meaning all). jurisdictions is comma-separated (CN,EU). flags is comma-separated:
// "single" accepts a one-character term; "word" and "substring" choose how the term
// meets the words around it (see Entry.SubstringStart). A '*' at the start or end of a
// term lets it match inside longer words on that side ("*fuck*"). The category "allow" makes an allow-list
// entry: it reports nothing and suppresses every finding whose span it covers.
// Directive lines configure the whole file:
//
//	#!normalize full,-t2s         normalisation steps (see norm.ParseSteps; default full)
//	#!match substring             terms may match inside longer words (default: word)
//	#!context solicitation news   categories of cues reported only beside other findings
//	#!layer pii=element           category → layer
//	#!default category=abuse severity=high layer=content jurisdictions=CN
package lexicon

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/lexicon/norm"
)

// AllowCategory is the category that marks an allow-list entry.
const AllowCategory = "allow"

// DefaultCategory is the category of entries that name none.
const DefaultCategory = "default"

// Entry is one term of a lexicon.
type Entry struct {
	Term          string // as written in the lexicon file
	Category      string
	Severity      detectors.Severity
	Layer         detectors.Layer
	Jurisdictions []string // empty means every jurisdiction
	Allow         bool     // an allow-list entry (category "allow")
	Single        bool     // a one-character term accepted on purpose
	Source        string   // "file:line"

	// SubstringStart and SubstringEnd let the term match inside a longer word at that
	// end. By default a term whose first (last) character is a letter or digit of a
	// script written with spaces matches only at a word boundary on that side (see
	// boundary.go); a '*' at the start (end) of the term, the file's "#!match
	// substring" directive or the flag "substring" lift that. The '*' is not part of Term.
	SubstringStart, SubstringEnd bool

	// Context marks a term of a context category (the file's "#!context" directive):
	// a cue such as an offer to sell or a news report, which says something about
	// the risk terms near it but is no risk on its own. The Detector reports context
	// findings only for texts that have a finding of another category.
	Context bool

	word bool // the flag "word" while parsing: whole words even under #!match substring
}

// Lexicon is a parsed lexicon file.
type Lexicon struct {
	Name      string
	Entries   []Entry
	Normalize norm.Options
	// Substring is the file's "#!match substring" directive: every term may match
	// inside longer words unless it has the flag "word".
	Substring bool
	// ContextCategories are the file's "#!context" categories (see Entry.Context).
	ContextCategories []string
	// Warnings are problems that did not stop loading, e.g. rejected one-character
	// terms, each "file:line: what".
	Warnings []string
}

// Format is a lexicon file format.
type Format uint8

// Formats.
const (
	TSV Format = iota
	JSONArray
	Jieba
)

// FormatOf guesses the format from a file name: .json is JSONArray, a name ending
// in .dict or .dict.utf8 is Jieba, anything else TSV.
func FormatOf(name string) Format {
	switch {
	case strings.HasSuffix(name, ".json"):
		return JSONArray
	case strings.HasSuffix(name, ".dict"), strings.HasSuffix(name, ".dict.utf8"):
		return Jieba
	}
	return TSV
}

// LineError is one bad line of a lexicon file.
type LineError struct {
	File string
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// ParseError lists every bad line of a file.
type ParseError struct {
	Lines []*LineError
}

func (e *ParseError) Error() string {
	var sb strings.Builder
	sb.WriteString("lexicon: ")
	for i, l := range e.Lines {
		if i > 0 {
			sb.WriteString("\n")
		}
		sb.WriteString(l.Error())
	}
	return sb.String()
}

// Unwrap returns the line errors, for errors.As.
func (e *ParseError) Unwrap() []error {
	errs := make([]error, len(e.Lines))
	for i, l := range e.Lines {
		errs[i] = l
	}
	return errs
}

// Load reads lexicon files, choosing each one's format with FormatOf.
func Load(paths ...string) ([]*Lexicon, error) {
	return LoadFS(nil, paths...)
}

// LoadFS is Load reading from fsys (for embedded defaults); a nil fsys means the
// operating system's files.
func LoadFS(fsys fs.FS, paths ...string) ([]*Lexicon, error) {
	var lexs []*Lexicon
	var errs []error
	for _, p := range paths {
		var data []byte
		var err error
		if fsys == nil {
			data, err = os.ReadFile(p)
		} else {
			data, err = fs.ReadFile(fsys, p)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("lexicon: %w", err))
			continue
		}
		lx, err := Parse(p, data, FormatOf(p))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		lexs = append(lexs, lx)
	}
	return lexs, errors.Join(errs...)
}

type parser struct {
	lx       *Lexicon
	name     string
	errs     []*LineError
	def      Entry
	layers   map[string]detectors.Layer
	seenNorm bool
}

func (p *parser) bad(line int, format string, args ...any) {
	p.errs = append(p.errs, &LineError{File: p.name, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// Parse parses one lexicon file's contents; name is used in messages and Source.
// Every bad line is reported, each as "name:line: what is wrong".
func Parse(name string, data []byte, f Format) (*Lexicon, error) {
	p := &parser{
		lx:   &Lexicon{Name: filepath.Base(name), Normalize: norm.Full()},
		name: name,
		def:  Entry{Category: DefaultCategory, Severity: detectors.Medium},
	}
	switch f {
	case JSONArray:
		p.parseJSON(data)
	case Jieba:
		p.parseLines(data, func(line int, s string) {
			if w, _, _ := strings.Cut(strings.TrimSpace(s), " "); w != "" {
				p.add(line, w, nil)
			}
		})
	default:
		p.parseLines(data, p.tsvLine)
	}
	if len(p.errs) > 0 {
		return nil, &ParseError{Lines: p.errs}
	}
	p.finish()
	return p.lx, nil
}

func (p *parser) parseLines(data []byte, fn func(line int, s string)) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSuffix(sc.Text(), "\r")
		if line == 1 {
			s = strings.TrimPrefix(s, "\ufeff")
		}
		if !utf8.ValidString(s) {
			p.bad(line, "not valid UTF-8")
			continue
		}
		if strings.HasPrefix(s, "#!") {
			p.directive(line, strings.TrimSpace(s[2:]))
			continue
		}
		if strings.TrimSpace(s) == "" || strings.HasPrefix(strings.TrimSpace(s), "#") {
			continue
		}
		fn(line, s)
	}
	if err := sc.Err(); err != nil {
		p.bad(line+1, "%v", err)
	}
}

func (p *parser) parseJSON(data []byte) {
	var terms []string
	if err := json.Unmarshal(data, &terms); err != nil {
		line := 1
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line += bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
		case errors.As(err, &te):
			line += bytes.Count(data[:min(int(te.Offset), len(data))], []byte("\n"))
		}
		p.bad(line, "want a JSON array of strings: %v", err)
		return
	}
	// Find each term's line for Source and messages: terms appear in order.
	off := 0
	for _, t := range terms {
		quoted, _ := json.Marshal(t)
		if i := bytes.Index(data[off:], quoted); i >= 0 {
			off += i
		}
		p.add(1+bytes.Count(data[:off], []byte("\n")), t, nil)
	}
}

func (p *parser) directive(line int, s string) {
	kw, rest, _ := strings.Cut(s, " ")
	rest = strings.TrimSpace(rest)
	switch kw {
	case "normalize", "normalise":
		o, err := norm.ParseSteps(rest)
		if err != nil {
			p.bad(line, "%v", err)
			return
		}
		if p.seenNorm {
			p.bad(line, "second #!normalize directive")
		}
		p.seenNorm = true
		p.lx.Normalize = o
	case "context":
		cats := strings.Fields(rest)
		if len(cats) == 0 {
			p.bad(line, "want #!context category...")
		}
		p.lx.ContextCategories = append(p.lx.ContextCategories, cats...)
	case "match":
		switch rest {
		case "word", "words":
			p.lx.Substring = false
		case "substring", "substrings":
			p.lx.Substring = true
		default:
			p.bad(line, "want #!match word or #!match substring, got %q", rest)
		}
	case "layer":
		for _, kv := range strings.Fields(rest) {
			cat, l, ok := strings.Cut(kv, "=")
			layer, err := detectors.ParseLayer(l)
			if !ok || cat == "" || err != nil {
				p.bad(line, "want #!layer category=layer, got %q", kv)
				continue
			}
			if p.layers == nil {
				p.layers = map[string]detectors.Layer{}
			}
			p.layers[cat] = layer
		}
	case "default":
		for _, kv := range strings.Fields(rest) {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "category":
				p.def.Category = v
			case "severity":
				sev, err := detectors.ParseSeverity(v)
				if err != nil {
					p.bad(line, "%v", err)
				}
				p.def.Severity = sev
			case "layer":
				l, err := detectors.ParseLayer(v)
				if err != nil {
					p.bad(line, "%v", err)
				}
				p.def.Layer = l
				p.layers = setDefaultLayer(p.layers, l)
			case "jurisdictions":
				p.def.Jurisdictions = splitList(v)
			default:
				p.bad(line, "unknown #!default key %q (want category, severity, layer or jurisdictions)", k)
			}
		}
	default:
		p.bad(line, "unknown directive %q (want normalize, match, context, layer or default)", kw)
	}
}

// defaultLayerKey holds a file's default layer in its layer map.
const defaultLayerKey = "\x00default"

func setDefaultLayer(m map[string]detectors.Layer, l detectors.Layer) map[string]detectors.Layer {
	if m == nil {
		m = map[string]detectors.Layer{}
	}
	m[defaultLayerKey] = l
	return m
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func (p *parser) tsvLine(line int, s string) {
	cols := strings.Split(s, "\t")
	if len(cols) > 6 {
		p.bad(line, "%d columns, want at most 6 (term, category, severity, layer, jurisdictions, flags)", len(cols))
		return
	}
	col := func(i int) string {
		if i < len(cols) {
			return strings.TrimSpace(cols[i])
		}
		return ""
	}
	e := p.def
	e.Term = col(0)
	if c := col(1); c != "" {
		e.Category = c
	}
	layerSet := false
	if c := col(2); c != "" {
		sev, err := detectors.ParseSeverity(c)
		if err != nil {
			p.bad(line, "column 3 (severity): %v", err)
			return
		}
		e.Severity = sev
	}
	if c := col(3); c != "" {
		l, err := detectors.ParseLayer(c)
		if err != nil {
			p.bad(line, "column 4 (layer): %v", err)
			return
		}
		e.Layer, layerSet = l, true
	}
	if c := col(4); c != "" {
		e.Jurisdictions = splitList(c)
	}
	for _, fl := range splitList(col(5)) {
		switch fl {
		case "single":
			e.Single = true
		case "word":
			e.word = true
		case "substring":
			e.SubstringStart, e.SubstringEnd = true, true
		default:
			p.bad(line, "column 6 (flags): unknown flag %q (want single, word or substring)", fl)
			return
		}
	}
	if !layerSet {
		e.Layer = layerUnset
	}
	p.add(line, e.Term, &e)
}

// layerUnset marks an entry whose layer comes from the category map.
const layerUnset detectors.Layer = 255

func (p *parser) add(line int, term string, e *Entry) {
	if e == nil {
		d := p.def
		d.Layer = layerUnset
		e = &d
	}
	// A '*' at either end opts that end into substring matching; a term that is only
	// stars is left as it is (and is a one-character or empty term below).
	if t := strings.Trim(term, "*"); t != "" && strings.TrimSpace(t) == t {
		if strings.HasPrefix(term, "*") {
			e.SubstringStart = true
		}
		if strings.HasSuffix(term, "*") {
			e.SubstringEnd = true
		}
		term = t
	}
	e.Term = term
	if strings.TrimSpace(term) == "" {
		p.bad(line, "empty term")
		return
	}
	if !utf8.ValidString(term) {
		p.bad(line, "term is not valid UTF-8")
		return
	}
	if strings.ContainsAny(term, "\n\r") {
		p.bad(line, "term contains a line break")
		return
	}
	e.Allow = e.Category == AllowCategory
	e.Source = fmt.Sprintf("%s:%d", p.name, line)
	p.lx.Entries = append(p.lx.Entries, *e)
}

// finish resolves layers and applies checks that need the whole file (the
// normalisation directive may come after terms).
func (p *parser) finish() {
	n := norm.New(p.lx.Normalize)
	kept := p.lx.Entries[:0]
	for _, e := range p.lx.Entries {
		key := n.String(e.Term)
		if key == "" {
			p.lx.Warnings = append(p.lx.Warnings, e.Source+": term "+quote(e.Term)+" is empty after normalisation; skipped")
			continue
		}
		if utf8.RuneCountInString(key) == 1 && !e.Single && !e.Allow {
			p.lx.Warnings = append(p.lx.Warnings, e.Source+": one-character term "+quote(e.Term)+" skipped (mark it with the flag \"single\" to keep it)")
			continue
		}
		if e.Layer == layerUnset {
			e.Layer = LayerOf(e.Category, p.layers)
		}
		e.Context = slices.Contains(p.lx.ContextCategories, e.Category)
		if p.lx.Substring && !e.word {
			e.SubstringStart, e.SubstringEnd = true, true
		}
		e.word = false
		kept = append(kept, e)
	}
	p.lx.Entries = kept
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

// DefaultLayers maps categories to layers when neither the entry nor the file says.
// Categories not listed are content-layer.
var DefaultLayers = map[string]detectors.Layer{
	"pii":              detectors.Element,
	"personal_data":    detectors.Element,
	"data_leak":        detectors.Element,
	"credential":       detectors.Element,
	"algorithm":        detectors.Technology,
	"model_abuse":      detectors.Technology,
	"jailbreak":        detectors.Technology,
	"prompt_injection": detectors.Technology,
	"ip":               detectors.Industry,
	"copyright":        detectors.Industry,
	"unfair_practice":  detectors.Industry,
	"cyberattack":      detectors.Global,
	"malware":          detectors.Global,
	"cross_border":     detectors.Global,
}

// LayerOf returns the layer of category: from fileMap (a file's #!layer lines),
// then DefaultLayers, then the file's default layer, else Content.
func LayerOf(category string, fileMap map[string]detectors.Layer) detectors.Layer {
	if l, ok := fileMap[category]; ok {
		return l
	}
	if l, ok := DefaultLayers[category]; ok {
		return l
	}
	if l, ok := fileMap[defaultLayerKey]; ok {
		return l
	}
	return detectors.Content
}
