package carrier

import (
	"bytes"
	"cmp"
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/aigcwatch/aigcwatch/record"
)

// UUIDs of ISO BMFF uuid boxes the MP4 reader recognises.
var (
	// c2paBoxUUID is the C2PA manifest store box (C2PA spec, "Embedding manifests into BMFF").
	c2paBoxUUID = []byte{0xD8, 0xFE, 0xC3, 0xD6, 0x1B, 0x0E, 0x48, 0x3C, 0x92, 0x97, 0x58, 0x28, 0x87, 0x7E, 0xC4, 0x81}
	// xmpBoxUUID is the XMP box (XMP spec part 3: BE7ACFCB-97A9-42E8-9C71-999491E3AFAC).
	xmpBoxUUID = []byte{0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8, 0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC}
)

func isMP4Top(t string) bool {
	switch t {
	case "ftyp", "moov", "mdat", "free", "skip", "wide", "pnot":
		return true
	}
	return false
}

// box is one ISO BMFF box: its type, where its header starts and its payload.
type box struct {
	typ     string
	off     int
	data    []byte
	dataOff int
	uuid    []byte // the extended type of a uuid box
}

// eachBox calls fn for each box in d, which starts at file offset base. The walk is
// explicit per level (moov, trak, mdia, udta, meta, ilst), so nesting is bounded by the
// code, not by the file.
func (s *state) eachBox(d []byte, base int, parent string, fn func(box) error) error {
	off := 0
	for off < len(d) {
		rem := len(d) - off
		if rem < 8 {
			if bytes.Count(d[off:], []byte{0}) == rem { // QuickTime's 32-bit zero terminator
				return nil
			}
			return s.errf(base+off, ErrTruncated, "%s: box header needs 8 bytes, %d remain", cmp.Or(parent, "top level"), rem)
		}
		size, typ, h := uint64(be32(d[off:])), string(d[off+4:off+8]), 8
		name := typ
		if parent != "" {
			name = parent + "/" + typ
		}
		switch size {
		case 1:
			if rem < 16 {
				return s.errf(base+off, ErrTruncated, "%s: 64-bit size needs 16 bytes, %d remain", name, rem)
			}
			size, h = uint64(be32(d[off+8:]))<<32|uint64(be32(d[off+12:])), 16
		case 0: // to the end of the parent
			size = uint64(rem)
		}
		if size < uint64(h) {
			return s.errf(base+off, ErrMalformed, "%s: box size %d is smaller than its header", name, size)
		}
		if !fits(size, rem) {
			return s.errf(base+off, ErrTruncated, "%s box declares %d bytes, %d remain", name, size, rem)
		}
		b := box{typ: typ, off: base + off, data: d[off+h : off+int(size)], dataOff: base + off + h}
		if typ == "uuid" {
			if len(b.data) < 16 {
				return s.errf(base+off, ErrMalformed, "%s: box has no 16-byte extended type", name)
			}
			b.uuid, b.data, b.dataOff = b.data[:16], b.data[16:], b.dataOff+16
		}
		if err := fn(b); err != nil {
			return err
		}
		off += int(size)
	}
	return nil
}

type mp4Info struct {
	qt           bool
	video, audio bool
	trak         int
}

func (s *state) mp4(d []byte) error {
	var in mp4Info
	err := s.eachBox(d, 0, "", func(b box) error {
		switch b.typ {
		case "ftyp":
			in.qt = len(b.data) >= 4 && string(b.data[:4]) == "qt  "
		case "moov":
			return s.eachBox(b.data, b.dataOff, "moov", func(c box) error { return s.moovChild(c, &in) })
		case "uuid":
			return s.mp4UUID(b, "uuid")
		}
		return nil
	})
	switch {
	case in.qt:
		s.res.MIME = "video/quicktime"
	case in.audio && !in.video:
		s.res.MIME, s.res.Modality = "audio/mp4", record.Audio
	}
	return err
}

func (s *state) mp4UUID(b box, path string) error {
	switch {
	case bytes.Equal(b.uuid, c2paBoxUUID):
		if st, purpose, ok := bmffC2PA(b.data); ok {
			s.setStore(st, b.dataOff, b.off, b.dataOff+len(b.data)-b.off, path+"[C2PA]")
		} else if purpose == "" || purpose == "manifest" {
			s.res.C2PA = true
			s.warnf("%s[C2PA] at offset %d: unreadable C2PA box header", path, b.off)
		}
	case bytes.Equal(b.uuid, xmpBoxUUID):
		return s.xmpScan(b.data, int64(b.dataOff), true, path+"[XMP]")
	}
	return nil
}

func (s *state) moovChild(b box, in *mp4Info) error {
	switch b.typ {
	case "mvhd":
		s.mvhd(b.data)
	case "trak":
		in.trak++
		path := fmt.Sprintf("moov/trak[%d]", in.trak-1)
		return s.eachBox(b.data, b.dataOff, path, func(c box) error {
			switch c.typ {
			case "tkhd":
				if p := c.data; len(p) >= 84 {
					w, h := be32(p[len(p)-8:])>>16, be32(p[len(p)-4:])>>16
					if w > 0 && h > 0 {
						in.video = true
						if s.res.Width == 0 {
							s.res.Width, s.res.Height = int(w), int(h)
						}
					}
				}
			case "mdia":
				return s.eachBox(c.data, c.dataOff, path+"/mdia", func(m box) error {
					if m.typ == "hdlr" && len(m.data) >= 12 {
						switch string(m.data[8:12]) {
						case "vide":
							in.video = true
						case "soun":
							in.audio = true
						}
					}
					return nil
				})
			case "udta":
				return s.udta(c, path+"/udta")
			case "meta":
				return s.mp4Meta(c, path+"/meta")
			case "uuid":
				return s.mp4UUID(c, path+"/uuid")
			}
			return nil
		})
	case "udta":
		return s.udta(b, "moov/udta")
	case "meta":
		return s.mp4Meta(b, "moov/meta")
	case "uuid":
		return s.mp4UUID(b, "moov/uuid")
	}
	return nil
}

func (s *state) mvhd(p []byte) {
	var scale, dur uint64
	switch {
	case len(p) >= 20 && p[0] == 0:
		scale, dur = uint64(be32(p[12:])), uint64(be32(p[16:]))
	case len(p) >= 32 && p[0] == 1:
		scale, dur = uint64(be32(p[20:])), uint64(be32(p[24:]))<<32|uint64(be32(p[28:]))
	}
	if scale > 0 && dur != 0xFFFFFFFF && dur != 1<<64-1 {
		s.res.DurationS = float64(dur) / float64(scale)
	}
}

func (s *state) udta(b box, path string) error {
	return s.eachBox(b.data, b.dataOff, path, func(c box) error {
		switch c.typ {
		case "meta":
			return s.mp4Meta(c, path+"/meta")
		case "XMP_":
			return s.xmpScan(c.data, int64(c.dataOff), true, path+"/XMP_")
		}
		return nil
	})
}

// mp4Meta reads a meta box: with handler mdta, its keys and the ilst values of the keys
// that contain AIGC. An ISO meta box is a full box (4 bytes of version and flags); a
// QuickTime one is not: its first child, hdlr, starts right away.
func (s *state) mp4Meta(b box, path string) error {
	p, off := b.data, b.dataOff
	if len(p) >= 8 && string(p[4:8]) != "hdlr" {
		p, off = p[4:], off+4
	}
	var handler string
	var keys []string
	var ilst *box
	err := s.eachBox(p, off, path, func(c box) error {
		switch c.typ {
		case "hdlr":
			if len(c.data) >= 12 {
				handler = string(c.data[8:12])
			}
		case "keys":
			var err error
			keys, err = s.mdtaKeys(c, path+"/keys")
			return err
		case "ilst":
			ilst = &c
		}
		return nil
	})
	if err != nil || handler != "mdta" || ilst == nil {
		return err
	}
	return s.eachBox(ilst.data, ilst.dataOff, path+"/ilst", func(item box) error {
		idx := int(be32([]byte(item.typ))) // the 1-based key index
		if idx < 1 || idx > len(keys) || !strings.Contains(keys[idx-1], "AIGC") {
			return nil
		}
		key := keys[idx-1]
		ipath := fmt.Sprintf("%s/ilst[%d]", path, idx)
		return s.eachBox(item.data, item.dataOff, ipath, func(v box) error {
			if v.typ != "data" {
				return nil
			}
			if len(v.data) < 8 {
				return s.errf(v.off, ErrTruncated, "%s/data: needs type and locale (8 bytes), has %d", ipath, len(v.data))
			}
			val, vOff := v.data[8:], int64(v.dataOff+8)
			switch be32(v.data) & 0xFFFFFF { // well-known type
			case 2: // UTF-16BE
				val = utf16BE(val)
			}
			s.add("mp4:mdta:"+key, ipath, val, vOff)
			return nil
		})
	})
}

// mdtaKeys reads a keys box: version and flags, entry count, then size, namespace, name.
// Non-mdta namespaces give "" so ilst indexes stay aligned.
func (s *state) mdtaKeys(b box, path string) ([]string, error) {
	p := b.data
	if len(p) < 8 {
		return nil, s.errf(b.off, ErrTruncated, "%s: needs 8 bytes, has %d", path, len(p))
	}
	n := be32(p[4:])
	p = p[8:]
	if !fits(uint64(n), len(p)/8) {
		return nil, s.errf(b.off, ErrTruncated, "%s: %d entries cannot fit in %d bytes", path, n, len(p))
	}
	keys := make([]string, 0, n)
	pos := b.dataOff + 8
	for range n {
		if len(p) < 8 {
			return nil, s.errf(pos, ErrTruncated, "%s: entry header needs 8 bytes, %d remain", path, len(p))
		}
		sz := be32(p)
		if sz < 8 || !fits(uint64(sz), len(p)) {
			return nil, s.errf(pos, ErrTruncated, "%s: entry declares %d bytes, %d remain", path, sz, len(p))
		}
		name := ""
		if string(p[4:8]) == "mdta" {
			name = string(p[8:sz])
		}
		keys = append(keys, name)
		p, pos = p[sz:], pos+int(sz)
	}
	return keys, nil
}

func utf16BE(b []byte) []byte {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return []byte(string(utf16.Decode(u)))
}
