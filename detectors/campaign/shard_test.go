package campaign

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/aigcwatch/aigcwatch/detectors/fingerprint"
	"github.com/aigcwatch/aigcwatch/internal/corpus"
)

// shardSim runs the sharded campaign topic in memory: n partitions, each a queue with its
// own Detector (assignment, by the bands it owns) and Tally (counting, by the fingerprints
// it owns). Partitions are consumed in a random interleaving, as independent instances
// would; assignments are appended to their fingerprint's partition as a producer would.
type shardSim struct {
	n      int
	queues [][]any
	assign []*Detector
	tally  []*Tally
	rng    *rand.Rand
	found  []Campaign
	at     []string // record id of each campaign
}

func newShardSim(n int, cfg Config, seed uint64) *shardSim {
	s := &shardSim{n: n, queues: make([][]any, n), rng: rand.New(rand.NewPCG(seed, seed+1))}
	for range n {
		s.assign = append(s.assign, New(cfg))
		s.tally = append(s.tally, NewTally(cfg))
	}
	return s
}

// publish routes o to the owners of its bands, as stream.Campaigns does.
func (s *shardSim) publish(o Observation) {
	bands := BandKeys(&o.Sig)
	masks := Shards(&bands, s.n)
	of := 0
	for _, m := range masks {
		if m != 0 {
			of++
		}
	}
	for p, m := range masks {
		if m != 0 {
			s.queues[p] = append(s.queues[p], &Banded{Mask: m, Of: of, Observation: o})
		}
	}
}

// step consumes up to k messages of one random non-empty partition; false when all are
// empty.
func (s *shardSim) step(k int) bool {
	var ne []int
	for p, q := range s.queues {
		if len(q) > 0 {
			ne = append(ne, p)
		}
	}
	if len(ne) == 0 {
		return false
	}
	p := ne[s.rng.IntN(len(ne))]
	for i := 0; i < k && len(s.queues[p]) > 0; i++ {
		m := s.queues[p][0]
		s.queues[p] = s.queues[p][1:]
		switch m := m.(type) {
		case *Banded:
			fp, created, merges := s.assign[p].Assign(&m.Observation, m.Mask)
			s.send(fp, &Assignment{FP: fp, Who: m.Who, At: m.At, Created: created, Part: p, Of: m.Of, RecordID: m.RecordID})
			for i := range merges {
				s.send(merges[i].From, &merges[i])
			}
		case *Assignment:
			s.owns(p, m.FP)
			fwd, c, ok := s.tally[p].Add(m)
			if fwd != nil {
				s.send(fwd.FP, fwd)
			}
			s.report(c, ok, m.RecordID)
		case *Merge:
			s.owns(p, m.From)
			if x := s.tally[p].Merge(m); x != nil {
				s.send(x.Into, x)
			}
		case *Transfer:
			s.owns(p, m.Into)
			fwd, c, ok := s.tally[p].Receive(m)
			if fwd != nil {
				s.send(fwd.Into, fwd)
			}
			s.report(c, ok, "transfer")
		}
	}
	return true
}

// send appends m to the partition of key, through its encoding, as a producer would.
func (s *shardSim) send(key uint64, m interface{ MarshalBinary() ([]byte, error) }) {
	b, err := m.MarshalBinary()
	if err != nil {
		panic(err)
	}
	v, err := UnmarshalShardMessage(b)
	if err != nil {
		panic(err)
	}
	q := PartitionOf(key, s.n)
	s.queues[q] = append(s.queues[q], v)
}

func (s *shardSim) owns(p int, key uint64) {
	if PartitionOf(key, s.n) != p {
		panic("message in the wrong partition")
	}
}

func (s *shardSim) report(c Campaign, ok bool, at string) {
	if ok {
		s.found, s.at = append(s.found, c), append(s.at, at)
	}
}

func (s *shardSim) drain() {
	for s.step(1 + s.rng.IntN(8)) {
	}
}

// campaignStream is TestCampaign's stream: 1,000 records, 50 paraphrases from 50 accounts
// within 9 minutes among 950 answers written by people (one account posting one of them
// 300 times).
func campaignStream(t *testing.T) (obs []Observation, isCampaign map[string]bool) {
	texts := corpus.Sets(t)[1].Texts
	d := New(Config{})
	start := time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	at := map[int]bool{}
	for len(at) < 50 {
		at[300+rng.IntN(500)] = true
	}
	isCampaign = map[string]bool{}
	k, j := 0, 0
	for i := 0; i < 1000; i++ {
		id := fmt.Sprint("r", i)
		var text, account string
		var when time.Time
		if at[i] {
			text, account, when = paraphrase(k), fmt.Sprintf("bot-%02d", k), start.Add(time.Duration(k)*11*time.Second)
			isCampaign[id] = true
			k++
		} else {
			text, account = texts[j%len(texts)].Text, fmt.Sprintf("user-%04d", j)
			if j%100 < 30 {
				text, account = texts[0].Text, "fan-1"
			}
			when = start.Add(time.Duration(i) * 3 * time.Second)
			j++
		}
		norm := fingerprint.AppendNormalized(nil, text)
		sig, shingles := fingerprint.MinHash(norm)
		if shingles < d.cfg.MinShingles {
			continue
		}
		obs = append(obs, Observation{Sig: sig, Who: xxhash.Sum64String("p\x00" + account), At: when, RecordID: id})
	}
	return obs, isCampaign
}

// TestShardedCampaign: the campaign stream through 1 to 8 partitions, consumed in random
// interleavings, published in time order, shuffled locally (two instances judging side by
// side) or in two halves one after the other (one instance far behind the other), gives
// one campaign with the 50 accounts, as the single-process detector (Observe) does, named
// by the fingerprint of one of the campaign's texts.
func TestShardedCampaign(t *testing.T) {
	t.Parallel()
	obs, isCampaign := campaignStream(t)
	cfg := Config{Accounts: 50, Window: 10 * time.Minute}
	single := New(cfg)
	var found []Campaign
	fps := map[string]bool{}
	for i := range obs {
		if c, ok := single.Observe(&obs[i]); ok {
			found = append(found, c)
		}
		if isCampaign[obs[i].RecordID] {
			fps[FingerprintID(Fingerprint(&obs[i].Sig))] = true
		}
	}
	if len(found) != 1 || found[0].Accounts != 50 {
		t.Fatalf("Observe: %+v", found)
	}
	for _, n := range []int{1, 2, 3, 6, 8} {
		for seed := range uint64(9) {
			s := newShardSim(n, cfg, seed)
			order := slices.Clone(obs)
			switch seed % 3 {
			case 1: // two instances publish: records reach the topic up to 10 apart
				for i := 0; i < len(order); i += 10 {
					blk := order[i:min(i+10, len(order))]
					s.rng.Shuffle(len(blk), func(a, b int) { blk[a], blk[b] = blk[b], blk[a] })
				}
			case 2: // the second half first
				order = append(order[len(order)/2:], order[:len(order)/2]...)
			}
			for i := range order {
				s.publish(order[i])
				if s.rng.IntN(4) == 0 { // consumers lag behind the producers by a random amount
					s.step(1 + s.rng.IntN(20))
				}
			}
			s.drain()
			if len(s.found) != 1 {
				t.Fatalf("%d partitions, seed %d: %d campaigns, want 1: %+v", n, seed, len(s.found), s.found)
			}
			c := s.found[0]
			if !fps[c.ID] || c.Accounts != 50 || c.Estimate {
				t.Errorf("%d partitions, seed %d: %+v at %s", n, seed, c, s.at[0])
			}
		}
	}
	t.Logf("Observe: %s", found[0].Detail())
}

// TestShardedTwiceCountsOnce: an observation delivered twice (at-least-once) and assigned
// by several band owners is one account.
func TestShardedTwiceCountsOnce(t *testing.T) {
	t.Parallel()
	cfg := Config{Accounts: 3}
	s := newShardSim(4, cfg, 9)
	start := time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)
	for i := range 2 {
		o := Observation{Sig: fingerprint.MinHashOf(paraphrase(i)), Who: uint64(i + 1), At: start.Add(time.Duration(i) * time.Second)}
		s.publish(o)
		s.publish(o) // redelivered
		s.drain()
	}
	if len(s.found) != 0 {
		t.Fatalf("2 accounts made a campaign of 3: %+v", s.found)
	}
	s.publish(Observation{Sig: fingerprint.MinHashOf(paraphrase(2)), Who: 3, At: start.Add(3 * time.Second)})
	s.drain()
	if len(s.found) != 1 || s.found[0].Accounts != 3 {
		t.Fatalf("%+v", s.found)
	}
}

// TestTallyWindow: a window lasts Config.Window from its first account; later accounts
// start the next window, which may report again.
func TestTallyWindow(t *testing.T) {
	t.Parallel()
	tl := NewTally(Config{Accounts: 2, Window: time.Minute, MaxTracked: 2})
	t0 := time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)
	steps := []struct {
		fp, who uint64
		at      time.Duration
		want    bool
	}{
		{1, 1, 0, false}, {1, 1, time.Second, false}, {1, 2, 50 * time.Second, true}, {1, 3, 55 * time.Second, false},
		{1, 4, 2 * time.Minute, false}, {1, 7, 59 * time.Second, false}, // a window before: not counted
		{1, 5, 2*time.Minute + time.Second, true},
		{2, 1, 0, false}, {3, 1, 0, false}, // fp 1 is dropped from the ring (MaxTracked 2)
		{1, 6, 2*time.Minute + 2*time.Second, false},
	}
	// fingerprint 1 of steps 0-5 was content in its one partition (who 1 created it); a
	// fingerprint created in one of two partitions never reports.
	for i, s := range steps {
		_, c, ok := tl.Add(&Assignment{FP: s.fp, Who: s.who, At: t0.Add(s.at), Created: s.who == 1, Of: 1})
		if ok != s.want {
			t.Errorf("step %d: %v %+v, want %v", i, ok, c, s.want)
		}
		if ok && (c.Accounts != 2 || c.ID != FingerprintID(s.fp)) {
			t.Errorf("step %d: %+v", i, c)
		}
	}
	if tl.Len() != 2 {
		t.Errorf("Len %d, want 2", tl.Len())
	}
	tl = NewTally(Config{Accounts: 2})
	tl.Add(&Assignment{FP: 9, Who: 1, At: t0, Created: true, Part: 0, Of: 2})
	tl.Add(&Assignment{FP: 9, Who: 1, At: t0, Created: true, Part: 0, Of: 2}) // again
	if _, c, ok := tl.Add(&Assignment{FP: 9, Who: 2, At: t0}); ok {
		t.Errorf("content of one of its two partitions reported %+v", c)
	}
	if _, c, ok := tl.Add(&Assignment{FP: 9, Who: 1, At: t0, Created: true, Part: 1, Of: 2}); !ok || c.Accounts != 2 {
		t.Errorf("the second partition's creation did not report: %v %+v", ok, c)
	}
}

// TestTallyMerge: a merged fingerprint hands its accounts (and that it reported) to the
// content ranking first, forwards later assignments there, and only moves to a content
// ranking before the one it was merged into.
func TestTallyMerge(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)
	tl := NewTally(Config{Accounts: 3})
	tl.Add(&Assignment{FP: 9, Who: 1, At: t0, Created: true, Of: 1})
	tl.Add(&Assignment{FP: 9, Who: 2, At: t0})
	if _, _, ok := tl.Add(&Assignment{FP: 9, Who: 3, At: t0}); !ok {
		t.Fatal("9 did not report")
	}
	x := tl.Merge(&Merge{From: 9, Into: 5, IntoBorn: t0})
	if x == nil || x.Into != 5 || !x.Reported {
		t.Fatalf("transfer %+v", x)
	}
	if n, _ := x.Accounts.count(); n != 3 {
		t.Errorf("transfer of %d accounts, want 3", n)
	}
	if tl.Merge(&Merge{From: 9, Into: 7}) != nil {
		t.Error("merged into 7, which ranks after 5")
	}
	fwd, _, ok := tl.Add(&Assignment{FP: 9, Who: 4, At: t0, RecordID: "r4", Of: 1})
	if ok || fwd == nil || fwd.FP != 5 || fwd.RecordID != "r4" {
		t.Errorf("assignment after the merge: %+v %v", fwd, ok)
	}
	// 5 receives 9's counts: it reported under 9, so 5 does not report again.
	tl.Add(&Assignment{FP: 5, Who: 10, At: t0, Created: true, Of: 1})
	raw, _ := x.MarshalBinary()
	v, err := UnmarshalShardMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, c, ok := tl.Receive(v.(*Transfer)); ok {
		t.Errorf("5 reported the campaign 9 reported: %+v", c)
	}
	// Without the report, the transfer brings 6 to the threshold.
	tl.Add(&Assignment{FP: 6, Who: 10, At: t0, Created: true, Of: 1})
	x.Into, x.Reported = 6, false
	if _, c, ok := tl.Receive(x); !ok || c.Accounts != 4 || c.ID != FingerprintID(6) {
		t.Errorf("6 with 9's accounts: %v %+v", ok, c)
	}
	if x := tl.Merge(&Merge{From: 9, Into: 3}); x == nil || x.Into != 3 {
		t.Errorf("not moved to 3, which ranks before 5: %+v", x)
	}
}

// TestBandKeysGolden pins the band keys and the fingerprint: the campaign topic is
// partitioned by them, so a change moves every piece of content to another partition.
func TestBandKeysGolden(t *testing.T) {
	t.Parallel()
	sig := fingerprint.MinHashOf(paraphrase(0))
	k := BandKeys(&sig)
	got := fmt.Sprintf("%x %x %x %s", k[0], k[1], k[31], FingerprintID(Fingerprint(&sig)))
	const want = "f70e5519ab3d81c0 f945a111a96c7f91 94a59cdecd1a5bd6 minhash:2dec5af58c281e03"
	if got != want {
		t.Errorf("band keys and fingerprint %q, want %q", got, want)
	}
	masks := Shards(&k, 6)
	var all uint32
	for _, m := range masks {
		if all&m != 0 {
			t.Errorf("a band in two partitions")
		}
		all |= m
	}
	if all != AllBands {
		t.Errorf("bands covered %#x", all)
	}
}

// TestShardMessages: Banded and Assignment survive encoding; other bytes are refused with
// ErrBadObservation.
func TestShardMessages(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 10, 5, 8, 0, 0, 123, time.UTC)
	b := &Banded{Mask: 0x80000001, Of: 2, Observation: Observation{Sig: fingerprint.MinHashOf(paraphrase(1)), Who: 42, At: at, RecordID: "r-1", Origin: "host/1"}}
	a := &Assignment{FP: 0xdeadbeef, Who: 42, At: at, Created: true, Part: 70000, Of: 5, RecordID: "r-1", Origin: "host/1"}
	big := &Transfer{Into: 3, Start: at, IntoBorn: at}
	for i := range 100 {
		big.Accounts.add(uint64(i) * 0x9e3779b97f4a7c15)
	}
	for _, m := range []interface{ MarshalBinary() ([]byte, error) }{b, a, &Merge{From: 9, Into: 3, IntoBorn: at},
		&Transfer{Into: 3, Start: at, IntoBorn: at, Reported: true, Accounts: counter{exact: []uint64{1, 2}}}, big} {
		raw, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		got, err := UnmarshalShardMessage(raw)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("round trip:\n%+v\n%+v", got, m)
		}
		for _, cut := range []int{1, len(raw) / 2, len(raw) - 1} {
			if _, err := UnmarshalShardMessage(raw[:cut]); err == nil {
				t.Errorf("%T cut to %d bytes accepted", m, cut)
			}
		}
	}
	old, _ := b.Observation.MarshalBinary()
	zeroMask, _ := (&Banded{Of: 1, Observation: b.Observation}).MarshalBinary()
	for name, raw := range map[string][]byte{"one-partition format": old, "empty": nil, "mask 0": zeroMask, "json": []byte(`{"id":1}`)} {
		if _, err := UnmarshalShardMessage(raw); err == nil || !strings.Contains(err.Error(), "bad observation") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestCounterMerge: merging counts the union, exactly while both are small, then within
// 3 standard errors; the merged-from counter is not changed.
func TestCounterMerge(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	hs := make([]uint64, 3000)
	for i := range hs {
		hs[i] = rng.Uint64()
	}
	for _, tc := range []struct{ a, b [2]int }{{[2]int{0, 20}, [2]int{10, 40}}, {[2]int{0, 30}, [2]int{0, 1000}}, {[2]int{0, 2000}, [2]int{1000, 3000}}} {
		var a, b counter
		for _, h := range hs[tc.a[0]:tc.a[1]] {
			a.add(h)
		}
		for _, h := range hs[tc.b[0]:tc.b[1]] {
			b.add(h)
		}
		before, _ := b.count()
		c := b.clone()
		a.merge(&c)
		want := max(tc.a[1], tc.b[1]) - min(tc.a[0], tc.b[0])
		got, est := a.count()
		if after, _ := b.count(); after != before {
			t.Errorf("%v: the merged-from counter changed", tc)
		}
		if !est && got != want || est && math.Abs(float64(got-want))/float64(want) > 3*HLLError {
			t.Errorf("%v: union %d (estimate %v), want %d", tc, got, est, want)
		}
	}
}
