package carrier

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf16"
)

// c2paMIME and c2paMIMENew are the GEOB MIME types of an embedded C2PA manifest store in
// ID3: the first writers' and the current one (c2pa-rs writes application/c2pa).
const (
	c2paMIME    = "application/x-c2pa-manifest-store"
	c2paMIMENew = "application/c2pa"
)

// mp3 reads the ID3v2 tag at the start of the file, if any. The audio frames are not read.
func (s *state) mp3(d []byte) error {
	if !bytes.HasPrefix(d, []byte("ID3")) {
		return nil
	}
	_, err := s.id3(d, 0, "")
	return err
}

func syncsafe(b []byte) (int, bool) {
	if b[0]|b[1]|b[2]|b[3] >= 0x80 {
		return 0, false
	}
	return int(b[0])<<21 | int(b[1])<<14 | int(b[2])<<7 | int(b[3]), true
}

// deunsync undoes ID3 unsynchronisation (FF 00 → FF). rm lists, for each dropped byte,
// the output length at the time, so output index j was input index j + #(rm ≤ j).
func deunsync(b []byte) (out []byte, rm []int) {
	if !bytes.Contains(b, []byte{0xFF, 0x00}) {
		return b, nil
	}
	out = make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		out = append(out, b[i])
		if b[i] == 0xFF && i+1 < len(b) && b[i+1] == 0x00 {
			rm = append(rm, len(out))
			i++
		}
	}
	return out, rm
}

func validFrameID(id string) bool {
	for i := 0; i < len(id); i++ {
		if c := id[i]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// id3 reads the ID3v2 tag at the start of d, which is at file offset base, and returns
// its length.
func (s *state) id3(d []byte, base int, prefix string) (int, error) {
	if len(d) < 10 {
		return 0, s.errf(base, ErrTruncated, "ID3 header needs 10 bytes, %d remain", len(d))
	}
	ver, flags := d[3], d[5]
	if ver < 2 || ver > 4 {
		return 0, s.errf(base+3, ErrMalformed, "ID3v2.%d is not supported (want 2.2, 2.3 or 2.4)", ver)
	}
	size, ok := syncsafe(d[6:10])
	if !ok {
		return 0, s.errf(base+6, ErrMalformed, "ID3 tag size is not syncsafe")
	}
	if size > len(d)-10 {
		return 0, s.errf(base+6, ErrTruncated, "ID3 tag declares %d bytes, %d remain", size, len(d)-10)
	}
	body := d[10 : 10+size]
	tagPath := fmt.Sprintf("%sID3v2.%d", prefix, ver)
	tagUnsync := flags&0x80 != 0
	var rm []int
	if tagUnsync && ver < 4 { // 2.4 unsynchronises frame by frame
		body, rm = deunsync(body)
	}
	fileOff := func(j int) int64 { return int64(base + 10 + j + sort.SearchInts(rm, j+1)) }
	pos := 0
	if flags&0x40 != 0 && ver >= 3 { // extended header
		if len(body) < 4 {
			return 0, s.errf(base+10, ErrTruncated, "ID3 extended header size missing")
		}
		n := int(be32(body)) + 4 // 2.3: the size excludes itself
		if ver == 4 {
			if n, ok = syncsafe(body); !ok || n < 6 {
				return 0, s.errf(base+10, ErrMalformed, "ID3 extended header size is not syncsafe")
			}
		}
		if n < 0 || n > len(body) {
			return 0, s.errf(base+10, ErrTruncated, "ID3 extended header declares %d bytes, %d remain", n, len(body))
		}
		pos = n
	}
	hdr, idLen := 10, 4
	if ver == 2 {
		hdr, idLen = 6, 3
	}
	for i := 0; len(body)-pos >= hdr; i++ {
		if body[pos] == 0 { // padding
			break
		}
		id := string(body[pos : pos+idLen])
		if !validFrameID(id) {
			s.warnf("%s: frame %d at offset %d has an invalid id %q; rest of tag ignored", tagPath, i, fileOff(pos), id)
			break
		}
		var n, fflags int
		switch ver {
		case 2:
			n = int(body[pos+3])<<16 | int(body[pos+4])<<8 | int(body[pos+5])
		case 3:
			n = int(be32(body[pos+4:]))
			fflags = be16(body[pos+8:])
		case 4:
			if n, ok = syncsafe(body[pos+4:]); !ok {
				return 0, s.errf(int(fileOff(pos+4)), ErrMalformed, "%s: frame %s size is not syncsafe", tagPath, id)
			}
			fflags = be16(body[pos+8:])
		}
		start := pos + hdr
		if !fits(uint64(n), len(body)-start) {
			return 0, s.errf(int(fileOff(pos)), ErrTruncated, "%s: frame %s declares %d bytes, %d remain", tagPath, id, n, len(body)-start)
		}
		pos = start + n
		if id != "TXXX" && id != "TXX" && id != "GEOB" && id != "GEO" {
			continue
		}
		fd, fStart, exact := body[start:start+n], start, true
		path := fmt.Sprintf("%s/%s[%d]", tagPath, id, i)
		var compressed bool
		switch ver {
		case 3:
			if fflags&0x0040 != 0 {
				s.warnf("%s: encrypted frame skipped", path)
				continue
			}
			compressed = fflags&0x0080 != 0
			skip := 0
			if compressed {
				skip += 4 // decompressed size
			}
			if fflags&0x0020 != 0 {
				skip++ // group id
			}
			if len(fd) < skip {
				return 0, s.errf(int(fileOff(start)), ErrTruncated, "%s: frame too short for its flags", path)
			}
			fd, fStart = fd[skip:], fStart+skip
		case 4:
			if fflags&0x0004 != 0 {
				s.warnf("%s: encrypted frame skipped", path)
				continue
			}
			compressed = fflags&0x0008 != 0
			skip := 0
			if fflags&0x0040 != 0 {
				skip++ // group id
			}
			if fflags&0x0001 != 0 {
				skip += 4 // data length indicator
			}
			if len(fd) < skip {
				return 0, s.errf(int(fileOff(start)), ErrTruncated, "%s: frame too short for its flags", path)
			}
			fd, fStart = fd[skip:], fStart+skip
			if fflags&0x0002 != 0 || tagUnsync {
				var frm []int
				if fd, frm = deunsync(fd); frm != nil {
					exact = false
				}
			}
		}
		if compressed {
			var err error
			if fd, err = inflate(fd, s.lim.MaxInflate); err != nil {
				return 0, s.errf(int(fileOff(fStart)), ErrMalformed, "%s: zlib: %v", path, err)
			}
			exact = false
		}
		at := func(j int) int64 {
			if exact {
				return fileOff(fStart + j)
			}
			return fileOff(fStart)
		}
		if id == "GEOB" || id == "GEO" {
			if len(fd) > 1 {
				if z := bytes.IndexByte(fd[1:], 0); z >= 0 && (string(fd[1:1+z]) == c2paMIME || string(fd[1:1+z]) == c2paMIMENew) {
					if store, ok := geobData(fd[0], fd[2+z:]); ok {
						s.setStore(slices.Clone(store), int(at(0)), 0, 0, path)
					} else {
						s.res.C2PA = true
						s.warnf("%sGEOB: C2PA object without its file name or description terminator", path)
					}
				}
			}
			continue
		}
		s.txxx(fd, at, path)
	}
	n := 10 + size
	if ver == 4 && flags&0x10 != 0 {
		n += 10 // footer
	}
	return n, nil
}

// txxx reads a user-defined text frame: encoding, description, value. A value whose
// description contains AIGC is a carrier; its trailing terminators are dropped.
func (s *state) txxx(fd []byte, at func(int) int64, path string) {
	if len(fd) < 1 {
		return
	}
	enc, t := fd[0], fd[1:]
	var desc, val []byte
	valStart := len(fd)
	switch enc {
	case 0, 3: // ISO 8859-1, UTF-8
		desc = t
		if z := bytes.IndexByte(t, 0); z >= 0 {
			desc, val, valStart = t[:z], t[z+1:], 1+z+1
		}
		val = bytes.TrimRight(val, "\x00")
		if enc == 0 {
			desc, val = latin1(desc), latin1(val)
		}
	case 1, 2: // UTF-16 with BOM, UTF-16BE
		k := 0
		for k+1 < len(t) && (t[k] != 0 || t[k+1] != 0) {
			k += 2
		}
		desc = utf16Text(t[:min(k, len(t))], enc == 2)
		if k+2 <= len(t) {
			v := t[k+2:]
			for len(v) >= 2 && v[len(v)-1] == 0 && v[len(v)-2] == 0 {
				v = v[:len(v)-2]
			}
			val, valStart = utf16Text(v, enc == 2), 1+k+2
		}
	default:
		s.warnf("%s: unknown text encoding %d; frame skipped", path, enc)
		return
	}
	if d := string(desc); strings.Contains(d, "AIGC") {
		s.add("id3:TXXX:"+d, path, val, at(valStart))
	}
}

// utf16Text decodes UTF-16 with an optional byte order mark (big-endian when absent and
// be is set, else little-endian as most writers use).
func utf16Text(b []byte, be bool) []byte {
	switch {
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		b, be = b[2:], true
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFE:
		b, be = b[2:], false
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		if be {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			u[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
	}
	return []byte(string(utf16.Decode(u)))
}

// wav walks the RIFF chunks of a WAVE file.
func (s *state) wav(d []byte) error {
	if len(d) < 12 || string(d[:4]) != "RIFF" || string(d[8:12]) != "WAVE" {
		return s.errf(0, ErrMalformed, "no RIFF WAVE header")
	}
	end := len(d)
	switch sz := uint64(le32(d[4:])); {
	case sz == 0 || sz == 0xFFFFFFFF: // left unset by a streaming writer: read to the end
	case sz < 4:
		return s.errf(4, ErrMalformed, "RIFF size %d is smaller than the form type", sz)
	case fits(sz, len(d)-8):
		end = 8 + int(sz)
	default:
		s.warnf("RIFF size %d runs past the end of the file (%d bytes)", sz, len(d))
	}
	var byteRate uint32
	var dataLen int
	err := s.riffChunks(d[:end], 12, "RIFF", func(id string, data []byte, off int) error {
		switch id {
		case "fmt ":
			if len(data) >= 12 {
				byteRate = le32(data[8:])
			}
		case "data":
			dataLen = len(data)
		case "AIGC":
			s.add("riff:AIGC", "RIFF/AIGC", latin1(bytes.TrimRight(data, "\x00")), int64(off))
		case "LIST":
			if len(data) >= 4 && string(data[:4]) == "INFO" {
				return s.riffChunks(data, 4, "", func(sub string, v []byte, voff int) error {
					if sub == "AIGC" {
						s.add("riff:INFO:AIGC", "RIFF/LIST[INFO]/AIGC", latin1(bytes.TrimRight(v, "\x00")), int64(off+voff))
					}
					return nil
				})
			}
		case "_PMX":
			return s.xmpScan(data, int64(off), true, "RIFF/_PMX")
		case "id3 ", "ID3 ":
			if bytes.HasPrefix(data, []byte("ID3")) {
				_, err := s.id3(data, off, "RIFF/id3/")
				return err
			}
		case "C2PA":
			s.setStore(data, off, off-8, 8+len(data), "RIFF/C2PA")
		}
		return nil
	})
	if byteRate > 0 {
		s.res.DurationS = float64(dataLen) / float64(byteRate)
	}
	return err
}

// riffChunks calls fn for each chunk of d from position start, with the offset of the
// chunk data in d (the top level passes the whole file, so its offsets are file offsets).
func (s *state) riffChunks(d []byte, start int, parent string, fn func(id string, data []byte, off int) error) error {
	off := start
	for len(d)-off >= 8 {
		id := string(d[off : off+4])
		n := le32(d[off+4:])
		if !fits(uint64(n), len(d)-off-8) {
			return s.errf(off, ErrTruncated, "%schunk %q declares %d bytes, %d remain", parentPrefix(parent), id, n, len(d)-off-8)
		}
		if err := fn(id, d[off+8:off+8+int(n)], off+8); err != nil {
			return err
		}
		off += 8 + int(n) + int(n&1) // chunks are padded to even length
	}
	if len(d)-off > 1 { // one byte is a missing pad; more is a cut chunk header
		return s.errf(off, ErrTruncated, "%schunk header needs 8 bytes, %d remain", parentPrefix(parent), len(d)-off)
	}
	return nil
}

func parentPrefix(p string) string {
	if p == "" {
		return "LIST/INFO "
	}
	return p + " "
}

// geobData returns the object of a GEOB frame after its MIME type: a file name and a
// description, each terminated as the text encoding enc says (NUL, or two NULs at an even
// position for UTF-16), then the data.
func geobData(enc byte, b []byte) ([]byte, bool) {
	for range 2 {
		if enc == 1 || enc == 2 {
			i := 0
			for ; i+1 < len(b); i += 2 {
				if b[i] == 0 && b[i+1] == 0 {
					break
				}
			}
			if i+1 >= len(b) {
				return nil, false
			}
			b = b[i+2:]
			continue
		}
		z := bytes.IndexByte(b, 0)
		if z < 0 {
			return nil, false
		}
		b = b[z+1:]
	}
	return b, true
}
