package campaign

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/fingerprint"
	"github.com/aigcwatch/aigcwatch/internal/corpus"
	"github.com/aigcwatch/aigcwatch/record"
)

// TestCounter: exact up to exactLimit, then within 3 standard errors of the truth.
func TestCounter(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 10, exactLimit, exactLimit + 1, 1000, 20000, 200000} {
		var c counter
		for i := 0; i < n; i++ {
			h := rng.Uint64()
			c.add(h)
			if i%3 == 0 {
				c.add(h) // repeats count once
			}
		}
		got, est := c.count()
		if n <= exactLimit {
			if got != n || est {
				t.Errorf("n=%d: %d (estimate %v), want exact", n, got, est)
			}
			continue
		}
		if rel := math.Abs(float64(got-n)) / float64(n); !est || rel > 3*HLLError {
			t.Errorf("n=%d: %d, off by %.1f %% (standard error %.1f %%)", n, got, 100*rel, 100*HLLError)
		}
	}
}

// paraphrase returns variant i of one rumour: copies edited the way copy-paste campaigns
// are (a word swapped, a date or a closing line changed, punctuation).
func paraphrase(i int) string {
	when := []string{"明天", "明日", "下周一"}[i%3]
	who := []string{"所有银行", "全市银行", "各家银行"}[i/3%3]
	tail := []string{"请转发给亲朋好友！", "请大家互相转告！！", "扩散，转给身边的人。", "速转！"}[i/9%4]
	return "紧急通知：" + when + "起本市" + who + "将暂停办理个人取款业务，原因是系统升级和资金清查，" +
		"请大家今天务必把存款全部取出，转入指定的安全账户保管，等通知后再转回，" + tail
}

// TestCampaign: 1,000 records; 50 of them are paraphrases of one message from 50 accounts
// within 10 minutes, the rest ordinary answers (HC3 Plus, written by people) from other
// accounts, some of them posted again and again by one account. Exactly one record gets a
// campaign finding, naming the fingerprint and the account count.
func TestCampaign(t *testing.T) {
	t.Parallel()
	texts := corpus.Sets(t)[1].Texts // HC3 Plus QA, human
	if len(texts) < 950 {
		t.Fatalf("%d texts", len(texts))
	}
	base := fingerprint.MinHashOf(paraphrase(0))
	for i := 1; i < 50; i++ {
		if sig := fingerprint.MinHashOf(paraphrase(i)); sig.Equal(&base) < 80 {
			t.Logf("paraphrase %d: %d/128 values equal to the first", i, sig.Equal(&base))
		}
	}
	d := New(Config{Accounts: 50, Window: 10 * time.Minute})
	start := time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	campaignAt := map[int]bool{}
	for len(campaignAt) < 50 {
		campaignAt[300+rng.IntN(500)] = true // 50 positions among records 300..799
	}
	var found []detectors.Finding
	var foundAt []int
	k, j := 0, 0
	for i := 0; i < 1000; i++ {
		r := record.Record{ID: fmt.Sprint(i), Platform: "weibo-like"}
		if campaignAt[i] {
			r.Text, r.Account = paraphrase(k), fmt.Sprintf("bot-%02d", k)
			r.Time = start.Add(time.Duration(k) * 11 * time.Second) // 50 within 9 minutes
			k++
		} else {
			r.Text, r.Account = texts[j%len(texts)].Text, fmt.Sprintf("user-%04d", j)
			if j%100 < 30 {
				r.Text, r.Account = texts[0].Text, "fan-1" // one account posting one text 300 times
			}
			r.Time = start.Add(time.Duration(i) * 3 * time.Second)
			j++
		}
		var res detectors.Result
		if err := d.Detect(context.Background(), &r, &res); err != nil {
			t.Fatal(err)
		}
		for _, f := range res.Findings {
			found = append(found, f)
			foundAt = append(foundAt, i)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d campaign findings, want 1: %+v at %v", len(found), found, foundAt)
	}
	f := found[0]
	wantID := "minhash:"
	if f.Category != Category || f.Layer != detectors.Global || !strings.HasPrefix(f.Evidence.Entry, wantID) ||
		!strings.Contains(f.Evidence.Detail, f.Evidence.Entry+": 50 accounts in 10m0s") {
		t.Errorf("finding %+v", f)
	}
	if !campaignAt[foundAt[0]] {
		t.Errorf("the finding is on record %d, not a campaign record", foundAt[0])
	}
	t.Logf("campaign reported at record %d: %s", foundAt[0], f.Evidence.Detail)
}

// TestCampaignWindow: the same 50 accounts spread over 8 hours never make 50 within 10
// minutes.
func TestCampaignWindow(t *testing.T) {
	t.Parallel()
	d := New(Config{Accounts: 50})
	start := time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)
	for k := 0; k < 50; k++ {
		r := record.Record{Text: paraphrase(k), Account: fmt.Sprintf("bot-%02d", k), Time: start.Add(time.Duration(k) * 10 * time.Minute)}
		var res detectors.Result
		d.Detect(context.Background(), &r, &res)
		if len(res.Findings) > 0 {
			t.Fatalf("finding at %d: %+v", k, res.Findings)
		}
	}
}

// TestBounded: no more than MaxTracked pieces of content are held, and content dropped
// from the ring is no longer found.
func TestBounded(t *testing.T) {
	t.Parallel()
	d := New(Config{Accounts: 2, MaxTracked: 100})
	start := time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)
	texts := corpus.Sets(t)[0].Texts
	for i := 0; i < 500; i++ {
		r := record.Record{Text: texts[i].Text, Account: fmt.Sprint("a", i), Time: start}
		var res detectors.Result
		d.Detect(context.Background(), &r, &res)
	}
	n, _ := d.Tracked()
	if n > 100 || len(d.tracked) > 100 {
		t.Fatalf("%d tracked, max 100", n)
	}
	for k, ps := range d.postings {
		for _, s := range ps {
			if !d.tracked[s].live || !contains(d.tracked[s].bands[:], k) {
				t.Fatalf("stale posting %x → %d", k, s)
			}
		}
	}
	// The first texts were dropped: seeing one again from another account is new content.
	r := record.Record{Text: texts[0].Text, Account: "b", Time: start}
	var res detectors.Result
	d.Detect(context.Background(), &r, &res)
	if len(res.Findings) != 0 {
		t.Errorf("dropped content still counted: %+v", res.Findings)
	}
	// A recent one is still followed: a second account makes a campaign of 2.
	r = record.Record{Text: texts[499].Text, Account: "b", Time: start}
	d.Detect(context.Background(), &r, &res)
	if len(res.Findings) != 1 {
		t.Errorf("recent content not followed: %+v", res.Findings)
	}
}

func contains(s []uint64, k uint64) bool {
	for _, x := range s {
		if x == k {
			return true
		}
	}
	return false
}

// TestCorpusCampaigns: every corpus text from its own account, all within one window:
// ordinary writing (reviews, answers) reaches 20 accounts only where people or the model
// really wrote the same thing; each such finding is logged for docs/layers.md.
// go test -run CorpusCampaigns -v ./detectors/campaign
func TestCorpusCampaigns(t *testing.T) {
	at := time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)
	for _, set := range corpus.Sets(t) {
		d := New(Config{})
		n := 0
		for i, x := range set.Texts {
			r := record.Record{Text: x.Text, Account: fmt.Sprint("acct-", i), Time: at}
			var res detectors.Result
			d.Detect(context.Background(), &r, &res)
			for _, f := range res.Findings {
				n++
				t.Logf("%s line %d: %s %q", set.File, x.Line, f.Evidence.Detail, []rune(x.Text)[:min(40, len([]rune(x.Text)))])
			}
		}
		tracked, bytes := d.Tracked()
		t.Logf("%-24s texts %5d  campaigns %d  content followed %d (counters %d B)", set.Name, len(set.Texts), n, tracked, bytes)
		if n > 2 {
			t.Errorf("%s: %d campaigns in ordinary text", set.Name, n)
		}
	}
}

// TestSharedMode: a shared detector makes no finding itself but hands every observation
// on; two "instances" that each judged half the records and apply the merged log in the
// same order find the same single campaign, with every account counted; observations
// survive encoding.
func TestSharedMode(t *testing.T) {
	t.Parallel()
	var log []Observation
	publish := func(o Observation) { log = append(log, o) }
	a, b := NewShared(Config{Accounts: 50}, publish), NewShared(Config{Accounts: 50}, publish)
	start := time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)
	for k := 0; k < 50; k++ {
		r := record.Record{ID: fmt.Sprint("r", k), Text: paraphrase(k), Account: fmt.Sprintf("bot-%02d", k), Time: start.Add(time.Duration(k) * 10 * time.Second)}
		d := a
		if k%2 == 1 {
			d = b
		}
		var res detectors.Result
		d.Detect(context.Background(), &r, &res)
		if len(res.Findings) != 0 {
			t.Fatalf("a shared detector made a finding: %+v", res.Findings)
		}
	}
	if len(log) != 50 {
		t.Fatalf("%d observations", len(log))
	}
	var results [2][]Campaign
	for i, inst := range []*Detector{New(Config{Accounts: 50}), New(Config{Accounts: 50})} {
		for _, o := range log {
			bin, err := o.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			back, err := UnmarshalObservation(bin)
			if err != nil || back.Sig != o.Sig || back.Who != o.Who || !back.At.Equal(o.At) || back.RecordID != o.RecordID {
				t.Fatalf("round trip: %v %+v", err, back)
			}
			if c, ok := inst.Observe(&back); ok {
				results[i] = append(results[i], c)
			}
		}
	}
	if len(results[0]) != 1 || results[0][0] != results[1][0] || results[0][0].Accounts != 50 {
		t.Fatalf("instances disagree or miss: %+v", results)
	}
	if _, err := UnmarshalObservation([]byte("not an observation")); !errors.Is(err, ErrBadObservation) {
		t.Errorf("garbage: %v", err)
	}
}

// FuzzUnmarshalObservation: any bytes decode to an observation or ErrBadObservation, never
// a panic; what decodes encodes back to the same bytes.
func FuzzUnmarshalObservation(f *testing.F) {
	o := Observation{Sig: fingerprint.MinHashOf(paraphrase(0)), Who: 42, At: time.Unix(1, 2).UTC(), RecordID: "r1", Origin: "i1"}
	b, _ := o.MarshalBinary()
	f.Add(b)
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := UnmarshalObservation(b)
		if err != nil {
			if !errors.Is(err, ErrBadObservation) {
				t.Fatalf("error %v", err)
			}
			return
		}
		back, err := o.MarshalBinary()
		if err != nil || string(back) != string(b) {
			t.Fatalf("round trip differs: %v", err)
		}
	})
}
