package carrier

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// GIF: the reader walks the blocks up to the trailer and reads
//
//   - the XMP application extension ("XMP DataXMP"): the packet is written raw, followed
//     by the 258-byte "magic trailer" that lets a sub-block reader skip it;
//   - a C2PA application extension ("C2PA_GIF"): the manifest store in sub-blocks;
//   - comment extensions holding an AIGC JSON object (carrier "gif:Comment:AIGC").
//
// Image data is skipped sub-block by sub-block, never decoded.

// gifMagicStart is the start of the XMP magic trailer: 0x01, 0xFF, 0xFE, … 0x01, 0x00.
var gifMagicStart = []byte{0x01, 0xFF, 0xFE, 0xFD, 0xFC}

const maxGIFBlocks = 1 << 20

func (s *state) gif(d []byte) error {
	if len(d) < 6 || (string(d[:6]) != "GIF89a" && string(d[:6]) != "GIF87a") {
		return s.errf(0, ErrMalformed, "no GIF87a/GIF89a header")
	}
	if len(d) < 13 {
		return s.errf(6, ErrTruncated, "logical screen descriptor needs 7 bytes, %d remain", len(d)-6)
	}
	s.res.Width, s.res.Height = int(binary.LittleEndian.Uint16(d[6:])), int(binary.LittleEndian.Uint16(d[8:]))
	off := 13
	if d[10]&0x80 != 0 {
		off += 3 << (int(d[10]&7) + 1)
	}
	for n := 0; ; n++ {
		if n > maxGIFBlocks {
			return s.errf(off, ErrMalformed, "more than %d blocks", maxGIFBlocks)
		}
		if off >= len(d) {
			return s.errf(off, ErrTruncated, "file ends before the GIF trailer")
		}
		switch d[off] {
		case 0x3B: // trailer
			return nil
		case 0x2C: // image descriptor
			if len(d)-off < 11 {
				return s.errf(off, ErrTruncated, "image descriptor needs 10 bytes and the LZW code size")
			}
			flags := d[off+9]
			off += 10
			if flags&0x80 != 0 {
				off += 3 << (int(flags&7) + 1)
			}
			off++ // LZW minimum code size
			var err error
			if _, off, err = s.gifSubBlocks(d, off, false); err != nil {
				return err
			}
		case 0x21: // extension
			if len(d)-off < 2 {
				return s.errf(off, ErrTruncated, "extension has no label")
			}
			if err := s.gifExtension(d, &off); err != nil {
				return err
			}
		default:
			return s.errf(off, ErrMalformed, "unknown block introducer 0x%02X", d[off])
		}
	}
}

func (s *state) gifExtension(d []byte, off *int) error {
	start := *off
	label := d[start+1]
	p := start + 2
	switch label {
	case 0xFF: // application extension
		if len(d)-p < 12 || d[p] != 11 {
			_, end, err := s.gifSubBlocks(d, p, false)
			*off = end
			return err
		}
		id := string(d[p+1 : p+12])
		p += 12
		switch {
		case id == "XMP DataXMP":
			rest := d[p:]
			if m := bytes.Index(rest, gifMagicStart); m >= 0 {
				if err := s.xmpScan(rest[:m], int64(p), true, fmt.Sprintf("gif/XMP@%d", start)); err != nil {
					return err
				}
			} else {
				s.warnf("gif XMP extension at offset %d has no magic trailer; not read", start)
			}
			_, end, err := s.gifSubBlocks(d, p, false)
			*off = end
			return err
		case id[:8] == "C2PA_GIF":
			data, end, err := s.gifSubBlocks(d, p, true)
			if err != nil {
				return err
			}
			s.setStore(data, p, start, end-start, fmt.Sprintf("gif/C2PA@%d", start))
			*off = end
			return nil
		}
	case 0xFE: // comment
		data, end, err := s.gifSubBlocks(d, p, true)
		if err != nil {
			return err
		}
		if looksLikeAIGC(data) {
			s.add("gif:Comment:AIGC", fmt.Sprintf("gif/Comment@%d", start), latin1(data), int64(p))
		}
		*off = end
		return nil
	}
	_, end, err := s.gifSubBlocks(d, p, false)
	*off = end
	return err
}

// gifSubBlocks skips (or, with keep, joins) the sub-blocks at off up to the zero-length
// terminator; it returns the data and the offset after the terminator. Joined data is
// bounded by the C2PA store limit.
func (s *state) gifSubBlocks(d []byte, off int, keep bool) ([]byte, int, error) {
	var out []byte
	limit := s.lim.C2PA.MaxStoreBytes
	if limit <= 0 {
		limit = 32 << 20
	}
	for {
		if off >= len(d) {
			return nil, off, s.errf(off, ErrTruncated, "sub-blocks not terminated")
		}
		n := int(d[off])
		if n == 0 {
			return out, off + 1, nil
		}
		if n > len(d)-off-1 {
			return nil, off, s.errf(off, ErrTruncated, "sub-block declares %d bytes, %d remain", n, len(d)-off-1)
		}
		if keep {
			if len(out)+n > limit {
				return nil, off, s.errf(off, ErrMalformed, "extension data larger than %d bytes", limit)
			}
			out = append(out, d[off+1:off+1+n]...)
		}
		off += 1 + n
	}
}
