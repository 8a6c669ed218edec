package c2pa

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash"
	"slices"
	"strings"
)

// BMFF hashes (c2pa.hash.bmff, c2pa.hash.bmff.v2): the hash of an ISO BMFF file (MP4,
// MOV, HEIF) outside the boxes its exclusions name, where an exclusion is an xpath
// ("/uuid", "/ftyp", "/mfra") with optional conditions (length, version, flags, bytes at
// offsets) and optional subsets (byte ranges within the box). Version 2 also hashes, at
// the start of every top-level box that is not wholly excluded, the box's file offset as
// 8 big-endian bytes, so boxes cannot be moved. This follows the C2PA specification and
// the reference implementation (c2pa-rs bmff_to_jumbf_exclusions and hash ranges).
//
// Nested xpaths ("/meta/iloc", "/moov/trak/mdia") are followed through the container
// boxes listed in bmffContainers; a path through any other box, a Merkle tree (fragmented
// MP4: the hash covers fragments that are not in this file) or a remote hash leaves the
// binding unchecked rather than guessed.

// bmffContainers are the boxes whose payload is a list of boxes, with the bytes to skip
// before it (a full box's version and flags).
var bmffContainers = map[string]int{
	"moov": 0, "trak": 0, "mdia": 0, "minf": 0, "stbl": 0, "edts": 0, "dinf": 0, "udta": 0,
	"mvex": 0, "moof": 0, "traf": 0, "mfra": 0, "iprp": 0, "ipco": 0, "sinf": 0, "schi": 0,
	"meta": 4,
}

// bmffFullBoxes are the boxes whose version and flags exclusions may test.
var bmffFullBoxes = map[string]bool{
	"meta": true, "iloc": true, "iinf": true, "pitm": true, "mvhd": true, "tkhd": true, "mdhd": true,
	"hdlr": true, "stco": true, "co64": true, "stsd": true, "mfhd": true, "tfhd": true, "tfdt": true,
	"trun": true, "saio": true, "saiz": true, "sidx": true, "tfra": true, "mfro": true, "ipma": true,
}

// bmffExclusion is one exclusion of a BMFF hash assertion: the boxes at XPath, narrowed by
// length, data values, version and flags, and, with Subset, only parts of them excluded.
type bmffExclusion struct {
	XPath   string              `cbor:"xpath"`
	Length  *uint64             `cbor:"length"`
	Data    []bmffExclusionData `cbor:"data"`
	Subset  []bmffSubset        `cbor:"subset"`
	Version *uint64             `cbor:"version"`
	Flags   []byte              `cbor:"flags"`
	Exact   *bool               `cbor:"exact"`
}

// bmffExclusionData is a value a box must hold at Offset for its exclusion to apply.
type bmffExclusionData struct {
	Offset uint64 `cbor:"offset"`
	Value  []byte `cbor:"value"`
}

// bmffSubset is the part of an excluded box that is left out of the hash.
type bmffSubset struct {
	Offset uint64 `cbor:"offset"`
	Length uint64 `cbor:"length"`
}

type wireBMFFHash struct {
	Exclusions []bmffExclusion `cbor:"exclusions"`
	Alg        string          `cbor:"alg"`
	Hash       []byte          `cbor:"hash"`
	Merkle     []wireMerkle    `cbor:"merkle"`
	URL        any             `cbor:"url"`
}

// errUnchecked: a BMFF hash this reader does not evaluate.
type errUnchecked string

func (e errUnchecked) Error() string { return string(e) }

// readBox reads the header of the box at d[off:], rem bytes of its container being left
// (at least 8), and, for a full box, its version and flags.
func readBox(d []byte, off, rem uint64) (topBox, error) {
	size, typ, hdr := uint64(binary.BigEndian.Uint32(d[off:])), string(d[off+4:off+8]), uint64(8)
	switch size {
	case 0:
		size = rem
	case 1:
		if rem < 16 {
			return topBox{}, fmt.Errorf("box at %d: 64-bit size cut", off)
		}
		size, hdr = binary.BigEndian.Uint64(d[off+8:]), 16
	}
	if size < hdr || size > rem {
		return topBox{}, fmt.Errorf("box %q at %d: size %d, %d remain", typ, off, size, rem)
	}
	b := topBox{typ: typ, start: off, end: off + size, hdr: hdr, version: -1}
	full := off + hdr
	if typ == "uuid" {
		full += 16
	}
	if (typ == "uuid" || bmffFullBoxes[typ]) && full+4 <= b.end {
		b.version = int(d[full])
		b.flags = uint32(d[full+1])<<16 | uint32(d[full+2])<<8 | uint32(d[full+3])
	}
	return b, nil
}

// childBoxes lists the boxes in d[from:to].
func childBoxes(d []byte, from, to uint64, max int) ([]topBox, error) {
	var out []topBox
	for off := from; off < to; {
		if len(out) >= max {
			return nil, fmt.Errorf("more than %d boxes", max)
		}
		rem := to - off
		if rem < 8 {
			return out, nil // padding at the end of a container
		}
		b, err := readBox(d, off, rem)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
		off = b.end
	}
	return out, nil
}

// findBoxes returns the boxes an xpath names ("/moov/trak"), following containers.
func findBoxes(d []byte, top []topBox, xpath string, max int) ([]topBox, error) {
	parts := strings.Split(strings.TrimPrefix(xpath, "/"), "/")
	level := top
	for i, name := range parts {
		var next []topBox
		for _, b := range level {
			if b.typ != name {
				continue
			}
			if i == len(parts)-1 {
				next = append(next, b)
				continue
			}
			skip, ok := bmffContainers[b.typ]
			if !ok {
				return nil, errUnchecked("exclusion path through a box not read here: " + xpath)
			}
			kids, err := childBoxes(d, b.start+b.hdr+uint64(skip), b.end, max)
			if err != nil {
				return nil, err
			}
			next = append(next, kids...)
		}
		level = next
		if len(level) == 0 {
			return nil, nil
		}
	}
	return level, nil
}

type topBox struct {
	typ        string
	start, end uint64
	hdr        uint64
	version    int // -1 when the box has no version (not a full box read here)
	flags      uint32
}

// topLevelBoxes lists the top-level boxes of an ISO BMFF file.
func topLevelBoxes(d []byte, max int) ([]topBox, error) {
	var out []topBox
	for off := uint64(0); off < uint64(len(d)); {
		if len(out) >= max {
			return nil, fmt.Errorf("more than %d top-level boxes", max)
		}
		rem := uint64(len(d)) - off
		if rem < 8 {
			return nil, fmt.Errorf("box header at %d needs 8 bytes, %d remain", off, rem)
		}
		b, err := readBox(d, off, rem)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
		off = b.end
	}
	return out, nil
}

// bmffHash computes the file-level BMFF hash of asset described by w (version 1, or 2 and
// 3, which also hash box offsets).
func (s *Store) bmffHash(w *wireBMFFHash, version int, alg string, asset []byte) ([]byte, error) {
	if w.URL != nil {
		return nil, errUnchecked("remote hash")
	}
	h := newHash(alg)
	if h == nil {
		return nil, fmt.Errorf("hash algorithm %q is not supported", alg)
	}
	p, err := s.bmffPlan(w, version, asset)
	if err != nil {
		return nil, err
	}
	return p.sum(h, asset, 0, uint64(len(asset))), nil
}

// bmffPlan is what a BMFF hash covers: the file's top-level boxes, the byte ranges left
// after the exclusions, and (version 2 and later) where each remaining top-level box's
// offset is hashed, in order.
type bmffPlan struct {
	boxes []topBox
	steps []hashStep
	// subsets are the byte ranges of each box excluded by a subset, by box start (the
	// data a Merkle tree over mdat covers).
	subsets map[uint64][]rng
}

type rng struct{ a, b uint64 } // [a, b)

// hashStep is a byte range [a, b) of the file, or (marker) the 8-byte big-endian offset a.
type hashStep struct {
	a, b   uint64
	marker bool
}

func (s *Store) bmffPlan(w *wireBMFFHash, version int, asset []byte) (*bmffPlan, error) {
	boxes, err := topLevelBoxes(asset, s.lim.MaxBoxes)
	if err != nil {
		return nil, err
	}
	plan := &bmffPlan{boxes: boxes, subsets: map[uint64][]rng{}}
	var excl []rng
	markers := map[uint64]bool{}
	for _, b := range boxes {
		markers[b.start] = true
	}
	for _, e := range w.Exclusions {
		if !strings.HasPrefix(e.XPath, "/") || strings.ContainsAny(e.XPath, "[]*") {
			return nil, errUnchecked("exclusion xpath " + e.XPath)
		}
		matched, err := findBoxes(asset, boxes, e.XPath, s.lim.MaxBoxes)
		if err != nil {
			return nil, err
		}
		for _, b := range matched {
			n := b.end - b.start
			if e.Length != nil && *e.Length != n {
				continue
			}
			if e.Version != nil && b.version >= 0 && *e.Version != uint64(b.version) {
				continue
			}
			if len(e.Flags) > 0 && b.version >= 0 {
				var fb [3]byte
				copy(fb[:], e.Flags)
				want := uint32(fb[0])<<16 | uint32(fb[1])<<8 | uint32(fb[2])
				exact := e.Exact == nil || *e.Exact
				if (exact && want != b.flags) || (!exact && want|b.flags != want) {
					continue
				}
			}
			match := true
			for _, dm := range e.Data {
				p := b.start + dm.Offset
				if p < b.start || p > uint64(len(asset)) || uint64(len(dm.Value)) > uint64(len(asset))-p ||
					!bytes.Equal(asset[p:p+uint64(len(dm.Value))], dm.Value) {
					match = false
					break
				}
			}
			if !match {
				continue
			}
			if len(e.Subset) > 0 {
				for _, sub := range e.Subset {
					if sub.Offset > n {
						continue
					}
					l := n - sub.Offset
					if sub.Length != 0 {
						l = min(sub.Length, l)
					}
					r := rng{b.start + sub.Offset, b.start + sub.Offset + l}
					excl = append(excl, r)
					plan.subsets[b.start] = append(plan.subsets[b.start], r)
				}
				continue
			}
			excl = append(excl, rng{b.start, b.end})
			delete(markers, b.start)
		}
	}
	// Included ranges: the file minus the exclusions.
	slices.SortFunc(excl, func(x, y rng) int { return cmpU64(x.a, y.a) })
	var incl []rng
	pos := uint64(0)
	for _, e := range excl {
		if e.a > pos {
			incl = append(incl, rng{pos, e.a})
		}
		pos = max(pos, e.b)
	}
	if pos < uint64(len(asset)) {
		incl = append(incl, rng{pos, uint64(len(asset))})
	}
	var offs []uint64
	if version >= 2 {
		for m := range markers {
			offs = append(offs, m)
		}
		slices.Sort(offs)
	}
	// Walk the ranges (sorted, disjoint), pausing at each marker inside one to hash its
	// offset; markers outside every range are hashed in order too (a box whose start is
	// excluded by a subset still has its offset bound).
	mi := 0
	for _, r := range incl {
		for ; mi < len(offs) && offs[mi] < r.a; mi++ {
			plan.steps = append(plan.steps, hashStep{a: offs[mi], marker: true})
		}
		a := r.a
		for ; mi < len(offs) && offs[mi] < r.b; mi++ {
			if os := offs[mi]; os > a {
				plan.steps = append(plan.steps, hashStep{a: a, b: os})
				a = os
			}
			plan.steps = append(plan.steps, hashStep{a: offs[mi], marker: true})
		}
		plan.steps = append(plan.steps, hashStep{a: a, b: r.b})
	}
	for ; mi < len(offs); mi++ {
		plan.steps = append(plan.steps, hashStep{a: offs[mi], marker: true})
	}
	return plan, nil
}

// sum hashes what the plan covers within [lo, hi): the ranges clipped to it, and the
// markers inside it.
func (p *bmffPlan) sum(h hash.Hash, asset []byte, lo, hi uint64) []byte {
	var ob [8]byte
	for _, st := range p.steps {
		if st.marker {
			if st.a >= lo && st.a < hi {
				binary.BigEndian.PutUint64(ob[:], st.a)
				h.Write(ob[:])
			}
			continue
		}
		a, b := max(st.a, lo), min(st.b, hi)
		if a < b {
			h.Write(asset[a:b])
		}
	}
	return h.Sum(nil)
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
