package lexicon

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"
	"unsafe"
)

// MatchMode selects which occurrences a Matcher reports.
type MatchMode uint8

const (
	// Overlapping reports every occurrence of every pattern, overlaps included,
	// ordered by end offset (ties: longer first).
	Overlapping MatchMode = iota
	// LeftmostLongest reports non-overlapping occurrences: scanning left to right,
	// the occurrence that starts first wins, and among those the longest; the scan
	// resumes at its end.
	LeftmostLongest
)

// Match is one occurrence of a pattern in a text.
type Match struct {
	Start int   // byte offset of the first byte
	End   int   // byte offset just past the last byte
	ID    int32 // index of the pattern in the slice given to NewMatcher
}

// ErrEmptyPattern is returned by NewMatcher when a pattern is empty or is not valid
// UTF-8; the caller should drop or fix that pattern.
var ErrEmptyPattern = errors.New("lexicon: empty or invalid UTF-8 pattern")

// node is one state of the automaton, laid out as a double-array cell: the child of
// state s on alphabet code c is t = nodes[s].base+c when nodes[t].check == s.
// Keeping the four fields together means one cache line per transition.
type node struct {
	base  int32
	check int32 // parent state; -1 for a free cell and for the root
	fail  int32 // Aho-Corasick failure link
	out   int32 // head of this state's output chain in Matcher.outs; -1 when none
}

// output is a link in an output chain: a pattern ending here, then the next.
type output struct {
	pat  int32
	next int32
}

type astralCode struct {
	r    rune
	code uint32
}

// Matcher finds occurrences of a fixed set of patterns in texts. It is an
// Aho-Corasick automaton over an alphabet of the runes that occur in the patterns,
// stored as a double array of integers (no pointers for the garbage collector to
// scan). Runes absent from every pattern reset the automaton at no cost.
//
// A Matcher is immutable once built and safe for concurrent use by any number of
// goroutines. Scanning allocates nothing when dst has room.
type Matcher struct {
	nodes    []node
	outs     []output
	rootNext []int32  // dense root transitions by code; 0 = stay at the root
	bmp      []uint32 // rune -> code for runes below 0x10000; 0 = not in the alphabet
	astral   []astralCode
	patLen   []int32 // pattern length in bytes
	nStates  int
	alphabet int
}

// NewMatcher builds a Matcher for patterns; pattern i is reported with ID i. Equal
// patterns are allowed and each is reported. Patterns must be non-empty valid UTF-8.
func NewMatcher(patterns []string) (*Matcher, error) {
	if len(patterns) > 1<<30 {
		return nil, fmt.Errorf("lexicon: too many patterns (%d)", len(patterns))
	}
	m := &Matcher{patLen: make([]int32, len(patterns))}

	// Alphabet: each distinct rune gets a code, the most frequent the smallest, so
	// the double array packs densely.
	freq := make(map[rune]int)
	total := 0
	for i, p := range patterns {
		if p == "" || !utf8.ValidString(p) {
			return nil, fmt.Errorf("%w: pattern %d %q", ErrEmptyPattern, i, p)
		}
		if len(p) > 1<<24 {
			return nil, fmt.Errorf("lexicon: pattern %d longer than 16 MiB", i)
		}
		m.patLen[i] = int32(len(p))
		for _, r := range p {
			freq[r]++
			total++
		}
	}
	runes := make([]rune, 0, len(freq))
	for r := range freq {
		runes = append(runes, r)
	}
	slices.SortFunc(runes, func(a, b rune) int {
		if c := cmp.Compare(freq[b], freq[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	m.alphabet = len(runes)
	m.bmp = make([]uint32, 0x10000)
	for i, r := range runes {
		code := uint32(i + 1)
		if r < 0x10000 {
			m.bmp[r] = code
		} else {
			m.astral = append(m.astral, astralCode{r, code})
		}
	}
	slices.SortFunc(m.astral, func(a, b astralCode) int { return cmp.Compare(a.r, b.r) })
	freq = nil

	// Keys: patterns as code sequences in one flat array, then sorted.
	keys := make([]uint32, 0, total)
	keyOff := make([]int32, len(patterns)+1)
	for i, p := range patterns {
		for _, r := range p {
			keys = append(keys, m.code(r))
		}
		keyOff[i+1] = int32(len(keys))
	}
	key := func(i int32) []uint32 { return keys[keyOff[i]:keyOff[i+1]] }
	order := make([]int32, len(patterns))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return slices.Compare(key(a), key(b)) })

	b := builder{m: m}
	b.grow(1 + m.alphabet + 1)
	m.nodes[0] = node{check: -1, fail: 0, out: -1}
	b.used(0)

	// Breadth-first construction straight from the sorted keys: each queue item is a
	// state and the range of sorted keys that pass through it.
	type item struct {
		state, l, r, depth, parent int32
		code                       uint32
	}
	queue := []item{{state: 0, l: 0, r: int32(len(order)), depth: 0, parent: -1}}
	var codes []uint32
	var starts, own []int32
	for qi := 0; qi < len(queue); qi++ {
		it := queue[qi]
		s := it.state
		// Failure link (parents are processed before children).
		if it.parent > 0 {
			f := m.nodes[it.parent].fail
			for {
				if t := m.step(f, it.code); t >= 0 {
					m.nodes[s].fail = t
					break
				}
				if f == 0 {
					m.nodes[s].fail = 0
					break
				}
				f = m.nodes[f].fail
			}
		} else {
			m.nodes[s].fail = 0
		}
		// Outputs: patterns ending here, chained to the failure state's outputs.
		l := it.l
		out := int32(-1)
		if s != 0 {
			out = m.nodes[m.nodes[s].fail].out
		}
		own = own[:0]
		for l < it.r && int32(len(key(order[l]))) == it.depth {
			own = append(own, order[l])
			l++
		}
		for j := len(own) - 1; j >= 0; j-- {
			m.outs = append(m.outs, output{pat: own[j], next: out})
			out = int32(len(m.outs) - 1)
		}
		m.nodes[s].out = out
		// Children.
		codes, starts = codes[:0], starts[:0]
		for j := l; j < it.r; j++ {
			c := key(order[j])[it.depth]
			if len(codes) == 0 || codes[len(codes)-1] != c {
				codes = append(codes, c)
				starts = append(starts, j)
			}
		}
		if len(codes) == 0 {
			continue
		}
		base := b.findBase(codes)
		m.nodes[s].base = base
		for k, c := range codes {
			t := base + int32(c)
			m.nodes[t] = node{check: s, out: -1}
			b.used(t)
			end := it.r
			if k+1 < len(starts) {
				end = starts[k+1]
			}
			queue = append(queue, item{state: t, l: starts[k], r: end, depth: it.depth + 1, parent: s, code: c})
		}
	}
	m.nStates = len(queue)
	queue = nil
	// Pad so that base+code is always in range for any state, then trim capacity.
	need := int(b.maxBase) + m.alphabet + 1
	if need > len(m.nodes) {
		b.grow(need)
	}
	m.nodes = slices.Clip(m.nodes)
	m.outs = slices.Clip(m.outs)
	m.rootNext = make([]int32, m.alphabet+1)
	for c := 1; c <= m.alphabet; c++ {
		if t := m.step(0, uint32(c)); t > 0 {
			m.rootNext[c] = t
		}
	}
	return m, nil
}

type builder struct {
	m            *Matcher
	usedBits     []uint64
	nextCheckPos int32
	maxBase      int32
}

func (b *builder) grow(n int) {
	for len(b.m.nodes) < n {
		b.m.nodes = append(b.m.nodes, node{check: -1, out: -1})
	}
	for len(b.usedBits)*64 < len(b.m.nodes) {
		b.usedBits = append(b.usedBits, 0)
	}
}

func (b *builder) used(i int32)        { b.usedBits[i>>6] |= 1 << (uint(i) & 63) }
func (b *builder) isUsed(i int32) bool { return b.usedBits[i>>6]&(1<<(uint(i)&63)) != 0 }
func (b *builder) ensure(i int32)      { b.grow(int(i) + 1) }

// findBase finds base >= 1 such that every base+c is a free cell (darts-style scan
// with a moving lower bound so that dense regions are not rescanned).
func (b *builder) findBase(codes []uint32) int32 {
	c0 := int32(codes[0])
	pos := max(c0+1, b.nextCheckPos) - 1
	nonzero := int32(0)
	first := true
	for {
		pos++
		b.ensure(pos)
		if b.isUsed(pos) {
			nonzero++
			continue
		}
		if first {
			b.nextCheckPos = pos
			first = false
		}
		base := pos - c0
		if base < 1 {
			continue
		}
		ok := true
		for _, c := range codes[1:] {
			t := base + int32(c)
			b.ensure(t)
			if b.isUsed(t) {
				ok = false
				break
			}
		}
		if ok {
			// Skip ahead when the scanned region is almost full.
			if span := pos - b.nextCheckPos + 1; span > 0 && float64(nonzero)/float64(span) >= 0.95 {
				b.nextCheckPos = pos
			}
			if base > b.maxBase {
				b.maxBase = base
			}
			return base
		}
	}
}

// step returns the child of s on code c, or -1.
func (m *Matcher) step(s int32, c uint32) int32 {
	t := int64(m.nodes[s].base) + int64(c)
	if m.nodes[s].base == 0 && s != 0 {
		return -1 // leaf
	}
	if t < 0 || t >= int64(len(m.nodes)) {
		return -1
	}
	if m.nodes[t].check == s {
		return int32(t)
	}
	return -1
}

func (m *Matcher) code(r rune) uint32 {
	if r < 0x10000 {
		if r < 0 {
			return 0
		}
		return m.bmp[r]
	}
	i, ok := slices.BinarySearchFunc(m.astral, r, func(a astralCode, r rune) int { return cmp.Compare(a.r, r) })
	if ok {
		return m.astral[i].code
	}
	return 0
}

// Patterns returns the number of patterns.
func (m *Matcher) Patterns() int { return len(m.patLen) }

// States returns the number of automaton states.
func (m *Matcher) States() int { return m.nStates }

// SizeBytes returns the memory held by the automaton's arrays.
func (m *Matcher) SizeBytes() int {
	return len(m.nodes)*int(unsafe.Sizeof(node{})) + len(m.outs)*8 + len(m.rootNext)*4 +
		len(m.bmp)*4 + len(m.astral)*8 + len(m.patLen)*4
}

// FindAllBytes is FindAll on a byte slice, without copying it.
func (m *Matcher) FindAllBytes(text []byte, mode MatchMode, dst []Match) []Match {
	return m.FindAll(unsafe.String(unsafe.SliceData(text), len(text)), mode, dst)
}

// FindAll appends to dst the occurrences of the patterns in text and returns the
// extended slice. Offsets are byte offsets into text. It allocates only when dst
// must grow.
func (m *Matcher) FindAll(text string, mode MatchMode, dst []Match) []Match {
	first := len(dst)
	dst = m.scan(text, dst)
	if mode == LeftmostLongest {
		dst = leftmostLongest(dst, first)
	}
	return dst
}

// Contains reports whether any pattern occurs in text.
func (m *Matcher) Contains(text string) bool {
	var buf [1]Match
	return len(m.scanLimit(text, buf[:0], true)) > 0
}

func (m *Matcher) scan(text string, dst []Match) []Match { return m.scanLimit(text, dst, false) }

func (m *Matcher) scanLimit(text string, dst []Match, stopAtFirst bool) []Match {
	nodes := m.nodes
	outs := m.outs
	bmp := m.bmp[:0x10000]
	rootNext := m.rootNext
	patLen := m.patLen
	s := int32(0)
	n := len(text)
	for i := 0; i < n; {
		b := text[i]
		var c uint32
		if b < utf8.RuneSelf {
			c = bmp[b]
			i++
		} else {
			var r rune
			w := 0
			if b >= 0xE0 && b < 0xF0 && i+2 < n {
				b1, b2 := text[i+1], text[i+2]
				if b1&0xC0 == 0x80 && b2&0xC0 == 0x80 {
					r = rune(b&0x0F)<<12 | rune(b1&0x3F)<<6 | rune(b2&0x3F)
					if r >= 0x800 && (r < 0xD800 || r > 0xDFFF) {
						w = 3
					}
				}
			}
			if w == 0 {
				r, w = utf8.DecodeRuneInString(text[i:])
				if r == utf8.RuneError && w == 1 {
					r = -1
				}
			}
			i += w
			if r >= 0 && r < 0x10000 {
				c = bmp[r]
			} else if r >= 0 {
				c = m.code(r)
			}
		}
		if c == 0 {
			s = 0
			continue
		}
		for {
			if s == 0 {
				s = rootNext[c]
				break
			}
			t := uint(nodes[s].base) + uint(c)
			if t < uint(len(nodes)) && nodes[t].check == s {
				s = int32(t)
				break
			}
			s = nodes[s].fail
		}
		if s == 0 {
			continue
		}
		for o := nodes[s].out; o >= 0; o = outs[o].next {
			p := outs[o].pat
			dst = append(dst, Match{Start: i - int(patLen[p]), End: i, ID: p})
			if stopAtFirst {
				return dst
			}
		}
	}
	return dst
}

// leftmostLongest reduces the overlapping matches dst[first:] in place to the
// leftmost-longest non-overlapping selection.
func leftmostLongest(dst []Match, first int) []Match {
	ms := dst[first:]
	if len(ms) < 2 {
		return dst
	}
	slices.SortFunc(ms, func(a, b Match) int {
		if c := cmp.Compare(a.Start, b.Start); c != 0 {
			return c
		}
		if c := cmp.Compare(b.End, a.End); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	k := 0
	end := -1
	for _, mt := range ms {
		if mt.Start >= end {
			ms[k] = mt
			k++
			end = mt.End
		}
	}
	return dst[:first+k]
}
