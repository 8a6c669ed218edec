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
// anchors, and so results, deterministic.
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
	tableBits = 10
	window    = 32 // bytes the gear hash covers
	keyBytes  = 16 // bytes ending at two anchors that must be equal for a loop to be looked for
	// maxLoopScan bounds the bytes searched for loops: a model that loops does so early
	// enough; longer texts are checked on their first 64 KiB (the other checks read all).
	maxLoopScan = 64 << 10
)

// scan makes the passes over text: garbage counts, the rune count when a check needs it,
// then the loop search.
//
// Garbage: control characters (bytes below 0x20 but tab, newline and carriage return),
// U+FFFD (EF BF BD), C1 controls (C2 80..C2 9F) and UTF-8 read as Latin-1 (Ã or Â
// followed by another Latin-1 sequence) are found 8 bytes at a time: a word is looked at
// at the bytes that may start (or end) garbage: a control byte, 0xBD, 0xC2, 0xC3, and 0x94
// for 锟斤拷, UTF-8's U+FFFD read as GBK and back.
//
// Loop search: a text that repeats a stretch of p bytes back to back has equal 16-byte
// windows p bytes apart. Windows are remembered at anchors, positions picked by content
// (at odd offsets, those where the hash's top 2 bits are zero: 1 in 8 bytes, the same in
// every copy, or for an odd period every other copy, so long periods are found) and by
// position (every 8th byte: short periods, which may have no content anchor, still meet
// an earlier copy at a multiple of their period within 8 periods). An
// anchor whose window equals the remembered one at lag L is extended both ways while
// text[x] == text[x+L], and L is reduced to the smallest period of the stretch.
func scan(text string, cfg *Config) stats {
	var st stats
	st.garbageScan(text)
	if g := st.garbage(); cfg.MaxRunes > 0 && len(text) > cfg.MaxRunes || g >= cfg.MinGarbage {
		st.runes = utf8.RuneCountInString(text)
	}
	n := len(text)
	loopEnd := min(n, maxLoopScan)
	if loopEnd < window+cfg.MinLoopBytes {
		return st
	}
	var table [1 << tableBits]int32 // last anchor position + 1 per hash slot
	// Anchors are marked without branching (a random 1-in-8 branch mispredicts too often to
	// be cheap) in a bit mask per 64 bytes, then looked up; the positional ones are a
	// constant mask (blocks start at multiples of 64).
	b := unsafe.Slice(unsafe.StringData(text), len(text))
	var h uint32
	for i := 0; i < window; i++ {
		h = h<<1 + gear[b[i]]
	}
	// skip: anchors before it lie in a stretch extend already judged not a loop (a run of
	// one character, laughter, a short repeat): without it a long run would be extended
	// again from every anchor inside it, quadratic in its length.
	skip := 0
	for base := window &^ 63; base < loopEnd; base += 64 {
		end := min(base+64, loopEnd)
		from := max(base, window)
		// Two bytes a step: h after both is h<<2 + (g0<<1 + g1), so the chain through h
		// (the loop's critical path) is one shift and one add per two bytes. Only the
		// second byte of a step (an odd offset: from is even) may be a content anchor,
		// at twice the density: the hash after the first byte is not computed. (Anchors
		// at every byte, 1 in 8, missed 1.0 % of the short loops of
		// TestShortLoopsAfterText over eight seeds; these miss 0.4 %, with 535 fewer
		// instructions a record of the realistic mix.) Each byte's anchor bit enters
		// mask at the top and moves down a place per byte, so that after the block byte
		// i's bit is at i-base once mask is shifted down by what the block lacks of 64
		// bytes (constant shifts instead of one by i&63 per byte).
		var mask uint64
		i := from
		for ; i+1 < end; i += 2 {
			h = h<<2 + (gear[b[i]]<<1 + gear[b[i+1]])
			mask = mask>>2 | uint64((h>>30-1)>>31)<<63
		}
		if i < end {
			h = h<<1 + gear[b[i]]
			mask >>= 1
		}
		mask >>= 64 - (end - base)
		mask |= 0x0101010101010101 // i%8 == 0
		mask &= ^uint64(0) << (from - base)
		if end-base < 64 {
			mask &= 1<<(end-base) - 1
		}
		for ; mask != 0; mask &= mask - 1 {
			i := base + bits.TrailingZeros64(mask)
			if i < skip {
				continue
			}
			// The table is keyed by the 8 bytes ending at the anchor; the keyBytes ending
			// there are compared below. (Comparing the hash's whole 32-byte window made a
			// loop of a short period with no content anchor wait for its positional
			// anchors to be 32 bytes inside it: a 15-byte period repeated ten times after
			// other text was missed.)
			slot := (binary.LittleEndian.Uint64(b[i-7:]) * 0x9E3779B97F4A7C15) >> (64 - tableBits)
			j := int(table[slot]) - 1
			table[slot] = int32(i + 1)
			if j < 0 || text[j+1-keyBytes:j+1] != text[i+1-keyBytes:i+1] {
				continue
			}
			sp, ok, judged := extend(text[:loopEnd], j, i-j, cfg)
			if ok {
				st.loop = sp
				return st
			}
			skip = max(skip, judged)
		}
	}
	return st
}

// SWAR constants: a byte of each value in a uint64.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

func hasZero(x uint64) uint64 { return (x - ones) & ^x & highs }

// garbageScan counts garbage (see scan), 8 bytes at a time: a word is looked at only at
// the bytes that may start garbage.
func (st *stats) garbageScan(text string) {
	b := unsafe.Slice(unsafe.StringData(text), len(text))
	n := len(b)
	i := 0
	for i+8 <= n {
		x := binary.LittleEndian.Uint64(b[i:])
		// bytes < 0x20 (controls; tab, newline and CR are told apart below), 0xBD (the
		// last byte of U+FFFD), 0xC2 or 0xC3, 0x94 (the second byte of 锟). The filter
		// may flag a byte after a flagged one too; special checks exactly. DEL (0x7F) is
		// counted only in the bytes the filter sends there.
		m := (x-ones*0x20)&^x&highs | hasZero(x^(ones*0xBD)) | hasZero(x&(ones*0xFE)^(ones*0xC2)) | hasZero(x^(ones*0x94))
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
	for q := 16; q >= 2; q-- { // positional anchors meet at up to 16 periods
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
