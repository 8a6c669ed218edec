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
// text to out[w:] (lower-cased when fold is set) eight bytes at a time, as long
// as every separator run it passes is decided without context and maps byte for
// byte: a run holding something else than white space is kept as it is, a run
// of one white-space byte becomes one space; it stops at the start of a run of
// more white space (collapsed) or of a run between two one-character words
// (maybe glued), else at a word byte. It needs 16 bytes below lim to judge 8
// (so that the run after them is known). It returns where it stopped with the
// new output length and word count. Every byte it passes maps to the byte it writes (a linear
// run, in the terms of Buffer.segs).
func asciiChunks(text string, k, lim int, out []byte, w, left int, fold bool) (int, int, int) {
	for k+16 <= lim && w+16 <= len(out) {
		x := binary.LittleEndian.Uint64([]byte(text[k : k+8]))
		y := binary.LittleEndian.Uint64([]byte(text[k+8 : k+16]))
		ux, uy := inRange(x, 'A', 'Z'), inRange(y, 'A', 'Z')
		lx, ly := x|ux>>2, y|uy>>2
		wx := inRange(lx, 'a', 'z') | inRange(x, '0', '9')
		wy := inRange(ly, 'a', 'z') | inRange(y, '0', '9')
		word := movemask(wx) | movemask(wy)<<8
		hi := word >> 8
		if hi == 0 {
			break // bytes 8..15 are all separators: their run's end is unknown
		}
		// Byte c, the first word byte from byte 8 on, is where the next chunk
		// starts; the runs in [0, c) are judged here.
		c := 8 + bits.TrailingZeros32(hi)
		runs := ^word & (1<<c - 1)
		stop := c // the chunk ends at byte c, or at the first run decided elsewhere
		if runs != 0 {
			// White space: \t \n \v \f \r and ' '.
			spx := inRange(x, '\t', '\r') | inRange(x, ' ', ' ')
			spy := inRange(y, '\t', '\r') | inRange(y, ' ', ' ')
			space := movemask(spx) | movemask(spy)<<8
			other := runs &^ space
			starts := runs &^ (runs << 1) // all >= 1: byte 0 is a word byte
			// The bit after each run, set when the run holds no other byte
			// than white space (adding a run's bits carries into the bit after
			// it only when some bit inside was added).
			after := (runs << 1) &^ runs
			allSpace := after &^ (runs + other)
			single := runs &^ (runs << 1) &^ (runs >> 1)
			if long := allSpace &^ (single << 1); long != 0 {
				// A longer run of white space is collapsed: stop at its start.
				e := bits.TrailingZeros32(long)
				stop = 31 - bits.LeadingZeros32(starts&(1<<e-1))
			}
			// Word bytes with bits for the two bytes before k (left >= 1,
			// left >= 2): one-character words, where neither neighbour is a
			// word byte (byte 15's right neighbour is unknown: counted as such).
			m := word<<2 | b2u(left >= 1)<<1 | b2u(left >= 2)
			short := m &^ (m << 1) &^ (m >> 1)
			for a := short & (starts << 1); a != 0; a &= a - 1 {
				p := bits.TrailingZeros32(a) + 1 // the run, in m's bits
				if p-2 >= stop {
					break
				}
				if e := p + bits.TrailingZeros32(m>>p); short&(1<<e) != 0 {
					stop = p - 2 // one-character words on both sides: maybe glued
					break
				}
			}
		}
		if fold {
			x, y = lx, ly
		}
		binary.LittleEndian.PutUint64(out[w:], x)
		binary.LittleEndian.PutUint64(out[w+8:], y)
		if runs != 0 {
			// Single white-space runs become one space.
			space := movemask(inRange(x, '\t', '\r')) | movemask(inRange(y, '\t', '\r'))<<8
			single := runs &^ (runs << 1) &^ (runs >> 1)
			for r := space & single & (1<<stop - 1); r != 0; r &= r - 1 {
				out[w+bits.TrailingZeros32(r)] = ' '
			}
		}
		if stop < c {
			// Stop at a run start, after the word before it.
			nonWord := ^word & (1<<stop - 1)
			if nonWord == 0 {
				left += stop
			} else {
				left = stop - 32 + bits.LeadingZeros32(nonWord)
			}
			return k + stop, w + stop, left
		}
		switch {
		case c > 8 || word&0x80 == 0:
			left = 0 // byte c starts a word
		case word&0xFF == 0xFF:
			left += 8
		default:
			left = bits.LeadingZeros8(^uint8(word))
		}
		k += c
		w += c
	}
	return k, w, left
}

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
