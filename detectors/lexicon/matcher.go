package lexicon

import (
	"cmp"
	"errors"
	"fmt"
	"math/bits"
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

// node is one state of the automaton. States are numbered in breadth-first order;
// state 0 is the root.
type node struct {
	fail     int32  // Aho-Corasick failure link
	out      int32  // head of this state's output chain in Matcher.outs; -1 when none
	mask     uint32 // one bit per child code (codeBit): a clear bit proves there is no child
	failMask uint32 // the failure target's mask, read with fail; 0 for the root (see scanLimit)
}

// edge is a slot of the open-addressing transition table: the child of state
// parent on alphabet code code. An empty slot has parent -1. Once the automaton
// is built, child carries hasOutput (the child has outputs) and mask is the
// child's node mask, so that a scan reads the node array only on failure.
type edge struct {
	parent int32
	code   uint32
	child  int32
	mask   uint32
}

// hasOutput is set in edge.child and rootEdge.child for states with outputs.
const hasOutput = -1 << 31

// rootEdge is the root's transition on one code: the child (0 = stay at the root)
// with hasOutput, and the child's mask.
type rootEdge struct {
	child int32
	mask  uint32
}

func codeBit(c uint32) uint32 { return 1 << ((c * 0x9E3779B1) >> 27) }

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
// stored in flat arrays of integers (no pointers for the garbage collector to scan):
// a dense table for the root's transitions, an open-addressing hash table for the
// others, and per state a failure link, an output link and a 32-bit summary of its
// children's codes that rejects most missing transitions without a memory access.
// Each transition carries its target's summary and output flag, and a Bloom filter
// of all transitions, small enough for a core's L2 cache, rejects most of the
// remaining missing ones before the hash table (a cache miss) is probed. Small
// automata (a few thousand terms) are built over the bytes of the patterns
// instead, with a full transition table, and scan a long text as four
// interleaved streams (bytescan.go); medium ones get a full table over runes.
// Runes (or bytes) absent from every pattern reset the automaton at no cost.
//
// A Matcher is immutable once built and safe for concurrent use by any number of
// goroutines. Scanning allocates nothing when dst has room.
type Matcher struct {
	nodes    []node
	edges    []edge
	shift    uint // 64 - log2(len(edges))
	outs     []output
	rootNext []rootEdge // dense root transitions by code
	bmp      []uint32   // rune -> code for runes below 0x10000; 0 = not in the alphabet
	astral   []astralCode
	patLen   []int32 // pattern length in bytes
	nStates  int
	alphabet int
	maxLen   int32 // longest pattern in bytes
	depth1   int32 // states 1..depth1 are the root's children (breadth-first order)
	// asciiAlpha is set when some ASCII byte is in the alphabet; when none is, a
	// run of ASCII text is skipped eight bytes at a time (skipInert).
	asciiAlpha bool

	// bytes is set when the automaton reads bytes, not runes: its alphabet is
	// the bytes of the patterns (codes in bmp[:256]) and it has a full table.
	bytes bool
	// raw is the byte automaton's table as it reads texts (when bytes is set).
	raw byteTable
	// depth is each state's depth, the length of the pattern prefix it stands for
	// (when bytes is set: Matcher.resync).
	depth []int32

	// dfa, when the automaton is small, is the full transition table: row s (at
	// offset s*stride) holds the next state's row offset for every code, negated
	// (^offset) when that state has outputs. It removes failure-link chasing.
	// Code 0 (not in the alphabet) leads every state to the root.
	dfa    []int32
	stride int32

	// filter is a blocked Bloom filter of the (state, code) pairs that have a
	// transition, sized to stay in a core's L2 cache: a clear bit proves there
	// is none without touching the transition table, which is much larger.
	filter      []uint64
	filterShift uint // 64 - log2(len(filter))
}

// maxDFAEntries bounds the full transition table (4 bytes each) built for small
// automata such as a few thousand English terms.
const maxDFAEntries = 1 << 22

// NewMatcher builds a Matcher for patterns; pattern i is reported with ID i. Equal
// patterns are allowed and each is reported. Patterns must be non-empty valid UTF-8.
func NewMatcher(patterns []string) (*Matcher, error) { return newMatcher(patterns, buildAuto) }

// buildKind selects the automaton newMatcher builds.
type buildKind uint8

const (
	// buildAuto: over bytes with a full table when that surely fits in
	// maxDFAEntries, else over runes with a full table when that fits, else hashed.
	buildAuto    buildKind = iota
	buildRuneDFA           // over runes, full table when it fits (tests)
	buildHashed            // over runes, hashed transitions (tests)
)

func newMatcher(patterns []string, kind buildKind) (*Matcher, error) {
	if len(patterns) > 1<<30 {
		return nil, fmt.Errorf("lexicon: too many patterns (%d)", len(patterns))
	}
	m := &Matcher{patLen: make([]int32, len(patterns))}
	var seen [256]bool
	distinct, totalBytes := 0, 0
	for i, p := range patterns {
		if p == "" || !utf8.ValidString(p) {
			return nil, fmt.Errorf("%w: pattern %d %q", ErrEmptyPattern, i, p)
		}
		if len(p) > 1<<24 {
			return nil, fmt.Errorf("lexicon: pattern %d longer than 16 MiB", i)
		}
		m.patLen[i] = int32(len(p))
		m.maxLen = max(m.maxLen, int32(len(p)))
		totalBytes += len(p)
		for j := 0; j < len(p); j++ {
			if !seen[p[j]] {
				seen[p[j]] = true
				distinct++
			}
		}
	}
	// An automaton over the bytes of UTF-8 has at most totalBytes+1 states. A
	// valid UTF-8 pattern equal to the bytes at some offset of a text starts at a
	// character boundary of that text (its first byte is not a continuation byte),
	// so byte matching finds exactly what rune matching finds.
	m.bytes = kind == buildAuto && (totalBytes+1)*(distinct+1) <= maxDFAEntries
	allowDFA := kind != buildHashed
	// symbols calls f with each symbol of p: its bytes or its runes.
	symbols := func(p string, f func(r rune)) {
		if m.bytes {
			for j := 0; j < len(p); j++ {
				f(rune(p[j]))
			}
			return
		}
		for _, r := range p {
			f(r)
		}
	}

	// Alphabet: each distinct symbol gets a code, the most frequent the smallest,
	// so the tables pack densely.
	freq := make(map[rune]int)
	total := 0
	for _, p := range patterns {
		symbols(p, func(r rune) {
			freq[r]++
			total++
		})
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
		symbols(p, func(r rune) { keys = append(keys, m.code(r)) })
		keyOff[i+1] = int32(len(keys))
	}
	key := func(i int32) []uint32 { return keys[keyOff[i]:keyOff[i+1]] }
	order := make([]int32, len(patterns))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return slices.Compare(key(a), key(b)) })

	// Breadth-first construction straight from the sorted keys: state i is the i-th
	// item of the queue, which records the range of sorted keys passing through it.
	type item struct {
		l, r, depth, parent int32
		code                uint32
	}
	queue := []item{{l: 0, r: int32(len(order)), depth: 0, parent: -1}}
	var children []edge
	var own []int32
	for qi := 0; qi < len(queue); qi++ {
		it := queue[qi]
		l := it.l
		var n node
		n.out = -1
		for l < it.r && int32(len(key(order[l]))) == it.depth {
			own = append(own, order[l])
			l++
		}
		if len(own) > 0 {
			for j := len(own) - 1; j >= 0; j-- {
				m.outs = append(m.outs, output{pat: own[j], next: n.out})
				n.out = int32(len(m.outs) - 1)
			}
			own = own[:0]
		}
		for j := l; j < it.r; j++ {
			c := key(order[j])[it.depth]
			if j == l || c != key(order[j-1])[it.depth] {
				children = append(children, edge{parent: int32(qi), code: c, child: int32(len(queue))})
				queue = append(queue, item{l: j, r: j + 1, depth: it.depth + 1, parent: int32(qi), code: c})
				n.mask |= codeBit(c)
			} else {
				queue[len(queue)-1].r = j + 1
			}
		}
		m.nodes = append(m.nodes, n)
	}
	m.nStates = len(queue)
	if m.bytes {
		m.depth = make([]int32, len(queue))
		for s, it := range queue {
			m.depth[s] = it.depth
		}
	}
	for m.depth1+1 < int32(len(queue)) && queue[m.depth1+1].depth == 1 {
		m.depth1++
	}
	// Transition table at load factor <= 2/3.
	size := 8
	for 2*size < 3*len(children) {
		size *= 2
	}
	m.shift = uint(64 - bits.TrailingZeros(uint(size)))
	m.edges = make([]edge, size)
	for i := range m.edges {
		m.edges[i].parent = -1
	}
	m.rootNext = make([]rootEdge, m.alphabet+1)
	for _, e := range children {
		if e.parent == 0 {
			m.rootNext[e.code].child = e.child
			continue
		}
		h := m.hash(e.parent, e.code)
		for m.edges[h].parent >= 0 {
			h = (h + 1) & uint(size-1)
		}
		m.edges[h] = e
	}
	children = nil
	// Failure links and output chains, in breadth-first order so that a state's
	// failure target (always shallower) is complete before the state.
	for s := 1; s < len(queue); s++ {
		it := queue[s]
		f := int32(0)
		if it.parent > 0 {
			for f = m.nodes[it.parent].fail; ; f = m.nodes[f].fail {
				if t := m.step(f, it.code); t > 0 {
					f = t
					break
				}
				if f == 0 {
					break
				}
			}
		}
		m.nodes[s].fail = f
		fo := m.nodes[f].out
		if o := m.nodes[s].out; o < 0 {
			m.nodes[s].out = fo
		} else {
			for m.outs[o].next >= 0 {
				o = m.outs[o].next
			}
			m.outs[o].next = fo
		}
	}
	for s := range m.nodes {
		if f := m.nodes[s].fail; f > 0 {
			m.nodes[s].failMask = m.nodes[f].mask
		}
	}
	// Now that output chains are complete, give each transition its target's
	// output flag and mask.
	for i := range m.edges {
		if e := &m.edges[i]; e.parent >= 0 {
			e.mask = m.nodes[e.child].mask
			if m.nodes[e.child].out >= 0 {
				e.child |= hasOutput
			}
		}
	}
	for c := range m.rootNext {
		if e := &m.rootNext[c]; e.child > 0 {
			e.mask = m.nodes[e.child].mask
			if m.nodes[e.child].out >= 0 {
				e.child |= hasOutput
			}
		}
	}
	m.nodes = slices.Clip(m.nodes)
	m.outs = slices.Clip(m.outs)
	for c := range utf8.RuneSelf {
		m.asciiAlpha = m.asciiAlpha || m.bmp[c] != 0
	}
	if stride := m.alphabet + 1; allowDFA && m.nStates*stride <= maxDFAEntries {
		m.buildDFA(stride)
		if m.bytes {
			m.raw = byteTable{cls: m.bmp[:256], dfa: m.dfa, stride: m.stride}
		}
	} else {
		m.buildFilter()
	}
	return m, nil
}

func (m *Matcher) buildDFA(stride int) {
	m.stride = int32(stride)
	m.dfa = make([]int32, m.nStates*stride)
	for s := 0; s < m.nStates; s++ {
		row := m.dfa[s*stride : (s+1)*stride]
		fail := m.nodes[s].fail
		for c := 1; c < stride; c++ {
			t := m.step(int32(s), uint32(c))
			if t == 0 && s != 0 {
				// Shallower rows are complete (breadth-first order); keep the
				// encoded value as it is.
				row[c] = m.dfa[int(fail)*stride+c]
				continue
			}
			v := t * int32(stride)
			if m.nodes[t].out >= 0 {
				v = ^v
			}
			row[c] = v
		}
	}
}

// scanDFA is scan for automata with a full transition table.
func (m *Matcher) scanDFA(text string, dst []Match, stopAtFirst bool) []Match {
	dfa := m.dfa
	bmp := m.bmp[:0x10000]
	stride := m.stride
	s := int32(0)
	n := len(text)
	for i := 0; i < n; {
		b := text[i]
		var c uint32
		if b < utf8.RuneSelf {
			c = bmp[b]
			i++
			if c == 0 {
				// Not in the alphabet: every state goes to the root, and so does
				// every following byte that no term holds (skipInert).
				s = 0
				i = m.skipInert(text, i)
				continue
			}
		} else {
			var r rune
			r, i = decodeAt(text, i)
			if r >= 0 && r < 0x10000 {
				c = bmp[r]
			} else if r >= 0 {
				c = m.code(r)
			}
		}
		v := dfa[uint(s)+uint(c)]
		if v >= 0 {
			s = v
			continue
		}
		s = ^v
		for o := m.nodes[s/stride].out; o >= 0; o = m.outs[o].next {
			p := m.outs[o].pat
			dst = append(dst, Match{Start: i - int(m.patLen[p]), End: i, ID: p})
			if stopAtFirst {
				return dst
			}
		}
	}
	return dst
}

// skipInert returns the offset of the first byte at or after i that is not an
// ASCII byte outside the alphabet. An automaton over runes is at its root on such
// bytes and stays there, so a scan skips them: eight at a time when no ASCII byte
// is in the alphabet (a Chinese lexicon over English text or code), one table
// look-up each otherwise. This is the prefilter of Hyperscan and Rust's
// aho-corasick, for the bytes that dominate mixed-script traffic.
func (m *Matcher) skipInert(text string, i int) int {
	n := len(text)
	if !m.asciiAlpha {
		// (Testing a word for a few alphabet bytes as well was measured slower on
		// English with the jieba lexicon, whose alphabet holds 'c', 'A' and 'T':
		// the scan stops too often for the word test to pay.)
		p := unsafe.Pointer(unsafe.StringData(text))
		for i+8 <= n && *(*uint64)(unsafe.Add(p, i))&0x8080808080808080 == 0 {
			i += 8
		}
	}
	bmp := m.bmp[:utf8.RuneSelf]
	for i < n && text[i] < utf8.RuneSelf && bmp[text[i]] == 0 {
		i++
	}
	return i
}

// decodeAt decodes the rune at text[i] (not ASCII) and returns it with the offset
// past it; an invalid byte yields -1 and a width of one.
func decodeAt(text string, i int) (rune, int) {
	b := text[i]
	if b >= 0xE0 && b < 0xF0 && i+2 < len(text) {
		b1, b2 := text[i+1], text[i+2]
		if b1&0xC0 == 0x80 && b2&0xC0 == 0x80 {
			r := rune(b&0x0F)<<12 | rune(b1&0x3F)<<6 | rune(b2&0x3F)
			if r >= 0x800 && (r < 0xD800 || r > 0xDFFF) {
				return r, i + 3
			}
		}
	}
	r, w := utf8.DecodeRuneInString(text[i:])
	if r == utf8.RuneError && w == 1 {
		r = -1
	}
	return r, i + w
}

// buildFilter fills the transition filter: about 12 bits per transition, 64 KiB
// to 512 KiB.
func (m *Matcher) buildFilter() {
	words := 1 << 13
	for words*64 < 12*m.nStates && words < 1<<16 {
		words *= 2
	}
	m.filter = make([]uint64, words)
	m.filterShift = uint(64 - bits.TrailingZeros(uint(words)))
	for _, e := range m.edges {
		if e.parent >= 0 {
			w, b := m.filterBits(e.parent, e.code)
			m.filter[w] |= b
		}
	}
}

// filterBits returns the filter word and the two bits in it for (parent, code).
func (m *Matcher) filterBits(parent int32, code uint32) (uint, uint64) {
	h := (uint64(uint32(parent))<<32 | uint64(code)) * 0x9E3779B97F4A7C15
	w := uint(h >> m.filterShift)
	return w, 1<<((h>>(m.filterShift-6))&63) | 1<<((h>>(m.filterShift-12))&63)
}

func (m *Matcher) hash(parent int32, code uint32) uint {
	return uint((uint64(uint32(parent))<<32 | uint64(code)) * 0x9E3779B97F4A7C15 >> m.shift)
}

// step returns the child of s on code c, or 0 when there is none.
func (m *Matcher) step(s int32, c uint32) int32 {
	if s == 0 {
		return m.rootNext[c].child &^ hasOutput
	}
	if m.nodes[s].mask&codeBit(c) == 0 {
		return 0
	}
	mask := uint(len(m.edges) - 1)
	for h := m.hash(s, c); ; h = (h + 1) & mask {
		e := &m.edges[h]
		if e.parent == s && e.code == c {
			return e.child &^ hasOutput
		}
		if e.parent < 0 {
			return 0
		}
	}
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
	return len(m.nodes)*int(unsafe.Sizeof(node{})) + len(m.edges)*int(unsafe.Sizeof(edge{})) + len(m.dfa)*4 +
		len(m.filter)*8 +
		len(m.outs)*8 + len(m.rootNext)*8 +
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
	if m.bytes {
		return m.scanBytes(text, dst, stopAtFirst)
	}
	if m.dfa != nil {
		return m.scanDFA(text, dst, stopAtFirst)
	}
	nodes := m.nodes
	edges := m.edges
	emask := uint(len(edges) - 1)
	outs := m.outs
	bmp := m.bmp[:0x10000]
	rootNext := m.rootNext
	patLen := m.patLen
	filter := m.filter
	fmask := uint(len(filter) - 1)
	depth1 := m.depth1
	s := int32(0)
	smask := uint32(0) // nodes[s].mask
	n := len(text)
	for i := 0; i < n; {
		b := text[i]
		var c uint32
		if b < utf8.RuneSelf {
			c = bmp[b]
			i++
			if c == 0 {
				// Not in the alphabet: every state goes to the root (no output on
				// the way), and so does every following byte that no term holds.
				s, smask = 0, 0
				i = m.skipInert(text, i)
				continue
			}
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
		bit := codeBit(c)
		var t int32 // the next state, with hasOutput
		// The root and its children take one path: the root's mask reads as
		// 0 (failMask too), and the failure link of its children is the
		// root, so without a child on c both go to the root's child on c,
		// with no branch on which of them s is (a branch mispredicted often)
		// and no read of a child's node (a cache miss). Code 0 (not in the
		// alphabet) needs no test either: no transition has it, and the
		// root's child on it is the root.
	transition:
		for {
			if smask&bit != 0 {
				if w, fb := m.filterBits(s, c); filter[w&fmask]&fb == fb {
					for h := m.hash(s, c); ; h = (h + 1) & emask {
						e := &edges[h]
						if e.parent == s && e.code == c {
							t, smask = e.child, e.mask
							break transition
						}
						if e.parent < 0 {
							break
						}
					}
				}
			}
			if s <= depth1 {
				e := &rootNext[c]
				t, smask = e.child, e.mask
				break
			}
			nd := &nodes[s]
			s, smask = nd.fail, nd.failMask
		}
		s = t &^ hasOutput
		if t >= 0 {
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
