package fingerprint

import (
	"math/bits"

	"github.com/aigcwatch/aigcwatch/internal/hugepage"
)

// keyTable maps a 64-bit exact key (TextKey, MediaKey) to the chain of bank entries with
// that key. It is a flat open-addressing table with linear probing, at most half full:
// a lookup reads one 16-byte slot (rarely two or three, all in one or two cache lines)
// and, on a hit, the entry's metadata. A Go map would also hash the key and read a
// control word, a key array and a value array in separate places. Keys are already
// uniform hashes, but they come from bank files, so they are scrambled by a
// multiplication before being used as a position: clustered keys stay spread out.
// Immutable after newKeyTable.
type keyTable struct {
	slots []keySlot // len is a power of two, or 0
	shift uint8     // 64 - log2(len(slots))
}

type keySlot struct {
	key  uint64
	head uint32 // index+1 of the most recently added entry with key; 0 marks an empty slot
	n    uint32 // entries with key, reached from head through the next array
}

// newKeyTable builds the table from a builder's key -> head map and its chain array
// (next[i] is index+1 of the entry added before entry i with the same key, or 0).
func newKeyTable(heads map[uint64]uint32, next []uint32) keyTable {
	if len(heads) == 0 {
		return keyTable{}
	}
	size := 1 << bits.Len(uint(2*len(heads)-1)) // ≥ 2 × keys: load factor ≤ 0.5
	size = max(size, 8)
	t := keyTable{slots: hugepage.Make[keySlot](size), shift: uint8(64 - bits.TrailingZeros(uint(size)))}
	mask := uint64(size - 1)
	for k, head := range heads {
		n := uint32(0)
		for i := head; i != 0; i = next[i-1] {
			n++
		}
		for p := t.pos(k); ; p = (p + 1) & mask {
			if t.slots[p].head == 0 {
				t.slots[p] = keySlot{key: k, head: head, n: n}
				break
			}
		}
	}
	return t
}

func (t *keyTable) pos(k uint64) uint64 { return (k * 0x9e3779b97f4a7c15) >> t.shift }

// find returns index+1 of the most recently added entry with key k and the number of
// entries with k; (0, 0) when there is none.
func (t *keyTable) find(k uint64) (head, n uint32) {
	if len(t.slots) == 0 {
		return 0, 0
	}
	mask := uint64(len(t.slots) - 1)
	for p := t.pos(k); ; p = (p + 1) & mask {
		s := &t.slots[p]
		if s.head == 0 {
			return 0, 0
		}
		if s.key == k {
			return s.head, s.n
		}
	}
}
