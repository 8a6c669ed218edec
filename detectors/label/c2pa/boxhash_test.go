package c2pa_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors/label/c2pa"
	"github.com/aigcwatch/aigcwatch/detectors/label/c2pa/c2patest"
	"github.com/aigcwatch/aigcwatch/detectors/label/carrier"
)

// readManifest reads a file's manifest report, failing the test when there is none.
func readManifest(t *testing.T, data []byte) *c2pa.Report {
	t.Helper()
	res, err := carrier.Read(data, carrier.Limits{})
	if err != nil || res.Manifest == nil {
		t.Fatalf("read: %v, manifest error %v", err, res.ManifestErr)
	}
	return res.Manifest
}

func hasWarning(r *c2pa.Report, sub string) bool {
	return slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, sub) })
}

// TestBoxHashReferenceFiles reads files the reference implementation signed with a box
// hash (testdata/boxhash, made by testdata/reference_sign.py with ":boxhash" from the
// carrier package's none.jpg, none.png and none.gif; the reference reports
// assertion.boxesHash.match on each). Intact they match; a changed content byte, a box
// inserted before the last one, or a box removed is assertion.boxesHash.mismatch
// and Invalid; bytes appended after the last box are not covered (as in the reference)
// and a warning says so.
func TestBoxHashReferenceFiles(t *testing.T) {
	type variant struct {
		name string
		edit func([]byte) []byte
	}
	insertBefore := func(tailLen int, box []byte) func([]byte) []byte {
		return func(d []byte) []byte {
			i := len(d) - tailLen
			return append(append(slices.Clone(d[:i]), box...), d[i:]...)
		}
	}
	flip := func(from func([]byte) int) func([]byte) []byte {
		return func(d []byte) []byte {
			d = slices.Clone(d)
			d[from(d)] ^= 0x01
			return d
		}
	}
	pngChunk := func(typ, data string) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		return append(append(append(b, typ...), data...), 0, 0, 0, 0)
	}
	cases := map[string]struct {
		changed, inserted []byte // the content byte to change is found with changedAt
		changedAt         func([]byte) int
		tail              int                 // length of the last box
		remove            func([]byte) []byte // removes a box
	}{
		// JPEG: a byte of the entropy-coded data (the last SOS), a COM before EOI
		"ref-boxhash-none.jpg": {inserted: []byte("\xff\xfe\x00\x05abc"), tail: 2,
			changedAt: func(d []byte) int { return len(d) - 8 },
			remove:    func(d []byte) []byte { return slices.Clone(d[:len(d)-2]) }}, // EOI
		// PNG: a byte of the IDAT data, a tEXt chunk before IEND
		"ref-boxhash-none.png": {inserted: pngChunk("tEXt", "k\x00v"), tail: 12,
			changedAt: func(d []byte) int { return bytes.LastIndex(d, []byte("IDAT")) + 6 },
			remove: func(d []byte) []byte { // the tEXt chunk
				i := bytes.LastIndex(d, []byte("tEXt")) - 4
				return slices.Delete(slices.Clone(d), i, i+12+int(binary.BigEndian.Uint32(d[i:])))
			}},
		// GIF: a byte of the image data, a comment extension before the trailer
		"ref-boxhash-none.gif": {inserted: []byte("\x21\xfe\x03abc\x00"), tail: 1,
			changedAt: func(d []byte) int { return len(d) - 4 },
			remove: func(d []byte) []byte { // the comment extension (one sub-block)
				i := bytes.LastIndex(d, []byte{0x21, 0xfe})
				return slices.Delete(slices.Clone(d), i, i+2+1+int(d[i+2])+1)
			}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "boxhash", name))
			if err != nil {
				t.Fatal(err)
			}
			r := readManifest(t, data)
			if r.BindingKind != "c2pa.hash.boxes" || r.HardBinding != c2pa.BindingMatch || r.State != c2pa.StateUnverified ||
				!slices.Contains(r.StatusCodes, "assertion.boxesHash.match") || len(r.Warnings) != 0 {
				t.Fatalf("intact: %s %s %s %v %q", r.State, r.BindingKind, r.HardBinding, r.StatusCodes, r.Warnings)
			}
			for _, v := range []variant{
				{"content byte changed", flip(c.changedAt)},
				{"box inserted", insertBefore(c.tail, c.inserted)},
				{"box removed", c.remove},
			} {
				r := readManifest(t, v.edit(data))
				if r.HardBinding != c2pa.BindingMismatch || r.State != c2pa.StateInvalid || r.StatusCodes[0] != "assertion.boxesHash.mismatch" {
					t.Errorf("%s: %s %s %v %q", v.name, r.State, r.HardBinding, r.StatusCodes, r.Warnings)
				}
			}
			r = readManifest(t, append(slices.Clone(data), "appended"...))
			if r.HardBinding != c2pa.BindingMatch || !hasWarning(r, "8 bytes after the last box are not covered") {
				t.Errorf("appended: %s %v %q", r.HardBinding, r.StatusCodes, r.Warnings)
			}
		})
	}
}

// TestBoxHashAssertions checks what a signer may write in a box hash, on JPEGs signed
// here (c2patest.JPEGBoxHash): boxes grouped in one entry, a box excluded by the signer
// (accepted, as the reference does, with a warning), and what is refused: the C2PA box
// grouped with others, an entry without names, an empty assertion, an unsupported
// algorithm; exclusions inside boxes are not verified here (unchecked, Unverified).
func TestBoxHashAssertions(t *testing.T) {
	s, err := c2patest.NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	jpg := plainJPEG(t, 64, 48)
	yes := true
	sum := func(b []byte) []byte { h := sha256.Sum256(b); return h[:] }
	cases := []struct {
		name          string
		edit          func([]c2patest.BoxMap) []c2patest.BoxMap
		binding, code string
		warning       string
	}{
		{name: "as written", binding: c2pa.BindingMatch, code: "assertion.boxesHash.match"},
		{name: "boxes grouped after the store", binding: c2pa.BindingMatch, code: "assertion.boxesHash.match",
			edit: func(b []c2patest.BoxMap) []c2patest.BoxMap {
				g := c2patest.BoxMap{Alg: "sha256", Hash: sum(jpg[2:]), Pad: []byte{}}
				for _, e := range b[2:] {
					g.Names = append(g.Names, e.Names...)
				}
				return append(b[:2:2], g)
			}},
		{name: "the scan excluded by the signer", binding: c2pa.BindingMatch, code: "assertion.boxesHash.match",
			warning: "excluded from the hash by the signer",
			edit: func(b []c2patest.BoxMap) []c2patest.BoxMap {
				for i := range b {
					if b[i].Names[0] == "SOS" {
						b[i].Excluded, b[i].Hash = &yes, []byte{0}
					}
				}
				return b
			}},
		{name: "a box hash that does not match", binding: c2pa.BindingMismatch, code: "assertion.boxesHash.mismatch",
			edit: func(b []c2patest.BoxMap) []c2patest.BoxMap { b[len(b)-1].Hash = sum(nil); return b }},
		{name: "the store grouped with SOI", binding: c2pa.BindingMismatch, code: "assertion.boxesHash.mismatch",
			warning: "groups the C2PA box",
			edit: func(b []c2patest.BoxMap) []c2patest.BoxMap {
				b[1].Names = []string{"C2PA", b[2].Names[0]}
				return append(b[:2:2], b[3:]...)
			}},
		{name: "an entry without names", binding: c2pa.BindingMismatch, code: "assertion.boxesHash.malformed",
			edit: func(b []c2patest.BoxMap) []c2patest.BoxMap { b[0].Names = []string{}; return b }},
		{name: "no entries", binding: c2pa.BindingMismatch, code: "assertion.boxesHash.malformed",
			edit: func([]c2patest.BoxMap) []c2patest.BoxMap { return []c2patest.BoxMap{} }},
		{name: "an unsupported algorithm", binding: c2pa.BindingMismatch, code: "algorithm.unsupported",
			edit: func(b []c2patest.BoxMap) []c2patest.BoxMap { b[0].Alg = "md5"; return b }},
		{name: "exclusions inside a box", binding: c2pa.BindingUnchecked, warning: "exclusions inside boxes",
			edit: func(b []c2patest.BoxMap) []c2patest.BoxMap {
				b[2].Exclusions = []c2patest.BoxExclusion{{Start: 4, Length: 2}}
				return b
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			signed, err := genAI.JPEGBoxHash(s, jpg, c.edit)
			if err != nil {
				t.Fatal(err)
			}
			r := readManifest(t, signed)
			wantState := c2pa.StateUnverified
			if c.binding == c2pa.BindingMismatch {
				wantState = c2pa.StateInvalid
			}
			if r.HardBinding != c.binding || r.State != wantState || (c.code != "" && !slices.Contains(r.StatusCodes, c.code)) ||
				(c.code == "" && slices.ContainsFunc(r.StatusCodes, func(s string) bool { return strings.Contains(s, "boxesHash") })) {
				t.Errorf("%s %s %v %q", r.State, r.HardBinding, r.StatusCodes, r.Warnings)
			}
			if c.warning != "" && !hasWarning(r, c.warning) {
				t.Errorf("no warning %q: %q", c.warning, r.Warnings)
			}
		})
	}
}
