package record

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"unsafe"

	fastjson "github.com/segmentio/encoding/json"
)

// maxFastRecord is the largest record decodeFast is tried on.
const maxFastRecord = 64 << 10

// decodeFast decodes the common shape of a record, a flat JSON object of known members
// whose strings hold no control characters, without the general decoder's walk over the
// struct: the string members (the text above all) are found with vectorised byte
// searches and aliased, the others are handed one by one to the decoder Decode uses.
// It reports false, leaving r in any state, as soon as anything is unusual (an unknown or
// repeated member, an escape in a name, a string member that is not a string, anything
// the decoder refuses): Decode then decodes from the start with the general path, which
// says what is wrong. data is valid UTF-8 (Decode checked) and starts with '{' after
// white space. FuzzDecodeFast holds the two paths to the same records.
//
// Where the general decoder spends its time on a CJK record is its byte loop over every
// string with a non-ASCII byte (to find its end and refuse control characters) and the
// lookup of each member's name: a fifth of judging a 500-byte record (docs/benchmarks).
func decodeFast(data []byte, r *Record) bool {
	var seen uint64
	i, more, ok := objectStart(data, skipWS(data, 0))
	for ok && more {
		var name []byte
		if name, i, ok = memberName(data, i); !ok {
			return false
		}
		k := memberIndex(name)
		// A member of Record has neither escapes nor control characters in its name:
		// only an unknown name needs the checks.
		if k < 0 && (bytes.IndexByte(name, '\\') >= 0 || hasControl(name)) {
			return false
		}
		if i, ok = fastMember(data, i, k, r, &seen); !ok {
			return false
		}
		i, more, ok = memberEnd(data, i)
	}
	return ok && skipWS(data, i) == len(data)
}

// The members of a JSON object, walked by decodeFast and fastLabels:
//
//	i, more, ok := objectStart(data, i)    // i at '{'
//	for ok && more {
//		name, i, ok = memberName(data, i)  // i now at the value
//		...                                // i after the value
//		i, more, ok = memberEnd(data, i)
//	}                                      // i after '}'
//
// A name is the bytes up to the first quote after the opening one: one with an escaped
// quote is cut there and matches nothing.

// objectStart reads the '{' at data[i] and the white space after it; more is false
// when the object is empty (i is then after its '}').
func objectStart(data []byte, i int) (next int, more, ok bool) {
	if i >= len(data) || data[i] != '{' {
		return 0, false, false
	}
	i = skipWS(data, i+1)
	if i < len(data) && data[i] == '}' {
		return i + 1, false, true
	}
	return i, true, true
}

// memberName reads a member's name and colon from data[i] and returns the name and
// where the value starts.
func memberName(data []byte, i int) ([]byte, int, bool) {
	if i >= len(data) || data[i] != '"' {
		return nil, 0, false
	}
	end := bytes.IndexByte(data[i+1:], '"')
	if end < 0 {
		return nil, 0, false
	}
	name := data[i+1 : i+1+end]
	i = skipWS(data, i+2+end)
	if i >= len(data) || data[i] != ':' {
		return nil, 0, false
	}
	return name, skipWS(data, i+1), true
}

// memberEnd reads what follows a value at data[i]: a comma (more members) or the
// closing brace (more is false, next is after it).
func memberEnd(data []byte, i int) (next int, more, ok bool) {
	i = skipWS(data, i)
	if i >= len(data) {
		return 0, false, false
	}
	switch data[i] {
	case ',':
		return skipWS(data, i+1), true, true
	case '}':
		return i + 1, false, true
	}
	return 0, false, false
}

// fastMember decodes the value at data[i] of the member with field index k (-1: not a
// member of Record) into r, and returns where the value ends.
func fastMember(data []byte, i, k int, r *Record, seen *uint64) (int, bool) {
	if k < 0 {
		// A member Record does not have ("Text" is one: names match exactly): skipped,
		// as the general decoder skips it.
		var skip fastjson.RawMessage
		rest, err := fastjson.Parse(data[i:], &skip, fastjson.ZeroCopy)
		return len(data) - len(rest), err == nil
	}
	if *seen&(1<<k) != 0 {
		return 0, false
	}
	*seen |= 1 << k
	f := &fastFields[k]
	if f.str {
		s, next, ok := fastString(data, i, f.text)
		if ok {
			*(*string)(unsafe.Add(unsafe.Pointer(r), f.offset)) = s
		}
		return next, ok
	}
	if k == labelsIndex {
		return fastLabels(data, i, &r.Labels)
	}
	ptr := reflect.NewAt(f.typ, unsafe.Add(unsafe.Pointer(r), f.offset)).Interface()
	return parseValue(data, i, ptr)
}

// parseValue decodes the value at data[i] into ptr with the decoder Decode uses and
// returns where it ends.
func parseValue(data []byte, i int, ptr any) (int, bool) {
	rest, err := fastjson.Parse(data[i:], ptr, fastjson.DontMatchCaseInsensitiveStructFields|fastjson.ZeroCopy)
	return len(data) - len(rest), err == nil
}

// labelsIndex is the field index of Record.Labels.
var labelsIndex = memberIndex([]byte("labels"))

// fastLabels decodes the labels object at data[i] into l and returns where it ends: the
// interface flag read directly when it is true or false (a chat service's records carry
// it and nothing else: the general decoder's walk over the struct cost a thirtieth of
// judging such a record), the other members by the decoder. Anything unusual (an unknown,
// repeated or escaped name, labels that are not an object) reports false.
func fastLabels(data []byte, i int, l *Labels) (int, bool) {
	var seen uint8
	i, more, ok := objectStart(data, i)
	for ok && more {
		var name []byte
		if name, i, ok = memberName(data, i); !ok {
			return 0, false
		}
		var bit uint8
		var ptr any
		switch string(name) {
		case "interface":
			bit = 1
			switch {
			case bytes.HasPrefix(data[i:], []byte("true")):
				v := true
				l.Interface, i = &v, i+4
			case bytes.HasPrefix(data[i:], []byte("false")):
				v := false
				l.Interface, i = &v, i+5
			default:
				ptr = &l.Interface
			}
		case "explicit":
			bit, ptr = 2, &l.Explicit
		case "implicit":
			bit, ptr = 4, &l.Implicit
		default:
			return 0, false
		}
		if seen&bit != 0 {
			return 0, false
		}
		seen |= bit
		if ptr != nil {
			if i, ok = parseValue(data, i, ptr); !ok {
				return 0, false
			}
		}
		i, more, ok = memberEnd(data, i)
	}
	return i, ok
}

// fastField is a member of Record as decodeFast sets it.
type fastField struct {
	offset uintptr // in Record
	typ    reflect.Type
	str    bool // a plain string member
	text   bool // the text: escapes are decoded (elsewhere they send the record to the general path)
}

// fastFields are Record's fields by index, from its struct tags.
var fastFields = func() []fastField {
	t := reflect.TypeFor[Record]()
	fs := make([]fastField, t.NumField())
	for i := range fs {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		fs[i] = fastField{offset: sf.Offset, typ: sf.Type, str: sf.Type.Kind() == reflect.String, text: name == "text"}
	}
	if len(fs) > 64 {
		panic("record: more than 64 fields for decodeFast's set")
	}
	return fs
}()

// memberIndex is the index in Record of the field named name in JSON, or -1. A switch:
// about three times as fast as a map lookup here, and TestMemberIndex holds it to the
// struct tags.
func memberIndex(name []byte) int {
	switch string(name) {
	case "id":
		return 0
	case "time":
		return 1
	case "jurisdiction":
		return 2
	case "provider":
		return 3
	case "service":
		return 4
	case "platform":
		return 5
	case "role":
		return 6
	case "account":
		return 7
	case "modality":
		return 8
	case "text":
		return 9
	case "language":
		return 10
	case "declared_ai":
		return 11
	case "self_reported":
		return 12
	case "labels":
		return 13
	case "watermark":
		return 14
	case "c2pa":
		return 15
	case "iptc_digital_source_type":
		return 16
	case "media":
		return 17
	case "signals":
		return 18
	case "distribution":
		return 19
	case "export":
		return 20
	case "moderation":
		return 21
	case "provider_info":
		return 22
	case "context":
		return 23
	}
	return -1
}

// fastString reads the JSON string at data[i]. Without escapes it aliases data; with
// them it is decoded only for the text (unescape).
func fastString(data []byte, i int, text bool) (string, int, bool) {
	if i >= len(data) || data[i] != '"' {
		return "", 0, false
	}
	body := data[i+1:]
	// A short string (most members but the text: an id, a provider, "CN") is read in one
	// byte loop; the vectorised searches below cost more to set up than that takes (and
	// on the text, three of them cost less than one pass of eight bytes at a time).
	if end, ok := shortString(body); ok {
		s := body[:end]
		return unsafe.String(unsafe.SliceData(s), len(s)), i + 2 + end, true
	}
	end := bytes.IndexByte(body, '"')
	if end < 0 {
		return "", 0, false
	}
	bs := bytes.IndexByte(body[:end], '\\')
	if bs >= 0 {
		if !text {
			return "", 0, false
		}
		// The closing quote is the first one not escaped: walk the escapes.
		end = closingQuote(body, bs)
		if end < 0 {
			return "", 0, false
		}
	}
	s := body[:end]
	if hasControl(s) {
		return "", 0, false
	}
	if bs < 0 {
		return unsafe.String(unsafe.SliceData(s), len(s)), i + 2 + end, true
	}
	u, ok := unescape(make([]byte, 0, len(s)), s, bs)
	if !ok {
		return "", 0, false
	}
	return unsafe.String(unsafe.SliceData(u), len(u)), i + 2 + end, true
}

// shortMax is the longest string shortString reads.
const shortMax = 32

// stringStop marks the bytes that end shortString's loop: the quote, the backslash and
// the control characters (below 0x20), which a JSON string may not hold unescaped. (A
// table: fewer instructions a byte than the three comparisons.)
var stringStop = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// shortString returns the length of the string whose body (after the opening quote)
// starts body, when its closing quote comes within shortMax bytes with no backslash or
// control character before it; ok is false otherwise (the caller's general path decides).
func shortString(body []byte) (end int, ok bool) {
	n := min(len(body), shortMax)
	for k := 0; k < n; k++ {
		if c := body[k]; stringStop[c] {
			return k, c == '"'
		}
	}
	return 0, false
}

// closingQuote returns the index in body of the quote that ends a string whose first
// backslash is at bs, or -1: the first quote after bs preceded by an even number of
// backslashes (an odd number escapes it), found with IndexByte.
func closingQuote(body []byte, bs int) int {
	for i := bs; ; {
		q := bytes.IndexByte(body[i:], '"')
		if q < 0 {
			return -1
		}
		q += i
		n := 0
		for n < q-bs && body[q-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			return q
		}
		i = q + 1
	}
}

// hasControl reports whether s has a byte below 0x20, which JSON does not allow in a
// string: 32 bytes at a time, four words whose tests are independent.
func hasControl(s []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	// below reports a byte below 0x20 in x: subtracting 0x20 borrows from a byte's high
	// bit while its own high bit is clear (hasless(x, 0x20)). Exact as to whether there
	// is one: a false positive only ever follows a true one in the same word.
	below := func(x uint64) uint64 { return (x - 0x20*ones) & ^x & highs }
	i := 0
	for ; i+32 <= len(s); i += 32 {
		if below(binary.LittleEndian.Uint64(s[i:]))|below(binary.LittleEndian.Uint64(s[i+8:]))|
			below(binary.LittleEndian.Uint64(s[i+16:]))|below(binary.LittleEndian.Uint64(s[i+24:])) != 0 {
			return true
		}
	}
	for ; i+8 <= len(s); i += 8 {
		if below(binary.LittleEndian.Uint64(s[i:])) != 0 {
			return true
		}
	}
	for ; i < len(s); i++ {
		if s[i] < 0x20 {
			return true
		}
	}
	return false
}

func skipWS(data []byte, i int) int {
	// Inlined: records are mostly compact JSON, and the byte at i is no white space.
	if i < len(data) && data[i] > ' ' {
		return i
	}
	return skipWSLoop(data, i)
}

func skipWSLoop(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}
