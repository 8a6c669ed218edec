package fingerprint

import (
	"encoding/hex"
	"errors"
	"math/bits"
	"unicode"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"
)

// AppendNormalized appends to dst the normalised form of s used by exact text keys and
// SimHash: NFKC-like folding of full-width ASCII to ASCII, lower case, and removal of
// white space, punctuation, control and format characters (zero-width joiners, BOMs).
// Invalid UTF-8 bytes are dropped. It does not transliterate or fold traditional to
// simplified Chinese.
func AppendNormalized(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if r == utf8.RuneError && n == 1 {
			continue
		}
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
			r -= 0xFEE0
		}
		if r < utf8.RuneSelf {
			c := byte(r)
			switch {
			case c >= 'A' && c <= 'Z':
				dst = append(dst, c+'a'-'A')
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
				dst = append(dst, c)
			case c > ' ' && c < 0x7F && !isASCIIPunct(c):
				dst = append(dst, c)
			}
			continue
		}
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
	}
	return dst
}

func isASCIIPunct(c byte) bool {
	return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~')
}

// TextKey is the exact-match key of a text: xxhash64 of its normalised form. Bank files
// store it as "text:" and 16 hex digits.
func TextKey(s string) uint64 {
	var buf [256]byte
	return xxhash.Sum64(AppendNormalized(buf[:0], s))
}

// ErrBadSHA256 is returned (wrapped) by MediaKey when the digest is not 64 hex digits.
var ErrBadSHA256 = errors.New("fingerprint: malformed sha256")

// MediaKey is the exact-match key of media: xxhash64 of the 32 raw bytes of its sha256
// digest, given in hex (either case).
func MediaKey(sha256hex string) (uint64, error) {
	var raw [32]byte
	if len(sha256hex) != 64 {
		return 0, ErrBadSHA256
	}
	if _, err := hex.Decode(raw[:], []byte(sha256hex)); err != nil {
		return 0, ErrBadSHA256
	}
	return xxhash.Sum64(raw[:]), nil
}

// ShingleRunes is the SimHash shingle length in runes: character bigrams suit Chinese,
// which has no word boundaries, and measured better than trigrams on HC3 (see
// docs/fingerprints.md).
const ShingleRunes = 2

// SimHash returns the 64-bit SimHash of the normalised text norm (see AppendNormalized)
// over overlapping shingles of ShingleRunes runes, each hashed with xxhash64 and
// weighted 1, and the number of shingles. Texts shorter than one shingle give one
// shingle of the whole text; an empty text gives (0, 0). Near-duplicate texts have
// SimHashes at a small Hamming distance; too few shingles make it unstable, so callers
// skip texts under a minimum (Config.MinShingles).
func SimHash(norm []byte) (uint64, int) {
	if len(norm) == 0 {
		return 0, 0
	}
	var counts [64]int32
	add := func(h uint64) {
		for b := 0; b < 64; b++ {
			counts[b] += int32(h>>b&1)*2 - 1
		}
	}
	// starts holds the byte offsets of the last ShingleRunes+1 rune starts.
	var starts [ShingleRunes + 1]int
	n, shingles := 0, 0
	for i := 0; i <= len(norm); {
		starts[n%(ShingleRunes+1)] = i
		n++
		if n > ShingleRunes {
			from := starts[(n-1-ShingleRunes)%(ShingleRunes+1)]
			add(xxhash.Sum64(norm[from:i]))
			shingles++
		}
		if i == len(norm) {
			break
		}
		_, sz := utf8.DecodeRune(norm[i:])
		i += sz
	}
	if shingles == 0 {
		add(xxhash.Sum64(norm))
		shingles = 1
	}
	var h uint64
	for b := 0; b < 64; b++ {
		if counts[b] > 0 {
			h |= 1 << b
		}
	}
	return h, shingles
}

// SimDistance is the Hamming distance between two SimHashes.
func SimDistance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

func xxhashSum(b []byte) uint64 { return xxhash.Sum64(b) }
