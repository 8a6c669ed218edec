package carrier

import (
	"bytes"
	"strconv"
	"strings"
)

// xmpScan scans one XMP packet for implicit labels and the IPTC digital source type.
//
// It is a small namespace-aware XML tokenizer, not a validating parser: it keeps values as
// raw byte ranges so a label is reported exactly as found (entities and all), which
// encoding/xml cannot do. A label is
//
//   - an attribute or element in the TC260 namespace with local name AIGC, reported as
//     carrier "xmp:TC260:AIGC" whatever prefix the file binds; or
//   - any other attribute or element whose local name contains "AIGC", reported as
//     "xmp:" + its qualified name (e.g. an unbound TC260: prefix), since GB 45438 asks for
//     every metadata entry whose key contains AIGC.
//
// An element's value is its content when it has no child elements, else the first
// non-blank text inside it (the rdf:Alt/rdf:li form). When exact is false (the packet was
// decompressed) every offset is base; else base plus the position in pkt.
func (s *state) xmpScan(pkt []byte, base int64, exact bool, container string) error {
	x := xmpScanner{s: s, pkt: pkt, base: base, exact: exact, container: container}
	x.ns = append(x.ns, nsBinding{"xml", "http://www.w3.org/XML/1998/namespace"})
	return x.run()
}

type nsBinding struct{ prefix, uri string }

type xmlElem struct {
	qname     string
	nsLen     int // len(ns) before this element's bindings
	content   int // position after the start tag
	carrier   string
	dst       bool
	prov      bool // dcterms:provenance: a remote manifest reference
	children  bool
	text      []byte // first non-blank descendant text (label/dst elements)
	textStart int
}

type xmpScanner struct {
	s         *state
	pkt       []byte
	base      int64
	exact     bool
	container string
	ns        []nsBinding
	stack     []xmlElem
	attrs     []xmlAttr
}

type xmlAttr struct {
	qname      string
	val        []byte
	valueStart int
}

func (x *xmpScanner) off(i int) int64 {
	if x.exact {
		return x.base + int64(i)
	}
	return x.base
}

func (x *xmpScanner) resolve(prefix string) string {
	for i := len(x.ns) - 1; i >= 0; i-- {
		if x.ns[i].prefix == prefix {
			return x.ns[i].uri
		}
	}
	return ""
}

// carrierOf classifies a qualified name: "" when it is not a label key.
func (x *xmpScanner) carrierOf(qname string, isAttr bool) string {
	prefix, local, ok := strings.Cut(qname, ":")
	if !ok {
		prefix, local = "", qname
		if isAttr { // unprefixed attributes have no namespace
			if strings.Contains(local, "AIGC") {
				return "xmp:" + qname
			}
			return ""
		}
	}
	if prefix == "xmlns" || (!ok && qname == "xmlns") {
		return ""
	}
	if local == "AIGC" && x.resolve(prefix) == NSTC260 {
		return "xmp:TC260:AIGC"
	}
	if strings.Contains(local, "AIGC") {
		return "xmp:" + qname
	}
	return ""
}

func (x *xmpScanner) isDST(qname string) bool {
	prefix, local, ok := strings.Cut(qname, ":")
	if !ok {
		prefix, local = "", qname
	}
	return local == "DigitalSourceType" && x.resolve(prefix) == NSIPTCExt
}

// nsDCTerms is the Dublin Core terms namespace: dcterms:provenance holds a C2PA remote
// manifest URL (C2PA spec, "Embedding a reference to a remote manifest").
const nsDCTerms = "http://purl.org/dc/terms/"

func (x *xmpScanner) isProvenance(qname string) bool {
	prefix, local, ok := strings.Cut(qname, ":")
	if !ok {
		prefix, local = "", qname
	}
	return local == "provenance" && x.resolve(prefix) == nsDCTerms
}

func (x *xmpScanner) path(attr string) string {
	var b strings.Builder
	b.WriteString(x.container)
	for i := range x.stack {
		b.WriteByte('/')
		b.WriteString(x.stack[i].qname)
		if b.Len() > 512 {
			b.WriteString("/…")
			break
		}
	}
	if attr != "" {
		b.WriteString("/@")
		b.WriteString(attr)
	}
	return b.String()
}

func (x *xmpScanner) malformed(i int, msg string) error {
	return &FormatError{Format: x.s.res.Format, Offset: x.off(i), Msg: "xmp: " + msg, Err: ErrMalformed}
}

func (x *xmpScanner) run() error {
	p := x.pkt
	i := 0
	for i < len(p) {
		lt := bytes.IndexByte(p[i:], '<')
		if lt < 0 {
			x.textNode(i, len(p))
			return nil
		}
		x.textNode(i, i+lt)
		i += lt
		rest := p[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			i = skipPast(p, i+4, "-->")
		case bytes.HasPrefix(rest, []byte("<?")):
			i = skipPast(p, i+2, "?>")
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			end := skipPast(p, i+9, "]]>")
			if end-3 > i+9 {
				x.textNode(i+9, end-3)
			}
			i = end
		case bytes.HasPrefix(rest, []byte("<!")):
			i = skipPast(p, i+2, ">")
		case bytes.HasPrefix(rest, []byte("</")):
			gt := bytes.IndexByte(rest, '>')
			if gt < 0 {
				return x.malformed(i, "end tag not closed")
			}
			x.endTag(i)
			i += gt + 1
		default:
			next, err := x.startTag(i)
			if err != nil {
				return err
			}
			i = next
		}
	}
	return nil
}

func skipPast(p []byte, from int, end string) int {
	j := bytes.Index(p[from:], []byte(end))
	if j < 0 {
		return len(p)
	}
	return from + j + len(end)
}

// textNode notes p[a:b] as text inside the open elements.
func (x *xmpScanner) textNode(a, b int) {
	if len(x.stack) == 0 || a >= b {
		return
	}
	t := x.pkt[a:b]
	lead := len(t) - len(bytes.TrimLeft(t, " \t\r\n"))
	t = bytes.TrimSpace(t)
	if len(t) == 0 {
		return
	}
	for k := range x.stack {
		e := &x.stack[k]
		if (e.carrier != "" || e.dst || e.prov) && e.text == nil {
			e.text, e.textStart = t, a+lead
		}
	}
}

func (x *xmpScanner) endTag(i int) {
	if len(x.stack) == 0 {
		return
	}
	e := x.stack[len(x.stack)-1]
	switch {
	case e.carrier != "":
		path := x.path("")
		if !e.children {
			x.s.add(e.carrier, path, x.pkt[e.content:i], x.off(e.content))
		} else if e.text != nil {
			x.s.add(e.carrier, path, e.text, x.off(e.textStart))
		} else {
			x.s.add(e.carrier, path, nil, x.off(e.content))
		}
	case e.dst && e.text != nil:
		x.s.setDST(xmlText(e.text))
	case e.prov && e.text != nil:
		x.s.setRemote(xmlText(e.text))
	}
	x.ns = x.ns[:e.nsLen]
	x.stack = x.stack[:len(x.stack)-1]
}

func isNameByte(c byte) bool {
	return c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '>' && c != '/' && c != '=' && c != '<' && c != '"' && c != '\''
}

// startTag parses the start tag at p[i] ('<') and returns the position after it.
func (x *xmpScanner) startTag(i int) (int, error) {
	p := x.pkt
	j := i + 1
	for j < len(p) && isNameByte(p[j]) {
		j++
	}
	qname := string(p[i+1 : j])
	if qname == "" {
		return 0, x.malformed(i, "'<' not followed by a name")
	}
	x.attrs = x.attrs[:0]
	selfClose := false
	for {
		for j < len(p) && (p[j] == ' ' || p[j] == '\t' || p[j] == '\r' || p[j] == '\n') {
			j++
		}
		if j >= len(p) {
			return 0, x.malformed(i, "start tag <"+qname+"> not closed")
		}
		if p[j] == '>' {
			j++
			break
		}
		if p[j] == '/' {
			if j+1 < len(p) && p[j+1] == '>' {
				selfClose = true
				j += 2
				break
			}
			return 0, x.malformed(j, "stray '/' in tag <"+qname+">")
		}
		a := j
		for j < len(p) && isNameByte(p[j]) {
			j++
		}
		if a == j {
			return 0, x.malformed(j, "bad attribute in tag <"+qname+">")
		}
		name := string(p[a:j])
		for j < len(p) && (p[j] == ' ' || p[j] == '\t' || p[j] == '\r' || p[j] == '\n') {
			j++
		}
		if j >= len(p) || p[j] != '=' {
			return 0, x.malformed(j, "attribute "+name+" without '='")
		}
		j++
		for j < len(p) && (p[j] == ' ' || p[j] == '\t' || p[j] == '\r' || p[j] == '\n') {
			j++
		}
		if j >= len(p) || (p[j] != '"' && p[j] != '\'') {
			return 0, x.malformed(j, "attribute "+name+" value not quoted")
		}
		q := p[j]
		end := bytes.IndexByte(p[j+1:], q)
		if end < 0 {
			return 0, x.malformed(j, "attribute "+name+" value not closed")
		}
		x.attrs = append(x.attrs, xmlAttr{qname: name, val: p[j+1 : j+1+end], valueStart: j + 1})
		j += end + 2
	}
	if len(x.stack) >= x.s.lim.MaxXMLDepth {
		return 0, x.malformed(i, "elements nested deeper than "+strconv.Itoa(x.s.lim.MaxXMLDepth))
	}
	for k := range x.stack {
		x.stack[k].children = true
	}
	nsLen := len(x.ns)
	for _, a := range x.attrs {
		switch {
		case a.qname == "xmlns":
			x.ns = append(x.ns, nsBinding{"", xmlText(a.val)})
		case strings.HasPrefix(a.qname, "xmlns:"):
			x.ns = append(x.ns, nsBinding{a.qname[len("xmlns:"):], xmlText(a.val)})
		}
	}
	e := xmlElem{qname: qname, nsLen: nsLen, content: j, carrier: x.carrierOf(qname, false), dst: x.isDST(qname), prov: x.isProvenance(qname)}
	x.stack = append(x.stack, e)
	for _, a := range x.attrs {
		if c := x.carrierOf(a.qname, true); c != "" {
			x.s.add(c, x.path(a.qname), a.val, x.off(a.valueStart))
		} else if x.isDST(a.qname) {
			x.s.setDST(xmlText(a.val))
		} else if e.dst && a.qname == "rdf:resource" {
			x.s.setDST(xmlText(a.val))
		} else if x.isProvenance(a.qname) {
			x.s.setRemote(xmlText(a.val))
		}
	}
	if selfClose {
		if e.carrier != "" { // <TC260:AIGC/>: an empty carrier
			x.s.add(e.carrier, x.path(""), nil, x.off(j))
		}
		x.ns = x.ns[:nsLen]
		x.stack = x.stack[:len(x.stack)-1]
	}
	return j, nil
}

// xmlText decodes the five predefined entities and character references and trims space.
// It is used for namespace URIs and the digital source type, never for label values.
func xmlText(b []byte) string {
	s := strings.TrimSpace(string(b))
	if !strings.Contains(s, "&") {
		return s
	}
	var out strings.Builder
	for len(s) > 0 {
		amp := strings.IndexByte(s, '&')
		if amp < 0 {
			out.WriteString(s)
			break
		}
		out.WriteString(s[:amp])
		s = s[amp:]
		semi := strings.IndexByte(s, ';')
		if semi < 0 || semi > 12 {
			out.WriteByte('&')
			s = s[1:]
			continue
		}
		ent := s[1:semi]
		switch ent {
		case "amp":
			out.WriteByte('&')
		case "lt":
			out.WriteByte('<')
		case "gt":
			out.WriteByte('>')
		case "quot":
			out.WriteByte('"')
		case "apos":
			out.WriteByte('\'')
		default:
			var n uint64
			var err error
			switch {
			case strings.HasPrefix(ent, "#x"):
				n, err = strconv.ParseUint(ent[2:], 16, 32)
			case strings.HasPrefix(ent, "#"):
				n, err = strconv.ParseUint(ent[1:], 10, 32)
			default:
				err = strconv.ErrSyntax
			}
			if err != nil || n > 0x10FFFF {
				out.WriteString(s[:semi+1])
			} else {
				out.WriteRune(rune(n))
			}
		}
		s = s[semi+1:]
	}
	return out.String()
}
