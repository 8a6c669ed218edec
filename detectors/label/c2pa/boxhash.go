package c2pa

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Box hashes (c2pa.hash.boxes, C2PA specification "General boxes hash"): the asset is
// cut into its format's boxes (JPEG marker segments, PNG chunks, GIF blocks), each named
// as the specification and the reference implementation (c2pa-rs get_box_map) name them,
// and the assertion lists groups of consecutive boxes by name with the hash of the bytes
// from the first box's start to the last box's end. The C2PA box (the store) is listed
// alone and not hashed; any other box may be left out of the hash only by an explicit
// "excluded": true, which the signer signed.
//
// Verification follows the reference: the assertion's names must match the file's boxes
// one by one in file order from the start (a box inserted, removed or reordered is a
// mismatch, "unknownBox" in the reference's explanation); a PNG signature box ("PNGh")
// may be left out of the list; bytes after the last listed box are not covered (a
// warning says so). The work is one pass over the file to list its boxes (at most
// Limits.MaxBoxes) and one hash of the listed bytes.

type wireBoxHash struct {
	Boxes []struct {
		Names      []string `cbor:"names"`
		Alg        string   `cbor:"alg"`
		Hash       []byte   `cbor:"hash"`
		Excluded   *bool    `cbor:"excluded"`
		Exclusions []any    `cbor:"exclusions"`
	} `cbor:"boxes"`
}

// assetBox is one named box of the asset: bytes [start, end).
type assetBox struct {
	name       string
	start, end int
}

// c2paBoxName is the name of the manifest store's box in every format.
const c2paBoxName = "C2PA"

// errBoxMap: the asset's boxes could not be listed (truncated or malformed structure).
var errBoxMap = errors.New("box map")

// boxMap lists the named boxes of a JPEG, PNG or GIF asset. ok is false for a format
// without box names here.
func boxMap(d []byte, max int) (boxes []assetBox, ok bool, err error) {
	switch {
	case len(d) >= 2 && d[0] == 0xFF && d[1] == 0xD8:
		boxes, err = jpegBoxes(d, max)
	case len(d) >= 8 && bytes.Equal(d[:8], []byte("\x89PNG\r\n\x1a\n")):
		boxes, err = pngBoxes(d, max)
	case len(d) >= 6 && (bytes.Equal(d[:6], []byte("GIF89a")) || bytes.Equal(d[:6], []byte("GIF87a"))):
		boxes, err = gifBoxes(d, max)
	default:
		return nil, false, nil
	}
	return boxes, true, err
}

func boxMapErr(off int, format string, args ...any) error {
	return fmt.Errorf("%w: offset %d: %s", errBoxMap, off, fmt.Sprintf(format, args...))
}

// jpegMarkerName names a JPEG marker as the reference does ("" for a marker that is not a
// segment of its own).
func jpegMarkerName(m byte) string {
	switch {
	case m >= 0xE0 && m <= 0xEF:
		return fmt.Sprintf("APP%d", m-0xE0)
	case m >= 0xD0 && m <= 0xD7:
		return fmt.Sprintf("RST%d", m-0xD0)
	case m >= 0xF0 && m <= 0xFD:
		return fmt.Sprintf("JPG%d", m-0xF0)
	}
	switch m {
	case 0xC4:
		return "DHT"
	case 0xC8:
		return "JPG"
	case 0xCC:
		return "DAC"
	case 0xDB:
		return "DQT"
	case 0xDD:
		return "DRI"
	case 0xDA:
		return "SOS"
	case 0xFE:
		return "COM"
	case 0xD8:
		return "SOI"
	case 0xD9:
		return "EOI"
	}
	if m >= 0xC0 && m <= 0xCF {
		return fmt.Sprintf("SOF%d", m-0xC0)
	}
	return ""
}

// jpegBoxes lists a JPEG's marker segments: SOI, each segment with a length (APPn, DQT,
// SOFn, DHT, SOS with its entropy-coded data up to the next marker that is not a restart
// marker or a stuffed byte, COM, DRI...), EOI. The C2PA store's APP11 segments (JPEG XT
// packets of a "c2pa" JUMBF box, the first and its continuations with the same box
// instance number) are one box named C2PA. An APP11 segment of 16 bytes or fewer is not
// a box (the reference does not list it). Listing stops at EOI or at the first byte that
// does not start a marker.
func jpegBoxes(d []byte, max int) ([]assetBox, error) {
	out := []assetBox{{name: "SOI", start: 0, end: 2}}
	c2pa := -1    // index of the C2PA box in out
	var en []byte // its JPEG XT box instance number
	for pos := 2; pos+2 <= len(d) && d[pos] == 0xFF; {
		if len(out) >= max {
			return nil, boxMapErr(pos, "more than %d boxes: %v", max, ErrLimit)
		}
		m := d[pos+1]
		name := jpegMarkerName(m)
		switch {
		case name == "" || m == 0xD8:
			return out, nil // not a segment: the reference's listing stops here too
		case m == 0xD9 || (m >= 0xD0 && m <= 0xD7):
			out = append(out, assetBox{name: name, start: pos, end: pos + 2})
			if m == 0xD9 {
				return out, nil
			}
			pos += 2
			continue
		}
		if pos+4 > len(d) {
			return nil, boxMapErr(pos, "%s segment length cut", name)
		}
		n := int(binary.BigEndian.Uint16(d[pos+2:]))
		end := pos + 2 + n
		if n < 2 || end > len(d) {
			return nil, boxMapErr(pos, "%s segment of %d bytes, %d remain", name, n, len(d)-pos-2)
		}
		if m == 0xEB {
			seg := d[pos+4 : end]
			if len(seg) <= 16 {
				pos = end
				continue
			}
			if c2pa >= 0 && bytes.Equal(seg[2:4], en) {
				out[c2pa].end = end // a continuation of the store
				pos = end
				continue
			}
			if c2pa < 0 {
				if len(seg) < 28 {
					return nil, boxMapErr(pos, "APP11 segment of %d bytes: too short for JUMBF", len(seg))
				}
				if string(seg[24:28]) == "c2pa" {
					c2pa, en = len(out), bytes.Clone(seg[2:4])
					out = append(out, assetBox{name: c2paBoxName, start: pos, end: end})
					pos = end
					continue
				}
			}
		}
		if m == 0xDA {
			// entropy-coded data follows the scan header up to the next marker
			i := end
			for ; i < len(d); i++ {
				if d[i] != 0xFF {
					j := bytes.IndexByte(d[i:], 0xFF)
					if j < 0 {
						i = len(d)
						break
					}
					i += j
				}
				if i+1 >= len(d) {
					return nil, boxMapErr(i, "entropy-coded data cut")
				}
				if next := d[i+1]; next != 0 && (next < 0xD0 || next > 0xD7) {
					break
				}
				i++
			}
			if i >= len(d) {
				return nil, boxMapErr(end, "entropy-coded data runs to the end of the file without EOI")
			}
			end = i
		}
		out = append(out, assetBox{name: name, start: pos, end: end})
		pos = end
	}
	return out, nil
}

// pngBoxes lists a PNG's signature (PNGh) and its chunks, each named by its type, the
// caBX chunk named C2PA, up to IEND.
func pngBoxes(d []byte, max int) ([]assetBox, error) {
	out := []assetBox{{name: "PNGh", start: 0, end: 8}}
	for pos := 8; pos < len(d); {
		if len(out) >= max {
			return nil, boxMapErr(pos, "more than %d boxes: %v", max, ErrLimit)
		}
		if len(d)-pos < 12 {
			return nil, boxMapErr(pos, "chunk header cut")
		}
		n := uint64(binary.BigEndian.Uint32(d[pos:]))
		if n > uint64(len(d)-pos-12) {
			return nil, boxMapErr(pos, "chunk of %d bytes, %d remain", n, len(d)-pos-12)
		}
		name := string(d[pos+4 : pos+8])
		end := pos + 12 + int(n)
		if name == "caBX" {
			name = c2paBoxName
		}
		out = append(out, assetBox{name: name, start: pos, end: end})
		pos = end
		if name == "IEND" {
			break
		}
	}
	return out, nil
}

// gifBoxes lists a GIF's blocks as the reference names them: the header (GIF89a), the
// logical screen descriptor with its global color table (LSD), extensions (21F9 graphic
// control, 21FE comment, 21FF application, 2101 plain text; the C2PA_GIF application
// extension is named C2PA), image descriptors with their local color table (2C), image
// data (TBID) and the trailer (3B).
func gifBoxes(d []byte, max int) ([]assetBox, error) {
	if len(d) < 13 {
		return nil, boxMapErr(6, "logical screen descriptor cut")
	}
	lsdEnd := 13
	if d[10]&0x80 != 0 {
		lsdEnd += 3 << ((d[10] & 7) + 1)
	}
	if lsdEnd > len(d) {
		return nil, boxMapErr(13, "global color table cut")
	}
	out := []assetBox{{name: "GIF89a", start: 0, end: 6}, {name: "LSD", start: 6, end: lsdEnd}}
	// subBlocks returns the end of the data sub-blocks starting at p.
	subBlocks := func(p int) (int, error) {
		for p < len(d) {
			n := int(d[p])
			if n == 0 {
				return p + 1, nil
			}
			p += 1 + n
		}
		return 0, boxMapErr(p, "data sub-blocks cut")
	}
	for pos := lsdEnd; pos < len(d); {
		if len(out) >= max {
			return nil, boxMapErr(pos, "more than %d boxes: %v", max, ErrLimit)
		}
		var name string
		var end int
		var err error
		switch d[pos] {
		case 0x3B:
			return append(out, assetBox{name: "3B", start: pos, end: pos + 1}), nil
		case 0x2C:
			end = pos + 10
			if end > len(d) {
				return nil, boxMapErr(pos, "image descriptor cut")
			}
			if f := d[pos+9]; f&0x80 != 0 {
				end += 3 << ((f & 7) + 1)
			}
			if end > len(d) {
				return nil, boxMapErr(pos, "local color table cut")
			}
			out = append(out, assetBox{name: "2C", start: pos, end: end})
			// the image data: the LZW minimum code size, then sub-blocks
			if end >= len(d) {
				return nil, boxMapErr(end, "image data cut")
			}
			start := end
			if end, err = subBlocks(end + 1); err != nil {
				return nil, err
			}
			out = append(out, assetBox{name: "TBID", start: start, end: end})
			pos = end
			continue
		case 0x21:
			if pos+2 > len(d) {
				return nil, boxMapErr(pos, "extension cut")
			}
			switch label := d[pos+1]; label {
			case 0xFF:
				if pos+14 > len(d) || d[pos+2] != 11 {
					return nil, boxMapErr(pos, "application extension header malformed")
				}
				name = "21FF"
				if string(d[pos+3:pos+11]) == "C2PA_GIF" && bytes.Equal(d[pos+11:pos+14], []byte{1, 0, 0}) {
					name = c2paBoxName
				}
				end, err = subBlocks(pos + 14)
			case 0xFE:
				name = "21FE"
				end, err = subBlocks(pos + 2)
			case 0xF9:
				name = "21F9"
				end, err = subBlocks(pos + 2)
			case 0x01:
				name = "2101"
				if pos+15 > len(d) {
					return nil, boxMapErr(pos, "plain text extension cut")
				}
				end, err = subBlocks(pos + 15)
			default:
				return nil, boxMapErr(pos, "unknown extension label %#x", label)
			}
			if err != nil {
				return nil, err
			}
		default:
			return nil, boxMapErr(pos, "unknown block %#x", d[pos])
		}
		out = append(out, assetBox{name: name, start: pos, end: end})
		pos = end
	}
	return nil, boxMapErr(len(d), "no trailer")
}

// boxHash verifies a c2pa.hash.boxes assertion against the asset. It returns the status
// code and the binding outcome; unchecked (no code) for a format without box names here
// or exclusions inside boxes.
func (s *Store) boxHash(n *Node, claimAlg string, asset []byte, r *Report) (string, string) {
	const mismatch, match = "assertion.boxesHash.mismatch", "assertion.boxesHash.match"
	b, ok := n.ContentBox("cbor")
	var w wireBoxHash
	if !ok || decodeCBOR(b, s.lim, &w) != nil || len(w.Boxes) == 0 {
		r.warnf("%s: undecodable or without boxes", n.Label)
		return "assertion.boxesHash.malformed", BindingMismatch
	}
	src, known, err := boxMap(asset, s.lim.MaxBoxes)
	switch {
	case !known:
		r.warnf("%s: not verified here: box names are read for JPEG, PNG and GIF only", n.Label)
		return "", BindingUnchecked
	case err != nil:
		r.warnf("%s: %v", n.Label, err)
		return mismatch, BindingMismatch
	}
	si := 0
	if len(src) > 0 && src[0].name == "PNGh" && len(w.Boxes[0].Names) > 0 && w.Boxes[0].Names[0] != "PNGh" {
		si++ // the PNG signature may be left out of the list
	}
	for i, bm := range w.Boxes {
		if len(bm.Names) == 0 {
			r.warnf("%s: entry %d names no box", n.Label, i)
			return "assertion.boxesHash.malformed", BindingMismatch
		}
		start, end, c2pa := 0, 0, false
		for k, name := range bm.Names {
			if si >= len(src) || src[si].name != name {
				found := "the end of the file"
				if si < len(src) {
					found = fmt.Sprintf("%s at offset %d", src[si].name, src[si].start)
				}
				r.warnf("%s: entry %d names box %q where the file has %s (a box was added, removed or moved)", n.Label, i, name, found)
				return mismatch, BindingMismatch
			}
			if k == 0 {
				start = src[si].start
				if name == c2paBoxName {
					if len(bm.Names) != 1 {
						r.warnf("%s: entry %d groups the C2PA box with others", n.Label, i)
						return mismatch, BindingMismatch
					}
					c2pa = true
				}
			}
			end = src[si].end
			si++
		}
		if bm.Exclusions != nil {
			if len(bm.Exclusions) == 0 {
				r.warnf("%s: entry %d has an empty exclusions list", n.Label, i)
				return "assertion.boxesHash.malformed", BindingMismatch
			}
			if !c2pa && (bm.Excluded == nil || !*bm.Excluded) {
				r.warnf("%s: not verified here: exclusions inside boxes (entry %d)", n.Label, i)
				return "", BindingUnchecked
			}
		}
		if c2pa {
			continue
		}
		if bm.Excluded != nil && *bm.Excluded {
			r.warnf("%s: boxes %v (bytes %d-%d) are excluded from the hash by the signer", n.Label, bm.Names, start, end)
			continue
		}
		alg := cmpOr(bm.Alg, claimAlg)
		h := newHash(alg)
		if h == nil {
			r.warnf("%s: hash algorithm %q is not supported", n.Label, alg)
			return "algorithm.unsupported", BindingMismatch
		}
		h.Write(asset[start:end])
		if !bytes.Equal(h.Sum(nil), bm.Hash) {
			r.warnf("%s: the hash of boxes %v (bytes %d-%d) does not match", n.Label, bm.Names, start, end)
			return mismatch, BindingMismatch
		}
	}
	switch {
	case si < len(src):
		r.warnf("%s: %d boxes from offset %d on are not covered by the box hash", n.Label, len(src)-si, src[si].start)
	case len(src) > 0 && src[len(src)-1].end < len(asset):
		r.warnf("%s: %d bytes after the last box are not covered by the box hash", n.Label, len(asset)-src[len(src)-1].end)
	}
	return match, BindingMatch
}
