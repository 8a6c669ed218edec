package fingerprint

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors/fingerprint/pdq"
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

// tableChain returns what the table reports for key k, one "group/label" per entry.
func tableChain(t keyTable, st *store, next []uint32, k uint64) []string {
	e := t.find(k)
	if e == nil {
		return nil
	}
	if e.form != keyChain {
		return []string{fmt.Sprint(e.group, "/", st.labelAt(e.ref, uint32(e.form)))}
	}
	var out []string
	for i := e.ref; i != 0; i = next[i-1] {
		out = append(out, fmt.Sprint(st.group[i-1], "/", st.label(int(i-1))))
	}
	return out
}

// refChain is the reference for tableChain, from the entries' own group and label.
func refChain(entries []uint64, k uint64) []string {
	var out []string
	for _, i := range chainOf(entries, k) {
		out = append(out, fmt.Sprint(testGroup(i), "/", testLabel(i)))
	}
	return out
}

// testGroup and testLabel give entry i of a test table its metadata; every 97th label
// is 64 KiB or longer, which a slot cannot hold.
func testGroup(i int) uint16 { return uint16(i*7919) % 3001 }

func testLabel(i int) string {
	if i%97 == 50 {
		return strings.Repeat("x", 1<<16+i%3-1)
	}
	return fmt.Sprint("L", i)
}

func buildKeys(entries []uint64) (keyTable, *store, []uint32) {
	heads := map[uint64]uint32{}
	var next []uint32
	st := &store{}
	for i, k := range entries {
		next = append(next, heads[k])
		heads[k] = uint32(len(next))
		st.group = append(st.group, testGroup(i))
		st.labels = append(st.labels, testLabel(i)...)
		st.labelEnd = append(st.labelEnd, uint32(len(st.labels)))
	}
	return newKeyTable(heads, next, st), st, next
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
			tab, st, next := buildKeys(entries)
			if len(tab.slots) > 0 && len(tab.slots) < 2*len(slices.Compact(slices.Sorted(slices.Values(entries)))) {
				t.Errorf("table of %d slots for %d keys: load over 0.5", len(tab.slots), len(entries))
			}
			queries := append(slices.Clone(entries), 1, 2, 3, 1<<63, ^uint64(0))
			for i := 0; i < 1000; i++ {
				queries = append(queries, r.Uint64(), uint64(r.IntN(10000)), uint64(r.IntN(800))<<32)
			}
			hits := 0
			for _, q := range queries {
				got, want := tableChain(tab, st, next, q), refChain(entries, q)
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
		tab, st, next := buildKeys(entries)
		for _, k := range append(entries, q) {
			if got, want := tableChain(tab, st, next, k), refChain(entries, k); !slices.Equal(got, want) {
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

// FuzzPDQField holds the bank reader's fast PDQ field parser equal to ParseHash.
func FuzzPDQField(f *testing.F) {
	f.Add("pdq:d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22")
	f.Add("D8F8F0CCE0F4A84F0E370A22028F67F0B36E2ED596623E1D33E6B39C4E9C9B22")
	f.Add("pdq:d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b2g")
	f.Add("sha256:d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22")
	f.Fuzz(func(t *testing.T, s string) {
		fast, ok := parsePDQField([]byte(s))
		kind, h, _, err := ParseHash(s)
		slow := err == nil && kind == KindPDQ
		if ok != slow || (ok && fast != h) {
			t.Fatalf("%q: fast %v %v, ParseHash %v %v %v", s, fast, ok, kind, h, err)
		}
	})
}

// TestReadFromEqualsAdd: a bank read from a file and the same entries given to Add
// build Sets that report the same matches.
func TestReadFromEqualsAdd(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	banks := []string{"known_deepfake", "known_illegal", "protected_original", "allow"}
	var file strings.Builder
	bl, _ := NewBuilder(DefaultConfig())
	var hashes []pdq.Hash
	for i := 0; i < 5000; i++ {
		h := pdq.Hash{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
		hashes = append(hashes, h)
		e := Entry{Kind: KindPDQ, PDQ: h, Bank: banks[i%4], Label: fmt.Sprint("e", i), Category: fmt.Sprint("c", i%3), Source: []string{"", "s1"}[i%2]}
		if i%5 == 0 {
			e = Entry{Kind: KindText, Key: uint64(i % 50), Bank: banks[i%4], Label: fmt.Sprint("t", i), Category: "x\x00y"[:i%4]}
			fmt.Fprintf(&file, "text:%016x\t%s\t%s\t%s\t%s\n", e.Key, e.Bank, e.Label, e.Category, e.Source)
		} else if i%2 == 0 {
			fmt.Fprintf(&file, "pdq:%s\t%s\t%s\t%s\t%s\n", h, e.Bank, e.Label, e.Category, e.Source)
		} else {
			fmt.Fprintf(&file, "%s\t%s\t%s\t%s\t%s\n", strings.ToUpper(h.String()), e.Bank, e.Label, e.Category, e.Source)
		}
		if err := bl.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	fromAdd, err := bl.Build()
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := NewBuilder(DefaultConfig())
	if err := rb.ReadFrom("bank.tsv", strings.NewReader(file.String())); err != nil {
		t.Fatal(err)
	}
	fromFile, err := rb.Build()
	if err != nil {
		t.Fatal(err)
	}
	collect := func(s *Set, q pdq.Hash, k uint64) []Match {
		var out []Match
		s.MatchPDQ(q, func(m Match) bool { out = append(out, m); return true })
		s.MatchTextKey(k, func(m Match) bool { out = append(out, m); return true })
		return out
	}
	n := 0
	for i := 0; i < 500; i++ {
		q := hashes[r.IntN(len(hashes))]
		q[0] ^= 1 << r.IntN(64)
		a, b := collect(fromAdd, q, uint64(i%60)), collect(fromFile, q, uint64(i%60))
		if !slices.Equal(a, b) {
			t.Fatalf("query %d: Add %v, file %v", i, a, b)
		}
		n += len(a)
	}
	if n == 0 {
		t.Fatal("nothing matched: the comparison is vacuous")
	}
}

// TestExactMatchFields: every field of an exact match comes from its own entry, for keys
// with one entry (served from the key table's slot), with several, and with a label too
// long for a slot.
func TestExactMatchFields(t *testing.T) {
	t.Parallel()
	banks := []string{"known_deepfake", "known_illegal", "protected_original", "allow"}
	b, err := NewBuilder(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var entries []Entry
	for i := 0; i < 3000; i++ {
		e := Entry{Kind: KindText, Key: uint64(i) * 0x10001, Bank: banks[i%4], Label: fmt.Sprint("t", i),
			Category: fmt.Sprint("c", i%5), Source: fmt.Sprint("s", i%3)}
		switch {
		case i%10 == 3:
			e.Kind, e.Key = KindSHA256, entries[i-1].Key // same key, other kind: both single
		case i%10 == 7:
			e.Key = entries[i-2].Key // a chain of two
		case i%101 == 0:
			e.Label = strings.Repeat("l", 1<<16+i%2)
		}
		entries = append(entries, e)
		if err := b.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	forms := map[bool]int{}
	for _, sl := range s.text.slots {
		if sl.form != 0 {
			forms[sl.form == keyChain]++
		}
	}
	if forms[false] == 0 || forms[true] == 0 {
		t.Fatalf("slot forms (chain: count) %v: both single and chain slots needed", forms)
	}
	for _, kind := range []Kind{KindText, KindSHA256} {
		for k := range slices.Values(entries) {
			if k.Kind != kind {
				continue
			}
			var want []string
			for i := len(entries) - 1; i >= 0; i-- {
				if e := entries[i]; e.Kind == kind && e.Key == k.Key {
					want = append(want, fmt.Sprint(e.Bank, "|", e.Label, "|", e.Category, "|", e.Source))
				}
			}
			var got []string
			fn := func(m Match) bool {
				got = append(got, fmt.Sprint(m.Bank, "|", m.Label, "|", m.EntryCat, "|", m.Source))
				if m.Category != "hash."+m.Meaning.String() || m.Distance != 0 {
					t.Errorf("match %+v: category or distance wrong", m)
				}
				return true
			}
			if kind == KindText {
				s.MatchTextKey(k.Key, fn)
			} else {
				s.MatchMediaKey(k.Key, fn)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%v key %#x: got %q, want %q", kind, k.Key, got, want)
			}
		}
	}
}
