package pii

import "strings"

// keepEnds masks s, keeping its first `head` and last `tail` characters (bytes: every
// value masked is ASCII), and never much more than half of it (the customary mobile mask
// 138****5678 keeps 7 of 11).
func keepEnds(s string, head, tail int) string {
	for head+tail > 0 && 2*(head+tail) > len(s)+3 {
		if head > 0 {
			head--
		} else {
			tail--
		}
	}
	return s[:head] + strings.Repeat("*", len(s)-head-tail) + s[len(s)-tail:]
}

// maskPhone keeps a telephone number's country code digits (up to 2) and last 2 digits.
func maskPhone(d string, plus bool) string {
	if plus {
		return "+" + keepEnds(d, 2, 2)
	}
	return keepEnds(d, 0, 2)
}

// maskIBAN keeps the country code and check digits and the last 4 characters.
func maskIBAN(s string) string {
	s = strings.ReplaceAll(s, " ", "")
	return keepEnds(s, 4, 4)
}

// maskEmail keeps the first character of the local part and the domain.
func maskEmail(local, domain string) string {
	return local[:1] + "***@" + domain
}
