package fingerprint

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// chainOf is the reference: the entries of key k in the order MatchTextKey reports them
// (most recently added first).
func chainOf(entries []uint64, k uint64) []int {
	var out []int
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i] == k {
			out = append(out, i)
		}
	}
	return out
}

func tableChain(t keyTable, next []uint32, k uint64) []int {
	var out []int
	i, n := t.find(k)
	for ; n > 0; n-- {
		out = append(out, int(i-1))
		if n > 1 {
			i = next[i-1]
		}
	}
	return out
}

func buildKeys(entries []uint64) (keyTable, []uint32) {
	heads := map[uint64]uint32{}
	var next []uint32
	for _, k := range entries {
		next = append(next, heads[k])
		heads[k] = uint32(len(next))
	}
	return newKeyTable(heads, next), next
}

func TestKeyTableEqualsChains(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 9))
	cases := map[string][]uint64{
		"empty":      nil,
		"one":        {42},
		"zero key":   {0, 0, 1},
		"sequential": nil, // consecutive keys: the worst case without scrambling
		"random":     nil,
		"duplicates": nil,
	}
	for i := 0; i < 5000; i++ {
		cases["sequential"] = append(cases["sequential"], uint64(i))
		cases["random"] = append(cases["random"], r.Uint64())
		cases["duplicates"] = append(cases["duplicates"], uint64(r.IntN(700))<<32)
	}
	for name, entries := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(uint64(len(entries)), 1))
			tab, next := buildKeys(entries)
			if len(tab.slots) > 0 && len(tab.slots) < 2*len(slices.Compact(slices.Sorted(slices.Values(entries)))) {
				t.Errorf("table of %d slots for %d keys: load over 0.5", len(tab.slots), len(entries))
			}
			queries := append(slices.Clone(entries), 1, 2, 3, 1<<63, ^uint64(0))
			for i := 0; i < 1000; i++ {
				queries = append(queries, r.Uint64(), uint64(r.IntN(10000)), uint64(r.IntN(800))<<32)
			}
			hits := 0
			for _, q := range queries {
				got, want := tableChain(tab, next, q), chainOf(entries, q)
				if !slices.Equal(got, want) {
					t.Fatalf("key %#x: table %v, reference %v", q, got, want)
				}
				hits += len(got)
			}
			if len(entries) > 0 && hits == 0 {
				t.Fatal("no query hit: the comparison is vacuous")
			}
		})
	}
}

func FuzzKeyTable(f *testing.F) {
	f.Add([]byte{1, 2, 3, 1, 0, 0}, uint64(1))
	f.Fuzz(func(t *testing.T, data []byte, q uint64) {
		var entries []uint64
		for i := 0; i+1 < len(data); i += 2 {
			entries = append(entries, uint64(data[i])<<uint(data[i+1]%64))
		}
		tab, next := buildKeys(entries)
		for _, k := range append(entries, q) {
			if got, want := tableChain(tab, next, k), chainOf(entries, k); !slices.Equal(got, want) {
				t.Fatalf("key %#x: table %v, reference %v", k, got, want)
			}
		}
	})
}

// TestExactDuplicates: a key added to several banks is reported once per entry, most
// recent first, through the public API.
func TestExactDuplicates(t *testing.T) {
	b, err := NewBuilder(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for i, bk := range []string{"known_illegal", "allow", "known_deepfake"} {
		if err := b.Add(Entry{Kind: KindText, Key: 7, Bank: bk, Label: fmt.Sprint("t", i)}); err != nil {
			t.Fatal(err)
		}
		if err := b.Add(Entry{Kind: KindSHA256, Key: 7, Bank: bk, Label: fmt.Sprint("m", i)}); err != nil {
			t.Fatal(err)
		}
	}
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	s.MatchTextKey(7, func(m Match) bool { got = append(got, m.Bank+"/"+m.Label); return true })
	s.MatchMediaKey(7, func(m Match) bool { got = append(got, m.Bank+"/"+m.Label); return true })
	s.MatchMediaKey(8, func(m Match) bool { got = append(got, "miss:"+m.Label); return true })
	want := []string{"known_deepfake/t2", "allow/t1", "known_illegal/t0", "known_deepfake/m2", "allow/m1", "known_illegal/m0"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	n := 0
	s.MatchTextKey(7, func(Match) bool { n++; return false })
	if n != 1 {
		t.Errorf("fn called %d times after returning false", n)
	}
}
