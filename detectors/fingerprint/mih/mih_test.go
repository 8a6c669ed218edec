package mih

import (
	"bufio"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aigcwatch/aigcwatch/internal/shareddata"

	"github.com/aigcwatch/aigcwatch/detectors/fingerprint/pdq"
)

func randHash(r *rand.Rand) pdq.Hash {
	return pdq.Hash{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
}

// flip returns h with n distinct random bits flipped.
func flip(r *rand.Rand, h pdq.Hash, n int) pdq.Hash {
	for _, k := range r.Perm(256)[:n] {
		h[k>>6] ^= 1 << (uint(k) & 63)
	}
	return h
}

// clustered returns n hashes in clusters of size c around random centres, each member
// within spread bits of its centre: the shape of real banks (re-encodes of one image).
func clustered(r *rand.Rand, n, c, spread int) []pdq.Hash {
	out := make([]pdq.Hash, 0, n)
	for len(out) < n {
		centre := randHash(r)
		for i := 0; i < c && len(out) < n; i++ {
			out = append(out, flip(r, centre, r.IntN(spread+1)))
		}
	}
	return out
}

func sorted(m []Match) []Match {
	slices.SortFunc(m, func(a, b Match) int { return a.ID - b.ID })
	return m
}

// checkEqual compares the index with brute force, with each filter kernel this CPU has.
func checkEqual(t *testing.T, ix *Index, hashes []pdq.Hash, q pdq.Hash, d int) int {
	t.Helper()
	want := BruteForce(hashes, q, d, nil)
	defer func(k kernelID) { ix.kernel = k }(ix.kernel)
	for _, k := range kernels {
		ix.kernel = k.id
		got := sorted(ix.Find(q, d, nil))
		if !slices.Equal(got, want) {
			t.Fatalf("query %s at %d, %s kernel: index %v, brute force %v", q, d, k.name, got, want)
		}
	}
	return len(want)
}

func TestIndexEqualsBruteForce(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 11))
	banks := map[string][]pdq.Hash{
		"random":    make([]pdq.Hash, 3000),
		"clustered": clustered(r, 3000, 30, 40),
		"tight":     clustered(r, 2000, 200, 8),
		"empty":     nil,
	}
	for i := range banks["random"] {
		banks["random"][i] = randHash(r)
	}
	for name, hashes := range banks {
		t.Run(name, func(t *testing.T) {
			ix := New(hashes)
			found := 0
			for i := 0; i < 300; i++ {
				var q pdq.Hash
				if len(hashes) > 0 && i%3 != 0 {
					q = flip(r, hashes[r.IntN(len(hashes))], r.IntN(48))
				} else {
					q = randHash(r)
				}
				for _, d := range []int{0, 1, 7, 15, 16, 31, 32, 45, r.IntN(80)} {
					found += checkEqual(t, ix, hashes, q, d)
				}
			}
			if len(hashes) > 0 && found == 0 {
				t.Fatal("no query found anything: the comparison is vacuous")
			}
		})
	}
}

// TestLargeDistances: the scheme stays exact when the radius needs more than one bit per
// slot, up to the whole hash.
func TestLargeDistances(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	hashes := clustered(r, 500, 10, 100)
	ix := New(hashes)
	for _, d := range []int{63, 100, 128, 200, 256, 300} {
		q := flip(r, hashes[r.IntN(len(hashes))], 60)
		checkEqual(t, ix, hashes, q, min(d, 256))
	}
}

func readHashes(t *testing.T, path string) []pdq.Hash {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []pdq.Hash
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		h, err := pdq.ParseHex(sc.Text())
		if err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		out = append(out, h)
	}
	return out
}

func sharedData(t testing.TB, rel string) string { return shareddata.Path(t, rel) }

// TestNeedlesHaystack is ThreatExchange's MIH regression input.
func TestNeedlesHaystack(t *testing.T) {
	dir := sharedData(t, "pdq/reg-test-input")
	needles := readHashes(t, filepath.Join(dir, "needles.txt"))
	haystack := readHashes(t, filepath.Join(dir, "haystack.txt"))
	ix := New(haystack)
	total := 0
	for _, d := range []int{0, 10, 20, 31, 40} {
		for _, q := range needles {
			total += checkEqual(t, ix, haystack, q, d)
		}
	}
	if total == 0 {
		t.Fatal("no needle matched anything")
	}
	t.Logf("%d matches over %d needles x 5 distances", total, len(needles))
}

func TestSearchStops(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	c := randHash(r)
	hashes := []pdq.Hash{c, c, c, flip(r, c, 3)}
	ix := New(hashes)
	n := 0
	ix.Search(c, 31, func(id, d int) bool { n++; return n < 2 })
	if n != 2 {
		t.Errorf("fn called %d times after returning false at 2", n)
	}
}

func FuzzIndex(f *testing.F) {
	f.Add(uint64(1), uint8(31), uint8(10))
	f.Add(uint64(2), uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, seed uint64, d uint8, spread uint8) {
		r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		hashes := clustered(r, 200, 20, int(spread%128))
		ix := New(hashes)
		for i := 0; i < 20; i++ {
			q := flip(r, hashes[r.IntN(len(hashes))], r.IntN(64))
			checkEqual(t, ix, hashes, q, int(d))
		}
	})
}
