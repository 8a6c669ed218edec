package lexicon

import (
	"fmt"
	"strings"

	"github.com/aigcwatch/aigcwatch/detectors/lexicon/norm"
)

// Set is a compiled group of lexicons: one Matcher per distinct normalisation. It
// is immutable and safe for concurrent use.
type Set struct {
	entries []Entry
	// glued[i] is set when entry i's term changes meaning under its normalisation
	// ("s&m" → "sm", see gluedByTerm): it matches only where the text has a separator
	// inside the occurrence.
	glued  []bool
	groups []group
	terms  int
}

type group struct {
	norm *norm.Normalizer // nil when the normalisation is the identity
	opts norm.Options     // the normalisation's options (zero for the identity)
	m    *Matcher
	// edges[p] says which ends of pattern p need a word boundary (edgeStart, edgeEnd).
	edges []uint8
	// ascii, when the normalisation and terms allow it, scans ASCII text
	// without writing its normalised form (asciiscan.go).
	ascii *asciiTable
	// Pattern p of m stands for entries patEntries[patOff[p]:patOff[p+1]].
	patOff     []int32
	patEntries []int32
}

// Hit is a term found by Set.Scan: an entry and its byte offsets in the original text.
type Hit struct {
	Entry      int32 // index into Set.Entries()
	Start, End int
}

// Scratch is per-goroutine working memory for Set.Scan. The zero value is ready.
type Scratch struct {
	matches []Match
	buf     norm.Buffer
	hits    []Hit
	allows  []Hit
	// The prepared text of asciiTable.scan, its segments and the segment
	// whose normalisation buf holds (-1: none).
	prep   []byte
	psegs  []prepSeg
	bufSeg int
}

// Compile builds a Set from lexicons. Entries whose normalised terms are equal
// share one pattern; each is reported.
func Compile(lexs ...*Lexicon) (*Set, error) {
	s := &Set{}
	byNorm := map[norm.Options]int{}
	type pending struct {
		keys    []string
		entries [][]int32
		index   map[string]int
	}
	var pend []*pending
	for _, lx := range lexs {
		gi, ok := byNorm[lx.Normalize]
		if !ok {
			gi = len(s.groups)
			byNorm[lx.Normalize] = gi
			g := group{}
			if !lx.Normalize.Identity() {
				g.norm = norm.New(lx.Normalize)
				g.opts = g.norm.Options()
			}
			s.groups = append(s.groups, g)
			pend = append(pend, &pending{index: map[string]int{}})
		}
		g, p := &s.groups[gi], pend[gi]
		for _, e := range lx.Entries {
			key := e.Term
			if g.norm != nil {
				key = g.norm.String(e.Term)
			}
			ei := int32(len(s.entries))
			s.entries = append(s.entries, e)
			s.glued = append(s.glued, g.norm != nil && gluedByTerm(e.Term, g.opts))
			if key == "" {
				continue // nothing to match; Parse warns about such terms
			}
			pi, ok := p.index[key]
			if !ok {
				pi = len(p.keys)
				p.index[key] = pi
				p.keys = append(p.keys, key)
				p.entries = append(p.entries, nil)
			}
			p.entries[pi] = append(p.entries[pi], ei)
		}
	}
	for gi, p := range pend {
		g := &s.groups[gi]
		if len(p.keys) == 0 {
			continue
		}
		m, err := NewMatcher(p.keys)
		if err != nil {
			return nil, fmt.Errorf("lexicon: compile: %w", err)
		}
		g.m = m
		if g.norm != nil {
			g.ascii = newASCIITable(m, g.norm.Options(), p.keys)
		}
		g.edges = make([]uint8, len(p.keys))
		for i, k := range p.keys {
			g.edges[i] = edgesOf(k)
		}
		g.patOff = make([]int32, 0, len(p.keys)+1)
		for _, es := range p.entries {
			g.patOff = append(g.patOff, int32(len(g.patEntries)))
			g.patEntries = append(g.patEntries, es...)
		}
		g.patOff = append(g.patOff, int32(len(g.patEntries)))
		s.terms += len(p.keys)
	}
	return s, nil
}

// Entries returns the entries of the Set; Hit.Entry indexes it. Do not modify it.
func (s *Set) Entries() []Entry { return s.entries }

// Len returns the number of entries.
func (s *Set) Len() int { return len(s.entries) }

// SizeBytes is the memory held by the Set's automata.
func (s *Set) SizeBytes() int {
	n := 0
	for _, g := range s.groups {
		if g.m != nil {
			n += g.m.SizeBytes() + 4*(len(g.patOff)+len(g.patEntries))
		}
	}
	return n
}

// Scan finds the entries that occur in text (every occurrence, overlaps included,
// each at word boundaries where its term asks for them: see boundary.go),
// drops those covered by an allow-list occurrence and those whose jurisdictions do
// not include jurisdiction (when both are non-empty), and returns the hits, which
// live in sc until its next use. It allocates nothing once sc has grown.
func (s *Set) Scan(text, jurisdiction string, sc *Scratch) []Hit {
	sc.hits = sc.hits[:0]
	sc.allows = sc.allows[:0]
	for gi := range s.groups {
		g := &s.groups[gi]
		if g.m == nil {
			continue
		}
		sc.matches = sc.matches[:0]
		mapped := g.ascii != nil && g.ascii.scan(g.m, g.norm, text, sc)
		if !mapped {
			scanned := text
			if g.norm != nil {
				g.norm.Normalize(&sc.buf, text)
				scanned = unsafeString(sc.buf.Out)
			}
			sc.matches = g.m.FindAll(scanned, Overlapping, sc.matches)
		}
		for _, mt := range sc.matches {
			start, end := mt.Start, mt.End
			// Word boundaries (boundary.go), tested on the candidates only: in the
			// normalised text where it was written, else around the original.
			edges := g.edges[mt.ID]
			var inStart, inEnd bool
			switch {
			case edges == 0:
			case mapped:
				inStart = edges&edgeStart != 0 && wordBefore(text, start, &g.opts)
				inEnd = edges&edgeEnd != 0 && wordAfter(text, end, &g.opts)
			case g.norm == nil:
				inStart = edges&edgeStart != 0 && wordBefore(text, start, &g.opts)
				inEnd = edges&edgeEnd != 0 && wordAfter(text, end, &g.opts)
			default:
				inStart = edges&edgeStart != 0 && normWordBefore(text, &sc.buf, start)
				inEnd = edges&edgeEnd != 0 && normWordAfter(text, &sc.buf, end)
			}
			if g.norm != nil && !mapped {
				start, end = sc.buf.Span(start, end)
			}
			for _, ei := range g.patEntries[g.patOff[mt.ID]:g.patOff[mt.ID+1]] {
				e := &s.entries[ei]
				if inStart && !e.SubstringStart || inEnd && !e.SubstringEnd ||
					s.glued[ei] && !hasSeparator(text[start:end]) {
					continue
				}
				h := Hit{Entry: ei, Start: start, End: end}
				switch {
				case e.Allow:
					sc.allows = append(sc.allows, h)
				case jurisdiction != "" && len(e.Jurisdictions) > 0 && !hasFold(e.Jurisdictions, jurisdiction):
				default:
					sc.hits = append(sc.hits, h)
				}
			}
		}
	}
	if len(sc.allows) == 0 {
		return sc.hits
	}
	kept := sc.hits[:0]
	for _, h := range sc.hits {
		covered := false
		for _, a := range sc.allows {
			if a.Start <= h.Start && h.End <= a.End {
				covered = true
				break
			}
		}
		if !covered {
			kept = append(kept, h)
		}
	}
	sc.hits = kept
	return kept
}

func hasFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
