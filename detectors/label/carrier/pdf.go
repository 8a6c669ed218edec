package carrier

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
)

// PDF: the reader does not build the document's object graph. It scans the file's
// indirect objects ("N G obj … endobj") in file order and reads, from each:
//
//   - a metadata stream (/Type /Metadata /Subtype /XML): XMP, scanned for the TC260 label
//     and the IPTC digital source type;
//   - an embedded file stream or file specification of type application/c2pa (the C2PA
//     manifest store, ISO 32000-2 associated file with /AFRelationship /C2PA_Manifest);
//   - a dictionary with a key /AIGC whose value is a string: the document information
//     dictionary's custom property (carrier "pdf:Info:AIGC").
//
// Streams with /FlateDecode are inflated up to Limits.MaxInflate (C2PA: the store
// limit); other filters are reported as warnings. Objects inside compressed object
// streams (PDF 1.5) are not read (metadata streams and embedded files never are inside
// one; an information dictionary can be, rarely). An encrypted document's strings and
// streams cannot be read: it is reported as a warning, and XMP written unencrypted
// (/EncryptMetadata false) is still read.

const maxPDFObjects = 1 << 20

func (s *state) pdf(d []byte) error {
	start := bytes.Index(d[:min(len(d), 1024)], []byte("%PDF-"))
	if start < 0 {
		return s.errf(0, ErrMalformed, "no %%PDF- header in the first 1024 bytes")
	}
	s.res.Width, s.res.Height = 0, 0
	if bytes.Contains(d, []byte("/Encrypt")) {
		s.warnf("the document is encrypted: only metadata stored unencrypted is read")
	}
	pos, objects := start, 0
	s.pdfObjs = map[int]pdfObj{}
	for {
		i := bytes.Index(d[pos:], []byte(" obj"))
		if i < 0 {
			break
		}
		at := pos + i + 4
		pos = at
		if !objHeader(d, at-4) {
			continue
		}
		objects++
		if objects > maxPDFObjects {
			s.warnf("more than %d objects: the rest are not read", maxPDFObjects)
			break
		}
		end := bytes.Index(d[at:], []byte("endobj"))
		if end < 0 {
			end = len(d) - at
		}
		body := d[at : at+end]
		if num, ok := objNumber(d, at-4); ok {
			s.pdfObjs[num] = pdfObj{body: body, off: at} // a later revision replaces an earlier one
		}
		if err := s.pdfObject(d, body, at); err != nil {
			return err
		}
		pos = at + end
	}
	if objects == 0 {
		return s.errf(start, ErrMalformed, "no indirect objects")
	}
	// The C2PA manifest as an associated file: a file specification with
	// /AFRelationship /C2PA_Manifest (or the C2PA MIME subtype) whose /EF /F names the
	// embedded file stream, which itself need not say what it holds.
	if s.store == nil {
		nums := make([]int, 0, len(s.pdfObjs))
		for n := range s.pdfObjs {
			nums = append(nums, n)
		}
		slices.Sort(nums) // the first file specification by object number, deterministically
		for _, n := range nums {
			o := s.pdfObjs[n]
			dict := o.body
			if si := bytes.Index(dict, []byte("stream")); si >= 0 {
				continue
			}
			if !bytes.Contains(dict, []byte("/C2PA_Manifest")) && !bytes.Contains(dict, []byte("/application#2Fc2pa")) {
				continue
			}
			ef := bytes.Index(dict, []byte("/EF"))
			if ef < 0 {
				continue
			}
			ref, ok := pdfRef(dict[ef+3:], "/F")
			if !ok {
				continue
			}
			if t, ok := s.pdfObjs[ref]; ok {
				if err := s.pdfStreamStore(t.body, t.off); err != nil {
					return err
				}
				break
			}
		}
	}
	return nil
}

type pdfObj struct {
	body []byte
	off  int
}

// objNumber reads N of "N G obj" ending at i (where " obj" starts).
func objNumber(d []byte, i int) (int, bool) {
	j := i
	for j > 0 && d[j-1] >= '0' && d[j-1] <= '9' { // generation
		j--
	}
	j-- // the space
	k := j
	for k > 0 && d[k-1] >= '0' && d[k-1] <= '9' {
		k--
	}
	if k >= j || j-k > 10 {
		return 0, false
	}
	n, err := strconv.Atoi(string(d[k:j]))
	return n, err == nil
}

// pdfRef finds key followed by an indirect reference "N G R" in b (within its first
// dictionary) and returns N.
func pdfRef(b []byte, key string) (int, bool) {
	b = b[:min(len(b), 512)]
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return 0, false
	}
	f := bytes.Fields(b[i+len(key):])
	if len(f) < 3 || string(f[2][:min(len(f[2]), 1)]) != "R" {
		return 0, false
	}
	n, err := strconv.Atoi(string(f[0]))
	return n, err == nil
}

// pdfStreamStore reads the stream of an object body as the manifest store.
func (s *state) pdfStreamStore(body []byte, off int) error {
	si := bytes.Index(body, []byte("stream"))
	if si < 0 {
		return nil
	}
	dict := body[:si]
	ds := si + len("stream")
	if ds < len(body) && body[ds] == '\r' {
		ds++
	}
	if ds < len(body) && body[ds] == '\n' {
		ds++
	}
	data := body[ds:]
	if n, ok := directLength(dict); ok && n <= len(data) {
		data = data[:n]
	} else if e := bytes.LastIndex(data, []byte("endstream")); e >= 0 {
		data = bytes.TrimRight(data[:e], "\r\n")
	}
	raw := data
	if bytes.Contains(dict, []byte("/FlateDecode")) {
		max := s.lim.C2PA.MaxStoreBytes
		if max <= 0 {
			max = 32 << 20
		}
		var err error
		if data, err = inflate(data, max); err != nil {
			s.res.C2PA = true
			s.warnf("pdf object at offset %d: C2PA stream: %v", off, err)
			return nil
		}
	} else if bytes.Contains(dict, []byte("/Filter")) {
		s.res.C2PA = true
		s.warnf("pdf object at offset %d: C2PA stream filter not supported", off)
		return nil
	}
	s.setStore(data, off+ds, off+ds, len(raw), fmt.Sprintf("pdf/obj@%d/C2PA", off))
	return nil
}

// objHeader reports whether " obj" at i ends "N G obj" at a line or token start.
func objHeader(d []byte, i int) bool {
	j := i
	digits := func() bool {
		k := j
		for j > 0 && d[j-1] >= '0' && d[j-1] <= '9' {
			j--
		}
		return j < k
	}
	if !digits() || j == 0 || d[j-1] != ' ' {
		return false
	}
	j--
	if !digits() {
		return false
	}
	return j == 0 || isPDFSpace(d[j-1])
}

func isPDFSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

// pdfObject reads one object's body (after "obj", up to "endobj"); off is its file offset.
func (s *state) pdfObject(file, body []byte, off int) error {
	dictEnd := len(body)
	si := bytes.Index(body, []byte("stream"))
	if si >= 0 {
		dictEnd = si
	}
	dict := body[:dictEnd]
	if k := bytes.Index(dict, []byte("/AIGC")); k >= 0 {
		if v, voff, ok := pdfString(dict[k+5:]); ok {
			s.add("pdf:Info:AIGC", fmt.Sprintf("pdf/obj@%d/AIGC", off), latin1(v), int64(off+k+5+voff))
		}
	}
	if si < 0 {
		return nil
	}
	isXMP := hasName(dict, "/Type", "/Metadata") && hasName(dict, "/Subtype", "/XML")
	isC2PA := bytes.Contains(dict, []byte("/application#2Fc2pa")) || bytes.Contains(dict, []byte("/application/c2pa"))
	if !isXMP && !isC2PA {
		return nil
	}
	// Stream data starts after "stream" and CRLF or LF.
	ds := si + len("stream")
	if ds < len(body) && body[ds] == '\r' {
		ds++
	}
	if ds < len(body) && body[ds] == '\n' {
		ds++
	}
	data := body[ds:]
	if n, ok := directLength(dict); ok && n <= len(data) {
		data = data[:n]
	} else if e := bytes.LastIndex(data, []byte("endstream")); e >= 0 {
		data = bytes.TrimRight(data[:e], "\r\n")
	}
	dataOff := off + ds
	max := s.lim.MaxInflate
	if isC2PA {
		max = s.lim.C2PA.MaxStoreBytes
		if max <= 0 {
			max = 32 << 20
		}
	}
	raw := data
	exact := true
	switch {
	case bytes.Contains(dict, []byte("/FlateDecode")):
		var err error
		if data, err = inflate(data, max); err != nil {
			s.warnf("pdf object at offset %d: stream: %v", off, err)
			return nil
		}
		exact = false
	case bytes.Contains(dict, []byte("/Filter")):
		s.warnf("pdf object at offset %d: stream filter not supported: not read", off)
		return nil
	}
	if isXMP {
		return s.xmpScan(data, int64(dataOff), exact, fmt.Sprintf("pdf/obj@%d/Metadata", off))
	}
	s.setStore(data, dataOff, dataOff, len(raw), fmt.Sprintf("pdf/obj@%d/C2PA", off))
	return nil
}

// hasName reports whether dict has key followed by the name value.
func hasName(dict []byte, key, value string) bool {
	i := bytes.Index(dict, []byte(key))
	for i >= 0 {
		rest := bytes.TrimLeft(dict[i+len(key):], " \r\n\t")
		if bytes.HasPrefix(rest, []byte(value)) {
			return true
		}
		j := bytes.Index(dict[i+len(key):], []byte(key))
		if j < 0 {
			return false
		}
		i += len(key) + j
	}
	return false
}

// directLength returns a direct /Length value.
func directLength(dict []byte) (int, bool) {
	i := bytes.Index(dict, []byte("/Length"))
	if i < 0 {
		return 0, false
	}
	rest := bytes.TrimLeft(dict[i+7:], " \r\n\t")
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	if j == 0 || j > 10 {
		return 0, false
	}
	tail := bytes.TrimLeft(rest[j:], " \r\n\t")
	if len(tail) > 0 && tail[0] >= '0' && tail[0] <= '9' { // "N G R": indirect
		return 0, false
	}
	n, err := strconv.Atoi(string(rest[:j]))
	return n, err == nil
}

// pdfString reads a literal "(…)" or hex "<…>" string at the start of b (after
// whitespace): its bytes and their offset in b.
func pdfString(b []byte) ([]byte, int, bool) {
	i := 0
	for i < len(b) && isPDFSpace(b[i]) {
		i++
	}
	if i >= len(b) {
		return nil, 0, false
	}
	switch b[i] {
	case '(':
		var out []byte
		depth := 0
		for j := i + 1; j < len(b); j++ {
			c := b[j]
			switch {
			case c == '\\' && j+1 < len(b):
				j++
				switch e := b[j]; e {
				case 'n':
					out = append(out, '\n')
				case 'r':
					out = append(out, '\r')
				case 't':
					out = append(out, '\t')
				case 'b':
					out = append(out, '\b')
				case 'f':
					out = append(out, '\f')
				case '\r', '\n': // line continuation
				default:
					if e >= '0' && e <= '7' {
						v, k := 0, 0
						for k < 3 && j < len(b) && b[j] >= '0' && b[j] <= '7' {
							v = v*8 + int(b[j]-'0')
							j++
							k++
						}
						j--
						out = append(out, byte(v))
					} else {
						out = append(out, e)
					}
				}
			case c == '(':
				depth++
				out = append(out, c)
			case c == ')':
				if depth == 0 {
					return pdfText(out), i + 1, true
				}
				depth--
				out = append(out, c)
			default:
				out = append(out, c)
			}
		}
	case '<':
		if i+1 < len(b) && b[i+1] == '<' {
			return nil, 0, false // a dictionary
		}
		e := bytes.IndexByte(b[i:], '>')
		if e < 0 {
			return nil, 0, false
		}
		var out []byte
		var hi, n int
		for _, c := range b[i+1 : i+e] {
			var v int
			switch {
			case c >= '0' && c <= '9':
				v = int(c - '0')
			case c >= 'a' && c <= 'f':
				v = int(c-'a') + 10
			case c >= 'A' && c <= 'F':
				v = int(c-'A') + 10
			default:
				continue
			}
			if n%2 == 0 {
				hi = v
			} else {
				out = append(out, byte(hi<<4|v))
			}
			n++
		}
		if n%2 == 1 {
			out = append(out, byte(hi<<4))
		}
		return pdfText(out), i + 1, true
	}
	return nil, 0, false
}

// pdfText decodes a PDF text string: UTF-16BE with a byte order mark, UTF-8 with one
// (PDF 2.0), else PDFDocEncoding (read as ISO 8859-1 by latin1).
func pdfText(b []byte) []byte {
	switch {
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		return utf16Text(b, true)
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		return b[3:]
	}
	return b
}
