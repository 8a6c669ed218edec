package fingerprint

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/aigcwatch/aigcwatch/record"
	"github.com/cespare/xxhash/v2"
)

// TestGoldenMinHash pins the signature function: stored minhash: entries depend on it.
func TestGoldenMinHash(t *testing.T) {
	sig, n := MinHash(AppendNormalized(nil, "近似重复文本的指纹，MinHash 版本"))
	if n != 17 {
		t.Errorf("%d shingles, want 17", n)
	}
	got := sig.String()
	if sum := xxhash.Sum64String(got); sum != goldenMinHashSum || sig[0] != goldenMinHash0 || sig[127] != goldenMinHash127 {
		t.Errorf("signature changed: sum %#x sig[0] %#x sig[127] %#x\n%s", sum, sig[0], sig[127], got)
	}
	if empty, n := MinHash(nil); n != 0 || empty != (MinHashSig{}) {
		t.Error("empty text")
	}
}

const (
	goldenMinHashSum = 0xbff67a1d1fdd058d
	goldenMinHash0   = 0xcde4
	goldenMinHash127 = 0xe2ce
)

// TestMinHashEstimate: the share of equal values tracks the true Jaccard similarity of
// the shingle sets (within 4 standard errors).
func TestMinHashEstimate(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	alphabet := []rune("的一是不了人我在有他这中大来上个国到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明")
	for _, target := range []float64{0.3, 0.5, 0.7, 0.9} {
		// Two texts of distinct bigrams built from a shared prefix and private parts.
		var shared, a, b []rune
		for len(shared) < 400 {
			shared = append(shared, alphabet[r.IntN(len(alphabet))])
		}
		norm := func(rs []rune) []byte { return AppendNormalized(nil, string(rs)) }
		a = append(slices.Clone(shared), []rune("甲")...)
		extra := int(float64(len(shared)) * (1 - target) / target)
		b = slices.Clone(shared)
		for range extra {
			b = append(b, alphabet[r.IntN(len(alphabet))])
		}
		sa, _ := MinHash(norm(a))
		sb, _ := MinHash(norm(b))
		exact := jaccardBigrams(string(a), string(b))
		est := float64(sa.Equal(&sb)) / MinHashPerms
		se := 4 * sqrt(exact*(1-exact)/MinHashPerms)
		if d := est - exact; d > se+0.02 || -d > se+0.02 {
			t.Errorf("target %.1f: exact %.3f, estimate %.3f", target, exact, est)
		}
	}
}

func sqrt(x float64) float64 {
	z := x
	for range 30 {
		if z == 0 {
			return 0
		}
		z = (z + x/z) / 2
	}
	return z
}

func jaccardBigrams(a, b string) float64 {
	set := func(s string) map[string]bool {
		n := string(AppendNormalized(nil, s))
		idx := []int{}
		for i := range n {
			idx = append(idx, i)
		}
		idx = append(idx, len(n))
		m := map[string]bool{}
		for k := 0; k+2 < len(idx); k++ {
			m[n[idx[k]:idx[k+2]]] = true
		}
		return m
	}
	x, y := set(a), set(b)
	in := 0
	for k := range x {
		if y[k] {
			in++
		}
	}
	return float64(in) / float64(len(x)+len(y)-in)
}

// TestLSHIndexEqualsBruteForce: on clustered signatures, the index returns exactly the
// entries that share a band and reach the threshold, for several thresholds, in a Set
// and in live additions (tail and folded overlay).
func TestLSHIndexEqualsBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	var sigs []MinHashSig
	for len(sigs) < 3000 {
		var c MinHashSig
		for i := range c {
			c[i] = uint16(r.Uint32())
		}
		for range 1 + r.IntN(20) {
			m := c
			for range r.IntN(100) {
				m[r.IntN(MinHashPerms)] = uint16(r.Uint32())
			}
			sigs = append(sigs, m)
		}
	}
	for _, th := range []float64{0.3, 0.7, 0.95} {
		cfg := Config{Banks: []BankConfig{{Name: "b", Meaning: KnownDeepfake, MinHashThreshold: &th}}}
		b, _ := NewBuilder(cfg)
		for i := range sigs {
			if err := b.Add(Entry{Kind: KindMinHash, MinHash: &sigs[i], Bank: "b", Label: "x" + strings.Repeat("y", i%3)}); err != nil {
				t.Fatal(err)
			}
		}
		set, err := b.Build()
		if err != nil {
			t.Fatal(err)
		}
		live := NewMatcher(nil)
		if _, err := live.Reload(cfg); err != nil {
			t.Fatal(err)
		}
		for i := range sigs[:2500] { // past one fold, with a tail left
			if err := live.Add(Entry{Kind: KindMinHash, MinHash: &sigs[i], Bank: "b", Label: "l"}); err != nil {
				t.Fatal(err)
			}
		}
		need := minHashEqualMin(th)
		for q := 0; q < 300; q++ {
			query := sigs[r.IntN(len(sigs))]
			for range r.IntN(60) {
				query[r.IntN(MinHashPerms)] = uint16(r.Uint32())
			}
			var want, wantLive []int
			for i := range sigs {
				if eq := query.Equal(&sigs[i]); eq >= need && sharesBand(&query, &sigs[i]) {
					want = append(want, MinHashPerms-eq)
					if i < 2500 {
						wantLive = append(wantLive, MinHashPerms-eq)
					}
				}
			}
			var got, gotLive []int
			set.MatchMinHash(&query, func(m Match) bool { got = append(got, m.Distance); return true })
			live.Set().MatchMinHash(&query, func(m Match) bool { gotLive = append(gotLive, m.Distance); return true })
			slices.Sort(want)
			slices.Sort(got)
			slices.Sort(wantLive)
			slices.Sort(gotLive)
			if !slices.Equal(got, want) || !slices.Equal(gotLive, wantLive) {
				t.Fatalf("threshold %.2f: index %v, brute force %v; live %v, brute force %v", th, got, want, gotLive, wantLive)
			}
		}
	}
}

// TestMinHashBankAndDetector: a minhash: bank line round-trips, and a record whose text
// is a light edit of the banked text is found by MinHash (not by the exact key).
func TestMinHashBankAndDetector(t *testing.T) {
	orig := "网传某地发生重大事故造成数百人伤亡，官方已经辟谣称该视频系多年前旧视频被恶意剪辑传播，请勿转发。"
	edited := "网传某地发生重大事故造成数百人伤亡，官方已辟谣称该视频系多年前的旧视频被恶意剪辑传播，请勿转发！"
	sig := MinHashOf(orig)
	line := sig.String() + "\tknown_illegal\trumour-7\trumour\tcac"
	e, err := ParseEntry([]byte(line))
	if err != nil || e.Kind != KindMinHash || *e.MinHash != sig {
		t.Fatalf("round trip: %v %+v", err, e)
	}
	if _, err := ParseEntry([]byte("minhash:" + strings.Repeat("0", 511) + "\tknown_illegal\tx\t\t")); err == nil || !strings.Contains(err.Error(), "512 hex digits") {
		t.Errorf("short signature: %v", err)
	}
	m := testMatcher(t, DefaultConfig(), line)
	if st := m.Set().Stats(); st.MinHash != 1 {
		t.Fatalf("stats %+v", st)
	}
	res := detect(t, NewDetector(m), &record.Record{ID: "r", Text: edited})
	if len(res.Findings) != 1 || res.Findings[0].Evidence.Entry != "rumour-7" || !strings.HasPrefix(res.Findings[0].Evidence.Detail, "minhash") || res.Findings[0].Category != "hash.known_illegal" {
		t.Fatalf("findings %+v", res.Findings)
	}
	if d := res.Findings[0].Evidence.Distance; d <= 0 || d > MinHashPerms-minHashEqualMin(DefaultMinHashThreshold) {
		t.Errorf("distance %d", d)
	}
	res = detect(t, NewDetector(m), &record.Record{ID: "r", Text: "今天天气晴朗，适合出门散步，公园里的花都开了，孩子们在草地上放风筝。"})
	if len(res.Findings) != 0 {
		t.Errorf("unrelated text matched: %+v", res.Findings)
	}
}

// FuzzMinHash: any input hashes without panic, deterministically, and a text is equal to
// itself in every value.
func FuzzMinHash(f *testing.F) {
	f.Add("近似重复文本")
	f.Add("a")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, s string) {
		norm := AppendNormalized(nil, s)
		a, n := MinHash(norm)
		b, m := MinHash(norm)
		if a != b || n != m || (len(norm) > 0) != (n > 0) || (n > 0 && a.Equal(&b) != MinHashPerms) {
			t.Fatalf("not deterministic or bad count: %d %d", n, m)
		}
		p, err := ParseMinHash(a.String()[len("minhash:"):])
		if err != nil || *p != a {
			t.Fatal("hex round trip", err)
		}
	})
}
