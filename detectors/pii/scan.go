package pii

import (
	"encoding/binary"
	"strings"
	"unsafe"
)

// Match is one validated value found in a text.
type Match struct {
	Category   string
	Start, End int    // byte offsets of the value in the text, End exclusive
	Masked     string // the value masked for display; never the value itself
}

// maxDigits bounds the digits read into one number: the longest value looked for is a
// 19-digit card (a +CC and a 15-digit E.164 number, 17), so longer runs are not numbers
// of interest and are skipped whole.
const maxDigits = 24

// maxGroups bounds the separator-delimited digit groups recorded for one number.
const maxGroups = 8

// num is a run of digits as read from the text, with where its separators were.
type num struct {
	d          [maxDigits]byte // ASCII digits, full-width ones folded
	n          int             // digits read (may exceed maxDigits: then too long)
	g          [maxGroups]uint8
	ng         int // groups; 1 when there was no separator
	start, end int // byte span, including a leading '+' or '(' and a trailing X
	plus       bool
	paren      bool
	x          bool // a trailing X (resident ID check character 10)
}

func (m *num) digits() string { return string(m.d[:min(m.n, maxDigits)]) }

// groups reports whether the digit groups are exactly gs.
func (m *num) groups(gs ...uint8) bool {
	if m.ng != len(gs) {
		return false
	}
	for i, g := range gs {
		if m.g[i] != g {
			return false
		}
	}
	return true
}

// Scan calls emit for every validated value in text, in order of position within each
// kind (numbers and identifiers, then e-mail addresses). It does not allocate unless it
// emits.
func Scan(text string, emit func(Match)) {
	scanTokens(text, emit)
	scanEmails(text, emit)
}

// skip is how far to step over the byte c when looking for the start of a number or
// identifier: 0 for the bytes one can start with (ASCII digits and capitals), the length
// of the UTF-8 sequence for lead bytes (a Chinese text is stepped over a character at a
// time), 1 otherwise.
var skip = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c >= 0xF0:
			t[c] = 4
		case c >= 0xE0:
			t[c] = 3
		case c >= 0xC0:
			t[c] = 2
		default:
			t[c] = 1
		}
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = 0
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = 0
	}
	return t
}()

// SWAR constants: a byte of each value in a uint64.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
	low7  = 0x7f7f7f7f7f7f7f7f
)

// hasBetween has the high bit of each byte b of x with m < b < n and b < 0x80 set (Sean
// Anderson's bit hacks), and possibly of others after it: a filter, not an answer.
func hasBetween(x, m, n uint64) uint64 {
	return (ones*(127+n) - x&low7) & ^x & (x&low7 + ones*(127-m)) & highs
}

// fullWidthDigits flags the full-width digits in x (EF BC 90–99), a filter: possibly
// more, never fewer. A Chinese text is full of full-width punctuation (，is EF BC 8C):
// stopping at every EF sent most of its words to the byte loop. An EF in the last two
// bytes is flagged whatever follows, as the rest of it is in the next word.
func fullWidthDigits(x uint64) uint64 {
	// Bytes equal to EF, to BC, and in 0x90–0x99 (each test may flag more after a true
	// one, never fewer), written out so that the function is inlined in nextStart's loop.
	// Most words of Chinese text have no EF: the other two tests only when one does.
	e := x ^ (0xEF * ones)
	ef := (e - ones) & ^e & highs
	if ef == 0 {
		return 0
	}
	c, v := x^(0xBC*ones), x^(0x90*ones)
	bc := (c - ones) & ^c & highs
	digit := (v - 10*ones) & ^v & highs
	return ef&(bc>>8)&(digit>>16) | ef&(0x8080<<48)
}

// nextStart returns the first position from i of a byte a number or identifier can start
// with (an ASCII digit or capital, or a full-width digit), 8 bytes at a time while none
// of them can, then a character at a time.
func nextStart(text string, i int) int {
	b := unsafe.Slice(unsafe.StringData(text), len(text))
	for {
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			m := fullWidthDigits(x)
			if x&highs != highs { // an ASCII byte: hasBetween flags none of the others
				m |= hasBetween(x, '0'-1, '9'+1) | hasBetween(x, 'A'-1, 'Z'+1)
			}
			if m != 0 {
				break
			}
			i += 8
		}
		stop := min(len(b), i+8)
		for i < stop {
			c := b[i]
			if c == 0xEF && fwDigit(text, i) >= 0 {
				return i
			}
			n := int(skip[c])
			if n == 0 {
				return i
			}
			// A lead byte steps over its character, but only over continuation bytes:
			// in invalid UTF-8 ("\xe4" then "123", or a stray EF BC before a full-width
			// digit) a truncated sequence must not hide what follows it.
			for k := 1; k < n; k++ {
				if i+k >= len(b) || b[i+k]&0xC0 != 0x80 {
					n = k
					break
				}
			}
			i += n
		}
		if i >= len(b) {
			return len(b)
		}
	}
}

func scanTokens(text string, emit func(Match)) {
	for i := 0; i < len(text); {
		i = nextStart(text, i)
		if i >= len(text) {
			return
		}
		c := text[i]
		switch {
		case '0' <= c && c <= '9' || c == 0xEF && fwDigit(text, i) >= 0:
			if !boundaryBefore(text, i) {
				i = skipWord(text, i)
				continue
			}
			var m num
			readNum(text, i, &m)
			if m.n <= maxDigits && boundaryAfter(text, m.end) {
				classifyNum(text, &m, emit)
			}
			i = max(m.end, i+1)
			i = skipWord(text, i)
		case 'A' <= c && c <= 'Z':
			if boundaryBefore(text, i) {
				if j := letterToken(text, i, emit); j > i {
					i = j
					continue
				}
			}
			i = skipWord(text, i)
		default:
			i++
		}
	}
}

// fwDigit returns the value of the full-width digit (U+FF10..U+FF19) at text[i], or -1.
func fwDigit(text string, i int) int {
	if i+2 < len(text) && text[i] == 0xEF && text[i+1] == 0xBC && text[i+2] >= 0x90 && text[i+2] <= 0x99 {
		return int(text[i+2] - 0x90)
	}
	return -1
}

// digitAt returns the digit at text[i] (ASCII or full-width) and its size, or size 0.
func digitAt(text string, i int) (byte, int) {
	if i >= len(text) {
		return 0, 0
	}
	if c := text[i]; '0' <= c && c <= '9' {
		return c, 1
	}
	if d := fwDigit(text, i); d >= 0 {
		return byte('0' + d), 3
	}
	return 0, 0
}

// sepAt returns the size of a separator people write inside numbers at text[i], or 0:
// space, hyphen, dot, no-break space, ideographic space, full-width hyphen, full-width
// full stop, and the Unicode hyphens and dashes U+2010..U+2015.
func sepAt(text string, i int) int {
	if i >= len(text) {
		return 0
	}
	switch c := text[i]; c {
	case ' ', '-', '.':
		return 1
	case 0xC2:
		if i+1 < len(text) && text[i+1] == 0xA0 {
			return 2
		}
	case 0xE3:
		if i+2 < len(text) && text[i+1] == 0x80 && text[i+2] == 0x80 {
			return 3
		}
	case 0xEF:
		if i+2 < len(text) && text[i+1] == 0xBC && (text[i+2] == 0x8D || text[i+2] == 0x8E) {
			return 3
		}
	case 0xE2:
		if i+2 < len(text) && text[i+1] == 0x80 && text[i+2] >= 0x90 && text[i+2] <= 0x95 {
			return 3
		}
	}
	return 0
}

func isWordByte(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

// boundaryBefore reports whether a number or identifier may start at text[i]: it is not
// glued to a letter, digit or underscore, nor the fraction or group of a number
// ("0.138...", "1,380,000").
func boundaryBefore(text string, i int) bool {
	if i == 0 {
		return true
	}
	p := text[i-1]
	if isWordByte(p) {
		return false
	}
	if (p == '.' || p == ',') && i >= 2 && '0' <= text[i-2] && text[i-2] <= '9' {
		return false
	}
	if i >= 3 && fwDigit(text, i-3) >= 0 {
		return false
	}
	return true
}

// boundaryAfter reports whether a value may end at text[i].
func boundaryAfter(text string, i int) bool {
	if i >= len(text) {
		return true
	}
	if isWordByte(text[i]) {
		return false
	}
	return fwDigit(text, i) < 0
}

// skipWord returns the end of the run of word bytes and full-width digits at i.
func skipWord(text string, i int) int {
	for i < len(text) {
		if isWordByte(text[i]) {
			i++
		} else if fwDigit(text, i) >= 0 {
			i += 3
		} else {
			break
		}
	}
	return i
}

// readNum reads the number starting at text[i] into m.
func readNum(text string, i int, m *num) {
	m.start = i
	if i >= 1 && text[i-1] == '+' {
		m.plus, m.start = true, i-1
	} else if i >= 3 && text[i-3:i] == "\uff0b" { // full-width plus
		m.plus, m.start = true, i-3
	} else if i >= 1 && text[i-1] == '(' {
		m.paren = true
	}
	grp := 0
	push := func() {
		if m.ng < maxGroups {
			m.g[m.ng] = uint8(min(grp, 255))
		}
		m.ng++
		grp = 0
	}
	j := i
	for {
		if d, sz := digitAt(text, j); sz > 0 {
			if m.n < maxDigits {
				m.d[m.n] = d
			}
			m.n++
			grp++
			j += sz
			continue
		}
		if s := sepAt(text, j); s > 0 {
			if _, sz := digitAt(text, j+s); sz > 0 {
				push()
				j += s
				continue
			}
		}
		if m.paren && m.ng == 0 && grp == 3 && j < len(text) && text[j] == ')' {
			k := j + 1
			k += sepAt(text, k)
			if _, sz := digitAt(text, k); sz > 0 {
				push()
				j = k
				continue
			}
		}
		break
	}
	push()
	m.end = j
	if m.n == 17 && j < len(text) {
		if text[j] == 'X' || text[j] == 'x' {
			m.x, m.end = true, j+1
		} else if strings.HasPrefix(text[j:], "\uff38") || strings.HasPrefix(text[j:], "\uff58") { // Ｘ ｘ
			m.x, m.end = true, j+3
		}
	}
	if m.paren {
		m.start = i - 1
	}
}

// classifyNum validates m as each kind of number it could be and emits the first that
// passes.
func classifyNum(text string, m *num, emit func(Match)) {
	out := func(cat, masked string) {
		emit(Match{Category: cat, Start: m.start, End: m.end, Masked: masked})
	}
	if m.n < 9 && !m.plus {
		return // every kind looked for has at least 9 digits, or a '+'
	}
	d := m.digits()
	if m.plus {
		if cat, ok := e164(d); ok {
			if cat == CNMobile {
				out(cat, keepEnds(d[2:], 3, 4))
			} else {
				out(cat, maskPhone(d, true))
			}
		}
		return
	}
	out = func(cat, masked string) {
		if !negativeContext(text, m.start) {
			emit(Match{Category: cat, Start: m.start, End: m.end, Masked: masked})
		}
	}
	n := m.n
	switch {
	case n == 17 && m.x || n == 18 && !m.x:
		id := d
		if m.x {
			id += "X"
		}
		if validResidentID(id) {
			out(CNResidentID, keepEnds(id, 2, 2))
			return
		}
	case n == 11 && cnMobile(d) && (m.ng == 1 || m.groups(3, 4, 4) || m.groups(3, 8) || m.groups(7, 4)):
		out(CNMobile, keepEnds(d, 3, 4))
		return
	case (n == 13 && strings.HasPrefix(d, "86") || n == 15 && strings.HasPrefix(d, "0086")) && cnMobile(d[n-11:]) && m.ng <= 4:
		out(CNMobile, keepEnds(d[n-11:], 3, 4))
		return
	case n == 10 && (m.groups(3, 3, 4) || m.paren && m.ng == 2 && m.g[0] == 3 && m.g[1] == 7) && nanp(d):
		out(Phone, maskPhone(d, false))
		return
	case n == 11 && d[0] == '1' && m.groups(1, 3, 3, 4) && nanp(d[1:]):
		out(Phone, maskPhone(d, false))
		return
	case n == 9 && m.groups(3, 2, 4) && validSSN(d):
		out(USSSN, "***-**-"+d[5:])
		return
	case n == 9 && m.ng == 1 && passportContext(text, m.start):
		out(Passport, keepEnds(d, 1, 2))
		return
	case n == 9 && m.ng == 1 && ssnContext(text, m.start) && validSSN(d):
		out(USSSN, "***-**-"+d[5:])
		return
	}
	if n >= 13 && n <= 19 && cardGrouping(m) && validCard(d) {
		out(BankCard, keepEnds(d, 4, 4))
	}
}

// cardGrouping accepts card numbers written without separators, in groups of four (the
// last may be shorter), or in the 4-6-5 and 4-6-4 groups of 15- and 14-digit cards.
func cardGrouping(m *num) bool {
	if m.ng == 1 {
		return true
	}
	if m.groups(4, 6, 5) || m.groups(4, 6, 4) {
		return true
	}
	if m.ng > maxGroups {
		return false
	}
	for i := 0; i < m.ng-1; i++ {
		if m.g[i] != 4 {
			return false
		}
	}
	return m.g[m.ng-1] >= 1 && m.g[m.ng-1] <= 4
}

// letterToken reads an identifier that starts with a capital letter at text[i]: an IBAN,
// a passport MRZ line, or a passport number next to the word passport. It returns the
// end of what it emitted, or i.
func letterToken(text string, i int, emit func(Match)) int {
	if end, ok := readIBAN(text, i); ok {
		emit(Match{Category: IBAN, Start: i, End: end, Masked: maskIBAN(text[i:end])})
		return end
	}
	if s, e, ok := mrzLine(text, i); ok {
		emit(Match{Category: Passport, Start: s, End: e, Masked: keepEnds(text[s:e], 1, 2)})
		return i + 44
	}
	// 1 or 2 capitals, then 6 to 9 digits, standing alone, after "passport" or 护照.
	j := i
	for j < len(text) && j-i < 2 && 'A' <= text[j] && text[j] <= 'Z' {
		j++
	}
	k := j
	for k < len(text) && '0' <= text[k] && text[k] <= '9' {
		k++
	}
	if nd := k - j; nd >= 6 && nd <= 9 && j-i+nd <= 10 && boundaryAfter(text, k) && validPassportShape(text[i:j], nd) && passportContext(text, i) {
		emit(Match{Category: Passport, Start: i, End: k, Masked: keepEnds(text[i:k], 1, 2)})
		return k
	}
	return i
}

// validPassportShape accepts the national formats looked for: China E+8 digits,
// E+letter+7 digits, G+8 digits (and the older P/S/D/K numbers, letter+7-8 digits); the
// US 9 digits or letter+8 digits; and one or two letters with 6 to 8 digits elsewhere.
func validPassportShape(letters string, digits int) bool {
	switch len(letters) {
	case 0:
		return digits == 9
	case 1:
		return digits >= 6 && digits <= 8
	case 2:
		if letters[0] == 'E' && (letters[1] == 'I' || letters[1] == 'O') {
			return false // China's E+letter series skips I and O
		}
		return digits >= 6 && digits <= 7
	}
	return false
}

// Context words are looked for in the bytes just before a value.
const contextBytes = 32

// negativeWords mark the numbers after them as not personal data: order, tracking,
// invoice and serial numbers and the like.
var negativeWords = []string{
	"订单", "单号", "编号", "流水", "运单", "快递", "工单", "批号", "型号", "序列号", "条码", "发票", "合同号", "版本",
	"order", "tracking", "invoice", "serial", "reference", "sku", "isbn", "barcode", "version", "build", "ticket",
	"#",
}

var currencySigns = []string{"¥", "￥", "$", "€", "£", "rmb", "usd", "cny", "eur"}

// negativeContext reports whether the value at text[start:] follows an order-like label
// or a currency sign.
func negativeContext(text string, start int) bool {
	var buf [contextBytes]byte
	before := lowerTail(text, start, &buf)
	for _, w := range negativeWords {
		if strings.Contains(before, w) {
			return true
		}
	}
	near := strings.TrimRight(before, " \u00a0\u3000:：")
	for _, c := range currencySigns {
		if strings.HasSuffix(near, c) {
			return true
		}
	}
	return false
}

func passportContext(text string, start int) bool {
	var buf [contextBytes]byte
	before := lowerTail(text, start, &buf)
	return strings.Contains(before, "passport") || strings.Contains(before, "护照") ||
		strings.Contains(before, "pasaporte") || strings.Contains(before, "passeport") || strings.Contains(before, "reisepass")
}

func ssnContext(text string, start int) bool {
	var buf [contextBytes]byte
	before := lowerTail(text, start, &buf)
	return strings.Contains(before, "ssn") || strings.Contains(before, "social security")
}

// lowerTail copies the (up to) contextBytes bytes before start into buf, ASCII
// lower-cased, and returns them as a string that aliases buf.
func lowerTail(text string, start int, buf *[contextBytes]byte) string {
	from := max(0, start-contextBytes)
	n := copy(buf[:], text[from:start])
	for i := 0; i < n; i++ {
		if c := buf[i]; 'A' <= c && c <= 'Z' {
			buf[i] = c + 'a' - 'A'
		}
	}
	return unsafe.String(&buf[0], n) // no copy: the caller uses it before buf goes
}
