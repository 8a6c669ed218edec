package label

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aigcwatch/aigcwatch/internal/corpus"
)

func TestHeadTailCountRunes(t *testing.T) {
	ref := func(s string, n int) (string, string) {
		r := []rune(s)
		if len(r) <= n {
			return s, s
		}
		return string(r[:n]), string(r[len(r)-n:])
	}
	for _, s := range []string{"", "abc", "人工智能生成", "a人b工c智d能e", "本内容由AI生成，仅供参考。" + strings.Repeat("正文", 50) + "AI合成",
		strings.Repeat("ab", 40), strings.Repeat("é😀x人", 30), "😀" + strings.Repeat("x", 15) + "😀"} {
		for _, n := range []int{0, 1, 2, 5, 7, 8, 9, 16, 17, 64} {
			wh, wt := ref(s, n)
			if n == 0 {
				wh, wt = "", ""
			}
			if h, tl := head(s, n), tail(s, n); h != wh || tl != wt {
				t.Errorf("head/tail(%q, %d) = %q, %q; want %q, %q", s, n, h, tl, wh, wt)
			}
		}
	}
}

// FuzzHeadTail holds the word-at-a-time head and tail to the rune slicing they replace.
func FuzzHeadTail(f *testing.F) {
	f.Add("本内容由AI生成，仅供参考。正文正文正文AI合成", 5)
	f.Add(strings.Repeat("é😀x人", 9), 8)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if !utf8.ValidString(s) || n < 0 || n > 1000 {
			return
		}
		r := []rune(s)
		wh, wt := s, s
		if n == 0 {
			wh, wt = "", ""
		} else if len(r) > n {
			wh, wt = string(r[:n]), string(r[len(r)-n:])
		}
		if h, tl := head(s, n), tail(s, n); h != wh || tl != wt {
			t.Fatalf("head/tail(%q, %d) = %q, %q; want %q, %q", s, n, h, tl, wh, wt)
		}
	})
}

// TestReadWindowMatchesReference holds the one-pass window reader (IndexByte jumps) to
// the plain per-byte definitions on texts built from the pieces that matter: "AI" in
// both cases, letters before it, the Chinese elements, the English verbs, and the
// boundaries of the string.
func TestReadWindowMatchesReference(t *testing.T) {
	refAI := func(s string) bool {
		if strings.Contains(s, "人工智能") {
			return true
		}
		for i := 0; i+1 < len(s); i++ {
			if (s[i] == 'A' || s[i] == 'a') && (s[i+1] == 'I' || s[i+1] == 'i') && (i == 0 || !isLetter(s[i-1])) {
				return true
			}
		}
		return false
	}
	refGen := func(s string) bool { return strings.Contains(s, "生成") || strings.Contains(s, "合成") }
	refVerb := func(s string) bool {
		for _, w := range []string{"generat", "synthe", "manipulat", "created", "made", "Generat", "Synthe", "Manipulat", "Created", "Made", "GENERAT"} {
			if strings.Contains(s, w) {
				return true
			}
		}
		return false
	}
	pieces := []string{"A", "a", "I", "i", "x", "Z", " ", "人工智能", "人工", "生成", "合成", "正文", "made", "Generat", "é", "\x00"}
	rng := uint64(1)
	next := func(n int) int {
		rng ^= rng << 13
		rng ^= rng >> 7
		rng ^= rng << 17
		return int(rng % uint64(n))
	}
	for range 200000 {
		var b strings.Builder
		for k := next(8); k >= 0; k-- {
			b.WriteString(pieces[next(len(pieces))])
		}
		s := b.String()
		ai := refAI(s)
		want := window{elements: ai && refGen(s), disclosure: ai && (refGen(s) || refVerb(s))}
		if got := readWindow(s); got != want || hasAI(s) != ai {
			t.Fatalf("readWindow(%q) = %+v, hasAI %v; want %+v, %v", s, got, hasAI(s), want, ai)
		}
	}
}

// BenchmarkTextWindows reads the CN-EXP-01 windows (the first and last 64 characters) of
// a 370-byte Chinese answer without a label, the common case on a CN text stream.
// go test -run '^$' -bench TextWindows -cpu 1 -count 6 ./detectors/label
func BenchmarkTextWindows(b *testing.B) {
	text := strings.Repeat("这款折叠婴儿车单手就能收起，周末带孩子去公园非常方便。", 5)[:370]
	for !utf8.ValidString(text) {
		text = text[:len(text)-1]
	}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if h, t := textWindows(text, DefaultTextWindow); h.elements || t.elements {
			b.Fatal("a label in the benchmark text")
		}
	}
}

// TestHasRengongZhineng against strings.Contains: at every position and cut of the
// needle in Chinese text, and in texts dense in its anchor byte (the fallback).
func TestHasRengongZhineng(t *testing.T) {
	const needle = "人工智能"
	base := "这款折叠婴儿车单手就能收起，智慧智能智者"
	dense := strings.Repeat("智", 40)
	for _, s := range []string{"", "人工智", "工智能", needle, base, dense, dense + needle, dense + "人工" + dense} {
		for i := 0; i <= len(s); i++ {
			for _, in := range []string{s[:i] + needle + s[i:], s[:i] + "人工智" + s[i:], s[:i]} {
				if got, want := hasRengongZhineng(in), strings.Contains(in, needle); got != want {
					t.Fatalf("hasRengongZhineng(%q) = %v, want %v", in, got, want)
				}
			}
		}
	}
}

// BenchmarkHasRengongZhineng: hasRengongZhineng against strings.Contains on the HC3 Plus
// QA answers cut to 370 bytes (skipped without ../shared/data).
// go test -run '^$' -bench HasRengongZhineng -count 3 ./detectors/label
func BenchmarkHasRengongZhineng(b *testing.B) {
	var texts []string
	for _, s := range corpus.Sets(b) {
		if s.Name != "HC3 Plus QA, AI" && s.Name != "HC3 Plus QA, human" {
			continue
		}
		for _, x := range s.Texts {
			t := x.Text
			if len(t) > 370 {
				t = t[:370]
				for !utf8.ValidString(t) {
					t = t[:len(t)-1]
				}
			}
			texts = append(texts, t)
		}
	}
	if len(texts) == 0 {
		b.Skip("no HC3 Plus QA answers in ../shared/data/corpus")
	}
	for _, c := range []struct {
		name string
		f    func(string) bool
	}{{"anchored", hasRengongZhineng}, {"strings.Contains", func(s string) bool { return strings.Contains(s, "人工智能") }}} {
		b.Run(c.name, func(b *testing.B) {
			n := 0
			for i := 0; b.Loop(); i++ {
				if c.f(texts[i%len(texts)]) {
					n++
				}
			}
			b.ReportMetric(float64(n)/float64(b.N), "found/op")
		})
	}
}
