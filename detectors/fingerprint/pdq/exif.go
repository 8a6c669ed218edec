package pdq

import (
	"bytes"
	"encoding/binary"
)

// Orientation returns the EXIF orientation (1..8) of a JPEG (APP1 "Exif"), PNG (eXIf
// chunk) or WebP (EXIF chunk) image, or 1 when there is none or it cannot be read. It
// never panics on malformed input and reads only the metadata.
func Orientation(data []byte) int {
	var tiff []byte
	switch {
	case len(data) >= 2 && data[0] == 0xFF && data[1] == 0xD8:
		tiff = jpegExif(data)
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		tiff = pngExif(data)
	case len(data) >= 12 && string(data[0:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		tiff = webpExif(data)
	}
	if o := tiffOrientation(tiff); o >= 1 && o <= 8 {
		return o
	}
	return 1
}

func jpegExif(d []byte) []byte {
	i := 2
	for i+4 <= len(d) {
		if d[i] != 0xFF {
			return nil
		}
		m := d[i+1]
		if m == 0xFF { // fill byte
			i++
			continue
		}
		if m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01 {
			i += 2
			continue
		}
		if m == 0xDA || m == 0xD9 { // start of scan, end of image: no more metadata
			return nil
		}
		n := int(binary.BigEndian.Uint16(d[i+2:]))
		if n < 2 || i+2+n > len(d) {
			return nil
		}
		seg := d[i+4 : i+2+n]
		if m == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return seg[6:]
		}
		i += 2 + n
	}
	return nil
}

func pngExif(d []byte) []byte {
	i := 8
	for i+12 <= len(d) {
		n := int(binary.BigEndian.Uint32(d[i:]))
		typ := string(d[i+4 : i+8])
		if n < 0 || n > len(d)-i-12 {
			return nil
		}
		if typ == "eXIf" {
			return d[i+8 : i+8+n]
		}
		if typ == "IEND" {
			return nil
		}
		i += 12 + n
	}
	return nil
}

func webpExif(d []byte) []byte {
	i := 12
	for i+8 <= len(d) {
		n := int(binary.LittleEndian.Uint32(d[i+4:]))
		if n < 0 || n > len(d)-i-8 {
			return nil
		}
		if string(d[i:i+4]) == "EXIF" {
			p := d[i+8 : i+8+n]
			// Some writers keep the JPEG "Exif\0\0" prefix.
			return bytes.TrimPrefix(p, []byte("Exif\x00\x00"))
		}
		i += 8 + n + n&1
	}
	return nil
}

// tiffOrientation reads tag 0x0112 from IFD0 of a TIFF header.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[0:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := int64(bo.Uint32(t[4:]))
	if off < 8 || off+2 > int64(len(t)) {
		return 0
	}
	n := int64(bo.Uint16(t[off:]))
	p := off + 2
	for k := int64(0); k < n; k++ {
		e := p + 12*k
		if e+12 > int64(len(t)) {
			return 0
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		typ, cnt := bo.Uint16(t[e+2:]), bo.Uint32(t[e+4:])
		if typ != 3 || cnt < 1 { // SHORT
			return 0
		}
		return int(bo.Uint16(t[e+8:]))
	}
	return 0
}
