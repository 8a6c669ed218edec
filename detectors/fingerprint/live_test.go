package fingerprint

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/fingerprint/pdq"
	"github.com/aigcwatch/aigcwatch/record"
)

func randHash(r *rand.Rand) pdq.Hash { return pdq.Hash{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()} }

// emptyMatcher returns a Matcher over an empty Set of DefaultConfig's banks.
func emptyMatcher(t *testing.T) *Matcher {
	t.Helper()
	m := NewMatcher(nil)
	if _, err := m.Reload(DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	return m
}

// detectWith runs d with label facts as the label detector would have filled them.
func detectWith(t *testing.T, d *Detector, r *record.Record, facts detectors.LabelFacts) *detectors.Result {
	t.Helper()
	res := &detectors.Result{Label: facts}
	if err := d.Detect(context.Background(), r, res); err != nil {
		t.Fatal(err)
	}
	return res
}

func categories(res *detectors.Result) []string {
	var c []string
	for _, f := range res.Findings {
		c = append(c, f.Category)
	}
	return c
}

var goodLabelFacts = detectors.LabelFacts{Analyzed: true, Sites: 1, Parsed: 1, AILabel: true, LabelValue: "1", CNTamper01: detectors.OutcomePass}

const goodLabel = `{"AIGC":{"Label":"1","ContentProducer":"001191110102MAD55U9H0F10002","ProduceID":"p-1","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}}`

// TestLabeledAIOnlyWithoutLabel: a match in a labeled_ai bank is a finding only when the
// record carries no implicit label and no AI C2PA manifest; other banks are unaffected.
func TestLabeledAIOnlyWithoutLabel(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	h, ill := randHash(r), randHash(r)
	m := testMatcher(t, DefaultConfig(),
		"pdq:"+h.String()+"\tlabeled_ai\tlab-1\t\t",
		"pdq:"+ill.String()+"\tknown_illegal\till-1\t\t")
	d := NewDetector(m)
	near := flip(h, 10, r).String()
	labeled := []record.ImplicitLabel{{Carrier: "xmp:TC260:AIGC", Raw: goodLabel}}
	cases := []struct {
		name  string
		rec   record.Record
		facts detectors.LabelFacts
		want  []string
	}{
		{"no label: tampering evidence", record.Record{ID: "a", Media: &record.Media{PDQ: near}}, detectors.LabelFacts{Analyzed: true}, []string{"hash.labeled_ai"}},
		{"label detector not run", record.Record{ID: "a", Media: &record.Media{PDQ: near}}, detectors.LabelFacts{}, []string{"hash.labeled_ai"}},
		{"still labeled", record.Record{ID: "b", Labels: record.Labels{Implicit: labeled}, Media: &record.Media{PDQ: near}}, goodLabelFacts, nil},
		{"broken label still counts as carrying one", record.Record{ID: "b", Labels: record.Labels{Implicit: []record.ImplicitLabel{{Carrier: "x", Raw: "{"}}}, Media: &record.Media{PDQ: near}}, detectors.LabelFacts{Analyzed: true, Sites: 1}, nil},
		{"AI C2PA manifest", record.Record{ID: "c", Media: &record.Media{PDQ: near}}, detectors.LabelFacts{Analyzed: true, AIC2PA: true}, nil},
		{"other banks unaffected by the label", record.Record{ID: "d", Labels: record.Labels{Implicit: labeled}, Media: &record.Media{PDQ: flip(ill, 3, r).String()}}, goodLabelFacts, []string{"hash.known_illegal"}},
		{"far", record.Record{ID: "e", Media: &record.Media{PDQ: flip(h, 60, r).String()}}, detectors.LabelFacts{Analyzed: true}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := detectWith(t, d, &c.rec, c.facts)
			if got := categories(res); !slices.Equal(got, c.want) {
				t.Errorf("findings %v, want %v", got, c.want)
			}
			for _, f := range res.Findings {
				if f.Category == "hash.labeled_ai" && (f.Evidence.Entry != "lab-1" || f.Evidence.Bank != "labeled_ai" || f.Evidence.Distance != 10 || f.Severity != detectors.High) {
					t.Errorf("evidence %+v severity %v", f.Evidence, f.Severity)
				}
			}
		})
	}
}

// TestAutoBankLabeled: a labeled record's PDQ is added to the labeled_ai bank; a
// near-duplicate without its label then yields hash.labeled_ai naming the first record;
// a labeled near-duplicate is not added again; unlabeled and suspect records are not added.
func TestAutoBankLabeled(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	m := emptyMatcher(t)
	d := NewDetector(m)
	d.AutoBankLabeled = "labeled_ai"
	h := randHash(r)
	labeled := record.Labels{Implicit: []record.ImplicitLabel{{Carrier: "xmp:TC260:AIGC", Raw: goodLabel}}}

	// Neither an unlabeled record nor a tampered label is banked.
	detectWith(t, d, &record.Record{ID: "u", Media: &record.Media{PDQ: randHash(r).String()}}, detectors.LabelFacts{Analyzed: true})
	conflict := goodLabelFacts
	conflict.Conflict, conflict.CNTamper01 = true, detectors.OutcomeFail
	detectWith(t, d, &record.Record{ID: "x", Labels: labeled, Media: &record.Media{PDQ: randHash(r).String()}}, conflict)
	lowQ := 10
	detectWith(t, d, &record.Record{ID: "q", Labels: labeled, Media: &record.Media{PDQ: randHash(r).String(), PDQQuality: &lowQ}}, goodLabelFacts)
	if n := m.Live(); n != 0 {
		t.Fatalf("%d live additions from records that must not be banked", n)
	}

	id := []byte("rec-1") // the entry must not alias the record's buffer
	res := detectWith(t, d, &record.Record{ID: string(id), Labels: labeled, Media: &record.Media{PDQ: h.String()}}, goodLabelFacts)
	copy(id, "XXXXX")
	if len(res.Findings) != 0 || d.AutoBank().Added.Load() != 1 || m.Live() != 1 {
		t.Fatalf("first labeled record: findings %v, added %d, live %d", categories(res), d.AutoBank().Added.Load(), m.Live())
	}
	res = detectWith(t, d, &record.Record{ID: "rec-2", Media: &record.Media{PDQ: flip(h, 12, r).String()}}, detectors.LabelFacts{Analyzed: true})
	if got := categories(res); !slices.Equal(got, []string{"hash.labeled_ai"}) || res.Findings[0].Evidence.Entry != "rec-1" {
		t.Fatalf("unlabeled near-duplicate: %+v", res.Findings)
	}
	detectWith(t, d, &record.Record{ID: "rec-3", Labels: labeled, Media: &record.Media{PDQ: flip(h, 5, r).String()}}, goodLabelFacts)
	if st := d.AutoBank(); st.Added.Load() != 1 || st.Duplicate.Load() != 1 || m.Live() != 1 {
		t.Fatalf("labeled near-duplicate: added %d duplicate %d live %d", st.Added.Load(), st.Duplicate.Load(), m.Live())
	}
}

// TestAutoBankFull: at MaxLiveAdditions auto-banking stops, counts, and what is held
// keeps matching.
func TestAutoBankFull(t *testing.T) {
	if testing.Short() {
		t.Skip("adds MaxLiveAdditions entries")
	}
	r := rand.New(rand.NewPCG(7, 7))
	m := emptyMatcher(t)
	first := randHash(r)
	batch := []Entry{{Kind: KindPDQ, PDQ: first, Bank: "labeled_ai", Label: "first"}}
	for len(batch) < MaxLiveAdditions {
		batch = append(batch, Entry{Kind: KindPDQ, PDQ: randHash(r), Bank: "labeled_ai", Label: "x"})
	}
	if err := m.Add(batch...); err != nil {
		t.Fatal(err)
	}
	d := NewDetector(m)
	d.AutoBankLabeled = "labeled_ai"
	labeled := record.Labels{Implicit: []record.ImplicitLabel{{Carrier: "xmp:TC260:AIGC", Raw: goodLabel}}}
	detectWith(t, d, &record.Record{ID: "over", Labels: labeled, Media: &record.Media{PDQ: randHash(r).String()}}, goodLabelFacts)
	if d.AutoBank().Full.Load() != 1 || m.Live() != MaxLiveAdditions {
		t.Fatalf("full: %d, live %d", d.AutoBank().Full.Load(), m.Live())
	}
	res := detectWith(t, d, &record.Record{ID: "y", Media: &record.Media{PDQ: flip(first, 4, r).String()}}, detectors.LabelFacts{})
	if len(res.Findings) != 1 || res.Findings[0].Evidence.Entry != "first" {
		t.Fatalf("held entries stopped matching: %+v", res.Findings)
	}
}

// bruteLive is the reference for live additions: every entry added so far.
type bruteLive struct{ pdq []Entry }

func (b *bruteLive) count(h pdq.Hash) int {
	n := 0
	for _, e := range b.pdq {
		if h.Distance(e.PDQ) <= DefaultPDQThreshold {
			n++
		}
	}
	return n
}

// TestLiveAdditionsEqualBruteForce adds entries one by one and in batches past several
// folds of the tail into the overlay, through a reload, and checks every lookup against
// brute force, with concurrent readers (run with -race).
func TestLiveAdditionsEqualBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	p := writeFile(t, "bank.tsv", "text:0123456789abcdef\tallow\tbase\t\t\n")
	m := NewMatcher(nil)
	if _, err := m.Reload(DefaultConfig(), p); err != nil {
		t.Fatal(err)
	}
	var ref bruteLive
	var centres []pdq.Hash
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // a concurrent reader
		defer wg.Done()
		q := rand.New(rand.NewPCG(1, 1))
		for {
			select {
			case <-stop:
				return
			default:
			}
			m.Set().MatchPDQ(randHash(q), func(Match) bool { return true })
			m.Set().MatchTextKey(q.Uint64(), func(Match) bool { return true })
		}
	}()
	check := func(when string) {
		t.Helper()
		for i := 0; i < 40; i++ {
			var q pdq.Hash
			if i%2 == 0 && len(centres) > 0 {
				q = flip(centres[r.IntN(len(centres))], r.IntN(40), r)
			} else {
				q = randHash(r)
			}
			n := 0
			m.Set().MatchPDQ(q, func(Match) bool { n++; return true })
			if want := ref.count(q); n != want {
				t.Fatalf("%s (%d live): %d matches, brute force %d", when, m.Live(), n, want)
			}
		}
	}
	add := func(es ...Entry) {
		t.Helper()
		if err := m.Add(es...); err != nil {
			t.Fatal(err)
		}
		ref.pdq = append(ref.pdq, es...)
	}
	for len(ref.pdq) < 3*tailMax+500 {
		c := randHash(r)
		centres = append(centres, c)
		if r.IntN(4) == 0 {
			var es []Entry
			for range 1 + r.IntN(300) {
				es = append(es, Entry{Kind: KindPDQ, PDQ: flip(c, r.IntN(30), r), Bank: "known_deepfake", Label: "b"})
			}
			add(es...)
		} else {
			add(Entry{Kind: KindPDQ, PDQ: c, Bank: "labeled_ai", Label: "one"})
		}
		if len(centres)%97 == 0 {
			check("adding")
		}
	}
	check("after adding")
	if err := m.Add(Entry{Kind: KindPDQ, Bank: "labeled_ai"}); err == nil || m.Live() != len(ref.pdq) {
		t.Fatalf("empty label accepted (%v) or partly added", err)
	}
	// Exact and SimHash additions in the tail.
	add(Entry{Kind: KindText, Key: 42, Bank: "known_illegal", Label: "t"})
	ref.pdq = ref.pdq[:len(ref.pdq)-1]
	var got []string
	m.Set().MatchTextKey(42, func(mt Match) bool { got = append(got, mt.Label); return true })
	m.Set().MatchTextKey(0x0123456789abcdef, func(mt Match) bool { got = append(got, mt.Label); return true })
	if !slices.Equal(got, []string{"t", "base"}) {
		t.Fatalf("exact keys with a tail: %v", got)
	}
	if _, err := m.Reload(DefaultConfig(), p); err != nil {
		t.Fatal(err)
	}
	if ok, _ := m.Reload(DefaultConfig(), p); ok {
		t.Fatal("unchanged reload rebuilt")
	}
	if err := os.WriteFile(p, []byte("text:0123456789abcdee\tallow\tbase2\t\t\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if ok, err := m.Reload(DefaultConfig(), p); !ok || err != nil {
		t.Fatal("changed reload", ok, err)
	}
	check("after reload")
	add(Entry{Kind: KindPDQ, PDQ: centres[0], Bank: "labeled_ai", Label: "again"})
	check("after reload and add")
	close(stop)
	wg.Wait()
}

func TestParseEntry(t *testing.T) {
	h := strings.Repeat("ab", 32)
	cases := []struct {
		line, err string
		want      Entry
	}{
		{line: "pdq:" + h + "\tlabeled_ai\tlab\tcat\tsrc", want: Entry{Kind: KindPDQ, Bank: "labeled_ai", Label: "lab", Category: "cat", Source: "src"}},
		{line: "text:0123456789abcdef\tallow\tx\t\t\r", want: Entry{Kind: KindText, Key: 0x0123456789abcdef, Bank: "allow", Label: "x"}},
		{line: "pdq:" + h + "\tlabeled_ai\t\t\t", err: "empty label"},
		{line: "pdq:" + h + "\tlabeled_ai\tx", err: "want 5 tab-separated fields"},
		{line: "pdq:zz\tlabeled_ai\tx\t\t", err: "pdq"},
		{line: "md5:00\tlabeled_ai\tx\t\t", err: "unknown hash kind"},
		{line: "text:0123456789abcdef\tallow\t\xff\t\t", err: "not valid UTF-8"},
	}
	for _, c := range cases {
		e, err := ParseEntry([]byte(c.line))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.line, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.line, err)
			continue
		}
		if e.Kind == KindPDQ {
			c.want.PDQ, _ = pdq.ParseHex(h)
		}
		if e != c.want {
			t.Errorf("%q: %+v, want %+v", c.line, e, c.want)
		}
	}
}

// FuzzParseEntry: a line ParseEntry accepts is accepted by a bank file reader iff its bank
// exists, and gives the same entry; a line it rejects fails the file too.
func FuzzParseEntry(f *testing.F) {
	f.Add("pdq:" + strings.Repeat("ab", 32) + "\tlabeled_ai\tx\tc\ts")
	f.Add("text:0123456789abcdef\tallow\tx\t\t")
	f.Add("simhash:ffffffffffffffff\tnope\tz\t\t")
	sig := MinHashOf("近似重复文本的指纹")
	f.Add(sig.String() + "\tknown_illegal\tm\t\t")
	f.Fuzz(func(t *testing.T, line string) {
		// Line ends are the reader's business (TestParseEntry covers one CR).
		if strings.ContainsAny(line, "\n\r") || strings.HasPrefix(line, "#") || line == "" {
			return
		}
		e, perr := ParseEntry([]byte(line))
		b, _ := NewBuilder(DefaultConfig())
		if err := b.ReadFrom("f", strings.NewReader(line)); err != nil {
			t.Fatal(err)
		}
		s, berr := b.Build()
		if perr != nil {
			if berr == nil {
				t.Fatalf("ParseEntry rejects %q (%v), the file reader accepts it", line, perr)
			}
			return
		}
		m := NewMatcher(nil)
		if _, err := m.Reload(DefaultConfig()); err != nil {
			t.Fatal(err)
		}
		aerr := m.Add(e)
		if (aerr == nil) != (berr == nil) {
			t.Fatalf("%q: Add %v, file %v", line, aerr, berr)
		}
		if berr == nil && m.Set().tail.entries[0] != e {
			t.Fatal("entry differs")
		}
		_ = s
		if aerr != nil && !errors.Is(aerr, ErrTooManyAdditions) && !strings.Contains(aerr.Error(), "unknown bank") {
			t.Fatalf("unexpected Add error %v", aerr)
		}
	})
}
