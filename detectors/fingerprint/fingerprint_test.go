package fingerprint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/fingerprint/pdq"
	"github.com/aigcwatch/aigcwatch/record"
)

var _ detectors.Detector = (*Detector)(nil)

func flip(h pdq.Hash, n int, r *rand.Rand) pdq.Hash {
	for _, k := range r.Perm(256)[:n] {
		h[k>>6] ^= 1 << (uint(k) & 63)
	}
	return h
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func intp(i int) *int { return &i }

func TestParseErrors(t *testing.T) {
	good := strings.Repeat("ab", 32)
	cases := []struct {
		name, line, want string
	}{
		{"short hash", "pdq:abc\tknown_deepfake\tx\t\t", "want 64 hex digits"},
		{"bad hex", "pdq:" + strings.Repeat("zz", 32) + "\tknown_deepfake\tx\t\t", "invalid hex digit"},
		{"unknown bank", good + "\tnope\tx\t\t", `unknown bank "nope"`},
		{"too few fields", good + "\tknown_deepfake\tx", "got 3"},
		{"too many fields", good + "\tknown_deepfake\tx\tc\ts\textra", "got 6"},
		{"empty label", good + "\tknown_deepfake\t\tc\ts", "empty label"},
		{"unknown kind", "md5:" + good + "\tknown_deepfake\tx\t\t", `unknown hash kind "md5"`},
		{"bad sha256", "sha256:12\tknown_illegal\tx\t\t", "sha256: want 64"},
		{"bad text key", "text:xyz\tknown_illegal\tx\t\t", "text: want 16"},
		{"invalid utf8", good + "\tknown_deepfake\t\xff\t\t", "not valid UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			content := "# comment\n\n" + good + "\tknown_deepfake\tok\tc\ts\n" + c.line + "\n"
			p := writeFile(t, "bank.tsv", content)
			s, err := LoadFiles(DefaultConfig(), p)
			if s != nil || err == nil {
				t.Fatal("malformed bank loaded")
			}
			want := fmt.Sprintf("%s:4: ", p)
			if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want %q and %q", err, want, c.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line != 4 {
				t.Errorf("not a *ParseError at line 4: %#v", err)
			}
		})
	}
}

func TestReloadKeepsOldOnError(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	h := pdq.Hash{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
	dir := t.TempDir()
	p := filepath.Join(dir, "b.tsv")
	os.WriteFile(p, []byte(h.String()+"\tknown_deepfake\tfirst\t\t\n"), 0o644)
	m := NewMatcher(nil)
	cfg := DefaultConfig()
	if changed, err := m.Reload(cfg, p); err != nil || !changed {
		t.Fatalf("first load: %v %v", changed, err)
	}
	old := m.Set()
	if changed, err := m.Reload(cfg, p); err != nil || changed || m.Set() != old {
		t.Fatalf("unchanged reload: changed=%v err=%v", changed, err)
	}
	os.WriteFile(p, []byte(h.String()+"\tknown_deepfake\tsecond\t\t\nbroken line\n"), 0o644)
	if _, err := m.Reload(cfg, p); err == nil || !strings.Contains(err.Error(), p+":2:") {
		t.Fatalf("broken reload error %v", err)
	}
	if m.Set() != old {
		t.Fatal("set swapped despite the error")
	}
	var labels []string
	m.Set().MatchPDQ(h, func(mt Match) bool { labels = append(labels, mt.Label); return true })
	if !slices.Equal(labels, []string{"first"}) {
		t.Errorf("labels %v", labels)
	}
	os.WriteFile(p, []byte(h.String()+"\tknown_deepfake\tsecond\t\t\n"), 0o644)
	if changed, err := m.Reload(cfg, p); err != nil || !changed || m.Set() == old {
		t.Fatalf("fixed reload: %v %v", changed, err)
	}
}

// bankFile writes a bank with PDQ, text, sha256 and simhash entries and returns a
// Matcher over it and the hashes used.
func testMatcher(t *testing.T, cfg Config, lines ...string) *Matcher {
	t.Helper()
	p := writeFile(t, "bank.tsv", strings.Join(lines, "\n")+"\n")
	s, err := LoadFiles(cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	return NewMatcher(s)
}

func detect(t *testing.T, d *Detector, r *record.Record) *detectors.Result {
	t.Helper()
	var res detectors.Result
	if err := d.Detect(context.Background(), r, &res); err != nil {
		t.Fatal(err)
	}
	return &res
}

func TestDetector(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	deep := pdq.Hash{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
	orig := pdq.Hash{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
	benign := pdq.Hash{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
	sha := strings.Repeat("0123456789abcdef", 4)
	text := "这是一段已知的违法宣传文本，内容很长，用于测试精确匹配和近似重复。它会被重新发布，换几个字、改几个标点，然后再次出现在平台上，我们希望仍然能够识别出来。"
	sh, _ := SimHash(AppendNormalized(nil, text))
	cfg := DefaultConfig()
	cfg.Banks[2].PDQThreshold = intp(10) // protected_original: tighter
	m := testMatcher(t, cfg,
		"pdq:"+deep.String()+"\tknown_deepfake\tdf-1\tncii\tstopncii",
		orig.String()+"\tprotected_original\torig-1\tpress\tagency",
		fmt.Sprintf("sha256:%s\tknown_illegal\tsha-1\tcsam\tncmec", sha),
		fmt.Sprintf("text:%016x\tknown_illegal\ttext-1\tterror\tgifct", TextKey(text)),
		fmt.Sprintf("simhash:%016x\tknown_deepfake\tsim-1\t\t", sh),
		benign.String()+"\tallow\tallow-1\t\t",
		flip(benign, 5, r).String()+"\tknown_illegal\tcollides-with-allow\t\t",
	)
	d := NewDetector(m)
	if d.Name() != "fingerprint" {
		t.Fatal(d.Name())
	}
	type want struct {
		category, bank, entry, field string
		maxDist                      int
	}
	cases := []struct {
		name     string
		rec      record.Record
		findings []want
		problems []string
	}{
		{"pdq near deepfake", record.Record{Media: &record.Media{PDQ: flip(deep, 20, r).String(), PDQQuality: intp(90)}},
			[]want{{"hash.known_deepfake", "known_deepfake", "df-1", "media.pdq", 20}}, nil},
		{"pdq too far", record.Record{Media: &record.Media{PDQ: flip(deep, 32, r).String()}}, nil, nil},
		{"per-bank threshold", record.Record{Media: &record.Media{PDQ: flip(orig, 12, r).String()}}, nil, nil},
		{"protected original within 10", record.Record{Media: &record.Media{PDQ: strings.ToUpper(flip(orig, 9, r).String())}},
			[]want{{"hash.protected_original", "protected_original", "orig-1", "media.pdq", 9}}, nil},
		{"malformed pdq", record.Record{Media: &record.Media{PDQ: "nothex"}}, nil, []string{"bad_pdq"}},
		{"low quality", record.Record{Media: &record.Media{PDQ: deep.String(), PDQQuality: intp(49)}}, nil, []string{"low_quality_pdq"}},
		{"sha256", record.Record{Media: &record.Media{SHA256: strings.ToUpper(sha)}},
			[]want{{"hash.known_illegal", "known_illegal", "sha-1", "media.sha256", 0}}, nil},
		{"bad sha256", record.Record{Media: &record.Media{SHA256: "xyz"}}, nil, []string{"bad_sha256"}},
		{"exact text, normalised", record.Record{Text: " 这是一段已知的违法宣传文本 内容很长，用于测试精确匹配和近似重复! 它会被重新发布，换几个字、改几个标点，然后再次出现在平台上，我们希望仍然能够识别出来"},
			[]want{{"hash.known_illegal", "known_illegal", "text-1", "text", 0}, {"hash.known_deepfake", "known_deepfake", "sim-1", "text", 0}}, nil},
		{"near-duplicate text", record.Record{Text: "这是一段已知的违法宣传文本，内容很长，用于测试精确匹配和近似重复。它会被重新发布，换几个字、改几个标点，然后再次出现在平台上，我们希望仍能识别出来。"},
			[]want{{"hash.known_deepfake", "known_deepfake", "sim-1", "text", DefaultSimHashThreshold}}, nil},
		{"unrelated text", record.Record{Text: "今天天气很好，我们去公园散步吧，顺便买点水果回家。"}, nil, nil},
		{"allow suppresses", record.Record{Media: &record.Media{PDQ: benign.String()}},
			[]want{{"hash.allow", "allow", "allow-1", "media.pdq", 0}}, nil},
		{"undecodable data", record.Record{Media: &record.Media{Data: []byte("GIF89a....")}}, nil, []string{"unsupported_image"}},
		{"no media", record.Record{}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := detect(t, d, &c.rec)
			if len(res.Findings) != len(c.findings) {
				t.Fatalf("findings %+v, want %d", res.Findings, len(c.findings))
			}
			for i, w := range c.findings {
				f := res.Findings[i]
				e := f.Evidence
				if f.Detector != "fingerprint" || f.Category != w.category || e.Bank != w.bank || e.Entry != w.entry || e.Field != w.field || e.Distance > w.maxDist {
					t.Errorf("finding %d: %+v, want %+v", i, f, w)
				}
			}
			var reasons []string
			for _, p := range res.Problems {
				reasons = append(reasons, p.Reason)
				if p.Detector != "fingerprint" || p.Field == "" {
					t.Errorf("problem %+v", p)
				}
			}
			if !slices.Equal(reasons, c.problems) {
				t.Errorf("problems %v, want %v", reasons, c.problems)
			}
		})
	}
	// Severity follows the bank meaning.
	res := detect(t, d, &record.Record{Media: &record.Media{SHA256: sha}})
	if res.Findings[0].Severity != detectors.Critical {
		t.Errorf("known_illegal severity %v", res.Findings[0].Severity)
	}
}

func testImage(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(8, 8))
	blocks := make([]uint8, 64*64)
	for i := range blocks {
		blocks[i] = uint8(r.IntN(256))
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			// random 16-pixel blocks: broad-spectrum content like a photo's, so the DCT
			// signs are not noise around zero
			v := blocks[(y/16)*64+x/16]
			img.SetNRGBA(x, y, color.NRGBA{v, v / 2, 255 - v, 255})
		}
	}
	return img
}

// TestDetectorImageBytes: a rotated copy of a banked image is found through the
// dihedral variants of media.data.
func TestDetectorImageBytes(t *testing.T) {
	// Small images rotate less cleanly (the filter and the 64x64 sampling are not
	// symmetric to the pixel), so this uses a photo-sized one.
	img := testImage(1024, 768)
	h, q := pdq.HashImage(img, 1)
	if q < 50 {
		t.Fatalf("test image quality %d", q)
	}
	rot := image.NewNRGBA(image.Rect(0, 0, 768, 1024))
	for y := 0; y < 768; y++ {
		for x := 0; x < 1024; x++ {
			rot.SetNRGBA(768-1-y, x, img.NRGBAAt(x, y)) // 90° clockwise
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, rot)
	m := testMatcher(t, DefaultConfig(), h.String()+"\tknown_deepfake\tdf-img\t\t")
	res := detect(t, NewDetector(m), &record.Record{Media: &record.Media{Data: buf.Bytes()}})
	if len(res.Findings) != 1 || res.Findings[0].Evidence.Entry != "df-img" || !strings.HasPrefix(res.Findings[0].Evidence.Detail, "pdq rotate") {
		t.Fatalf("findings %+v problems %+v", res.Findings, res.Problems)
	}
	rh, _ := pdq.HashImage(rot, 1)
	if rh.Distance(h) <= 31 {
		t.Fatal("rotation alone is within the threshold: the test proves nothing")
	}
}

func TestLiveAdditions(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	a := pdq.Hash{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
	b := pdq.Hash{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
	p := writeFile(t, "bank.tsv", a.String()+"\tknown_deepfake\ta\t\t\n")
	m := NewMatcher(nil)
	if _, err := m.Reload(DefaultConfig(), p); err != nil {
		t.Fatal(err)
	}
	count := func(h pdq.Hash) (n int) {
		m.Set().MatchPDQ(h, func(Match) bool { n++; return true })
		return n
	}
	if count(b) != 0 {
		t.Fatal("b matched before addition")
	}
	if err := m.Add(Entry{Kind: KindPDQ, PDQ: b, Bank: "nope", Label: "b"}); err == nil {
		t.Fatal("unknown bank accepted")
	}
	if err := m.Add(Entry{Kind: KindPDQ, PDQ: b, Bank: "known_illegal", Label: "b"}); err != nil {
		t.Fatal(err)
	}
	if count(b) != 1 || count(a) != 1 {
		t.Fatalf("after add: a %d b %d", count(a), count(b))
	}
	os.WriteFile(p, []byte(a.String()+"\tknown_deepfake\ta2\t\t\n"), 0o644)
	if _, err := m.Reload(DefaultConfig(), p); err != nil {
		t.Fatal(err)
	}
	if count(b) != 1 {
		t.Fatal("live addition lost on reload")
	}
}

func TestSimIndexEqualsBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	keys := make([]uint64, 5000)
	for i := range keys {
		if i%2 == 0 || i == 0 {
			keys[i] = r.Uint64()
		} else {
			keys[i] = keys[i-1] ^ (1 << r.IntN(64)) ^ (1 << r.IntN(64))
		}
	}
	ix := newSimIndex(keys)
	for i := 0; i < 500; i++ {
		q := keys[r.IntN(len(keys))] ^ (1 << r.IntN(64)) ^ (1 << r.IntN(64)) ^ (1 << r.IntN(64))
		for _, d := range []int{0, 1, 3, 5, 8, 12} {
			var got, want []int
			ix.search(q, d, func(id, _ int) { got = append(got, id) })
			for id, k := range keys {
				if SimDistance(k, q) <= d {
					want = append(want, id)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("q %x d %d: index %v brute %v", q, d, got, want)
			}
		}
	}
}

func TestNormalize(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Hello, World!", "helloworld"},
		{"ＡＢＣ　１２３", "abc123"},
		{"违\u200b法，内容。", "违法内容"},
		{"a\tb\nc", "abc"},
		{"\xffok", "ok"},
	}
	for _, c := range cases {
		if got := string(AppendNormalized(nil, c.in)); got != c.want {
			t.Errorf("%q: got %q want %q", c.in, got, c.want)
		}
	}
	if TextKey("Hello, World") != TextKey("hello world!") || TextKey("a") == TextKey("b") {
		t.Error("TextKey normalisation")
	}
}

// TestGoldenKeys pins the exact-match keys: bank files store them.
func TestGoldenKeys(t *testing.T) {
	if got := TextKey("Hello, World!"); got != 0x80111601aa1c6a4f {
		t.Errorf("TextKey = %#x", got)
	}
	mk, _ := MediaKey(strings.Repeat("00", 32))
	if mk != 0xf6e9be5d70632cf5 {
		t.Errorf("MediaKey = %#x", mk)
	}
	sh, n := SimHash(AppendNormalized(nil, "近似重复文本的指纹"))
	if sh != 0x1b742261c54a8148 || n != 8 {
		t.Errorf("SimHash = %#x, %d shingles", sh, n)
	}
}

func FuzzReadFrom(f *testing.F) {
	f.Add(strings.Repeat("ab", 32) + "\tknown_deepfake\tx\tc\ts\n")
	f.Add("text:0123456789abcdef\tallow\tx\t\t\nsha256:" + strings.Repeat("00", 32) + "\tknown_illegal\ty\t\t")
	f.Add("simhash:ffffffffffffffff\tknown_deepfake\tz\t\t\n#c\n\n")
	sig := MinHashOf("近似重复文本的指纹")
	f.Add(sig.String() + "\tlabeled_ai\tm\t\t\n")
	f.Fuzz(func(t *testing.T, data string) {
		b, _ := NewBuilder(DefaultConfig())
		if err := b.ReadFrom("fuzz.tsv", strings.NewReader(data)); err != nil {
			return
		}
		s, err := b.Build()
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.tsv:") {
				t.Fatalf("error without location: %v", err)
			}
			return
		}
		st := s.Stats()
		_ = st
	})
}
