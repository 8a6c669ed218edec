package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	asmutf8 "github.com/segmentio/asm/utf8"
	fastjson "github.com/segmentio/encoding/json"
)

// Limits bound what the decoder accepts. The zero value means DefaultLimits.
type Limits struct {
	MaxRecordBytes int // whole record as received
	MaxTextBytes   int // the text field
	MaxImplicit    int // implicit-label carriers
}

// DefaultLimits are safe defaults: Kafka's default message size, a long article of text.
var DefaultLimits = Limits{
	MaxRecordBytes: 1 << 20,
	MaxTextBytes:   256 << 10,
	MaxImplicit:    64,
}

func (l Limits) withDefaults() Limits {
	if l.MaxRecordBytes <= 0 {
		l.MaxRecordBytes = DefaultLimits.MaxRecordBytes
	}
	if l.MaxTextBytes <= 0 {
		l.MaxTextBytes = DefaultLimits.MaxTextBytes
	}
	if l.MaxImplicit <= 0 {
		l.MaxImplicit = DefaultLimits.MaxImplicit
	}
	return l
}

// Reasons a record is rejected: a small closed set, usable as a metric label.
const (
	ReasonOversize     = "oversize"
	ReasonInvalidUTF8  = "invalid_utf8"
	ReasonInvalidJSON  = "invalid_json"
	ReasonWrongType    = "wrong_type"
	ReasonMissingField = "missing_field"
	ReasonInvalidValue = "invalid_value"
)

// Reasons lists every rejection reason, for metrics created at zero.
var Reasons = []string{ReasonOversize, ReasonInvalidUTF8, ReasonInvalidJSON, ReasonWrongType, ReasonMissingField, ReasonInvalidValue}

// ErrRejected is wrapped by every *DecodeError: errors.Is(err, ErrRejected) tells a bad
// record (send it to the dead-letter output and go on) from a failure of the pipeline.
var ErrRejected = errors.New("record: rejected")

// DecodeError says why a record was rejected and where.
type DecodeError struct {
	Reason string // one of the Reason constants
	Field  string // dotted JSON path of the field at fault, "" for the whole record
	Offset int64  // byte offset in the input where the problem was seen, -1 if unknown
	Detail string // what is wrong, for people
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString("record: ")
	b.WriteString(e.Reason)
	if e.Field != "" {
		b.WriteString(": field ")
		b.WriteString(e.Field)
	}
	if e.Offset >= 0 {
		fmt.Fprintf(&b, " (byte %d)", e.Offset)
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrRejected) true.
func (e *DecodeError) Unwrap() error { return ErrRejected }

func reject(reason, field string, off int64, format string, a ...any) *DecodeError {
	return &DecodeError{Reason: reason, Field: field, Offset: off, Detail: fmt.Sprintf(format, a...)}
}

// Decode parses one JSON record from data into r, which it overwrites, and validates it.
// Strings in r may alias data (zero-copy decoding): data must not change while r is in
// use. A rejected record yields a *DecodeError.
func Decode(data []byte, lim Limits, r *Record) error {
	lim = lim.withDefaults()
	if len(data) > lim.MaxRecordBytes {
		return reject(ReasonOversize, "", -1, "record is %d bytes, limit %d", len(data), lim.MaxRecordBytes)
	}
	if !asmutf8.Valid(data) { // AVX2 where the CPU has it: 10× the standard library's on CJK text
		off := invalidUTF8Offset(data)
		return reject(ReasonInvalidUTF8, fieldAt(data, off), int64(off), "invalid UTF-8")
	}
	// The first byte first: TrimLeft builds its set of bytes on every call.
	if len(data) == 0 || data[0] != '{' {
		if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
			return syntaxError(data, "a record must be a JSON object")
		}
	}
	*r = Record{}
	// The fast path hands each non-string member to the decoder with the rest of the
	// record, which the decoder scans once per call: bounded here, so a large record with
	// many such members cannot cost that scan many times over.
	if len(data) <= maxFastRecord && decodeFast(data, r) {
		return r.validate(lim)
	}
	*r = Record{}
	if err := decodeGeneral(data, r); err != nil {
		return err
	}
	return r.validate(lim)
}

// decodeGeneral decodes data, valid UTF-8, into r, which is zero, with the JSON decoder.
func decodeGeneral(data []byte, r *Record) error {
	// Field names match exactly (snake_case): "Modality" or "ID" are unknown fields, not
	// aliases that could overwrite "id".
	w := wirePool.Get().(*wire)
	w.Record, w.Text = r, ""
	rest, err := fastjson.Parse(data, w, fastjson.DontMatchCaseInsensitiveStructFields|fastjson.ZeroCopy)
	r.Text = string(w.Text)
	w.Record = nil
	wirePool.Put(w)
	if err == nil && len(rest) != 0 {
		return syntaxError(data, "")
	}
	if err != nil {
		return jsonError(data, err)
	}
	return nil
}

// wire is what the JSON decoder fills: the record, with its text decoded by wireText.
type wire struct {
	*Record
	Text wireText `json:"text"` // shadows Record.Text
}

var wirePool = sync.Pool{New: func() any { return new(wire) }}

// wireText decodes the record's text without the JSON decoder's general string path,
// which copies every string holding a non-ASCII byte, one rune at a time, to replace
// invalid UTF-8 (already rejected for the whole record above). A text without escapes is
// not copied at all: it aliases the input, as ZeroCopy does for ASCII strings; a text
// with escapes is unescaped in one pass of appends into a buffer of its length.
type wireText string

// UnmarshalJSON implements the decoder's Unmarshaler. b is the raw value, already
// checked to be well-formed JSON by the decoder.
func (t *wireText) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || b[0] != '"' {
		if string(b) == "null" {
			return nil // as for any string field: absent
		}
		return &fastjson.UnmarshalTypeError{Value: string(b), Type: reflect.TypeFor[string]()}
	}
	b = b[1 : len(b)-1]
	i := bytes.IndexByte(b, '\\')
	if i < 0 {
		*t = wireText(unsafe.String(unsafe.SliceData(b), len(b)))
		return nil
	}
	u, ok := unescape(make([]byte, 0, len(b)), b, i)
	if !ok {
		return &fastjson.UnmarshalTypeError{Value: `"` + string(b) + `"`, Type: reflect.TypeFor[string]()}
	}
	*t = wireText(unsafe.String(unsafe.SliceData(u), len(u)))
	return nil
}

// unescape appends the JSON string body s, whose first backslash is at i, to dst with
// its escapes decoded. It reports false for an escape the decoder should have refused.
// Unpaired surrogates become U+FFFD, as encoding/json decodes them.
func unescape(dst, s []byte, i int) ([]byte, bool) {
	for {
		dst = append(dst, s[:i]...)
		s = s[i:]
		if len(s) < 2 {
			return dst, false
		}
		c := s[1]
		s = s[2:]
		switch c {
		case '"', '\\', '/':
			dst = append(dst, c)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s)
			if !ok {
				return dst, false
			}
			s = s[4:]
			if utf16.IsSurrogate(r) {
				r2, ok2 := rune(-1), false
				if len(s) >= 6 && s[0] == '\\' && s[1] == 'u' {
					r2, ok2 = hex4(s[2:])
				}
				if d := utf16.DecodeRune(r, r2); ok2 && d != utf8.RuneError {
					r = d
					s = s[6:]
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, false
		}
		i = bytes.IndexByte(s, '\\')
		if i < 0 {
			return append(dst, s...), true
		}
	}
}

func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func invalidUTF8Offset(b []byte) int {
	for i := 0; i < len(b); {
		c, size := utf8.DecodeRune(b[i:])
		if c == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

func jsonError(data []byte, err error) error {
	var se *fastjson.SyntaxError
	var te *fastjson.UnmarshalTypeError
	var pe *time.ParseError
	switch {
	case errors.As(err, &se):
		return syntaxError(data, "")
	case errors.As(err, &te):
		field := te.Field
		got := valueKind(te.Value)
		if te.Type == reflect.TypeFor[time.Time]() {
			return reject(ReasonInvalidValue, field, -1, "not an RFC 3339 time")
		}
		if field == "" {
			return reject(ReasonInvalidJSON, "", -1, "a record must be a JSON object, got %s", got)
		}
		return reject(ReasonWrongType, field, -1, "got JSON %s, want %s", got, jsonKind(te.Type.String()))
	case errors.As(err, &pe):
		return reject(ReasonInvalidValue, badTimeField(data), -1, "not an RFC 3339 time: %q", pe.Value)
	case strings.Contains(err.Error(), "base64"):
		return reject(ReasonInvalidValue, "media.data", -1, "not base64: %v", err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return reject(ReasonInvalidJSON, "", int64(len(data)), "truncated JSON")
	}
	return reject(ReasonInvalidJSON, "", -1, "%v", err)
}

// syntaxError reports malformed JSON with the offset and message of encoding/json, which
// (unlike the fast decoder) names the byte and never quotes the input. Error path only.
func syntaxError(data []byte, fallback string) error {
	var v any
	err := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return reject(ReasonInvalidJSON, "", se.Offset, "%s", strings.TrimPrefix(se.Error(), "json: "))
	case err != nil:
		return reject(ReasonInvalidJSON, "", int64(len(data)), "truncated JSON")
	}
	if fallback == "" {
		fallback = "malformed JSON"
	}
	return reject(ReasonInvalidJSON, "", -1, "%s, got %s", fallback, valueKind(string(bytes.TrimSpace(data))))
}

// valueKind names the JSON kind of a raw value as reported by the decoder.
func valueKind(v string) string {
	// segmentio/encoding reports the rest of the input from the value on, quoted.
	if u, err := strconv.Unquote(v); err == nil {
		v = u
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "value"
	}
	switch v[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return "number"
	}
	return v // encoding/json-style kind names ("number", "string") pass through
}

// jsonKind turns a Go type into the JSON kind a producer should send.
func jsonKind(goType string) string {
	switch {
	case goType == "string":
		return "string"
	case goType == "bool" || goType == "*bool":
		return "boolean"
	case strings.Contains(goType, "int"):
		return "integer"
	case strings.Contains(goType, "float"):
		return "number"
	case strings.HasPrefix(goType, "[]") && goType != "[]uint8":
		return "array"
	case goType == "[]uint8":
		return "base64 string"
	case goType == "time.Time":
		return "RFC 3339 string"
	}
	return "object"
}

// badTimeField finds which time field failed to parse. It runs only on the error path.
func badTimeField(data []byte) string {
	var probe struct {
		Time   json.RawMessage `json:"time"`
		Export *struct {
			L json.RawMessage `json:"log_retention_until"`
		} `json:"export"`
		ProviderInfo *struct {
			P json.RawMessage `json:"placed_on_market"`
		} `json:"provider_info"`
	}
	_ = json.Unmarshal(data, &probe)
	bad := func(m json.RawMessage) bool {
		var t time.Time
		return len(m) > 0 && t.UnmarshalJSON(m) != nil
	}
	switch {
	case bad(probe.Time):
		return "time"
	case probe.Export != nil && bad(probe.Export.L):
		return "export.log_retention_until"
	case probe.ProviderInfo != nil && bad(probe.ProviderInfo.P):
		return "provider_info.placed_on_market"
	}
	return ""
}

type pathFrame struct {
	object  bool
	key     string
	wantKey bool
	index   int
}

// afterValue moves the innermost container past one complete value.
func afterValue(stack []pathFrame) {
	if len(stack) == 0 {
		return
	}
	f := &stack[len(stack)-1]
	if f.object {
		f.wantKey = true
	} else {
		f.index++
	}
}

func joinPath(stack []pathFrame) string {
	var b strings.Builder
	for _, f := range stack {
		seg := f.key
		if !f.object {
			seg = fmt.Sprint(f.index)
		}
		if seg == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	return b.String()
}

// fieldAt returns the dotted path of the JSON value or key that contains byte offset off
// (array elements are numbered from 0). It runs only on the error path.
func fieldAt(data []byte, off int) string {
	if off < 0 {
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var stack []pathFrame
	for {
		tok, err := dec.Token()
		if err != nil {
			return joinPath(stack)
		}
		end := int(dec.InputOffset())
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{':
				stack = append(stack, pathFrame{object: true, wantKey: true})
			case '[':
				stack = append(stack, pathFrame{})
			default:
				stack = stack[:len(stack)-1]
				afterValue(stack)
			}
			continue
		}
		top := len(stack) - 1
		if top >= 0 && stack[top].object && stack[top].wantKey {
			stack[top].key, _ = tok.(string)
			stack[top].wantKey = false
			if end > off {
				return joinPath(stack)
			}
			continue
		}
		if end > off {
			return joinPath(stack)
		}
		afterValue(stack)
	}
}
