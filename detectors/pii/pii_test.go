package pii

import (
	"context"
	"strings"
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/record"
)

func scanAll(text string) []Match {
	var out []Match
	Scan(text, func(m Match) { out = append(out, m) })
	return out
}

// TestScan: realistic positives (each kind, full-width digits, separators) and the
// numbers that only look like them (bad check digits, Luhn failures, order numbers,
// timestamps, prices, identifiers glued to letters).
func TestScan(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, text string
		want       []string // category:masked, in order
	}{
		// Mainland resident ID.
		{"id valid", "身份证号110105199003071239，请核对", []string{"pii.cn_resident_id:11**************39"}},
		{"id valid X", "证件号码 11010119900307803X。", []string{"pii.cn_resident_id:11**************3X"}},
		{"id lower x full-width", "号码：１１０１０１１９９００３０７８０３ｘ", []string{"pii.cn_resident_id:11**************3X"}},
		{"id spaced 6-8-4", "110105 19900307 1239", []string{"pii.cn_resident_id:11**************39"}},
		{"id bad check digit", "身份证号110105199003071234", nil},
		{"id bad province", "身份证号990105199003071233", nil},
		{"id bad date 0230", "身份证号110105199002301235", nil},
		{"id year 1850", "身份证号110105185003071237", nil},
		// CN mobile.
		{"mobile", "手机13812345678，", []string{"pii.cn_mobile:138****5678"}},
		{"mobile 3-4-4", "电话 138-1234-5678", []string{"pii.cn_mobile:138****5678"}},
		{"mobile full-width", "电话：１３８１２３４５６７８", []string{"pii.cn_mobile:138****5678"}},
		{"mobile +86", "call +86 138 1234 5678 now", []string{"pii.cn_mobile:138****5678"}},
		{"mobile +86 full-width plus", "＋8613812345678", []string{"pii.cn_mobile:138****5678"}},
		{"mobile 0086", "0086-13812345678", []string{"pii.cn_mobile:138****5678"}},
		{"mobile unallocated 12x", "编码12812345678", nil},
		{"mobile segment 154", "15412345678", nil},
		{"mobile glued to letters", "ID:u13812345678", nil},
		{"mobile order number", "订单号13812345678已发货", nil},
		{"mobile price", "总价¥13812345678", nil},
		{"mobile thousands", "1,381,234,567", nil},
		{"mobile decimal", "0.13812345678", nil},
		{"12 digits", "138123456789", nil},
		// International and NANP phones.
		{"e164 uk", "ring +44 20 7946 0958 today", []string{"pii.phone:+44********58"}},
		{"e164 us", "+1 415-555-0134", []string{"pii.phone:+14*******34"}},
		{"e164 us bad area", "+1 115-555-0134", nil},
		{"nanp paren", "Jane Doe, (415) 555-0134.", []string{"pii.phone:********34"}},
		{"nanp dashes", "call 415-555-0134", []string{"pii.phone:********34"}},
		{"nanp with 1", "call 1-415-555-0134", []string{"pii.phone:*********34"}},
		{"nanp N11 exchange", "415-911-0134", nil},
		{"e164 too short", "+44 1234", nil},
		{"bare 10 digits", "1727771400", nil},
		// Cards.
		{"visa", "card 4111 1111 1111 1111 exp", []string{"pii.bank_card:4111********1111"}},
		{"unionpay 16", "卡号6217 0000 1234 5670的银行卡", []string{"pii.bank_card:6217********5670"}},
		{"unionpay 19", "6222020200112345679", []string{"pii.bank_card:6222***********5679"}},
		{"amex 4-6-5", "3782 822463 10005", []string{"pii.bank_card:3782*******0005"}},
		{"mastercard 2-series", "2223000048400011", []string{"pii.bank_card:2223********0011"}},
		{"card full-width", "４１１１１１１１１１１１１１１１", []string{"pii.bank_card:4111********1111"}},
		{"luhn failure", "card 4111 1111 1111 1112", nil},
		{"luhn ok bad iin", "7000000000000005", nil},
		{"visa wrong length", "411111111111111", nil},
		{"card odd grouping", "41 11111 111111 111", nil},
		{"card after order", "order #4111111111111111", nil},
		{"timestamp ms", "ts=1727771400000", nil},
		{"timestamp compact", "20241001083000", nil},
		{"date time", "2024-10-01 08:30:00", nil},
		// SSN.
		{"ssn", "SSN 123-45-6789,", []string{"pii.us_ssn:***-**-6789"}},
		{"ssn bare with context", "social security number: 123456789", []string{"pii.us_ssn:***-**-6789"}},
		{"ssn bare no context", "number 123456789", nil},
		{"ssn area 666", "666-45-6789", nil},
		{"ssn area 9xx", "912-45-6789", nil},
		{"ssn group 00", "123-00-6789", nil},
		{"ssn serial 0000", "123-45-0000", nil},
		{"ssn advertised", "078-05-1120", nil},
		// IBAN.
		{"iban de", "IBAN DE89 3704 0044 0532 0130 00 please", []string{"pii.iban:DE89**************3000"}},
		{"iban gb compact", "GB29NWBK60161331926819", []string{"pii.iban:GB29**************6819"}},
		{"iban bad check", "DE89 3704 0044 0532 0130 01", nil},
		{"iban bad length", "DE89 3704 0044 0532 0130", nil},
		// Passport.
		{"passport cn", "护照号码E12345678，有效期", []string{"pii.passport:E******78"}},
		{"passport us digits", "Passport No. 123456789", []string{"pii.passport:1******89"}},
		{"passport no context", "型号E12345678", nil},
		{"passport EI series", "passport EI1234567", nil},
		{"mrz", "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10", []string{"pii.passport:L******C3"}},
		{"mrz bad check", "L898902C36UTO7408122F1204159ZE184226B<<<<<11", nil},
		// E-mail.
		{"email", "邮箱wangfang@example.com，电话", []string{"pii.email:w***@example.com"}},
		{"email plus", "write to jane.doe+ai@mail.example.co.uk.", []string{"pii.email:j***@mail.example.co.uk"}},
		{"email retina file", "icon@2x.png", nil},
		{"email no tld", "user@localhost", nil},
		{"at mention", "@张三 你好", nil},
		{"decorator", "@Override public", nil},
		// Several.
		{"several", "李娜，身份证号110105199003071239，联系电话13900001111。", []string{"pii.cn_resident_id:11**************39", "pii.cn_mobile:139****1111"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, m := range scanAll(c.text) {
				got = append(got, m.Category+":"+m.Masked)
				if m.Start < 0 || m.End > len(c.text) || m.Start >= m.End {
					t.Errorf("bad span %d..%d", m.Start, m.End)
				}
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("%q:\n got %v\nwant %v", c.text, got, c.want)
			}
		})
	}
}

// TestSpans: the offsets cover exactly the value as written (with its separators,
// full-width digits, leading + or parenthesis).
func TestSpans(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ text, value string }{
		{"手机１３８ １２３４ ５６７８。", "１３８ １２３４ ５６７８"},
		{"call +86 138 1234 5678 now", "+86 138 1234 5678"},
		{"Jane, (415) 555-0134.", "(415) 555-0134"},
		{"证件 11010119900307803X。", "11010119900307803X"},
		{"mail: a.b@example.org!", "a.b@example.org"},
		{"IBAN DE89 3704 0044 0532 0130 00.", "DE89 3704 0044 0532 0130 00"},
	} {
		ms := scanAll(c.text)
		if len(ms) != 1 || c.text[ms[0].Start:ms[0].End] != c.value {
			t.Errorf("%q: %+v, want span of %q", c.text, ms, c.value)
		}
	}
}

// TestMaskedNeverRaw: no masked value contains the digits of the value it masks (beyond
// what the mask keeps), for every kind.
func TestMaskedNeverRaw(t *testing.T) {
	t.Parallel()
	text := "110105199003071239 13812345678 +44 20 7946 0958 4111111111111111 123-45-6789 GB29NWBK60161331926819 护照E12345678 jane.doe@example.com"
	for _, m := range scanAll(text) {
		raw := strings.NewReplacer(" ", "", "-", "", "+", "").Replace(text[m.Start:m.End])
		if strings.Contains(m.Masked, raw) || !strings.Contains(m.Masked, "*") {
			t.Errorf("%s: masked %q shows the raw value %q", m.Category, m.Masked, raw)
		}
	}
}

// TestDetector: findings are element-layer, carry the masked value as their term and what
// it was validated with, and never the value.
func TestDetector(t *testing.T) {
	t.Parallel()
	r := &record.Record{Text: "请核对：李娜，身份证号110105199003071239，联系电话13900001111。"}
	var res detectors.Result
	if err := New().Detect(context.Background(), r, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 2 {
		t.Fatalf("findings %+v", res.Findings)
	}
	for _, f := range res.Findings {
		js := string(f.AppendJSON(nil))
		if f.Layer != detectors.Element || f.Detector != Name || f.Evidence.Term == "" || !strings.Contains(f.Evidence.Term, "*") ||
			strings.Contains(js, "110105199003071239") || strings.Contains(js, "13900001111") {
			t.Errorf("finding %s", js)
		}
	}
	if f := res.Findings[0]; f.Category != CNResidentID || f.Severity != detectors.High || r.Text[f.Evidence.Start:f.Evidence.End] != "110105199003071239" {
		t.Errorf("first finding %+v", f)
	}
}

// naiveResidentID is the reference for the MOD 11-2 check: the definition itself,
// (12 - Σ aᵢ·2^(17-i) mod 11) mod 11, with 10 written X.
func naiveResidentID(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		w := 1
		for k := 0; k < 17-i; k++ {
			w = w * 2 % 11
		}
		sum += int(first17[i]-'0') * w
	}
	c := (12 - sum%11) % 11
	if c == 10 {
		return 'X'
	}
	return byte('0' + c)
}

func TestResidentIDCheckAgreesWithDefinition(t *testing.T) {
	t.Parallel()
	base := []byte("11010519900307000")
	for i := 0; i < 1000; i++ {
		b := append([]byte{}, base...)
		b[14], b[15], b[16] = byte('0'+i/100), byte('0'+i/10%10), byte('0'+i%10)
		want := naiveResidentID(string(b))
		for c := byte('0'); c <= '9'+1; c++ {
			cc := c
			if c == '9'+1 {
				cc = 'X'
			}
			if got := validResidentID(string(b) + string(cc)); got != (cc == want) {
				t.Fatalf("%s%c: valid=%v, check should be %c", b, cc, got, want)
			}
		}
	}
}

func FuzzScan(f *testing.F) {
	for _, s := range []string{"身份证号110105199003071239", "+86 138 1234 5678", "4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00",
		"a@b.cc", "(415) 555-0134", "１３８１２３４５６７８", "P<UTO\nL898902C36UTO7408122F1204159ZE184226B<<<<<10", "护照E12345678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		Scan(s, func(m Match) {
			if m.Start < 0 || m.End > len(s) || m.Start >= m.End {
				t.Fatalf("bad span %d..%d in %q", m.Start, m.End, s)
			}
			if m.Masked == "" {
				t.Fatalf("empty mask")
			}
		})
	})
}

// TestNextStartAgreesWithNaive: the word-at-a-time skip stops where a byte-at-a-time
// search for a digit, a capital or a full-width digit would, or earlier (at a UTF-8 lead byte skipped
// whole by the byte-at-a-time step) but never later.
func TestNextStartAgreesWithNaive(t *testing.T) {
	t.Parallel()
	texts := []string{"人工智能生成内容的标识办法自2025年9月1日起施行", "hello world, this is lower case text with no caps", "，。：；（）１２３",
		"abcdefghijklmnopqrstuvwxyz0", "\x00\x7f\x80 ~`!@#$%^&*()_+-=[]{}|;':\",./<>?Z", strings.Repeat("的", 40) + "X"}
	// A full-width digit at every alignment after full-width punctuation and ideographs
	// (fullWidthDigits' filter, and its conservative last two bytes of a word).
	for k := range 12 {
		texts = append(texts, strings.Repeat("，", k)+"１", "ab"[:k%3]+strings.Repeat("的，", k)+"９。", strings.Repeat("x", k)+"，９", strings.Repeat("的", k)+"ａ１",
			strings.Repeat("的", k)+"\xef\xbc９", strings.Repeat("x", k)+"\xe4"+"123", strings.Repeat("的", k)+"\xe4\xb8Z") // invalid UTF-8: nothing hidden
	}
	for _, s := range texts {
		for i := 0; i <= len(s); i++ {
			naive := i
			for naive < len(s) && !('0' <= s[naive] && s[naive] <= '9' || 'A' <= s[naive] && s[naive] <= 'Z' || fwDigit(s, naive) >= 0) {
				naive++
			}
			if got := nextStart(s, i); got > naive {
				t.Fatalf("%q from %d: %d, naive %d", s, i, got, naive)
			}
		}
	}
}
