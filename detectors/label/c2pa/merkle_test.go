package c2pa_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors/label/c2pa"
	"github.com/aigcwatch/aigcwatch/detectors/label/c2pa/c2patest"
	"github.com/fxamacker/cbor/v2"
)

func mp4Box(typ string, parts ...[]byte) []byte {
	n := 8
	for _, p := range parts {
		n += len(p)
	}
	b := binary.BigEndian.AppendUint32(make([]byte, 0, n), uint32(n))
	b = append(b, typ...)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func mp4Full(typ string, vf uint32, parts ...[]byte) []byte {
	return mp4Box(typ, append([][]byte{binary.BigEndian.AppendUint32(nil, vf)}, parts...)...)
}

func u32s(v ...uint32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.BigEndian.AppendUint32(b, x)
	}
	return b
}

// bmffParts returns the boxes of a small ISO BMFF file with one timed-metadata track:
// ftyp, moov and then, when fragments > 0, that many fragments (moof and mdat, each mdat
// holding payload bytes), else one mdat of payload bytes. The reference implementation
// signs these files.
func bmffParts(fragments, payload int) (ftyp, moov []byte, rest [][]byte) {
	ftyp = mp4Box("ftyp", []byte("iso6"), u32s(0), []byte("iso6mp41"))
	matrix := u32s(0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
	mvhd := mp4Full("mvhd", 0, u32s(0, 0, 1000, 0, 0x10000), []byte{1, 0}, make([]byte, 10), matrix, make([]byte, 24), u32s(2))
	tkhd := mp4Full("tkhd", 3, u32s(0, 0, 1, 0, 0), make([]byte, 16), matrix, u32s(0, 0))
	mdhd := mp4Full("mdhd", 0, u32s(0, 0, 1000, 0), []byte{0x55, 0xc4, 0, 0})
	hdlr := mp4Full("hdlr", 0, u32s(0), []byte("meta"), make([]byte, 12), []byte("data\x00"))
	dinf := mp4Box("dinf", mp4Full("dref", 0, u32s(1), mp4Full("url ", 1)))
	stsd := mp4Full("stsd", 0, u32s(1), mp4Box("mett", make([]byte, 6), []byte{0, 1, 0}, []byte("text/plain\x00")))
	stbl := mp4Box("stbl", stsd, mp4Full("stts", 0, u32s(0)), mp4Full("stsc", 0, u32s(0)), mp4Full("stsz", 0, u32s(0, 0)), mp4Full("stco", 0, u32s(0)))
	trak := mp4Box("trak", tkhd, mp4Box("mdia", mdhd, hdlr, mp4Box("minf", mp4Full("nmhd", 0), dinf, stbl)))
	data := func(i int) []byte {
		b := make([]byte, payload)
		for j := range b {
			b[j] = byte(i*31 + j*7)
		}
		return b
	}
	if fragments == 0 {
		return ftyp, mp4Box("moov", mvhd, trak), [][]byte{mp4Box("mdat", data(0))}
	}
	moov = mp4Box("moov", mvhd, trak, mp4Box("mvex", mp4Full("trex", 0, u32s(1, 1, 1000, 0, 0))))
	for i := range fragments {
		moof := func(off uint32) []byte {
			trun := mp4Full("trun", 0x201, u32s(1, off, uint32(payload)))
			traf := mp4Box("traf", mp4Full("tfhd", 0x20000, u32s(1)), mp4Full("tfdt", 1<<24, binary.BigEndian.AppendUint64(nil, uint64(i)*1000)), trun)
			return mp4Box("moof", mp4Full("mfhd", 0, u32s(uint32(i+1))), traf)
		}
		m := moof(0)
		rest = append(rest, moof(uint32(len(m)+8)), mp4Box("mdat", data(i)))
	}
	return ftyp, moov, rest
}

func bmffFile(fragments, payload int) []byte {
	ftyp, moov, rest := bmffParts(fragments, payload)
	return slices.Concat(append([][]byte{ftyp, moov}, rest...)...)
}

var c2paUUID = []byte{0xD8, 0xFE, 0xC3, 0xD6, 0x1B, 0x0E, 0x48, 0x3C, 0x92, 0x97, 0x58, 0x28, 0x87, 0x7E, 0xC4, 0x81}

// manifestUUIDBox is the C2PA uuid box holding store (purpose "manifest").
func manifestUUIDBox(store []byte) []byte {
	return mp4Box("uuid", c2paUUID, u32s(0), []byte("manifest\x00"), make([]byte, 8), store)
}

type merkleMap struct {
	UniqueID uint64   `cbor:"uniqueId"`
	LocalID  uint64   `cbor:"localId"`
	Count    uint64   `cbor:"count"`
	Alg      string   `cbor:"alg"`
	InitHash []byte   `cbor:"initHash,omitempty"`
	Hashes   [][]byte `cbor:"hashes"`
}

type bmffExclusion struct {
	XPath string              `cbor:"xpath"`
	Data  []bmffExclusionData `cbor:"data,omitempty"`
}

type bmffExclusionData struct {
	Offset uint64 `cbor:"offset"`
	Value  []byte `cbor:"value"`
}

type bmffMerkleHash struct {
	Exclusions []bmffExclusion `cbor:"exclusions"`
	Alg        string          `cbor:"alg"`
	Merkle     []merkleMap     `cbor:"merkle"`
	Name       string          `cbor:"name"`
}

// merkleLayer builds the tree over leaves (pairs hashed left then right, the last node of
// an odd layer carried up) to the layer of n nodes.
func merkleLayer(leaves [][]byte, n int) [][]byte {
	for len(leaves) > n {
		var next [][]byte
		for i := 0; i < len(leaves); i += 2 {
			if i+1 == len(leaves) {
				next = append(next, leaves[i])
				continue
			}
			s := sha256.Sum256(append(slices.Clone(leaves[i]), leaves[i+1]...))
			next = append(next, s[:])
		}
		leaves = next
	}
	return leaves
}

// specFragmentedMP4 writes, per the C2PA specification's BMFF hash with a Merkle tree over
// the fragments of a fragmented file (the form c2pa-rs verifies but its public API does
// not write for one file): ftyp, the C2PA uuid box, moov, then the fragments (moof, mdat
// and a C2PA uuid box of purpose "merkle" with the fragment's leaf location and proof);
// a c2pa.hash.bmff.v2 assertion excluding ftyp and the C2PA uuid boxes, without a
// file-level hash, with one Merkle tree whose leaves are the fragments (each hashed with
// its boxes' 8-byte offsets, as v2 hashes every box it covers) and whose initHash covers
// moov the same way. layer is the number of tree nodes the assertion lists (1: the
// root). The hashes are computed here from the layout, independently of the reader; the
// reference implementation's reader verifies these files (the cross-check).
func specFragmentedMP4(t *testing.T, s *c2patest.Signer, fragments, layer int, initOnly bool) []byte {
	t.Helper()
	ftyp, moov, rest := bmffParts(fragments, 300)
	excl := []bmffExclusion{{XPath: "/uuid"}, {XPath: "/ftyp"}, {XPath: "/mfra"}}
	excl[0].Data = append(excl[0].Data, bmffExclusionData{Offset: 8, Value: c2paUUID})
	// the tree's layers, leaves first; a leaf's proof is its siblings up to the listed layer
	layersOf := func(leaves [][]byte) [][][]byte {
		ls := [][][]byte{leaves}
		for len(ls[len(ls)-1]) > layer {
			ls = append(ls, merkleLayer(ls[len(ls)-1], (len(ls[len(ls)-1])+1)/2))
		}
		return ls
	}
	proof := func(ls [][][]byte, idx int) [][]byte {
		p := [][]byte{}
		for _, l := range ls[:len(ls)-1] {
			if sib := idx ^ 1; sib < len(l) {
				p = append(p, l[sib])
			}
			idx /= 2
		}
		return p
	}
	merkleBox := func(i int, p [][]byte) []byte {
		cb, err := cbor.Marshal(map[string]any{"uniqueId": 1, "localId": 1, "location": i, "hashes": p})
		if err != nil {
			t.Fatal(err)
		}
		return mp4Box("uuid", c2paUUID, u32s(0), []byte("merkle\x00"), cb)
	}
	placeholder := layersOf(make([][]byte, fragments))
	for i := range placeholder {
		for j := range placeholder[i] {
			placeholder[i][j] = make([]byte, 32)
		}
	}
	var proofs [][]byte
	build := func(uuidLen int, merkleBoxes [][]byte) []byte {
		off := uint64(len(ftyp) + uuidLen)
		withOffset := func(box []byte) []byte {
			b := binary.BigEndian.AppendUint64(nil, off)
			off += uint64(len(box))
			return append(b, box...)
		}
		initHash := sha256.Sum256(withOffset(moov))
		var leaves [][]byte
		for i := 0; i < len(rest); i += 2 {
			l := sha256.Sum256(append(withOffset(rest[i]), withOffset(rest[i+1])...))
			leaves = append(leaves, l[:])
			off += uint64(len(merkleBoxes[i/2]))
		}
		ls := layersOf(leaves)
		proofs = proofs[:0]
		for i := range leaves {
			proofs = append(proofs, merkleBox(i, proof(ls, i)))
		}
		return genAI.StoreWith(s, "c2pa.hash.bmff.v2", bmffMerkleHash{Exclusions: excl, Alg: "sha256", Name: "jumbf manifest",
			Merkle: []merkleMap{{UniqueID: 1, LocalID: 1, Count: uint64(fragments), Alg: "sha256", InitHash: initHash[:], Hashes: ls[len(ls)-1]}}})
	}
	var boxes [][]byte
	for i := range fragments {
		boxes = append(boxes, merkleBox(i, proof(placeholder, i)))
	}
	uuid := manifestUUIDBox(build(0, boxes))
	uuid2 := manifestUUIDBox(build(len(uuid), boxes))
	if len(uuid2) != len(uuid) {
		t.Fatalf("manifest box size changed: %d, %d", len(uuid), len(uuid2))
	}
	out := slices.Concat(ftyp, uuid2, moov)
	if initOnly {
		return out
	}
	for i := 0; i < len(rest); i += 2 {
		if len(proofs[i/2]) != len(boxes[i/2]) {
			t.Fatalf("merkle box size changed")
		}
		out = slices.Concat(out, rest[i], rest[i+1], proofs[i/2])
	}
	return out
}

func flipAt(d []byte, i int) []byte {
	d = slices.Clone(d)
	d[i] ^= 0x01
	return d
}

// TestBMFFMerkleReferenceFiles reads MP4 files the reference implementation signed with
// Merkle trees (testdata/merkle, made by testdata/reference_sign.py with ":merkle" from
// bmffFile(0, 5000) and bmffFile(3, 2200)): the file-level hash leaves each mdat's
// payload after its first 16 bytes out, and a tree per mdat over its 1 KiB blocks covers
// it (5 leaves, 3 trees of 3). Intact both match (the reference itself reports the
// fragmented one as a mismatch: its reader takes fragmented files as fragment-leaf trees,
// see docs/inspect.md); a byte changed in a block, in the first bytes of an mdat, or in
// moov is a mismatch.
func TestBMFFMerkleReferenceFiles(t *testing.T) {
	for _, name := range []string{"ref-merkle-plain.mp4", "ref-merkle-fragmented.mp4"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "merkle", name))
			if err != nil {
				t.Fatal(err)
			}
			r := readManifest(t, data)
			if r.HardBinding != c2pa.BindingMatch || r.State != c2pa.StateUnverified || !slices.Contains(r.StatusCodes, "assertion.bmffHash.match") {
				t.Fatalf("intact: %s %s %v %q", r.State, r.HardBinding, r.StatusCodes, r.Warnings)
			}
			mdat := bytes.LastIndex(data, []byte("mdat")) - 4
			moov := bytes.Index(data, []byte("moov")) - 4
			for what, i := range map[string]int{"a block of the last mdat": mdat + 16 + 1500, "the first payload bytes of an mdat": mdat + 10, "moov": moov + 40} {
				r := readManifest(t, flipAt(data, i))
				if r.HardBinding != c2pa.BindingMismatch || r.State != c2pa.StateInvalid || r.StatusCodes[0] != "assertion.bmffHash.mismatch" {
					t.Errorf("%s changed: %s %s %v %q", what, r.State, r.HardBinding, r.StatusCodes, r.Warnings)
				}
			}
			if r := readManifest(t, flipAt(data, mdat+16+1500)); !hasWarning(r, "Merkle tree") {
				t.Errorf("block changed: the warning does not name the Merkle tree: %q", r.Warnings)
			}
		})
	}
}

// TestBMFFMerkleFragments checks the Merkle tree over the fragments of a fragmented file
// on files written per the specification here (specFragmentedMP4; no reference writer
// produces this form for one file): with the root or a lower layer listed, intact files
// match; a changed byte in a fragment or in moov (the initHash), a fragment removed, two
// fragments swapped, or a box inserted (moving the boxes after it) are mismatches. An initialization
// segment alone (the DASH case) has its initHash checked and the tree left unchecked.
func TestBMFFMerkleFragments(t *testing.T) {
	s, err := c2patest.NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	for _, layer := range []int{1, 2, 3} {
		data := specFragmentedMP4(t, s, 5, layer, false)
		if r := readManifest(t, data); r.HardBinding != c2pa.BindingMatch || r.State != c2pa.StateUnverified {
			t.Fatalf("layer %d: intact: %s %s %v %q", layer, r.State, r.HardBinding, r.StatusCodes, r.Warnings)
		}
	}
	data := specFragmentedMP4(t, s, 5, 1, false)
	moofs := []int{}
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte("moof"))
		if j < 0 {
			break
		}
		moofs = append(moofs, i+j-4)
		i += j + 4
	}
	if len(moofs) != 5 {
		t.Fatalf("%d moof boxes", len(moofs))
	}
	moov := bytes.Index(data, []byte("moov")) - 4
	swapped := slices.Concat(data[:moofs[1]], data[moofs[2]:moofs[3]], data[moofs[1]:moofs[2]], data[moofs[3]:])
	cases := map[string]struct {
		file    []byte
		warning string
	}{
		"a byte of the third fragment's mdat":  {flipAt(data, moofs[2]+150), "Merkle tree 0: node 0"},
		"a byte of moov":                       {flipAt(data, moov+30), "initHash"},
		"the last fragment removed":            {data[:moofs[4]], "the file 4 fragments"},
		"two fragments swapped":                {swapped, "Merkle tree 0: node 0"},
		"a free box before the first fragment": {slices.Concat(data[:moofs[0]], mp4Box("free"), data[moofs[0]:]), "initHash"},
		"a free box between two fragments":     {slices.Concat(data[:moofs[2]], mp4Box("free"), data[moofs[2]:]), "Merkle tree 0: node 0"},
	}
	for name, c := range cases {
		r := readManifest(t, c.file)
		if r.HardBinding != c2pa.BindingMismatch || r.State != c2pa.StateInvalid || r.StatusCodes[0] != "assertion.bmffHash.mismatch" || !hasWarning(r, c.warning) {
			t.Errorf("%s: %s %s %v %q", name, r.State, r.HardBinding, r.StatusCodes, r.Warnings)
		}
	}
	init := specFragmentedMP4(t, s, 5, 1, true)
	if r := readManifest(t, init); r.HardBinding != c2pa.BindingUnchecked || r.State != c2pa.StateUnverified || !hasWarning(r, "its hash matches, the 5 fragments") {
		t.Errorf("init segment: %s %s %v %q", r.State, r.HardBinding, r.StatusCodes, r.Warnings)
	}
	if r := readManifest(t, flipAt(init, bytes.Index(init, []byte("moov"))+30)); r.HardBinding != c2pa.BindingMismatch || !hasWarning(r, "initialization segment (initHash) does not match") {
		t.Errorf("init segment changed: %s %s %v %q", r.State, r.HardBinding, r.StatusCodes, r.Warnings)
	}
}

// TestBMFFMerkleLimits: a tree with more leaves than Limits.MaxMerkleLeaves is left
// unchecked (state Unverified, a warning says why); the same file within the limit
// matches.
func TestBMFFMerkleLimits(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "merkle", "ref-merkle-plain.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	store, _ := storeOfMP4(t, data)
	r, err := c2pa.Read(store, c2pa.Asset{Data: data}, c2pa.Limits{MaxMerkleLeaves: 4})
	if err != nil || r.HardBinding != c2pa.BindingUnchecked || r.State != c2pa.StateUnverified || !hasWarning(r, "more than the limit 4") {
		t.Errorf("limit 4: %v %+v", err, r)
	}
	r, err = c2pa.Read(store, c2pa.Asset{Data: data}, c2pa.Limits{MaxMerkleLeaves: 5})
	if err != nil || r.HardBinding != c2pa.BindingMatch {
		t.Errorf("limit 5: %v %+v", err, r)
	}
}

// storeOfMP4 returns the manifest store in an MP4's C2PA uuid box and its offset.
func storeOfMP4(t *testing.T, data []byte) ([]byte, int) {
	t.Helper()
	i := bytes.Index(data, c2paUUID)
	if i < 8 {
		t.Fatal("no C2PA uuid box")
	}
	start := i - 8
	size := int(binary.BigEndian.Uint32(data[start:]))
	body := data[i+16+4 : start+size]
	p := bytes.IndexByte(body, 0)
	body = body[p+1+8:]
	return body, start
}
