package c2pa

import (
	"bytes"
	"errors"
	"fmt"
	"hash"
)

// BMFF Merkle trees (the "merkle" maps of c2pa.hash.bmff.v2/v3). A map's leaves are
// hashed, the tree is built by hashing pairs (left then right; the last node of an odd
// layer is carried up unchanged, as C2PAMerkleTree does in the reference), and the
// map's "hashes" must equal the tree's layer of that many nodes (one hash: the root).
// Leaves are, in the order the reference writes and reads them:
//
//   - with fixedBlockSize or variableBlockSizes: consecutive blocks of one mdat box (the
//     localId-th top-level mdat), of the bytes its /mdat exclusion's subset takes out of
//     the file-level hash (the payload after the mdat's first 16 bytes, as current c2pa-rs
//     writes; the payload after the header when no subset names it), the last block
//     shorter;
//   - otherwise, in a fragmented file (top-level moof boxes): each fragment, from a moof to
//     the box before the next moof (the last to the end of the file), hashed like the
//     file-level hash restricted to it (exclusions applied, box offsets hashed for v2 and
//     later); the map's initHash, when present, is the same hash of everything before the
//     first moof.
//
// The per-leaf proofs of the merkle uuid boxes are not needed: every leaf is in the file,
// so the whole tree is recomputed. Left unchecked: a map with an initHash in a file
// without fragments (a DASH init segment: its initHash is checked, its fragments are in
// other files), a map without block sizes in an unfragmented file (leaves over the
// tracks' chunks, from the sample tables), and trees over Limits.MaxMerkleLeaves leaves.

type wireMerkle struct {
	UniqueID           uint64   `cbor:"uniqueId"`
	LocalID            uint64   `cbor:"localId"`
	Count              uint64   `cbor:"count"`
	Alg                string   `cbor:"alg"`
	InitHash           []byte   `cbor:"initHash"`
	Hashes             [][]byte `cbor:"hashes"`
	FixedBlockSize     *uint64  `cbor:"fixedBlockSize"`
	VariableBlockSizes []uint64 `cbor:"variableBlockSizes"`
}

// maxMerkleMaps bounds the Merkle maps of one assertion.
const maxMerkleMaps = 1024

// verifyBMFF verifies a BMFF hash assertion: its file-level hash (when present) and its
// Merkle trees. It returns nil on a match, an errUnchecked for what is not verified here,
// or the reason for a mismatch.
func (s *Store) verifyBMFF(label string, w *wireBMFFHash, version int, alg string, asset []byte, r *Report) error {
	if w.URL != nil {
		return errUnchecked("remote hash")
	}
	plan, err := s.bmffPlan(w, version, asset)
	if err != nil {
		return err
	}
	switch {
	case len(w.Hash) > 0:
		h := newHash(alg)
		if h == nil {
			return fmt.Errorf("hash algorithm %q is not supported", alg)
		}
		if !bytes.Equal(plan.sum(h, asset, 0, uint64(len(asset))), w.Hash) {
			return errors.New("the file-level hash does not match")
		}
	case len(w.Merkle) == 0:
		return errors.New("neither a hash nor a Merkle tree")
	}
	if len(w.Merkle) == 0 {
		return nil
	}
	if len(w.Hash) == 0 {
		r.warnf("%s: no file-level hash: only its Merkle trees bind the file", label)
	}
	return s.verifyMerkle(w, plan, alg, asset)
}

func (s *Store) verifyMerkle(w *wireBMFFHash, plan *bmffPlan, alg string, asset []byte) error {
	if len(w.Merkle) > maxMerkleMaps {
		return errUnchecked(fmt.Sprintf("%d Merkle trees, more than %d", len(w.Merkle), maxMerkleMaps))
	}
	var mdats []topBox
	firstMoof := -1
	for i, b := range plan.boxes {
		switch {
		case b.typ == "mdat":
			mdats = append(mdats, b)
		case b.typ == "moof" && firstMoof < 0:
			firstMoof = i
		}
	}
	var fragments []rng // from each moof to the next (the last to the end of the file)
	if firstMoof >= 0 {
		for _, b := range plan.boxes[firstMoof:] {
			if b.typ == "moof" {
				fragments = append(fragments, rng{b.start, b.end})
			}
			fragments[len(fragments)-1].b = b.end
		}
	}
	fragLeaves := map[string][][]byte{} // by algorithm: every map over fragments has the same leaves
	usedMdat := map[uint64]bool{}
	var unchecked error
	for i, mm := range w.Merkle {
		malg := cmpOr(mm.Alg, alg)
		h := newHash(malg)
		if h == nil {
			return fmt.Errorf("the Merkle tree %d: hash algorithm %q is not supported", i, malg)
		}
		if mm.Count == 0 || len(mm.Hashes) == 0 || uint64(len(mm.Hashes)) > mm.Count {
			return fmt.Errorf("the Merkle tree %d: %d leaves, %d hashes: malformed", i, mm.Count, len(mm.Hashes))
		}
		if mm.Count > uint64(s.lim.MaxMerkleLeaves) {
			unchecked = errUnchecked(fmt.Sprintf("the Merkle tree %d has %d leaves, more than the limit %d", i, mm.Count, s.lim.MaxMerkleLeaves))
			continue
		}
		var leaves [][]byte
		switch {
		case mm.FixedBlockSize != nil || len(mm.VariableBlockSizes) > 0:
			if mm.LocalID >= uint64(len(mdats)) {
				return fmt.Errorf("the Merkle tree %d is for mdat %d, the file has %d", i, mm.LocalID, len(mdats))
			}
			if usedMdat[mm.LocalID] {
				return fmt.Errorf("the Merkle tree %d: a second tree for mdat %d", i, mm.LocalID)
			}
			usedMdat[mm.LocalID] = true
			var err error
			if leaves, err = blockLeaves(h, asset, mdats[mm.LocalID], plan.subsets[mdats[mm.LocalID].start], mm); err != nil {
				return fmt.Errorf("the Merkle tree %d (mdat %d): %w", i, mm.LocalID, err)
			}
		case firstMoof >= 0:
			if uint64(len(fragments)) != mm.Count {
				return fmt.Errorf("the Merkle tree %d has %d leaves, the file %d fragments", i, mm.Count, len(fragments))
			}
			if mm.InitHash != nil {
				h.Reset()
				if !bytes.Equal(plan.sum(h, asset, 0, plan.boxes[firstMoof].start), mm.InitHash) {
					return fmt.Errorf("the Merkle tree %d: the hash of the boxes before the first fragment (initHash) does not match", i)
				}
			}
			if leaves = fragLeaves[malg]; leaves == nil {
				for _, f := range fragments {
					h.Reset()
					leaves = append(leaves, plan.sum(h, asset, f.a, f.b))
				}
				fragLeaves[malg] = leaves
			}
		case mm.InitHash != nil:
			// An initialization segment whose fragments are in other files (DASH): its own
			// boxes can be checked, the fragments cannot.
			h.Reset()
			if !bytes.Equal(plan.sum(h, asset, 0, uint64(len(asset))), mm.InitHash) {
				return fmt.Errorf("the Merkle tree %d: the hash of the initialization segment (initHash) does not match", i)
			}
			unchecked = errUnchecked(fmt.Sprintf("an initialization segment: its hash matches, the %d fragments its Merkle tree covers are not in this file", mm.Count))
			continue
		default:
			unchecked = errUnchecked("a Merkle tree over the tracks' chunks (from the sample tables)")
			continue
		}
		if err := checkMerkleLayer(h, leaves, mm.Hashes); err != nil {
			return fmt.Errorf("the Merkle tree %d: %w", i, err)
		}
	}
	return unchecked
}

// blockLeaves hashes the blocks of an mdat box's Merkle data: the subset of the box its
// exclusion takes out of the file-level hash (one range), else its payload.
func blockLeaves(h hash.Hash, asset []byte, mdat topBox, subsets []rng, mm wireMerkle) ([][]byte, error) {
	data := rng{mdat.start + mdat.hdr, mdat.end}
	switch len(subsets) {
	case 0:
	case 1:
		data = subsets[0]
	default:
		return nil, errUnchecked("an mdat excluded by more than one subset")
	}
	size := data.b - data.a
	var sizes []uint64
	if mm.FixedBlockSize != nil {
		bs := *mm.FixedBlockSize
		if bs == 0 {
			return nil, errors.New("fixedBlockSize 0")
		}
		n := size / bs
		if size%bs != 0 {
			n++
		}
		if n != mm.Count {
			return nil, fmt.Errorf("%d bytes in blocks of %d are %d leaves, the tree has %d", size, bs, n, mm.Count)
		}
		for left := size; left > 0; left -= min(bs, left) {
			sizes = append(sizes, min(bs, left))
		}
	} else {
		if uint64(len(mm.VariableBlockSizes)) != mm.Count {
			return nil, fmt.Errorf("%d block sizes for %d leaves", len(mm.VariableBlockSizes), mm.Count)
		}
		total := uint64(0)
		for _, n := range mm.VariableBlockSizes {
			if n == 0 || n > size-total {
				return nil, fmt.Errorf("block sizes do not add up to the %d bytes", size)
			}
			total += n
		}
		if total != size {
			return nil, fmt.Errorf("block sizes add up to %d bytes, the mdat holds %d", total, size)
		}
		sizes = mm.VariableBlockSizes
	}
	leaves := make([][]byte, 0, len(sizes))
	for pos, n := data.a, uint64(0); len(leaves) < len(sizes); pos += n {
		n = sizes[len(leaves)]
		h.Reset()
		h.Write(asset[pos : pos+n])
		leaves = append(leaves, h.Sum(nil))
	}
	return leaves, nil
}

// checkMerkleLayer builds the tree over leaves up to the layer of len(want) nodes and
// compares it with want.
func checkMerkleLayer(h hash.Hash, leaves, want [][]byte) error {
	layer := leaves
	for len(layer) > len(want) {
		next := layer[:0:0]
		for i := 0; i < len(layer); i += 2 {
			if i+1 == len(layer) {
				next = append(next, layer[i]) // carried up
				continue
			}
			h.Reset()
			h.Write(layer[i])
			h.Write(layer[i+1])
			next = append(next, h.Sum(nil))
		}
		layer = next
	}
	if len(layer) != len(want) {
		return fmt.Errorf("no layer of %d nodes in a tree of %d leaves", len(want), len(leaves))
	}
	for i := range layer {
		if !bytes.Equal(layer[i], want[i]) {
			return fmt.Errorf("node %d of the layer of %d does not match", i, len(want))
		}
	}
	return nil
}
