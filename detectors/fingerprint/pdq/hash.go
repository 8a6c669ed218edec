// Package pdq computes Meta's PDQ perceptual hash of images in pure Go and holds the
// 256-bit Hash type with its hex form and Hamming distance.
//
// The algorithm follows the reference in facebook/ThreatExchange (pdq/): RGB to luma,
// two passes of Jarosz box filters along rows and columns (a tent filter) sized to the
// image, decimation to 64x64, a DCT keeping coefficients 1..16 in each direction, and one
// bit per coefficient set when it is above the median. A quality score (0..100) counts
// significant gradients of the 64x64 image; hashes of quality below 50 are unreliable.
// The 8 dihedral variants (rotations and flips) are derived from the DCT without
// re-hashing.
//
// Different JPEG decoders give slightly different pixels, so hashes from this package and
// from the reference implementations differ by a few bits (ThreatExchange's own test
// accepts up to 16). Large images are box-averaged to about 512 pixels on their short side
// before filtering, which bounds memory and matches what the Python reference does
// (it thumbnails to 512) closely.
//
// Decoding is bounded: Decode reads the image header first and refuses inputs larger than
// Limits.MaxBytes or with more than Limits.MaxPixels pixels, so decompression bombs are
// refused before any pixel buffer is allocated. EXIF orientation (JPEG APP1, PNG eXIf,
// WebP EXIF chunk) is honoured.
//
// This package does not match hashes against banks; see package mih and package
// fingerprint.
package pdq

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
)

// Bits is the number of bits in a PDQ hash.
const Bits = 256

// HexLen is the length of a hash in hex.
const HexLen = 64

// Hash is a 256-bit PDQ hash. Bit k (0..255) of the reference implementation is bit
// k%64 of word k/64. The hex form writes the 256-bit number big-endian, as the
// reference does, so the first hex digit holds bits 255..252.
type Hash [4]uint64

// ErrMalformed is returned (wrapped) by ParseHex when the text is not 64 hex digits.
// Callers should treat the input as unusable and report it; it is not retryable.
var ErrMalformed = errors.New("pdq: malformed hash")

// ParseHex parses 64 hex digits (either case) into a Hash.
func ParseHex(s string) (Hash, error) {
	var h Hash
	if len(s) != HexLen {
		return h, fmt.Errorf("%w: want %d hex digits, got %d characters", ErrMalformed, HexLen, len(s))
	}
	for w := 0; w < 4; w++ {
		// word 3 is the first 16 digits.
		part := s[(3-w)*16 : (4-w)*16]
		var v uint64
		for i := 0; i < 16; i++ {
			c := part[i]
			var d byte
			switch {
			case c >= '0' && c <= '9':
				d = c - '0'
			case c >= 'a' && c <= 'f':
				d = c - 'a' + 10
			case c >= 'A' && c <= 'F':
				d = c - 'A' + 10
			default:
				return Hash{}, fmt.Errorf("%w: invalid hex digit %q at position %d", ErrMalformed, c, (3-w)*16+i)
			}
			v = v<<4 | uint64(d)
		}
		h[w] = v
	}
	return h, nil
}

// String returns the 64-digit lower-case hex form.
func (h Hash) String() string {
	var b [32]byte
	for w := 0; w < 4; w++ {
		v := h[3-w]
		for i := 0; i < 8; i++ {
			b[w*8+i] = byte(v >> (56 - 8*i))
		}
	}
	return hex.EncodeToString(b[:])
}

// MarshalText implements encoding.TextMarshaler.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (h *Hash) UnmarshalText(b []byte) error {
	v, err := ParseHex(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// Distance returns the Hamming distance between h and o (0..256).
func (h Hash) Distance(o Hash) int {
	return bits.OnesCount64(h[0]^o[0]) + bits.OnesCount64(h[1]^o[1]) +
		bits.OnesCount64(h[2]^o[2]) + bits.OnesCount64(h[3]^o[3])
}

// Bit reports whether bit k (0..255) is set.
func (h Hash) Bit(k int) bool { return h[k>>6]>>(uint(k)&63)&1 == 1 }

// setBit sets bit k.
func (h *Hash) setBit(k int) { h[k>>6] |= 1 << (uint(k) & 63) }

// Slot16 returns the i-th 16-bit slot (0..15): bits 16i..16i+15, as the reference's
// Hash256.w[i].
func (h Hash) Slot16(i int) uint16 { return uint16(h[i>>2] >> (16 * (uint(i) & 3))) }

// Transform names one of the 8 dihedral transforms of an image, in the reference order.
type Transform uint8

// The dihedral transforms, as named by the reference implementation.
const (
	Original Transform = iota
	Rotate90
	Rotate180
	Rotate270
	FlipX
	FlipY
	FlipPlus1
	FlipMinus1
)

var transformNames = [...]string{"original", "rotate90", "rotate180", "rotate270", "flipx", "flipy", "flipplus1", "flipminus1"}

// String returns the lower-case name of t.
func (t Transform) String() string {
	if int(t) < len(transformNames) {
		return transformNames[t]
	}
	return fmt.Sprintf("transform(%d)", uint8(t))
}

// Dihedral holds the hashes of the 8 dihedral variants of one image, indexed by Transform.
type Dihedral [8]Hash
