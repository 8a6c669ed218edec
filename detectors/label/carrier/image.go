package carrier

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"math"
	"strings"
)

const (
	pngSig  = "\x89PNG\r\n\x1a\n"
	xmpSig  = "http://ns.adobe.com/xap/1.0/\x00"
	xmpKey  = "XML:com.adobe.xmp"
	maxDims = math.MaxInt32
)

// inflate decompresses zlib data, refusing more than max bytes of output.
func inflate(c []byte, max int) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(c))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if len(out) > max {
		return nil, fmt.Errorf("inflates to more than %d bytes", max)
	}
	return out, nil
}

// png walks the chunk list up to IEND.
func (s *state) png(d []byte) error {
	if !bytes.HasPrefix(d, []byte(pngSig)) {
		return s.errf(0, ErrMalformed, "no PNG signature")
	}
	off := len(pngSig)
	for i := 0; ; i++ {
		if off == len(d) {
			return s.errf(off, ErrTruncated, "file ends before the IEND chunk")
		}
		if len(d)-off < 12 {
			return s.errf(off, ErrTruncated, "chunk header needs 12 bytes, %d remain", len(d)-off)
		}
		n := be32(d[off:])
		typ := string(d[off+4 : off+8])
		if !fits(uint64(n), len(d)-off-12) {
			return s.errf(off, ErrTruncated, "%q chunk declares %d bytes, %d remain", typ, n, len(d)-off-12)
		}
		data := d[off+8 : off+8+int(n)]
		switch typ {
		case "IHDR":
			if len(data) < 8 {
				return s.errf(off, ErrMalformed, "IHDR chunk is %d bytes, want 13", len(data))
			}
			if w, h := be32(data), be32(data[4:]); w <= maxDims && h <= maxDims {
				s.res.Width, s.res.Height = int(w), int(h)
			}
		case "tEXt", "zTXt", "iTXt":
			if err := s.pngText(typ, i, data, off+8); err != nil {
				return err
			}
		case "eXIf":
			s.exifScan(data, off+8, "png/eXIf")
		case "caBX":
			s.setStore(data, off+8, off, 12+int(n), "png/caBX")
		case "IEND":
			return nil
		}
		off += 12 + int(n)
	}
}

// pngText reads one text chunk: a label when its keyword contains AIGC, XMP when its
// keyword is XML:com.adobe.xmp.
func (s *state) pngText(typ string, idx int, data []byte, off int) error {
	nul := bytes.IndexByte(data, 0)
	if nul < 0 {
		s.warnf("%s chunk %d at offset %d has no keyword terminator; ignored", typ, idx, off)
		return nil
	}
	key := string(latin1(data[:nul]))
	isXMP := key == xmpKey
	if !isXMP && !strings.Contains(key, "AIGC") {
		return nil
	}
	pos := nul + 1
	compressed := false
	switch typ {
	case "zTXt":
		if pos >= len(data) {
			return s.errf(off+pos, ErrTruncated, "zTXt chunk %q has no compression method", key)
		}
		if data[pos] != 0 {
			return s.errf(off+pos, ErrMalformed, "zTXt chunk %q: unknown compression method %d", key, data[pos])
		}
		pos++
		compressed = true
	case "iTXt":
		if len(data)-pos < 2 {
			return s.errf(off+pos, ErrTruncated, "iTXt chunk %q: no compression flag", key)
		}
		compressed = data[pos] != 0
		if compressed && data[pos+1] != 0 {
			return s.errf(off+pos+1, ErrMalformed, "iTXt chunk %q: unknown compression method %d", key, data[pos+1])
		}
		pos += 2
		for range 2 { // language tag, translated keyword
			z := bytes.IndexByte(data[pos:], 0)
			if z < 0 {
				return s.errf(off+pos, ErrTruncated, "iTXt chunk %q: language or translated keyword not terminated", key)
			}
			pos += z + 1
		}
	}
	text := data[pos:]
	vOff := int64(off + pos)
	if compressed {
		var err error
		if text, err = inflate(text, s.lim.MaxInflate); err != nil {
			return s.errf(off+pos, ErrMalformed, "%s chunk %q: zlib: %v", typ, key, err)
		}
	}
	if typ != "iTXt" { // tEXt and zTXt are ISO 8859-1; iTXt is UTF-8
		text = latin1(text)
	}
	path := fmt.Sprintf("png/%s[%d]", typ, idx)
	if isXMP {
		return s.xmpScan(text, vOff, !compressed && len(text) == len(data)-pos, path)
	}
	s.add("png:"+typ+":"+key, path, text, vOff)
	return nil
}

// jpeg walks the marker segments up to the first SOS.
func (s *state) jpeg(d []byte) error {
	if len(d) < 2 || d[0] != 0xFF || d[1] != 0xD8 {
		return s.errf(0, ErrMalformed, "no SOI marker")
	}
	off := 2
	for seg := 0; ; seg++ {
		if off >= len(d) {
			return s.errf(off, ErrTruncated, "file ends before the image data (no SOS)")
		}
		if d[off] != 0xFF {
			return s.errf(off, ErrMalformed, "expected a marker, found byte 0x%02X", d[off])
		}
		for off < len(d) && d[off] == 0xFF { // fill bytes
			off++
		}
		if off >= len(d) {
			return s.errf(off, ErrTruncated, "file ends inside a marker")
		}
		m := d[off]
		off++
		switch {
		case m == 0xD9 || m == 0xDA: // EOI, SOS: no metadata follows that we read
			return nil
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7): // TEM, RSTn: no length
			continue
		case m == 0x00 || m == 0xD8:
			return s.errf(off-1, ErrMalformed, "unexpected marker 0xFF%02X", m)
		}
		if len(d)-off < 2 {
			return s.errf(off, ErrTruncated, "segment 0xFF%02X: no length", m)
		}
		n := be16(d[off:])
		if n < 2 {
			return s.errf(off, ErrMalformed, "segment 0xFF%02X: length %d", m, n)
		}
		if n > len(d)-off {
			return s.errf(off, ErrTruncated, "segment 0xFF%02X declares %d bytes, %d remain", m, n, len(d)-off)
		}
		body := d[off+2 : off+n]
		switch {
		case m == 0xE1 && bytes.HasPrefix(body, []byte(xmpSig)):
			if err := s.xmpScan(body[len(xmpSig):], int64(off+2+len(xmpSig)), true, fmt.Sprintf("jpeg/APP1[%d]", seg)); err != nil {
				return err
			}
		case m == 0xE1 && bytes.HasPrefix(body, []byte("Exif\x00\x00")):
			s.exifScan(body[6:], off+2+6, fmt.Sprintf("jpeg/APP1[%d]/Exif", seg))
		case m == 0xEB:
			s.jpegAPP11(body, off+2, off-2, n+2)
		case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC: // SOFn
			if len(body) >= 5 && s.res.Width == 0 {
				s.res.Height, s.res.Width = be16(body[1:]), be16(body[3:])
			}
		}
		off += n
	}
}

// c2paUUID is the JUMBF description type of a C2PA manifest store
// (63327061-0011-0010-8000-00AA00389B71, "c2pa" + the ISO suffix).
var c2paUUID = []byte{0x63, 0x32, 0x70, 0x61, 0x00, 0x11, 0x00, 0x10, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}

// jumbC2PA reports whether b starts with a jumb superbox describing a C2PA store.
func jumbC2PA(b []byte) bool {
	if len(b) < 8 || string(b[4:8]) != "jumb" {
		return false
	}
	h := 8
	if be32(b) == 1 { // 64-bit size follows
		h = 16
	}
	d := b[min(h, len(b)):]
	if len(d) < 8+16 || string(d[4:8]) != "jumd" {
		return false
	}
	desc := d[8:]
	if bytes.Equal(desc[:16], c2paUUID) {
		return true
	}
	if len(desc) > 17 && desc[16]&0x02 != 0 { // label present
		lbl := desc[17:]
		if z := bytes.IndexByte(lbl, 0); z >= 0 {
			return string(lbl[:z]) == "c2pa"
		}
	}
	return false
}
