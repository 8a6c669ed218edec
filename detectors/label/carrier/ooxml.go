package carrier

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// OOXML (DOCX, XLSX, PPTX: ISO/IEC 29500 packages, ZIP): the reader opens the ZIP
// directory and reads
//
//   - docProps/custom.xml: custom properties whose name contains AIGC (carrier
//     "ooxml:custom:NAME", the value as the vt:* element's text);
//   - docProps/core.xml: core properties (dc:description, cp:keywords, dc:subject...)
//     holding an AIGC JSON object (carrier "ooxml:core:NAME:AIGC");
//   - META-INF/content_credential.c2pa: a C2PA manifest store, as the C2PA
//     specification embeds one in ZIP-based formats.
//
// Each part is decompressed up to Limits.MaxInflate (the store: its own limit); a ZIP
// with more than maxZIPEntries entries, or a ZIP64 archive, is refused as malformed before
// its directory is read.

const maxZIPEntries = 20000

// isOOXML reports whether data is a ZIP whose first entry is an OOXML package part.
func isOOXML(data []byte) bool {
	if !bytes.HasPrefix(data, []byte("PK\x03\x04")) || len(data) < 30 {
		return false
	}
	head := data[:min(len(data), 4096)]
	return bytes.Contains(head, []byte("[Content_Types].xml")) || bytes.Contains(head, []byte("word/")) ||
		bytes.Contains(head, []byte("docProps/")) || bytes.Contains(head, []byte("_rels/.rels"))
}

func (s *state) ooxml(d []byte) error {
	// Bound the directory before archive/zip allocates one record per entry it declares.
	if len(d) >= 22 {
		from := max(0, len(d)-22-65535)
		if e := bytes.LastIndex(d[from:], []byte("PK\x05\x06")); e >= 0 && from+e+22 <= len(d) {
			e += from
			switch n := int(d[e+10]) | int(d[e+11])<<8; {
			case n == 0xFFFF:
				return s.errf(e, ErrMalformed, "zip: ZIP64 archive, not read")
			case n > maxZIPEntries:
				return s.errf(e, ErrMalformed, "zip: %d entries, limit %d", n, maxZIPEntries)
			}
		}
	}
	zr, err := zip.NewReader(bytes.NewReader(d), int64(len(d)))
	if err != nil {
		return s.errf(0, ErrMalformed, "zip: %v", err)
	}
	if len(zr.File) > maxZIPEntries {
		return s.errf(0, ErrMalformed, "zip: %d entries, limit %d", len(zr.File), maxZIPEntries)
	}
	for _, f := range zr.File {
		switch name := f.Name; {
		case strings.HasPrefix(name, "word/"):
			s.res.MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
		case strings.HasPrefix(name, "xl/"):
			s.res.MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		case strings.HasPrefix(name, "ppt/"):
			s.res.MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
		}
	}
	for _, f := range zr.File {
		switch f.Name {
		case "docProps/custom.xml", "docProps/core.xml":
			b, off, err := s.zipPart(d, f, s.lim.MaxInflate)
			if err != nil {
				s.warnf("%s: %v", f.Name, err)
				continue
			}
			if f.Name == "docProps/custom.xml" {
				s.ooxmlCustom(b, off)
			} else {
				s.ooxmlCore(b, off)
			}
		case "META-INF/content_credential.c2pa":
			max := s.lim.C2PA.MaxStoreBytes
			if max <= 0 {
				max = 32 << 20
			}
			b, off, err := s.zipPart(d, f, max)
			if err != nil {
				s.res.C2PA = true
				s.warnf("%s: %v", f.Name, err)
				continue
			}
			s.setStore(b, off, off, int(f.CompressedSize64), "ooxml/"+f.Name)
		}
	}
	return nil
}

// zipPart returns a part's bytes (at most max) and the file offset of its data.
func (s *state) zipPart(d []byte, f *zip.File, max int) ([]byte, int, error) {
	off, err := f.DataOffset()
	if err != nil {
		return nil, 0, err
	}
	rc, err := f.Open()
	if err != nil {
		return nil, 0, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, int64(max)+1))
	if err != nil {
		return nil, 0, err
	}
	if len(b) > max {
		return nil, 0, fmt.Errorf("decompresses to more than %d bytes", max)
	}
	return b, int(off), nil
}

// ooxmlCustom reads <property name="…"><vt:lpwstr>value</vt:lpwstr></property>.
func (s *state) ooxmlCustom(b []byte, off int) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	var name string
	depth, propDepth := 0, -1
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err != nil {
			if err != io.EOF {
				s.warnf("docProps/custom.xml: %v", err)
			}
			return
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth > s.lim.MaxXMLDepth {
				s.warnf("docProps/custom.xml: nested deeper than %d", s.lim.MaxXMLDepth)
				return
			}
			if t.Name.Local == "property" {
				name, propDepth = "", depth
				text.Reset()
				for _, a := range t.Attr {
					if a.Name.Local == "name" {
						name = a.Value
					}
				}
			}
		case xml.CharData:
			if propDepth >= 0 && text.Len() < s.lim.MaxValueBytes+1 {
				text.Write(t)
			}
		case xml.EndElement:
			if depth == propDepth {
				if strings.Contains(name, "AIGC") {
					s.add("ooxml:custom:"+name, "docProps/custom.xml/property[@name="+name+"]", []byte(strings.TrimSpace(text.String())), int64(off))
				}
				propDepth = -1
			}
			depth--
		}
	}
}

// ooxmlCore reads core properties whose text is an AIGC JSON object.
func (s *state) ooxmlCore(b []byte, off int) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	depth := 0
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err != nil {
			if err != io.EOF {
				s.warnf("docProps/core.xml: %v", err)
			}
			return
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth > s.lim.MaxXMLDepth {
				s.warnf("docProps/core.xml: nested deeper than %d", s.lim.MaxXMLDepth)
				return
			}
			text.Reset()
		case xml.CharData:
			if text.Len() < s.lim.MaxValueBytes+1 {
				text.Write(t)
			}
		case xml.EndElement:
			if depth == 2 && looksLikeAIGC([]byte(text.String())) {
				s.add("ooxml:core:"+t.Name.Local+":AIGC", "docProps/core.xml/"+t.Name.Local, []byte(strings.TrimSpace(text.String())), int64(off))
			}
			text.Reset()
			depth--
		}
	}
}
