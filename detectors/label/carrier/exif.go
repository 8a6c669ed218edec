package carrier

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// EXIF (a TIFF structure) has no defined place for the GB 45438 implicit label; writers
// that put one there use a free-text tag. exifScan reads IFD0 and the Exif IFD and
// reports, as carriers "exif:<tag>:AIGC", the text tags ImageDescription, UserComment and
// XPComment whose value is a JSON object naming AIGC ({"AIGC":…} or the bare label
// fields): the label detector then judges the payload as it does any other carrier.

// EXIF tags read.
const (
	tagImageDescription = 0x010E
	tagExifIFD          = 0x8769
	tagUserComment      = 0x9286
	tagXPComment        = 0x9C9C
	maxIFDEntries       = 1024
)

// exifScan reads a TIFF structure t that starts at file offset base.
func (s *state) exifScan(t []byte, base int, path string) {
	if len(t) < 8 {
		s.warnf("%s at offset %d: EXIF shorter than its TIFF header", path, base)
		return
	}
	var bo binary.ByteOrder
	switch string(t[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		s.warnf("%s at offset %d: no TIFF header in EXIF", path, base)
		return
	}
	ifd := int64(bo.Uint32(t[4:]))
	for level := 0; level < 2 && ifd > 0; level++ {
		next := s.exifIFD(t, bo, ifd, base, path)
		ifd = next
	}
}

// exifIFD reads one IFD; it returns the Exif IFD's offset when IFD0 points to it.
func (s *state) exifIFD(t []byte, bo binary.ByteOrder, at int64, base int, path string) int64 {
	if at < 8 || at+2 > int64(len(t)) {
		s.warnf("%s at offset %d: IFD offset %d outside the EXIF data", path, base, at)
		return 0
	}
	n := int(bo.Uint16(t[at:]))
	if n > maxIFDEntries || at+2+int64(n)*12 > int64(len(t)) {
		s.warnf("%s at offset %d: IFD at %d declares %d entries, more than fit", path, base, at, n)
		return 0
	}
	var exif int64
	for i := range n {
		e := t[at+2+int64(i)*12:]
		tag, typ, count := bo.Uint16(e), bo.Uint16(e[2:]), uint64(bo.Uint32(e[4:]))
		if tag == tagExifIFD {
			exif = int64(bo.Uint32(e[8:]))
			continue
		}
		if tag != tagImageDescription && tag != tagUserComment && tag != tagXPComment {
			continue
		}
		size := count // ASCII, BYTE and UNDEFINED are one byte per count
		if typ != 1 && typ != 2 && typ != 7 {
			continue
		}
		var v []byte
		var voff int64
		if size <= 4 {
			v, voff = e[8:8+size], at+2+int64(i)*12+8
		} else {
			o := uint64(bo.Uint32(e[8:]))
			if o+size > uint64(len(t)) {
				s.warnf("%s at offset %d: tag 0x%04X runs past the EXIF data", path, base, tag)
				continue
			}
			v, voff = t[o:o+size], int64(o)
		}
		var text []byte
		var name string
		switch tag {
		case tagImageDescription:
			text, name = bytes.TrimRight(v, "\x00"), "ImageDescription"
		case tagUserComment:
			name = "UserComment"
			if len(v) < 8 {
				continue
			}
			switch code := string(v[:8]); code {
			case "UNICODE\x00":
				text = utf16Text(v[8:], bo == binary.BigEndian)
			default: // ASCII, undefined (often UTF-8 in practice)
				text = v[8:]
			}
			text, voff = bytes.TrimRight(text, "\x00 "), voff+8
		case tagXPComment:
			text, name = bytes.TrimRight(utf16Text(v, false), "\x00"), "XPComment"
		}
		if looksLikeAIGC(text) {
			s.add("exif:"+name+":AIGC", fmt.Sprintf("%s/%s", path, name), latin1(text), int64(base)+voff)
		}
	}
	return exif
}

// looksLikeAIGC: a JSON object that names the AIGC label or its fields.
func looksLikeAIGC(b []byte) bool {
	t := strings.TrimSpace(string(b))
	return strings.HasPrefix(t, "{") && (strings.Contains(t, `"AIGC"`) || strings.Contains(t, `"ContentProducer"`))
}
