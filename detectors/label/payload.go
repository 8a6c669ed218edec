package label

import (
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// The seven keys of a GB 45438 Annex E implicit label, in the standard's order.
const (
	kLabel = iota
	kContentProducer
	kProduceID
	kReservedCode1
	kContentPropagator
	kPropagateID
	kReservedCode2
	numKeys
)

// Keys lists the seven Annex E keys in order (case-sensitive).
var Keys = [numKeys]string{"Label", "ContentProducer", "ProduceID", "ReservedCode1", "ContentPropagator", "PropagateID", "ReservedCode2"}

func keyIndex(k string) int {
	switch k {
	case "Label":
		return kLabel
	case "ContentProducer":
		return kContentProducer
	case "ProduceID":
		return kProduceID
	case "ReservedCode1":
		return kReservedCode1
	case "ContentPropagator":
		return kContentPropagator
	case "PropagateID":
		return kPropagateID
	case "ReservedCode2":
		return kReservedCode2
	}
	return -1
}

// Status is how far a payload could be read.
type Status uint8

// Payload statuses.
const (
	// OK: the payload is a JSON object (bare, or wrapped in {"AIGC":…}).
	OK Status = iota
	// Empty: the carrier exists but holds nothing but white space.
	Empty
	// Truncated: the JSON ended before the object closed. A truncated payload is
	// inconclusive: it may well be a good label cut short by the extractor.
	Truncated
	// Syntax: not JSON, or JSON but not an object.
	Syntax
)

var statusNames = [...]string{"ok", "empty", "truncated", "syntax"}

func (s Status) String() string { return statusNames[s] }

// Payload is one parsed implicit-label payload. Values are the decoded strings; they
// point into the raw input when no unescaping was needed.
type Payload struct {
	Status  Status
	Wrapped bool // the {"AIGC":{…}} form
	// Encoding names the outer encoding that was undone: "", "xml" or "backslash".
	Encoding string

	Values  [numKeys]string
	Has     [numKeys]bool // the key is present
	String  [numKeys]bool // its value is a JSON string
	Unknown int           // keys other than the seven
	DupKeys bool          // a key occurs twice in the same object
	// LabelNumber is true when Label is a JSON number; Values[kLabel] then holds its text.
	LabelNumber bool
}

// maxDepth bounds how deep nested values may go before the payload is rejected.
const maxDepth = 32

// Parse reads an implicit-label payload as found in a carrier: the JSON object bare or
// wrapped in {"AIGC":…}, possibly XML-entity-escaped (&quot;…) or backslash-escaped
// ({\"Label\":…}) or quoted as a JSON string. It never panics and does not retain raw
// beyond the returned strings.
func Parse(raw string) Payload {
	var p Payload
	parseInto(&p, raw, 0, nil)
	return p
}

// parseArena is Parse for the detector: an escaped payload is unescaped into arena (the
// record's detectors.Result.Arena) instead of a fresh allocation, so the returned strings
// are valid until the arena is reset.
func parseArena(raw string, arena *[]byte) Payload {
	var p Payload
	parseInto(&p, raw, 0, arena)
	return p
}

// unescaped returns the unescaped form of s made by appendFn: in arena when there is
// one (a string over the appended bytes), else in a new allocation.
func unescaped(s string, arena *[]byte, appendFn func([]byte, string) []byte) string {
	if arena == nil {
		return string(appendFn(make([]byte, 0, len(s)), s))
	}
	start := len(*arena)
	*arena = appendFn(*arena, s)
	b := (*arena)[start:]
	if len(b) == 0 {
		return ""
	}
	// The bytes are not written again until the arena is reset (appends that grow it move
	// later bytes to a new array and leave these in place).
	return unsafe.String(unsafe.SliceData(b), len(b))
}

func parseInto(p *Payload, raw string, depth int, arena *[]byte) {
	s := strings.TrimSpace(strings.TrimPrefix(raw, "\ufeff"))
	if s == "" {
		p.Status = Empty
		return
	}
	if depth < 2 {
		switch {
		case strings.Contains(s, "&quot;") || strings.Contains(s, "&#"):
			p.Encoding = "xml"
			parseInto(p, unescaped(s, arena, appendXMLUnescape), depth+1, arena)
			return
		case s[0] == '"':
			// A JSON string holding the JSON (double-encoded).
			d := decoder{s: s}
			v, ok, trunc := d.str()
			if trunc {
				p.Status = Truncated
				return
			}
			if d.ws(); !ok || d.i != len(d.s) {
				p.Status = Syntax
				return
			}
			p.Encoding = "backslash"
			parseInto(p, v, depth+1, arena)
			return
		case s[0] == '{' && backslashForm(s):
			p.Encoding = "backslash"
			parseInto(p, unescaped(s, arena, appendBackslashUnescape), depth+1, arena)
			return
		}
	}
	d := decoder{s: s}
	p.Status = d.payload(p)
}

// backslashForm reports whether s is {\"… : JSON escaped once more.
func backslashForm(s string) bool {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\r', '\n':
			continue
		case '\\':
			return i+1 < len(s) && s[i+1] == '"'
		default:
			return false
		}
	}
	return false
}

// appendBackslashUnescape appends s to dst with \", \\ and \/ undone.
func appendBackslashUnescape(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case '"', '\\', '/':
				dst = append(dst, s[i+1])
				i++
				continue
			}
		}
		dst = append(dst, s[i])
	}
	return dst
}

// appendXMLUnescape appends s to dst with the five predefined XML entities and numeric character
// references undone; anything else is left as it was.
func appendXMLUnescape(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '&' {
			dst = append(dst, c)
			continue
		}
		end := strings.IndexByte(s[i:], ';')
		if end < 0 || end > 12 {
			dst = append(dst, c)
			continue
		}
		ent := s[i+1 : i+end]
		switch ent {
		case "quot":
			dst = append(dst, '"')
		case "amp":
			dst = append(dst, '&')
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "apos":
			dst = append(dst, '\'')
		default:
			if len(ent) < 2 || ent[0] != '#' {
				dst = append(dst, c)
				continue
			}
			var n uint64
			var err error
			if ent[1] == 'x' || ent[1] == 'X' {
				n, err = strconv.ParseUint(ent[2:], 16, 32)
			} else {
				n, err = strconv.ParseUint(ent[1:], 10, 32)
			}
			if err != nil || !utf8.ValidRune(rune(n)) {
				dst = append(dst, c)
				continue
			}
			dst = utf8.AppendRune(dst, rune(n))
		}
		i += end
	}
	return dst
}

// decoder is a small JSON reader for label payloads: it reads one object of string
// keys, decoding the seven keys' values and skipping everything else. It does not
// allocate unless a string holds escapes.
type decoder struct {
	s string
	i int
}

// key reads an object key (a string) and the colon after it.
func (d *decoder) key() (string, Status) {
	k, ok, trunc := d.str()
	switch {
	case trunc:
		return "", Truncated
	case !ok:
		return "", Syntax
	}
	d.ws()
	if d.i >= len(d.s) {
		return "", Truncated
	}
	if d.s[d.i] != ':' {
		return "", Syntax
	}
	d.i++
	return k, OK
}

// sep reads what follows an object member or array element: a comma (more follow) or
// closer (done).
func (d *decoder) sep(closer byte) (done bool, st Status) {
	d.ws()
	if d.i >= len(d.s) {
		return false, Truncated
	}
	switch d.s[d.i] {
	case ',':
		d.i++
		return false, OK
	case closer:
		d.i++
		return true, OK
	}
	return false, Syntax
}

func (d *decoder) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\r', '\n':
			d.i++
		default:
			return
		}
	}
}

// payload reads the top-level object: {"AIGC":{…}} or the inner object itself.
func (d *decoder) payload(p *Payload) Status {
	d.ws()
	if d.i >= len(d.s) || d.s[d.i] != '{' {
		return Syntax
	}
	// Look ahead: is this {"AIGC": {…}}? Read the first key.
	save := d.i
	d.i++
	d.ws()
	if d.i < len(d.s) && d.s[d.i] == '"' {
		k, ok, trunc := d.str()
		if trunc {
			return Truncated
		}
		if ok && k == "AIGC" {
			d.ws()
			if d.i < len(d.s) && d.s[d.i] == ':' {
				d.i++
				d.ws()
				if d.i < len(d.s) && (d.s[d.i] == '{' || d.s[d.i] == '"') {
					p.Wrapped = true
					return d.wrapped(p)
				}
			}
		}
	}
	d.i = save
	st := d.object(p)
	if st == OK {
		d.ws()
		if d.i != len(d.s) {
			return Syntax
		}
	}
	return st
}

// wrapped reads the value of "AIGC" and the rest of the outer object.
func (d *decoder) wrapped(p *Payload) Status {
	if d.s[d.i] == '"' {
		// {"AIGC":"{\"Label\":…}"}: the inner object as a JSON string.
		v, ok, trunc := d.str()
		if trunc {
			return Truncated
		}
		if !ok {
			return Syntax
		}
		var inner Payload
		parseInto(&inner, v, 2, nil)
		if inner.Status != OK {
			return inner.Status
		}
		inner.Wrapped, inner.Encoding = true, p.Encoding
		*p = inner
	} else if st := d.object(p); st != OK {
		return st
	}
	// Remaining members of the outer object count as unknown keys.
	for {
		d.ws()
		if d.i >= len(d.s) {
			return Truncated
		}
		switch d.s[d.i] {
		case '}':
			d.i++
			d.ws()
			if d.i != len(d.s) {
				return Syntax
			}
			return OK
		case ',':
			d.i++
			d.ws()
			if _, st := d.key(); st != OK {
				return st
			}
			if st := d.skip(0); st != OK {
				return st
			}
			p.Unknown++
		default:
			return Syntax
		}
	}
}

// object reads {"k": v, …} at d.i into p.
func (d *decoder) object(p *Payload) Status {
	d.i++ // '{'
	d.ws()
	if d.i >= len(d.s) {
		return Truncated
	}
	if d.s[d.i] == '}' {
		d.i++
		return OK
	}
	for {
		d.ws()
		if d.i >= len(d.s) {
			return Truncated
		}
		k, st := d.key()
		if st != OK {
			return st
		}
		d.ws()
		if d.i >= len(d.s) {
			return Truncated
		}
		ki := keyIndex(k)
		switch {
		case ki < 0:
			p.Unknown++
			if st := d.skip(0); st != OK {
				return st
			}
		default:
			if p.Has[ki] {
				p.DupKeys = true
			}
			p.Has[ki] = true
			if st := d.value(p, ki); st != OK {
				return st
			}
		}
		if done, st := d.sep('}'); st != OK || done {
			return st
		}
	}
}

// value reads the value of one of the seven keys.
func (d *decoder) value(p *Payload, ki int) Status {
	switch c := d.s[d.i]; {
	case c == '"':
		v, ok, trunc := d.str()
		if trunc {
			return Truncated
		}
		if !ok {
			return Syntax
		}
		p.Values[ki], p.String[ki] = v, true
		return OK
	case c == '-' || (c >= '0' && c <= '9'):
		start := d.i
		if st := d.skip(0); st != OK {
			return st
		}
		p.Values[ki] = d.s[start:d.i]
		if ki == kLabel {
			p.LabelNumber = true
		}
		return OK
	default:
		p.Values[ki] = ""
		return d.skip(0)
	}
}

// str reads a JSON string at d.i. ok is false on a syntax error, trunc true when the
// input ends inside the string.
func (d *decoder) str() (v string, ok, trunc bool) {
	if d.i >= len(d.s) || d.s[d.i] != '"' {
		return "", false, d.i >= len(d.s)
	}
	d.i++
	start := d.i
	j := start
	for j < len(d.s) && !strStop[d.s[j]] {
		j++
	}
	switch {
	case j == len(d.s):
		d.i = j
		return "", false, true
	case d.s[j] == '"':
		d.i = j + 1
		return d.s[start:j], true, false
	case d.s[j] == '\\':
		return d.strSlow(start)
	}
	return "", false, false // a control character
}

// strStop marks the bytes that end the fast scan of a JSON string: the closing quote,
// a backslash escape, and control characters (invalid in JSON strings). Short strings
// make a table walk cheaper than repeated IndexByte calls.
var strStop = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

func (d *decoder) strSlow(start int) (string, bool, bool) {
	var b strings.Builder
	j := start
	for j < len(d.s) {
		c := d.s[j]
		switch {
		case c == '"':
			d.i = j + 1
			return b.String(), true, false
		case c < 0x20:
			return "", false, false
		case c != '\\':
			b.WriteByte(c)
			j++
			continue
		}
		if j+1 >= len(d.s) {
			d.i = len(d.s)
			return "", false, true
		}
		e := d.s[j+1]
		j += 2
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			if j+4 > len(d.s) {
				d.i = len(d.s)
				return "", false, true
			}
			n, err := strconv.ParseUint(d.s[j:j+4], 16, 16)
			if err != nil {
				return "", false, false
			}
			j += 4
			r := rune(n)
			if r >= 0xD800 && r < 0xDC00 && j+6 <= len(d.s) && d.s[j] == '\\' && d.s[j+1] == 'u' {
				if lo, err := strconv.ParseUint(d.s[j+2:j+6], 16, 16); err == nil && lo >= 0xDC00 && lo < 0xE000 {
					r = 0x10000 + (r-0xD800)<<10 + (rune(lo) - 0xDC00)
					j += 6
				}
			}
			b.WriteRune(r)
		default:
			return "", false, false
		}
	}
	d.i = len(d.s)
	return "", false, true
}

// skip passes over one JSON value.
func (d *decoder) skip(depth int) Status {
	if depth > maxDepth {
		return Syntax
	}
	d.ws()
	if d.i >= len(d.s) {
		return Truncated
	}
	switch c := d.s[d.i]; {
	case c == '"':
		_, ok, trunc := d.str()
		if trunc {
			return Truncated
		}
		if !ok {
			return Syntax
		}
		return OK
	case c == '{' || c == '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		d.i++
		d.ws()
		if d.i >= len(d.s) {
			return Truncated
		}
		if d.s[d.i] == closer {
			d.i++
			return OK
		}
		for {
			if c == '{' {
				d.ws()
				if _, st := d.key(); st != OK {
					return st
				}
			}
			if st := d.skip(depth + 1); st != OK {
				return st
			}
			if done, st := d.sep(closer); st != OK || done {
				return st
			}
		}
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	default:
		for _, lit := range [...]string{"true", "false", "null"} {
			if strings.HasPrefix(d.s[d.i:], lit) {
				d.i += len(lit)
				return OK
			}
			if strings.HasPrefix(lit, d.s[d.i:]) {
				d.i = len(d.s)
				return Truncated
			}
		}
		return Syntax
	}
}

// Equal reports whether two parsed payloads carry the same label (same seven values).
func (p *Payload) Equal(q *Payload) bool {
	return p.Status == OK && q.Status == OK && p.Values == q.Values && p.Has == q.Has
}

// Shell reports whether the payload is an AIGC field with no label in it: empty, {},
// {"AIGC":{}} or all seven values empty.
func (p *Payload) Shell() bool {
	if p.Status == Empty {
		return true
	}
	if p.Status != OK {
		return false
	}
	for i := range p.Values {
		if p.Values[i] != "" {
			return false
		}
	}
	return true
}

// CharsetOK reports whether v uses only the Annex E j) characters: 0x21, 0x23–0x5B,
// 0x5D–0x7E and the quotation mark (which JSON carries escaped as \"). Space, control
// characters, backslash and anything outside ASCII (CJK names) are outside the set.
func CharsetOK(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x21 || c > 0x7E || c == '\\' {
			return false
		}
	}
	return true
}

// Code shapes of a ContentProducer or ContentPropagator value (TC260-PG-20252A).
const (
	CodeName  = iota // not 27 characters: a name, not a code
	CodeBad          // 27 characters but not ^00[0-9A-Z]{25}$ with position 23 in {1, 2}
	CodeGen          // a generation-service code (position 23 = 1)
	CodeProp         // a propagation-service code (position 23 = 2)
	CodeNoExt        // a code whose service extension (positions 23–27) is 00000
)

// CodeShape classifies a provider code.
func CodeShape(v string) int {
	if len(v) != 27 {
		return CodeName
	}
	if v[0] != '0' || v[1] != '0' {
		return CodeBad
	}
	for i := 2; i < 27; i++ {
		if c := v[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return CodeBad
		}
	}
	switch {
	case v[22:] == "00000":
		return CodeNoExt
	case v[22] == '1':
		return CodeGen
	case v[22] == '2':
		return CodeProp
	}
	return CodeBad
}

// number passes over a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *decoder) number() Status {
	digits := func() int {
		n := 0
		for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	// A number cut off at the end of the input is truncated; a bad one is a syntax error.
	bad := func() Status {
		if d.i >= len(d.s) {
			return Truncated
		}
		return Syntax
	}
	if d.s[d.i] == '-' {
		d.i++
	}
	if d.i >= len(d.s) {
		return Truncated
	}
	if d.s[d.i] == '0' {
		d.i++
	} else if digits() == 0 {
		return bad()
	}
	if d.i < len(d.s) && d.s[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return bad()
		}
	}
	if d.i < len(d.s) && (d.s[d.i] == 'e' || d.s[d.i] == 'E') {
		d.i++
		if d.i < len(d.s) && (d.s[d.i] == '+' || d.s[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return bad()
		}
	}
	return OK
}
