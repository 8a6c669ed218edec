package norm

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aigcwatch/aigcwatch/internal/benchclock"
)

// TestProseMatchesReference holds the fast paths for Chinese prose (runs of
// ideographs copied at once, separator runs settled by the first character after
// them) to the reference normaliser on texts shaped like prose: clauses of 1 to 9
// ideographs (simplified, traditional, compatibility) or short Latin words, between
// runs of clause punctuation, spaces, inserted symbols and format characters, for
// every combination of steps.
func TestProseMatchesReference(t *testing.T) {
	t.Parallel()
	han := []string{"中", "国", "國", "人", "民", "敏", "感", "词", "詞", "一", "\u9FFF", "\uF900"}
	latin := []string{"a", "AI", "bad", "Ｂ", "x1"}
	seps := []string{"，", "。", "、", " ", "*", ".", "-", "\u200b", "\n", "！", "?", "“", "”", "（", "）", "：", "；", "？", "【", "》", "…", "‧"}
	r := rand.New(rand.NewPCG(7, 8))
	opts := allOptions()
	for i := range 20000 {
		var sb strings.Builder
		for range 1 + r.IntN(6) {
			if r.IntN(5) == 0 {
				sb.WriteString(latin[r.IntN(len(latin))])
			} else {
				for range 1 + r.IntN(9) {
					sb.WriteString(han[r.IntN(len(han))])
				}
			}
			for range r.IntN(4) {
				sb.WriteString(seps[r.IntN(len(seps))])
			}
		}
		checkAgainstReference(t, opts[i%len(opts)], sb.String())
	}
}

// BenchmarkNormalizeProse normalises 64 KB of Chinese-like prose (clauses of 4 to 20
// common ideographs, a tenth of them traditional, between commas and full stops) with
// every step on: the normaliser's cost on the bulk of CN text records.
// go test -run '^$' -bench NormalizeProse -cpu 1 -count 6 ./detectors/lexicon/norm
func BenchmarkNormalizeProse(b *testing.B) {
	han := []rune("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理世车")
	trad := []rune("國說這個們會時來過還後經進義當機現樣應開關體點實進")
	r := rand.New(rand.NewPCG(9, 10))
	var sb strings.Builder
	for sb.Len() < 64<<10 {
		for range 4 + r.IntN(17) {
			if r.IntN(10) == 0 {
				sb.WriteRune(trad[r.IntN(len(trad))])
			} else {
				sb.WriteRune(han[r.IntN(len(han))])
			}
		}
		if r.IntN(3) == 0 {
			sb.WriteString("。")
		} else {
			sb.WriteString("，")
		}
	}
	text := sb.String()
	n := New(Full())
	var buf Buffer
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	clk := benchclock.Start()
	for b.Loop() {
		n.Normalize(&buf, text)
	}
	clk.ReportBytes(b, int64(len(text)))
}

// TestProseMarksAllSlotted: every clause punctuation mark proseMark may take has a slot
// of its own in proseMarks (a collision would send it the slow way, through the
// separators step), and the comma and full stop are among them.
func TestProseMarksAllSlotted(t *testing.T) {
	buildProseMarks()
	n := 0
	for _, r := range clausePunct {
		if utf8.RuneLen(r) != 3 || bmp.info[r]&bmpSimple == 0 {
			continue
		}
		c, _ := class(rune(bmp.info[r] & 0xFFFF))
		if c&(clsPlain|clsPunct|clsWord|clsSpace) != clsPlain|clsPunct {
			continue
		}
		n++
		if e := proseMarks[proseSlot(r)]; e.from != r {
			t.Errorf("%q (U+%04X) has no slot: slot %d holds %q", r, r, proseSlot(r), e.from)
		}
	}
	for _, r := range "，。" {
		if proseMarks[proseSlot(r)].from != r {
			t.Errorf("%q is not in proseMarks", r)
		}
	}
	t.Logf("%d marks", n)
}
