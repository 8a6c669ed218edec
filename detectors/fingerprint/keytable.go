package fingerprint

import (
	"math/bits"

	"github.com/aigcwatch/aigcwatch/internal/hugepage"
)

// keyTable maps a 64-bit exact key (TextKey, MediaKey) to the bank entries with that
// key. It is a flat open-addressing table with linear probing, at most half full: a
// lookup reads one 16-byte slot (rarely two or three, all in one or two cache lines).
// A Go map would also hash the key and read a control word, a key array and a value
// array in separate places. Keys are already uniform hashes, but they come from bank
// files, so they are scrambled by a multiplication before being used as a position:
// clustered keys stay spread out.
//
// A key with one entry (nearly all of them) keeps what a Match needs in its slot, the
// entry's group and the place of its label in the label arena, so a hit reads one cache
// line, as a miss does; a key with several entries, or a label of 64 KiB or more, keeps
// the chain of its entries instead, read through the store. Immutable after newKeyTable.
type keyTable struct {
	slots []keySlot // len is a power of two, or 0
	shift uint8     // 64 - log2(len(slots))
}

type keySlot struct {
	key uint64
	// form is 0 for an empty slot, keyChain for a chain, otherwise the length (≥ 1: a
	// label is never empty) of the single entry's label.
	form  uint16
	group uint16 // single entry: its group
	// ref is, for a single entry, the start of its label in the store's arena; for a
	// chain, index+1 of the most recently added entry, the others reached through the
	// next array (next[i] is index+1 of the entry added before entry i with the same key,
	// 0 at the end).
	ref uint32
}

// keyChain is the form of a slot that holds a chain.
const keyChain = 1<<16 - 1

// newKeyTable builds the table from a builder's key -> head map, its chain array (see
// keySlot.ref) and the store of the entries' metadata.
func newKeyTable(heads map[uint64]uint32, next []uint32, st *store) keyTable {
	if len(heads) == 0 {
		return keyTable{}
	}
	size := 1 << bits.Len(uint(2*len(heads)-1)) // ≥ 2 × keys: load factor ≤ 0.5
	size = max(size, 8)
	t := keyTable{slots: hugepage.Make[keySlot](size), shift: uint8(64 - bits.TrailingZeros(uint(size)))}
	mask := uint64(size - 1)
	for k, head := range heads {
		e := keySlot{key: k, form: keyChain, ref: head}
		if i := head - 1; next[i] == 0 {
			lo, hi := st.labelSpan(int(i))
			if n := hi - lo; n >= 1 && n < keyChain {
				e = keySlot{key: k, form: uint16(n), group: st.group[i], ref: lo}
			}
		}
		for p := t.pos(k); ; p = (p + 1) & mask {
			if t.slots[p].form == 0 {
				t.slots[p] = e
				break
			}
		}
	}
	return t
}

func (t *keyTable) pos(k uint64) uint64 { return (k * 0x9e3779b97f4a7c15) >> t.shift }

// find returns the slot of key k, nil when there is none.
func (t *keyTable) find(k uint64) *keySlot {
	if len(t.slots) == 0 {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	for p := t.pos(k); ; p = (p + 1) & mask {
		s := &t.slots[p]
		if s.form == 0 {
			return nil
		}
		if s.key == k {
			return s
		}
	}
}
