package carrier

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
)

// HEIF and AVIF (ISO/IEC 23008-12, ISO BMFF): the reader walks the top-level boxes and
// the file-level meta box:
//
//   - iinf/infe: items of type "mime" with content type application/rdf+xml (XMP) and
//     items of type "Exif" (a 4-byte offset to the TIFF header, then EXIF);
//   - iloc: where those items' bytes are (construction method 0, file offsets; 1, the
//     idat box); items split into several extents are joined, up to Limits.MaxInflate;
//   - iprp/ipco/ispe: the image size (the largest ispe, which is the primary image's for
//     grid and tiled images);
//   - top-level uuid boxes: the C2PA manifest store and the XMP box, as in MP4.
//
// Image data is never decoded.

// heifBrands are the ftyp brands of HEIF and AVIF still images and sequences.
var heifBrands = map[string]bool{
	"heic": true, "heix": true, "heim": true, "heis": true, "hevc": true, "hevx": true,
	"mif1": true, "msf1": true, "avif": true, "avis": true, "avci": true,
}

// isHEIF reports whether data starts with an ftyp box whose major brand is a HEIF one.
func isHEIF(data []byte) bool {
	return len(data) >= 12 && string(data[4:8]) == "ftyp" && heifBrands[string(data[8:12])]
}

const maxHEIFItems = 4096

type heifItem struct {
	id       uint32
	typ      string
	mime     string
	method   int
	extents  [][2]uint64 // offset, length
	base     uint64
	hasLoc   bool
	infeSeen bool
}

func (s *state) heif(d []byte) error {
	items := map[uint32]*heifItem{}
	var idat []byte
	maxArea := 0
	item := func(id uint32) (*heifItem, error) {
		it := items[id]
		if it == nil {
			if len(items) >= maxHEIFItems {
				return nil, s.errf(0, ErrMalformed, "more than %d items", maxHEIFItems)
			}
			it = &heifItem{id: id}
			items[id] = it
		}
		return it, nil
	}
	err := s.eachBox(d, 0, "", func(b box) error {
		switch b.typ {
		case "ftyp":
			if len(b.data) >= 4 && (string(b.data[:4]) == "avif" || string(b.data[:4]) == "avis") {
				s.res.MIME = "image/avif"
			}
		case "uuid":
			return s.mp4UUID(b, "uuid")
		case "meta":
			if len(b.data) < 4 {
				return s.errf(b.off, ErrMalformed, "meta: no version and flags")
			}
			return s.eachBox(b.data[4:], b.dataOff+4, "meta", func(c box) error {
				switch c.typ {
				case "iinf":
					return s.heifIINF(c, item)
				case "iloc":
					return s.heifILOC(c, item)
				case "idat":
					idat = c.data
				case "iprp":
					return s.eachBox(c.data, c.dataOff, "meta/iprp", func(p box) error {
						if p.typ != "ipco" {
							return nil
						}
						return s.eachBox(p.data, p.dataOff, "meta/iprp/ipco", func(q box) error {
							if q.typ == "ispe" && len(q.data) >= 12 {
								w, h := int(be32(q.data[4:])), int(be32(q.data[8:]))
								if w <= maxDims && h <= maxDims && w*h >= maxArea {
									maxArea, s.res.Width, s.res.Height = w*h, w, h
								}
							}
							return nil
						})
					})
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return err
	}
	ids := make([]uint32, 0, len(items))
	for id := range items {
		ids = append(ids, id)
	}
	slices.Sort(ids) // file order is item order for the writers seen; map order is random
	for _, id := range ids {
		it := items[id]
		isXMP := it.typ == "mime" && (it.mime == "application/rdf+xml" || it.mime == "application/xmp+xml")
		isExif := it.typ == "Exif"
		if (!isXMP && !isExif) || !it.hasLoc {
			continue
		}
		data, off, exact, err := s.heifItemData(d, idat, it)
		if err != nil {
			s.warnf("item %d (%s): %v", it.id, it.typ, err)
			continue
		}
		path := fmt.Sprintf("heif/item[%d]", it.id)
		if isXMP {
			if err := s.xmpScan(data, int64(off), exact, path+"/XMP"); err != nil {
				return err
			}
			continue
		}
		if len(data) < 4 {
			s.warnf("%s: Exif item shorter than its header offset", path)
			continue
		}
		h := uint64(be32(data))
		if h > uint64(len(data)-4) {
			s.warnf("%s: Exif TIFF header offset %d past the item", path, h)
			continue
		}
		t := data[4+h:]
		toff := off + 4 + int(h)
		if bytes.HasPrefix(t, []byte("Exif\x00\x00")) {
			t, toff = t[6:], toff+6
		}
		s.exifScan(t, toff, path+"/Exif")
	}
	return nil
}

// heifIINF reads item infos (infe version 2 and 3).
func (s *state) heifIINF(b box, item func(uint32) (*heifItem, error)) error {
	if len(b.data) < 6 {
		return s.errf(b.off, ErrTruncated, "iinf: too short")
	}
	hdr := 6
	if b.data[0] != 0 {
		hdr = 8
	}
	if len(b.data) < hdr {
		return s.errf(b.off, ErrTruncated, "iinf: too short")
	}
	return s.eachBox(b.data[hdr:], b.dataOff+hdr, "meta/iinf", func(c box) error {
		if c.typ != "infe" || len(c.data) < 4 {
			return nil
		}
		v, p := c.data[0], c.data[4:]
		if v < 2 {
			return nil // versions 0 and 1 have no item type
		}
		var id uint32
		if v == 2 {
			if len(p) < 8 {
				return nil
			}
			id, p = uint32(binary.BigEndian.Uint16(p)), p[2:]
		} else {
			if len(p) < 10 {
				return nil
			}
			id, p = be32(p), p[4:]
		}
		p = p[2:] // protection index
		it, err := item(id)
		if err != nil {
			return err
		}
		it.typ, p = string(p[:4]), p[4:]
		it.infeSeen = true
		if z := bytes.IndexByte(p, 0); z >= 0 { // item_name
			p = p[z+1:]
			if it.typ == "mime" {
				if z := bytes.IndexByte(p, 0); z >= 0 {
					it.mime = string(p[:z])
				} else {
					it.mime = string(p)
				}
			}
		}
		return nil
	})
}

// heifILOC reads item locations (versions 0, 1 and 2).
func (s *state) heifILOC(b box, item func(uint32) (*heifItem, error)) error {
	d := b.data
	bad := func(msg string) error { return s.errf(b.off, ErrTruncated, "iloc: %s", msg) }
	if len(d) < 8 {
		return bad("too short")
	}
	v := d[0]
	offSize, lenSize, baseSize := int(d[4]>>4), int(d[4]&15), int(d[5]>>4)
	idxSize := 0
	if v == 1 || v == 2 {
		idxSize = int(d[5] & 15)
	}
	for _, n := range []int{offSize, lenSize, baseSize, idxSize} {
		if n != 0 && n != 4 && n != 8 {
			return s.errf(b.off, ErrMalformed, "iloc: field size %d", n)
		}
	}
	p := 6
	read := func(n int) (uint64, bool) {
		if len(d)-p < n {
			return 0, false
		}
		var v uint64
		for i := range n {
			v = v<<8 | uint64(d[p+i])
		}
		p += n
		return v, true
	}
	idLen := 2
	if v == 2 {
		idLen = 4
	}
	count, ok := read(idLen)
	if !ok {
		return bad("no item count")
	}
	if count > maxHEIFItems {
		return s.errf(b.off, ErrMalformed, "iloc: %d items, limit %d", count, maxHEIFItems)
	}
	for range count {
		id, ok := read(idLen)
		if !ok {
			return bad("item cut short")
		}
		method := uint64(0)
		if v == 1 || v == 2 {
			if method, ok = read(2); !ok {
				return bad("item cut short")
			}
			method &= 15
		}
		if _, ok = read(2); !ok { // data reference index
			return bad("item cut short")
		}
		base, ok := read(baseSize)
		if !ok {
			return bad("item cut short")
		}
		n, ok := read(2)
		if !ok {
			return bad("item cut short")
		}
		it, err := item(uint32(id))
		if err != nil {
			return err
		}
		it.method, it.base, it.hasLoc = int(method), base, true
		for range n {
			if _, ok = read(idxSize); !ok {
				return bad("extent cut short")
			}
			eo, ok1 := read(offSize)
			el, ok2 := read(lenSize)
			if !ok1 || !ok2 {
				return bad("extent cut short")
			}
			if len(it.extents) < 64 {
				it.extents = append(it.extents, [2]uint64{eo, el})
			}
		}
	}
	return nil
}

// heifItemData joins an item's extents. off is the file offset of its first byte, and
// exact says the item's bytes are there, contiguous, so offsets within it are file
// offsets (not so for items in idat or in several extents: off is then the item's start
// or 0).
func (s *state) heifItemData(d, idat []byte, it *heifItem) (data []byte, off int, exact bool, err error) {
	src := d
	switch it.method {
	case 0:
	case 1:
		src = idat
	default:
		return nil, 0, false, fmt.Errorf("construction method %d not read", it.method)
	}
	var out []byte
	first := -1
	for _, e := range it.extents {
		start := it.base + e[0]
		length := e[1]
		if length == 0 { // to the end of the source
			if start > uint64(len(src)) {
				return nil, 0, false, fmt.Errorf("extent at %d outside the file", start)
			}
			length = uint64(len(src)) - start
		}
		if start > uint64(len(src)) || length > uint64(len(src))-start {
			return nil, 0, false, fmt.Errorf("extent [%d, +%d) outside the file", start, length)
		}
		if uint64(len(out))+length > uint64(s.lim.MaxInflate) {
			return nil, 0, false, fmt.Errorf("item larger than %d bytes", s.lim.MaxInflate)
		}
		if first < 0 {
			first = int(start)
		}
		out = append(out, src[start:start+length]...)
	}
	if it.method != 0 || first < 0 {
		return out, 0, false, nil
	}
	return out, first, len(it.extents) == 1, nil
}
