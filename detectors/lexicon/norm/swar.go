package norm

import (
	"encoding/binary"
	"math/bits"
)

// Eight ASCII bytes at a time (SWAR: SIMD within a register). Every function
// here requires bytes below 0x80, so that adding up to 0x80 to a byte never
// carries into the next one.

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// geq sets the top bit of each byte of x that is >= c (1 <= c <= 0x80).
func geq(x uint64, c byte) uint64 { return (x + lsb*uint64(0x80-c)) & msb }

// inRange sets the top bit of each byte of x in [lo, hi] (hi < 0x7F).
func inRange(x uint64, lo, hi byte) uint64 { return geq(x, lo) &^ geq(x, hi+1) }

// lowerASCII maps the upper-case letters among the eight bytes of x to lower case.
func lowerASCII(x uint64) uint64 { return x | inRange(x, 'A', 'Z')>>2 }

// movemask gathers the top bits of the bytes of m (only top bits set) into the
// low eight bits, byte i to bit i.
func movemask(m uint64) uint32 { return uint32(((m >> 7) * 0x0102040810204080) >> 56) }

// asciiChunks is asciiRun's fast path for the separators step with MaxRun 1:
// from a word byte text[k], with left word characters before it, it copies the
// text to out[w:] (lower-cased when fold is set) as long as every separator run
// it passes is decided without context: a run holding something else than white
// space is kept as it is, a run of one white-space byte becomes one space, a
// longer run of white space one space mapped to the whole run (a seg of its
// own), and a run of at most maxSep bytes between two one-character words is
// dropped (glued). It stops at the start of a longer run between two
// one-character words, or where fewer than 24 bytes are left before lim (it
// judges the runs that start in 16 bytes with the 8 after them), and returns
// where it stopped with the new output length, word count and linear-run end
// (see Buffer.linEnd), having appended the segs of what it wrote.
//
// In a stretch without such runs it advances by 16 bytes, so that the loads of
// one chunk do not wait for the judgement of the one before, and the masks of
// the last 8 bytes serve the next chunk.
func asciiChunks(segs []seg, text string, k, lim int, out []byte, w, left int, lin int32, fold bool, maxSep int) ([]seg, int, int, int, int32) {
	if k+24 > lim || w+24 > len(out) {
		return segs, k, w, left, lin
	}
	k0, left0 := k, left
	al, aw, as, ac := classify8(text[k:k+8], fold)
	for k+24 <= lim && w+24 <= len(out) {
		// Bytes 8..15 (b) and 16..23 (y): classify8, written out, since a call
		// here would spill every live value.
		bl := binary.LittleEndian.Uint64([]byte(text[k+8 : k+16]))
		blow := bl | inRange(bl, 'A', 'Z')>>2
		bctl := inRange(bl, '\t', '\r')
		bw := movemask(inRange(blow, 'a', 'z') | inRange(bl, '0', '9'))
		bs := movemask(bctl | inRange(bl, ' ', ' '))
		bc := movemask(bctl)
		yl := binary.LittleEndian.Uint64([]byte(text[k+16 : k+24]))
		ylow := yl | inRange(yl, 'A', 'Z')>>2
		yctl := inRange(yl, '\t', '\r')
		yw := movemask(inRange(ylow, 'a', 'z') | inRange(yl, '0', '9'))
		ys := movemask(yctl | inRange(yl, ' ', ' '))
		yc := movemask(yctl)
		if fold {
			bl, yl = blow, ylow
		}
		if yw == 0 {
			break // bytes 16..23 are all separators: a run's end may be unknown
		}
		word, space := aw|bw<<8|yw<<16, as|bs<<8|ys<<16
		// Runs of separators before byte c, the first word byte from 16 on:
		// all runs starting in bytes 0..15. A run going on at byte 0 (after no
		// word byte) started in the chunk before, which judged it.
		c := 16 + bits.TrailingZeros32(yw)
		runs := ^word & (1<<c - 1)
		prev := word<<1 | b2u(left >= 1) // bit i: byte i-1 is a word byte
		if runs&1 != 0 && prev&1 == 0 {
			runs &^= runs &^ (runs + 1) // drop the run going on at byte 0
		}
		starts := runs & prev
		// The bit after each run, set when the run holds no other byte than
		// white space (adding a run's bits carries into the bit after it only
		// when some bit inside was added).
		after := (runs << 1) &^ runs
		allSpace := after &^ (runs + runs&^space)
		single := runs &^ (runs << 1) &^ (runs >> 1)
		long := allSpace &^ (single << 1) // runs of white space collapsed to one space
		// Runs between two one-character words may be glued. m has bits for
		// the two bytes before k (left >= 1, left >= 2); byte 23's right
		// neighbour is unknown, so a word there counts as one character. The
		// carry of adding a run start (after a short word) to the run lands on
		// the bit after it.
		m := word<<2 | prev&1<<1 | b2u(left >= 2)
		short := m &^ (m << 1) &^ (m >> 1)
		r := runs << 2
		glue := ((r + (short<<1)&(starts<<2)) &^ r & short) >> 2
		if trouble := long | glue; trouble != 0 {
			// Write up to the start of the first such run.
			e := bits.TrailingZeros32(trouble)
			stop := 31 - bits.LeadingZeros32(starts&(1<<e-1))
			binary.LittleEndian.PutUint64(out[w:], al)
			binary.LittleEndian.PutUint64(out[w+8:], bl)
			binary.LittleEndian.PutUint64(out[w+16:], yl)
			for r := single & (ac | bc<<8 | yc<<16) & (1<<stop - 1); r != 0; r &= r - 1 {
				out[w+bits.TrailingZeros32(r)] = ' '
			}
			if stop > 0 {
				if int32(k) != lin {
					segs = append(segs, seg{int32(w), int32(k), -1})
				}
				lin = int32(k + stop)
			}
			if glue&(1<<e) != 0 && e-stop <= maxSep {
				// Glued: the run between two one-character words is dropped,
				// and the text goes on from the word byte after it.
				lin = -1
				k, w, left = k+e, w+stop, 0
				k0, left0 = k, 0
				if k+24 > lim || w+24 > len(out) {
					return segs, k, w, left, lin
				}
				al, aw, as, ac = classify8(text[k:k+8], fold)
				continue
			}
			if glue&(1<<e) != 0 {
				// Decided by the caller, after the word before it.
				if nonWord := ^word & (1<<stop - 1); nonWord == 0 {
					left += stop
				} else {
					left = stop - 32 + bits.LeadingZeros32(nonWord)
				}
				return segs, k + stop, w + stop, left, lin
			}
			// One space for the run text[k+stop:k+e], then on from the word
			// byte after it.
			out[w+stop] = ' '
			segs = append(segs, seg{int32(w + stop), int32(k + stop), int32(k + e)})
			lin = -1
			k, w, left = k+e, w+stop+1, 0
			k0, left0 = k, 0
			if k+24 > lim || w+24 > len(out) {
				return segs, k, w, left, lin
			}
			al, aw, as, ac = classify8(text[k:k+8], fold)
			continue
		}
		// Single white-space runs (\t..\r) in bytes 0..15 become one space.
		sub := spread[uint8(single&ac)]
		binary.LittleEndian.PutUint64(out[w:], al&^sub|lsb*' '&sub)
		sub = spread[uint8(single>>8&bc)]
		binary.LittleEndian.PutUint64(out[w+8:], bl&^sub|lsb*' '&sub)
		if int32(k) != lin {
			segs = append(segs, seg{int32(w), int32(k), -1})
		}
		if lo := uint16(word); lo == 0xFFFF {
			left += 16
		} else {
			left = bits.LeadingZeros16(^lo)
		}
		k += 16
		w += 16
		lin = int32(k)
		al, aw, as, ac = yl, yw, ys, yc
	}
	if k > k0 && !asciiWord[text[k]&0x7F] && !asciiWord[text[k-1]&0x7F] {
		// Inside a run: back up to its start (after k0, a word byte), which
		// the caller decides, and count the word before it.
		p := k - 1
		for !asciiWord[text[p-1]&0x7F] {
			p--
		}
		q := p - 1
		for q > k0 && asciiWord[text[q-1]&0x7F] {
			q--
		}
		left = p - q
		if q == k0 {
			left += left0
		}
		w -= k - p
		k = p
		lin = int32(p)
	}
	return segs, k, w, left, lin
}

// classify8 returns the eight ASCII bytes of s (lower-cased when fold is set)
// and masks, byte i to bit i, of its word bytes, its white-space bytes and its
// white-space bytes other than ' ' (\t to \r).
func classify8(s string, fold bool) (x uint64, word, space, ctl uint32) {
	x = binary.LittleEndian.Uint64([]byte(s[:8]))
	l := lowerASCII(x)
	c := inRange(x, '\t', '\r')
	word = movemask(inRange(l, 'a', 'z') | inRange(x, '0', '9'))
	space = movemask(c | inRange(x, ' ', ' '))
	if fold {
		x = l
	}
	return x, word, space, movemask(c)
}

// spread maps eight bits to eight bytes: 0xFF where the bit is set.
var spread = func() (t [256]uint64) {
	for b := range t {
		for i := range 8 {
			if b&(1<<i) != 0 {
				t[b] |= 0xFF << (8 * i)
			}
		}
	}
	return t
}()

// asciiCopy is asciiRun's fast path without the separators step: it copies
// text[k:lim] to out[w:] (lower-cased when fold is set) eight bytes at a time
// and returns where it stopped and the new output length.
func asciiCopy(text string, k, lim int, out []byte, w int, fold bool) (int, int) {
	for k+8 <= lim && w+8 <= len(out) {
		x := binary.LittleEndian.Uint64([]byte(text[k : k+8]))
		if fold {
			x = lowerASCII(x)
		}
		binary.LittleEndian.PutUint64(out[w:], x)
		k += 8
		w += 8
	}
	return k, w
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}
