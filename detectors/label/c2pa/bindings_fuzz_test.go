package c2pa

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

func fuzzBox(typ string, payload []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(payload)))
	return append(append(b, typ...), payload...)
}

// FuzzBMFFHash drives the BMFF hash over arbitrary files with exclusions of every kind
// (top-level with a data condition, nested through containers, with subsets): it must
// never panic, and an error is either "unchecked" or a reason.
func FuzzBMFFHash(f *testing.F) {
	f.Add(append(append(fuzzBox("ftyp", []byte("isom\x00\x00\x00\x00isom")), fuzzBox("moov", fuzzBox("trak", fuzzBox("tkhd", make([]byte, 84))))...), fuzzBox("mdat", make([]byte, 64))...))
	f.Add(append(fuzzBox("ftyp", []byte("heic\x00\x00\x00\x00mif1")), fuzzBox("meta", append(make([]byte, 4), fuzzBox("iloc", make([]byte, 12))...))...))
	f.Add([]byte{0, 0, 0, 1, 'm', 'd', 'a', 't', 0, 0, 0, 0, 0, 0, 0, 16})
	v2 := uint64(1)
	w := &wireBMFFHash{Alg: "sha256", Hash: make([]byte, 32)}
	w.Exclusions = append(w.Exclusions, bmffExclusion{XPath: "/uuid", Data: []bmffExclusionData{{Offset: 8, Value: []byte{0xD8, 0xFE}}}, Version: &v2})
	w.Exclusions = append(w.Exclusions, w.Exclusions[0])
	w.Exclusions[1].XPath, w.Exclusions[1].Data = "/ftyp", nil
	w.Exclusions = append(w.Exclusions, w.Exclusions[1])
	w.Exclusions[2].XPath = "/meta/iloc"
	w.Exclusions = append(w.Exclusions, w.Exclusions[1])
	w.Exclusions[3].XPath = "/moov/trak/tkhd"
	w.Exclusions[3].Subset = []bmffSubset{{Offset: 4, Length: 0}, {Offset: 1 << 40, Length: 3}}
	s := &Store{lim: Limits{MaxBoxes: 256}.withDefaults()}
	f.Fuzz(func(t *testing.T, asset []byte) {
		for _, v := range []int{1, 2} {
			if sum, err := s.bmffHash(w, v, "sha256", asset); err == nil && len(sum) != 32 {
				t.Fatalf("hash of %d bytes", len(sum))
			}
		}
	})
}

// FuzzCollectionHash drives the ZIP collection hash over arbitrary archives.
func FuzzCollectionHash(f *testing.F) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range []string{"word/document.xml", zipManifestName} {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate})
		w.Write([]byte("<w:document/>"))
	}
	zw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("PK\x03\x04PK\x05\x06\x00\x00\x00\x00\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	st := &Store{lim: Limits{MaxBoxes: 256}.withDefaults()}
	assertion := &Node{Label: "c2pa.hash.collection.data", Content: []Box{{Type: "cbor", Data: mustCollectionCBOR()}}}
	f.Fuzz(func(t *testing.T, asset []byte) {
		_ = st.collectionHash(assertion, "sha256", asset)
	})
}

func mustCollectionCBOR() []byte {
	// {"uris": [{"uri": "word/document.xml", "hash": h'00…'}], "alg": "sha256",
	//  "zip_central_directory_hash": h'00…'}
	b, err := cbor.Marshal(map[string]any{
		"uris":                       []map[string]any{{"uri": "word/document.xml", "hash": make([]byte, 32)}},
		"alg":                        "sha256",
		"zip_central_directory_hash": make([]byte, 32),
	})
	if err != nil {
		panic(err)
	}
	return b
}

// FuzzBoxHash drives the JPEG, PNG and GIF box maps and the box-hash check over arbitrary
// files (seeded with the reference-signed files): no panic, boxes in order within the
// file, an error named (errBoxMap or a limit), and an outcome from the known set.
func FuzzBoxHash(f *testing.F) {
	for _, n := range []string{"ref-boxhash-none.jpg", "ref-boxhash-none.png", "ref-boxhash-none.gif"} {
		if b, err := os.ReadFile(filepath.Join("testdata", "boxhash", n)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("\xff\xd8\xff\xda\x00\x02\xff"))
	f.Add([]byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b"))
	st := &Store{lim: Limits{MaxBoxes: 256}.withDefaults()}
	yes := true
	cb, err := cbor.Marshal(map[string]any{"boxes": []map[string]any{
		{"names": []string{"SOI"}, "alg": "sha256", "hash": make([]byte, 32), "pad": []byte{}},
		{"names": []string{"PNGh"}, "alg": "sha256", "hash": make([]byte, 32), "pad": []byte{}},
		{"names": []string{"C2PA"}, "hash": []byte{0}, "excluded": yes, "pad": []byte{}},
		{"names": []string{"APP0", "DQT", "IHDR", "LSD"}, "hash": make([]byte, 32), "pad": []byte{}},
	}})
	if err != nil {
		f.Fatal(err)
	}
	node := &Node{Label: "c2pa.hash.boxes", Content: []Box{{Type: "cbor", Data: cb}}}
	f.Fuzz(func(t *testing.T, asset []byte) {
		boxes, known, err := boxMap(asset, st.lim.MaxBoxes)
		if err != nil && !errors.Is(err, errBoxMap) {
			t.Fatalf("unnamed error %v", err)
		}
		if known && err == nil {
			if len(boxes) > st.lim.MaxBoxes {
				t.Fatalf("%d boxes, limit %d", len(boxes), st.lim.MaxBoxes)
			}
			end := 0
			for _, b := range boxes {
				if b.start < end || b.end < b.start || b.end > len(asset) {
					t.Fatalf("box %+v after %d in %d bytes", b, end, len(asset))
				}
				end = b.end
			}
		}
		code, res := st.boxHash(node, "sha256", asset, &Report{})
		if !slices.Contains([]string{BindingMatch, BindingMismatch, BindingUnchecked}, res) ||
			(res != BindingUnchecked && !slices.Contains([]string{"assertion.boxesHash.match", "assertion.boxesHash.mismatch", "assertion.boxesHash.malformed", "algorithm.unsupported"}, code)) {
			t.Fatalf("outcome %q %q", code, res)
		}
	})
}

// FuzzBMFFMerkle drives the BMFF Merkle checks (trees over mdat blocks and over
// fragments, an initHash) over arbitrary files, seeded with the reference-signed Merkle
// files: no panic, and an outcome that is nil, unchecked or a reason.
func FuzzBMFFMerkle(f *testing.F) {
	for _, n := range []string{"ref-merkle-plain.mp4", "ref-merkle-fragmented.mp4"} {
		if b, err := os.ReadFile(filepath.Join("testdata", "merkle", n)); err == nil {
			f.Add(b)
		}
	}
	f.Add(append(fuzzBox("moof", fuzzBox("mfhd", make([]byte, 8))), fuzzBox("mdat", make([]byte, 40))...))
	bs, zero := uint64(16), uint64(0)
	w := &wireBMFFHash{Alg: "sha256", Merkle: []wireMerkle{
		{Count: 3, Hashes: [][]byte{make([]byte, 32)}, FixedBlockSize: &bs},
		{LocalID: 1, Count: 2, Hashes: [][]byte{make([]byte, 32)}, VariableBlockSizes: []uint64{8, 8}},
		{LocalID: 2, Count: 1, Hashes: [][]byte{make([]byte, 32)}, FixedBlockSize: &zero},
		{UniqueID: 1, LocalID: 1, Count: 3, InitHash: make([]byte, 32), Hashes: [][]byte{make([]byte, 32), make([]byte, 32)}},
	}}
	w.Exclusions = append(w.Exclusions, bmffExclusion{XPath: "/mdat", Subset: []bmffSubset{{Offset: 16}}})
	st := &Store{lim: Limits{MaxBoxes: 256, MaxMerkleLeaves: 4096}.withDefaults()}
	f.Fuzz(func(t *testing.T, asset []byte) {
		for _, v := range []int{1, 2, 3} {
			_ = st.verifyBMFF("c2pa.hash.bmff.v2", w, v, "sha256", asset, &Report{})
		}
	})
}
