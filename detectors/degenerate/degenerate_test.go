package degenerate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/lexicon"
	"github.com/aigcwatch/aigcwatch/record"
)

func detect(t *testing.T, cfg Config, r *record.Record) []detectors.Finding {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var res detectors.Result
	if err := d.Detect(context.Background(), r, &res); err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		if f.Layer != detectors.Technology || f.Detector != Name {
			t.Errorf("finding %+v: want technology layer from %s", f, Name)
		}
		if f.Evidence.End > len(r.Text) || f.Evidence.Start > f.Evidence.End {
			t.Errorf("bad span %+v", f.Evidence)
		}
	}
	return res.Findings
}

func cats(fs []detectors.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Category)
	}
	return strings.Join(out, " ")
}

const poem = `床前明月光，疑是地上霜。举头望明月，低头思故乡。
Row, row, row your boat, gently down the stream.
Merrily, merrily, merrily, merrily, life is but a dream.
Twinkle, twinkle, little star, how I wonder what you are!
Up above the world so high, like a diamond in the sky.
Twinkle, twinkle, little star, how I wonder what you are!
When the blazing sun is gone, when he nothing shines upon,
Then you show your little light, twinkle, twinkle, all the night.
Twinkle, twinkle, little star, how I wonder what you are!`

// TestLoops: a model repeating a sentence or a pair of sentences back to back is a loop;
// refrains, lists, laughter, rules and short human repetition are not.
func TestLoops(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, text string
		loop       bool
	}{
		{"zh sentence loop", "以下是您要的总结：" + strings.Repeat("这个问题的关键在于理解用户的需求。", 6), true},
		{"en sentence loop at end", "Sure, here is the answer. The capital of France is Paris. " + strings.Repeat("I apologize for the confusion. ", 5), true},
		{"alternating pair", strings.Repeat("The weather is nice. Let us go for a walk. ", 4), true},
		{"short word loop", "Answer: " + strings.Repeat("the ", 30), true},
		{"odd period", strings.Repeat("The model keeps saying this sentence again!! ", 4) + "end", true},
		{"three times for emphasis", strings.Repeat("以后再也不会定这家了！！！", 3), false},
		{"poem with refrains", poem, false},
		{"numbered list", "1. 苹果\n2. 香蕉\n3. 橙子\n4. 葡萄\n5. 西瓜\n6. 草莓\n7. 芒果\n8. 菠萝\n9. 樱桃\n10. 柠檬\n", false},
		{"bullet list same prefix", "- Add the item to your cart\n- Add the coupon code\n- Add the shipping address\n- Add the payment method\n- Add a note for the driver\n", false},
		{"human short repetition", "没有送水没有送水没有送水", false},
		{"laughter", strings.Repeat("哈", 60), false},
		{"hahaha", strings.Repeat("ha", 50), false},
		{"rule", strings.Repeat("-", 200), false},
		{"markdown table", "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|", false},
		{"twice only", strings.Repeat("这个问题的关键在于理解用户的需求和背景信息。", 2), false},
		// 93 bytes: a run of 81, found now that texts under the window plus
		// MinLoopBytes (96) are searched too.
		{"short text all loop", strings.Repeat("我点的", 10) + "。", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := detect(t, Config{}, &record.Record{Text: c.text})
			got := strings.Contains(cats(fs), Loop)
			if got != c.loop {
				t.Errorf("loop=%v, want %v (%s)", got, c.loop, cats(fs))
			}
			for _, f := range fs {
				if f.Category == Loop && !strings.Contains(f.Evidence.Detail, "times in a row") {
					t.Errorf("detail %q", f.Evidence.Detail)
				}
			}
		})
	}
}

// TestLoopWindowsSharingASlot: loops of a 32-byte period whose two remembered windows
// (ending at multiples of 16, so in turn) fall in the same slot of the table. Each would
// overwrite the other before its copy was looked up, however long the loop; a window
// keeps its slot for keepBytes instead.
func TestLoopWindowsSharingASlot(t *testing.T) {
	t.Parallel()
	hash := func(w string) uint32 {
		var h uint32
		for i := 0; i < len(w); i++ {
			h = h<<1 + gear[w[i]]
		}
		return h
	}
	words := strings.Fields("the model data loop user need answer again output token said keeps")
	found := 0
	for i := 0; found < 5 && i < 1_000_000; i++ {
		// A 32-byte unit of words, different for each i.
		var b strings.Builder
		for k := i; b.Len() < 32; k /= len(words) {
			b.WriteString(words[k%len(words)])
			b.WriteByte(' ')
			k += i * 7
		}
		unit := b.String()[:32]
		if !wordy(unit) || hash(unit)>>(32-tableBits) != hash(unit[16:]+unit[:16])>>(32-tableBits) ||
			hash(unit) == hash(unit[16:]+unit[:16]) {
			continue
		}
		found++
		for _, reps := range []int{5, 40} {
			text := "Here is the answer: " + strings.Repeat(unit, reps)
			for pad := 0; pad < 16; pad++ { // every alignment of the unit to the windows
				s := strings.Repeat("x", pad) + text
				if !strings.Contains(cats(detect(t, Config{}, &record.Record{Text: s})), Loop) {
					t.Errorf("%d × %q after %d bytes: no loop found", reps, unit, len(s)-32*reps)
				}
			}
		}
	}
	if found < 5 {
		t.Fatalf("only %d units whose windows share a slot", found)
	}
}

// TestLoopPeriod: the evidence names the smallest period and the whole stretch.
func TestLoopPeriod(t *testing.T) {
	t.Parallel()
	unit := "这个问题的关键在于理解用户的需求。"
	text := "前言。" + strings.Repeat(unit, 6) + "结尾"
	fs := detect(t, Config{}, &record.Record{Text: text})
	if len(fs) != 1 || fs[0].Category != Loop {
		t.Fatalf("findings %s", cats(fs))
	}
	e := fs[0].Evidence
	if want := "period " + itoa(len(unit)) + " bytes, 6 times in a row"; e.Detail != want {
		t.Errorf("detail %q, want %q", e.Detail, want)
	}
	// The stretch may start at a rotation of the unit ("。这个…"), which is as periodic.
	if got := text[e.Start:e.End]; strings.Count(got, unit) < 5 || len(got) < 6*len(unit) {
		t.Errorf("span %q", got)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestRunaway(t *testing.T) {
	t.Parallel()
	text := strings.Repeat("一二三四五六七八九十", 15) // 150 runes (also a loop, reported separately)
	fs := detect(t, Config{MaxRunes: 100}, &record.Record{Text: text})
	if !strings.Contains(cats(fs), Runaway) {
		t.Errorf("150 runes with limit 100: %s", cats(fs))
	}
	if fs := detect(t, Config{MaxRunes: 200}, &record.Record{Text: text}); strings.Contains(cats(fs), Runaway) {
		t.Errorf("150 runes with limit 200: %s", cats(fs))
	}
	if fs := detect(t, Config{MaxRunes: -1}, &record.Record{Text: text}); strings.Contains(cats(fs), Runaway) {
		t.Errorf("check off: %s", cats(fs))
	}
}

func TestGarbage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, text string
		want       bool
	}{
		{"replacement chars", "结果如下：" + strings.Repeat("\ufffd\ufffd好", 10), true},
		{"latin-1 mojibake", "CafÃ© rÃ©sumÃ© Ã  la franÃ§aise, trÃ¨s Ã©lÃ©gant, dÃ©jÃ  vu, naÃ¯ve", true},
		{"gbk mojibake", "锟斤拷锟斤拷锟斤拷", true},
		{"control chars", "ok\x01\x02\x03\x04\x05\x06\x07\x08 done", true},
		{"C1 controls", "ok\u0080\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088 done", true},
		{"one replacement char", "这是一段正常的中文文本，只有一个\ufffd字符，其余都正常，不应该报告为乱码。", false},
		{"french", "Café résumé à la française, très élégant, déjà vu, naïve", false},
		{"tabs and newlines", "a\tb\nc\r\nd\te\nf\tg\nh\ti\nj", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := strings.Contains(cats(detect(t, Config{}, &record.Record{Text: c.text})), Garbage)
			if got != c.want {
				t.Errorf("garbage=%v, want %v", got, c.want)
			}
		})
	}
}

func TestLanguageMismatch(t *testing.T) {
	t.Parallel()
	zh := "人工智能生成内容的标识办法自二〇二五年九月一日起施行，要求服务提供者添加显式标识。"
	en := "The measures for labeling AI-generated content take effect on 1 September 2025 and require explicit labels."
	cases := []struct {
		name, lang, text string
		want             bool
	}{
		{"zh declared, English text", "zh", en, true},
		{"en declared, Chinese text", "en", zh, true},
		{"zh-Hant declared, Chinese text", "zh-Hant", zh, false},
		{"zh with English terms", "zh", "使用Python的pandas库读取CSV文件，然后调用DataFrame的groupby方法按用户分组统计订单数量。", false},
		{"pt-BR Portuguese", "pt-BR", "O atendimento foi ótimo, mas a comida demorou quase uma hora para chegar.", false},
		{"ru declared, English", "ru", en, true},
		{"ja Japanese", "ja", "配送が早く、梱包も丁寧でした。また利用したいです。とても満足しています。", false},
		{"undeclared", "", en, false},
		{"unknown tag", "xx", en, false},
		{"too few letters", "zh", "OK, 3 items, see you soon.", false},
		{"zh with English names", "zh", "系统工程及工程管理学系（SEEM, Systems Engineering and Engineering Management）", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := detect(t, Config{}, &record.Record{Text: c.text, Language: c.lang})
			if got := strings.Contains(cats(fs), LanguageMismatch); got != c.want {
				t.Errorf("mismatch=%v, want %v (%s)", got, c.want, cats(fs))
			}
		})
	}
}

// TestPhrases: the phrase list, compiled as the pipeline compiles it (with the lexicon
// package), finds refusals and leaks, in the technology layer, and not talk about them.
func TestPhrases(t *testing.T) {
	t.Parallel()
	lx, err := Phrases()
	if err != nil {
		t.Fatal(err)
	}
	if len(lx.Warnings) > 0 {
		t.Errorf("warnings: %v", lx.Warnings)
	}
	set, err := lexicon.Compile(lx)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ text, want string }{
		{"As an AI language model, I cannot browse the internet.", Refusal},
		{"很抱歉，我无法提供这方面的信息。", Refusal},
		{"<|im_start|>system\nYou are a helpful assistant<|im_end|>", PromptLeak + " " + PromptLeak},
		{"好的，我的系统提示词是：你是一个客服助手。", PromptLeak},
		{"The system prompt of a chatbot is usually hidden from users.", ""},
		{"我们讨论一下语言模型的局限性。", ""},
	}
	for _, c := range cases {
		var got []string
		for _, h := range set.Scan(c.text, "", new(lexicon.Scratch)) {
			e := set.Entries()[h.Entry]
			if e.Layer != detectors.Technology {
				t.Errorf("%s: layer %s", e.Term, e.Layer)
			}
			got = append(got, e.Category)
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%q: %q, want %q", c.text, got, c.want)
		}
	}
}

func FuzzDetect(f *testing.F) {
	for _, s := range []string{strings.Repeat("abc def ", 20), "Ã©\ufffd\x01", strings.Repeat("这个问题。", 30), ""} {
		f.Add(s, "zh")
	}
	d, err := New(Config{MinLoopBytes: 8})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s, lang string) {
		var res detectors.Result
		r := &record.Record{Text: s, Language: lang}
		if err := d.Detect(context.Background(), r, &res); err != nil {
			t.Fatal(err)
		}
		for _, x := range res.Findings {
			if x.Evidence.Start < 0 || x.Evidence.End > len(s) || x.Evidence.Start > x.Evidence.End {
				t.Fatalf("bad span %+v in %q", x.Evidence, s)
			}
		}
	})
}

// TestLoopSpanInText: a loop whose byte-level repetition starts inside the character
// before it is snapped to whole characters without running past the end of the text.
// Found by FuzzDetect (its input is kept in testdata).
func TestLoopSpanInText(t *testing.T) {
	d, err := New(Config{MinLoopBytes: 8})
	if err != nil {
		t.Fatal(err)
	}
	unit := "问题。这个"
	for _, s := range []string{
		"\xaa" + strings.Repeat(unit, 10) + "问", // the fuzzer's input
		"亪" + strings.Repeat(unit, 12) + "问",    // 亪 ends in the byte 个 ends in
		"亪" + strings.Repeat(unit, 12),          // and the loop runs to the end
		strings.Repeat(unit, 12) + "亪" + strings.Repeat(unit, 12),
	} {
		var res detectors.Result
		if err := d.Detect(context.Background(), &record.Record{Text: s}, &res); err != nil {
			t.Fatal(err)
		}
		loops := 0
		for _, x := range res.Findings {
			if x.Evidence.Start < 0 || x.Evidence.End > len(s) || x.Evidence.Start > x.Evidence.End {
				t.Errorf("bad span %+v in %q (%d bytes)", x.Evidence, s, len(s))
			}
			if x.Category == Loop {
				loops++
				if ev := s[x.Evidence.Start:x.Evidence.End]; !utf8.ValidString(ev) || !strings.Contains(ev, unit) {
					t.Errorf("loop evidence %q in %q", ev, s)
				}
			}
		}
		if loops != 1 {
			t.Errorf("%q: %d loop findings, want 1: %+v", s, loops, res.Findings)
		}
	}
}

// TestGarbageCountedWhileSearching: the garbage counted in the bytes the loop search
// reads (garbageByte) and by the word filter over the rest add up to what the filter
// alone counts, wherever the garbage falls: before, across and after the point where the
// search stops (a loop found, the 64 KiB bound).
func TestGarbageCountedWhileSearching(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	pieces := []string{"中文", "abc ", "\ufffd", "\x01", "\x7f", "\t", "\n", "Ã©", "â€™", "锟斤拷", "烫烫", "\u0085", "\xc2", "\xc3\x83", "，", "错误", "é"}
	cfg := Config{MinLoopBytes: 8}.withDefaults()
	checked := 0
	for n := 0; n < 3000; n++ {
		var b strings.Builder
		for k := rng.IntN(120); k > 0; k-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		if rng.IntN(3) == 0 { // a loop somewhere, so that the search stops early
			// with garbage in its unit, so that the search may stop just after some
			unit := "said " + pieces[rng.IntN(len(pieces))] + pieces[rng.IntN(len(pieces))] + " again"
			b.WriteString(strings.Repeat(unit, 4+rng.IntN(12)))
			for k := rng.IntN(20); k > 0; k-- {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
		}
		text := b.String()
		if n == 0 {
			text = strings.Repeat("é\x01中", maxLoopScan/5) // past the bound
		}
		got := scan(text, &cfg)
		var want stats
		want.garbageScan(text, 0)
		if got.replacement != want.replacement || got.control != want.control || got.mojibake != want.mojibake {
			t.Fatalf("%q: counted %d/%d/%d while searching, %d/%d/%d by the filter alone",
				text, got.replacement, got.control, got.mojibake, want.replacement, want.control, want.mojibake)
		}
		if len(text) > window+cfg.MinLoopBytes {
			checked++
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d texts long enough to be searched", checked)
	}
}

// TestLoopSearchLinear: the loop search extends a stretch once, not from every window
// inside it. Texts that repeat without being a reported loop (one character over and
// over, laughter, a short phrase) are judged and skipped whole; without the skip each of
// their windows would extend the stretch again, quadratic in its length (seconds for
// 64 KiB). Counted, not timed: extend's calls must not grow with the text.
func TestLoopSearchLinear(t *testing.T) {
	cfg := Config{}.withDefaults()
	for _, unit := range []string{"好", "a", "哈哈", "ha", "😂"} {
		for _, n := range []int{4 << 10, maxLoopScan} {
			text := strings.Repeat(unit, n/len(unit))
			st := scan(text, &cfg)
			if st.loop.found {
				t.Fatalf("%d bytes of %q: reported as a loop; this test needs a repetition that is not one", len(text), unit)
			}
			if st.extends > 4 {
				t.Errorf("%d bytes of %q: %d stretches extended, want at most 4 (a stretch judged is skipped whole)", len(text), unit, st.extends)
			}
		}
	}
	// A text of many separate runs: one extension each, at most.
	var b strings.Builder
	for i := 0; b.Len() < maxLoopScan-200; i++ {
		fmt.Fprintf(&b, "第%d段。%s", i, strings.Repeat("啊", 40))
	}
	text := b.String()
	st := scan(text, &cfg)
	if runs := strings.Count(text, "段。"); st.extends > 2*runs {
		t.Errorf("%d runs of 啊: %d stretches extended, want at most two a run", runs, st.extends)
	}
}
