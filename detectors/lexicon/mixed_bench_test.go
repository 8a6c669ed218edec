package lexicon

import "testing"

// BenchmarkMixedScript: the 100k-term Chinese lexicon (sparse) over English prose, as
// on a Chinese platform that also carries English text and code (issue 16): the bytes
// no term can start with are skipped (Matcher.skipInert).
func BenchmarkMixedScript(b *testing.B) {
	_, en, sparse := benchCorpora(b)
	benchScan(b, sparse, en, "")
}

// BenchmarkMixedScriptHan: the same with the lexicon's terms that hold no ASCII
// character, so English text is skipped eight bytes at a time.
func BenchmarkMixedScriptHan(b *testing.B) {
	_, en, sparse := benchCorpora(b)
	var han []string
	for _, t := range sparse {
		ascii := false
		for i := 0; i < len(t); i++ {
			ascii = ascii || t[i] < 0x80
		}
		if !ascii {
			han = append(han, t)
		}
	}
	benchScan(b, han, en, "aigcwatch")
}
