package degenerate

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// stats is what the byte pass found.
type stats struct {
	runes                int
	replacement, control int // U+FFFD; C0/C1 controls other than tab, newline, carriage return
	mojibake             int // runes in mis-decoded sequences (Ã©, â€™, 锟斤拷, 烫烫烫)
	loop                 loopSpan
	extends              int // stretches the loop search extended (TestLoopSearchLinear)
}

type loopSpan struct {
	found           bool
	start, end      int // the whole periodic stretch, byte offsets
	period, repeats int
}

func (s *stats) garbage() int { return s.replacement + s.control + s.mojibake }

func (s *stats) garbageKinds() string {
	var parts []string
	if s.replacement > 0 {
		parts = append(parts, "replacement characters")
	}
	if s.control > 0 {
		parts = append(parts, "control characters")
	}
	if s.mojibake > 0 {
		parts = append(parts, "mis-decoded text")
	}
	return strings.Join(parts, ", ")
}

// gear is the table of the gear rolling hash (as in FastCDC): h = h<<1 + gear[b], so a
// 32-bit h depends on the last 32 bytes. Fixed values (SplitMix64 from seed 0x5eed) keep
// the table's slots, and so results, deterministic.
var gear = func() (t [256]uint32) {
	x := uint64(0x5eed)
	for i := range t {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		t[i] = uint32(z ^ z>>31)
	}
	return t
}()

const (
	window = 32 // bytes the gear hash covers
	// sampleEvery: the windows ending at multiples of it are remembered.
	sampleEvery = 16
	tableBits   = 8   // 256 remembered windows (2 KiB)
	keepBytes   = 256 // how long a remembered window keeps its slot against another
	keyBytes    = 16  // bytes ending at a window's end that extend starts from
	// maxLoopScan bounds the bytes searched for loops: a model that loops does so early
	// enough; longer texts are checked on their first 64 KiB (the other checks read all).
	maxLoopScan = 64 << 10
)

// scan makes the passes over text: the loop search, which counts garbage in the bytes it
// reads, the garbage count of the rest, and the rune count when a check needs it.
//
// Garbage: control characters (bytes below 0x20 but tab, newline and carriage return, and
// DEL), U+FFFD (EF BF BD), C1 controls (C2 80..C2 9F) and UTF-8 read as Latin-1 (Ã or Â
// followed by another Latin-1 sequence) are looked at only at the bytes that may start (or
// end) garbage (garbageByte): a control byte, DEL, 0xBD, 0xC2, 0xC3, and 0x94 for 锟斤拷,
// UTF-8's U+FFFD read as GBK and back. The loop search tests each byte it hashes; the
// rest (a text too short to be searched, past a loop found, past 64 KiB) is filtered 8
// bytes at a time. (DEL was counted only where the word filter, which did not look for
// it, happened to stop.)
//
// Loop search: a text that repeats a stretch of p bytes back to back has text[x] ==
// text[x+p] over a run of x as long as the repetition less one period (at least
// MinLoopBytes, 64 by default, for a loop that is reported). The 32-byte windows ending
// at multiples of 16 are remembered by their gear hash; the window ending at every
// position is looked up. A run of 47 bytes or more holds a remembered window (ending at a
// multiple of 16, starting 32 bytes earlier, inside the run) whose copy p bytes on is
// looked up, so every such loop is met unless the slots of all its remembered windows are
// held by other windows of the 256 bytes before them (TestShortLoopsAfterText: 1 loop
// missed of 7,400 over twelve seeds, at the thresholds; the positional and content
// anchors this replaces missed 0.4 %). A window that matches at lag L is extended both
// ways while text[x] == text[x+L], and L is reduced to the smallest period of the
// stretch.
func scan(text string, cfg *Config) stats {
	var st stats
	// The loop search reads the bytes it hashes through garbageByte too; the garbage scan
	// counts the rest.
	read := 0
	if loopEnd := min(len(text), maxLoopScan); loopEnd > max(window, cfg.MinLoopBytes) {
		st.loop, read = st.loopSearch(text, loopEnd, cfg)
	}
	st.garbageScan(text, read)
	if g := st.garbage(); cfg.MaxRunes > 0 && len(text) > cfg.MaxRunes || g >= cfg.MinGarbage {
		st.runes = utf8.RuneCountInString(text)
	}
	return st
}

// loopSearch is scan's loop search over text[:end] (end at most maxLoopScan). It counts the
// garbage in the bytes it reads, and returns the loop found (found is false when none)
// and how many bytes it read: text[:read].
func (st *stats) loopSearch(text string, end int, cfg *Config) (loopSpan, int) {
	// A remembered window's hash and end, in the slot of the hash's top bits (two tables:
	// a look-up compares the hash in memory, and reads the end only when it is equal). An
	// end of 0 is an empty slot: no window ends there.
	var t windows
	b := unsafe.Slice(unsafe.StringData(text), len(text))
	p := unsafe.Pointer(unsafe.StringData(text))
	text = text[:end]
	// Each byte read for the hash is also tested for garbage (gearGarbage's top bit, then
	// special: the bytes garbageScan's filter stops at). Written out at each read: as a
	// closure it was not inlined and cost a call a byte.
	var h uint32
	var g uint64
	for i := 0; i < window; i++ {
		g = gearGarbage[*(*byte)(unsafe.Add(p, i))]
		if int64(g) < 0 {
			st.special(b, i)
		}
		h = h<<1 + uint32(g)
	}
	// h is the hash of text[i-window:i] at each look-up. skip: windows ending before it
	// lie in a stretch extend already judged not a loop (a run of one character,
	// laughter, a short repeat): without it a long run would be extended again from
	// every window inside it, quadratic in its length.
	skip := 0
	for i := window; ; {
		// The windows ending at i, ..., up to the next multiple of sampleEvery, looked
		// up, two a step; that one also remembered. (The look-up is written out at each
		// place: as a method, not inlined, it cost 10,700 instructions a record instead of
		// 4,000.)
		next := min((i+sampleEvery-1)&^(sampleEvery-1), len(text))
		for ; i+2 <= next; i += 2 {
			if t.hashes[h>>(32-tableBits)] == h {
				if sp, ok := t.try(st, text, h, i, &skip, cfg); ok {
					return sp, i
				}
			}
			g = gearGarbage[*(*byte)(unsafe.Add(p, i))]
			if int64(g) < 0 {
				st.special(b, i)
			}
			h = h<<1 + uint32(g)
			if t.hashes[h>>(32-tableBits)] == h {
				if sp, ok := t.try(st, text, h, i+1, &skip, cfg); ok {
					return sp, i + 1
				}
			}
			g = gearGarbage[*(*byte)(unsafe.Add(p, i+1))]
			if int64(g) < 0 {
				st.special(b, i+1)
			}
			h = h<<1 + uint32(g)
		}
		if i < next {
			if t.hashes[h>>(32-tableBits)] == h {
				if sp, ok := t.try(st, text, h, i, &skip, cfg); ok {
					return sp, i
				}
			}
			g = gearGarbage[*(*byte)(unsafe.Add(p, i))]
			if int64(g) < 0 {
				st.special(b, i)
			}
			h = h<<1 + uint32(g)
			i++
		}
		if t.hashes[h>>(32-tableBits)] == h {
			if sp, ok := t.try(st, text, h, i, &skip, cfg); ok {
				return sp, i
			}
		}
		if i == len(text) {
			return loopSpan{}, i
		}
		// A window keeps its slot against another for keepBytes: the windows of a loop's
		// period are remembered in turn, and when two of them shared a slot each
		// overwrote the other before its copy was looked up (a period of 32 bytes has two,
		// and they share a slot 1 time in 256: the loop was never met, however long).
		if k := h >> (32 - tableBits); t.ends[k] == 0 || t.hashes[k] == h || i-int(t.ends[k]) >= keepBytes {
			t.hashes[k], t.ends[k] = h, int32(i)
		}
		g = gearGarbage[*(*byte)(unsafe.Add(p, i))]
		if int64(g) < 0 {
			st.special(b, i)
		}
		h = h<<1 + uint32(g)
		i++
	}
}

// windows is loopSearch's table of remembered windows.
type windows struct {
	hashes [1 << tableBits]uint32
	ends   [1 << tableBits]int32
}

// try is the rest of a look-up whose hash h, of the window ending at i, equals a
// remembered one's: unless i is within the judged stretch, the two windows are compared
// and extended (extend); it reports a loop, or moves skip past the stretch judged.
func (t *windows) try(st *stats, text string, h uint32, i int, skip *int, cfg *Config) (loopSpan, bool) {
	j := int(t.ends[h>>(32-tableBits)])
	if i <= *skip || j == 0 || text[j-window:j] != text[i-window:i] {
		return loopSpan{}, false
	}
	st.extends++
	sp, ok, judged := extend(text, j-1, i-j, cfg)
	*skip = max(*skip, judged)
	return sp, ok
}

// SWAR constants: a byte of each value in a uint64.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

func hasZero(x uint64) uint64 { return (x - ones) & ^x & highs }

// garbageScan counts garbage (see scan) in text[from:], 8 bytes at a time: a word is
// looked at only at the bytes that may start garbage (garbageByte).
func (st *stats) garbageScan(text string, from int) {
	b := unsafe.Slice(unsafe.StringData(text), len(text))
	n := len(b)
	i := from
	for i+8 <= n {
		x := binary.LittleEndian.Uint64(b[i:])
		// bytes < 0x20 (controls; tab, newline and CR are told apart below), DEL, 0xBD (the
		// last byte of U+FFFD), 0xC2 or 0xC3, 0x94 (the second byte of 锟). The filter
		// may flag a byte after a flagged one too; special checks exactly.
		m := (x-ones*0x20)&^x&highs | hasZero(x^(ones*0x7F)) | hasZero(x^(ones*0xBD)) |
			hasZero(x&(ones*0xFE)^(ones*0xC2)) | hasZero(x^(ones*0x94))
		if m == 0 {
			i += 8
			continue
		}
		i += bits.TrailingZeros64(m) >> 3
		st.special(b, i)
		i++
	}
	for ; i < n; i++ {
		st.special(b, i)
	}
}

// garbageByte marks the bytes at which garbage may start or be recognised: those special
// looks at.
var garbageByte = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	for _, c := range []byte{0x7F, 0xBD, 0xC2, 0xC3, 0x94} {
		t[c] = true
	}
	return t
}()

// gearGarbage is gear with garbageByte in the top bit: the loop search reads both with
// one load a byte.
var gearGarbage = func() (t [256]uint64) {
	for c := range t {
		t[c] = uint64(gear[c])
		if garbageByte[c] {
			t[c] |= 1 << 63
		}
	}
	return t
}()

// special counts the garbage that starts (or, for U+FFFD and 锟斤拷, is recognised) at b[i].
func (st *stats) special(b []byte, i int) {
	n := len(b)
	switch c := b[i]; {
	case c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7F:
		st.control++
	case c == 0xBD && i >= 2 && b[i-1] == 0xBF && b[i-2] == 0xEF:
		st.replacement++
	case c == 0xC2 && i+1 < n && b[i+1] >= 0x80 && b[i+1] < 0xA0:
		st.control++
	case c == 0xC3 && i+2 < n && (b[i+1] == 0x83 || b[i+1] == 0x82 || b[i+1] == 0xA2) && (b[i+2] == 0xC2 || b[i+2] == 0xC3 || b[i+2] == 0xE2):
		st.mojibake += 2
	case c == 0x94 && i >= 1 && b[i-1] == 0xE9 && string(b[i+1:min(n, i+8)]) == "\x9f斤拷":
		st.mojibake += 3 // 锟斤拷: UTF-8's U+FFFD read as GBK and back
	}
}

// extend grows the match of the windows ending at j and j+lag into the stretch where
// text[x] == text[x+lag], finds its smallest period and reports whether it is a loop,
// and the end of the stretch it judged.
func extend(text string, j, lag int, cfg *Config) (loopSpan, bool, int) {
	s, e := j+1-keyBytes, j+1 // text[x] == text[x+lag] for x in [s, e)
	for s > 0 && text[s-1] == text[s-1+lag] {
		s--
	}
	for e+lag < len(text) && text[e] == text[e+lag] {
		e++
	}
	p := lag
	for q := 16; q >= 2; q-- { // a window may meet a copy some periods on
		if lag%q == 0 && periodic(text[s:e+lag], lag/q) {
			p = lag / q
			break
		}
	}
	span := e + lag - s
	// Snap to rune boundaries so the evidence is whole characters: the start forward, the
	// end (e+lag, within the text) back. (The end was once s+span after moving s, which
	// ran past the text when the repetition began inside the character before the loop.)
	end := e + lag
	for s < end && !utf8.RuneStart(text[s]) {
		s++
	}
	for end > s && end < len(text) && !utf8.RuneStart(text[end]) {
		end--
	}
	repeats := span / p
	if repeats < cfg.MinLoopRepeats || span-p < cfg.MinLoopBytes || !wordy(text[s:min(s+p, len(text))]) {
		return loopSpan{}, false, e + lag
	}
	return loopSpan{found: true, start: s, end: end, period: p, repeats: repeats}, true, e + lag
}

func periodic(s string, p int) bool {
	for x := p; x < len(s); x++ {
		if s[x] != s[x-p] {
			return false
		}
	}
	return true
}

// wordy reports whether unit holds at least 3 distinct letters (any script): "哈哈哈",
// "hahaha", "-----" and table rules are laughter and layout, not a model stuck.
func wordy(unit string) bool {
	var seen [3]rune
	k := 0
	for _, r := range unit {
		if !isLetter(r) {
			continue
		}
		dup := false
		for _, x := range seen[:k] {
			dup = dup || x == r
		}
		if !dup {
			seen[k] = r
			k++
			if k == 3 {
				return true
			}
		}
	}
	return false
}
