package carrier

import "encoding/binary"

// webp walks the RIFF chunks of a WebP file: VP8X (canvas size), VP8 and VP8L (frame
// size), "XMP " (XMP), EXIF (TIFF) and C2PA (the manifest store).
func (s *state) webp(d []byte) error {
	if len(d) < 12 || string(d[:4]) != "RIFF" || string(d[8:12]) != "WEBP" {
		return s.errf(0, ErrMalformed, "no RIFF WEBP header")
	}
	end := len(d)
	switch sz := uint64(le32(d[4:])); {
	case sz < 4:
		return s.errf(4, ErrMalformed, "RIFF size %d is smaller than the form type", sz)
	case fits(sz, len(d)-8):
		end = 8 + int(sz)
	default:
		s.warnf("RIFF size %d runs past the end of the file (%d bytes)", sz, len(d))
	}
	xmp := 0
	return s.riffChunks(d[:end], 12, "RIFF", func(id string, data []byte, off int) error {
		switch id {
		case "VP8X":
			if len(data) >= 10 {
				s.res.Width = int(uint32(data[4])|uint32(data[5])<<8|uint32(data[6])<<16) + 1
				s.res.Height = int(uint32(data[7])|uint32(data[8])<<8|uint32(data[9])<<16) + 1
			}
		case "VP8 ":
			// Frame tag (3 bytes), start code 9D 01 2A, then 14-bit width and height.
			if s.res.Width == 0 && len(data) >= 10 && data[3] == 0x9D && data[4] == 0x01 && data[5] == 0x2A {
				s.res.Width = int(binary.LittleEndian.Uint16(data[6:]) & 0x3FFF)
				s.res.Height = int(binary.LittleEndian.Uint16(data[8:]) & 0x3FFF)
			}
		case "VP8L":
			// Signature 0x2F, then 14 bits width-1 and 14 bits height-1.
			if s.res.Width == 0 && len(data) >= 5 && data[0] == 0x2F {
				v := le32(data[1:])
				s.res.Width, s.res.Height = int(v&0x3FFF)+1, int(v>>14&0x3FFF)+1
			}
		case "XMP ":
			xmp++
			return s.xmpScan(data, int64(off), true, "RIFF/XMP ")
		case "EXIF":
			t := data
			if len(t) >= 6 && string(t[:6]) == "Exif\x00\x00" { // some writers keep the JPEG prefix
				t, off = t[6:], off+6
			}
			s.exifScan(t, off, "RIFF/EXIF")
		case "C2PA":
			s.setStore(data, off, off-8, 8+len(data)+len(data)&1, "RIFF/C2PA")
		}
		return nil
	})
}
