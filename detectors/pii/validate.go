package pii

import "strings"

// residentIDWeights are the ISO 7064 MOD 11-2 weights of the first 17 characters
// (GB 11643-1999): 2^(17-i) mod 11.
var residentIDWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// residentIDCheck maps the weighted sum mod 11 to the check character.
const residentIDCheck = "10X98765432"

// provinces are the first two digits of a mainland region code (GB/T 2260): the 31
// provinces, autonomous regions and municipalities, plus 71 (Taiwan), 81 (Hong Kong),
// 82 (Macao) and 83 (the residence permits of Taiwan residents).
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true, "21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true, "71": true, "81": true, "82": true, "83": true,
}

// validResidentID checks an 18-character resident identity number (17 digits and a digit
// or X): a province prefix, a prefecture (01-70 or 90) and county (not 00) code, a real
// birth date from 1900 to 2099, and the MOD 11-2 check character. The full GB/T 2260
// list of county codes (about 3,200, changing every year) is not checked.
func validResidentID(id string) bool {
	if len(id) != 18 {
		return false
	}
	if !provinces[id[:2]] {
		return false
	}
	if pref := atoi(id[2:4]); !(pref >= 1 && pref <= 70 || pref == 90) {
		return false
	}
	if id[4:6] == "00" {
		return false
	}
	if !validDate(atoi(id[6:10]), atoi(id[10:12]), atoi(id[12:14])) {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(id[i]-'0') * residentIDWeights[i]
	}
	return id[17] == residentIDCheck[sum%11]
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func validDate(y, m, d int) bool {
	if y < 1900 || y > 2099 || m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		days[2] = 29
	}
	return d <= days[m]
}

// cnMobile checks an 11-digit mainland mobile number against the number segments the
// MIIT has allocated to mobile networks: 13x, 145-149, 150-153, 155-159, 162, 165-167,
// 170-178, 18x, 190-193, 195-199.
func cnMobile(d string) bool {
	if len(d) != 11 || d[0] != '1' {
		return false
	}
	switch c, e := d[1], d[2]; c {
	case '3', '8':
		return true
	case '4':
		return e >= '5'
	case '5':
		return e != '4'
	case '6':
		return e == '2' || e >= '5' && e <= '7'
	case '7':
		return e <= '8'
	case '9':
		return e != '4'
	}
	return false
}

// nanp checks a 10-digit North American number: area code and exchange [2-9]XX, neither
// an N11 service code.
func nanp(d string) bool {
	if len(d) != 10 {
		return false
	}
	ok := func(s string) bool { return s[0] >= '2' && !(s[1] == '1' && s[2] == '1') }
	return ok(d[0:3]) && ok(d[3:6])
}

// e164 checks the digits after a '+': a country code that does not start with 0 and 8 to
// 15 digits in all; +1 numbers must be NANP numbers and +86 mobile numbers mainland
// mobile numbers (reported as such).
func e164(d string) (string, bool) {
	n := len(d)
	if n < 8 || n > 15 || d[0] == '0' {
		return "", false
	}
	switch {
	case d[0] == '1':
		return Phone, n == 11 && nanp(d[1:])
	case strings.HasPrefix(d, "86") && n == 13 && d[2] == '1':
		return CNMobile, cnMobile(d[2:])
	}
	return Phone, true
}

// validSSN applies the Social Security Administration's rules: the area is not 000, 666
// or 900-999, the group not 00, the serial not 0000; and it is not one of the numbers
// published in advertisements (078-05-1120, 219-09-9999, 987-65-4320..4329 fall under
// the rules above or are listed here).
func validSSN(d string) bool {
	if len(d) != 9 {
		return false
	}
	area := d[:3]
	if area == "000" || area == "666" || area[0] == '9' || d[3:5] == "00" || d[5:] == "0000" {
		return false
	}
	return d != "078051120" && d != "219099999"
}

// validCard checks a payment card number: the Luhn check digit, and an issuer prefix
// (IIN) with a length that issuer uses.
func validCard(d string) bool {
	n := len(d)
	if n < 13 || n > 19 || !luhn(d) {
		return false
	}
	p2, p3, p4 := atoi(d[:2]), atoi(d[:3]), atoi(d[:4])
	switch {
	case d[0] == '4': // Visa
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55 || p4 >= 2221 && p4 <= 2720: // Mastercard
		return n == 16
	case p2 == 34 || p2 == 37: // American Express
		return n == 15
	case p2 == 62: // UnionPay
		return n >= 16 && n <= 19
	case p4 == 6011 || p2 == 65 || p3 >= 644 && p3 <= 649: // Discover
		return n >= 16 && n <= 19
	case p4 >= 3528 && p4 <= 3589: // JCB
		return n >= 16 && n <= 19
	case p3 >= 300 && p3 <= 305 || p2 == 36 || p2 == 38 || p2 == 39: // Diners Club
		return n >= 14 && n <= 19
	case p4 >= 2200 && p4 <= 2204: // Mir
		return n >= 16 && n <= 19
	}
	return false
}

func luhn(d string) bool {
	sum := 0
	for i := len(d) - 1; i >= 0; i -= 2 {
		sum += int(d[i] - '0')
	}
	for i := len(d) - 2; i >= 0; i -= 2 {
		x := int(d[i]-'0') * 2
		if x > 9 {
			x -= 9
		}
		sum += x
	}
	return sum%10 == 0
}

// ibanLengths is the IBAN length of each country in the SWIFT IBAN registry.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
	"BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
	"ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
	"HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
	"LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
	"MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25,
	"QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
	"ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

// readIBAN reads an IBAN starting at text[i] (capitals and digits, single spaces allowed
// between them, as printed in groups of four) and returns its end when it has its
// country's length, stands alone and passes the ISO 13616 mod-97 check.
func readIBAN(text string, i int) (int, bool) {
	if i+4 > len(text) {
		return 0, false
	}
	want, ok := ibanLengths[text[i:i+2]]
	if !ok || !isDigit(text[i+2]) || !isDigit(text[i+3]) {
		return 0, false
	}
	var buf [34]byte
	n, j := 0, i
	for j < len(text) && n < want {
		c := text[j]
		if isDigit(c) || 'A' <= c && c <= 'Z' {
			buf[n] = c
			n++
			j++
			continue
		}
		if c == ' ' && n >= 4 && j+1 < len(text) && (isDigit(text[j+1]) || 'A' <= text[j+1] && text[j+1] <= 'Z') {
			j++
			continue
		}
		break
	}
	if n != want || !boundaryAfter(text, j) {
		return 0, false
	}
	// Move the first four characters to the end, letters to 10..35, and take mod 97.
	rem := 0
	for k := 0; k < n; k++ {
		c := buf[(k+4)%n]
		if isDigit(c) {
			rem = (rem*10 + int(c-'0')) % 97
		} else {
			rem = (rem*100 + int(c-'A'+10)) % 97
		}
	}
	return j, rem == 1
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// mrzLine finds the second line of a passport's machine-readable zone (ICAO 9303 TD3, 44
// characters of capitals, digits and '<') starting at text[i] and checks its four check
// digits (document number, birth date, expiry date and the composite). It returns the span
// of the document number.
func mrzLine(text string, i int) (int, int, bool) {
	if i+44 > len(text) {
		return 0, 0, false
	}
	line := text[i : i+44]
	for k := 0; k < 44; k++ {
		if c := line[k]; !(isDigit(c) || 'A' <= c && c <= 'Z' || c == '<') {
			return 0, 0, false
		}
	}
	if !boundaryAfter(text, i+44) || i+44 < len(text) && text[i+44] == '<' {
		return 0, 0, false
	}
	ok := mrzCheck(line[0:9]) == line[9] && mrzCheck(line[13:19]) == line[19] && mrzCheck(line[21:27]) == line[27] &&
		mrzCheck(line[0:10]+line[13:20]+line[21:43]) == line[43]
	if !ok {
		return 0, 0, false
	}
	end := 9
	for end > 0 && line[end-1] == '<' {
		end--
	}
	return i, i + end, end >= 6
}

// mrzCheck computes an ICAO 9303 check digit: weights 7, 3, 1; digits count as
// themselves, letters A-Z as 10-35, '<' as 0.
func mrzCheck(s string) byte {
	w := [3]int{7, 3, 1}
	sum := 0
	for k := 0; k < len(s); k++ {
		c := s[k]
		v := 0
		switch {
		case isDigit(c):
			v = int(c - '0')
		case 'A' <= c && c <= 'Z':
			v = int(c-'A') + 10
		}
		sum += v * w[k%3]
	}
	return byte('0' + sum%10)
}
