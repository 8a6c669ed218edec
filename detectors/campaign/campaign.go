// Package campaign finds coordinated campaigns, part of the global layer of risk: the
// same or near-identical text (MinHash similarity, as the fingerprint banks measure it)
// pushed by many distinct accounts or platforms within a window. When a piece of content
// reaches the configured number of accounts, the record that reached it gets one finding
// naming the content's fingerprint, the account count and the window; the records before
// and after it get none, so a campaign is reported once per window.
//
// Memory is bounded: at most Config.MaxTracked pieces of content are followed (the oldest
// is dropped first), each with its MinHash signature (256 B) and a distinct-account
// counter that is exact up to 64 accounts and then a 1 KiB HyperLogLog (relative standard
// error 3.3 %, HLLError).
//
// The state is per Detector. Several `aigcwatch run` instances count together through a
// campaign topic (stream.Campaigns): their detectors are made with NewShared and only hand
// their observations on; the topic's partitions split the state between the instances,
// assignment by LSH band (Detector.Assign) and counting by fingerprint (Tally), as
// shard.go describes. A reload keeps the state only when the pipeline
// holds the detector across builds (pipeline.Config.Campaigns, which aigcwatch run sets).
package campaign

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/fingerprint"
	"github.com/aigcwatch/aigcwatch/record"
)

// Name is the detector's name in findings.
const Name = "campaign"

// Category of the findings: global layer.
const Category = "global.campaign"

// Config sets what a campaign is. The zero value of a field means its default.
type Config struct {
	Accounts    int           // distinct accounts (or platforms) from which content is a campaign; default 20
	Window      time.Duration // the window they must fall in, from the content's first record; default 10 minutes
	Similarity  float64       // MinHash similarity from which texts are the same content; default 0.7
	MinShingles int           // texts with fewer distinct character bigrams are not followed; default 16
	MaxTracked  int           // pieces of content followed at once; default 100,000
}

// Defaults.
const (
	DefaultAccounts    = 20
	DefaultWindow      = 10 * time.Minute
	DefaultSimilarity  = 0.5 // looser than the banks' 0.7: campaign copies are edited, and many accounts are needed anyway
	DefaultMinShingles = 16
	DefaultMaxTracked  = 100_000
)

func (c Config) withDefaults() Config {
	if c.Accounts <= 0 {
		c.Accounts = DefaultAccounts
	}
	if c.Window <= 0 {
		c.Window = DefaultWindow
	}
	if c.Similarity <= 0 || c.Similarity > 1 {
		c.Similarity = DefaultSimilarity
	}
	if c.MinShingles <= 0 {
		c.MinShingles = DefaultMinShingles
	}
	if c.MaxTracked <= 0 {
		c.MaxTracked = DefaultMaxTracked
	}
	return c
}

// content is one piece of content followed: its first signature stands for every near
// copy.
type content struct {
	sig      fingerprint.MinHashSig
	bands    [fingerprint.MinHashBands]uint64
	mask     uint32    // the bands it is indexed by (AllBands but in a shard of the campaign topic)
	fp       uint64    // Fingerprint(&sig)
	id       string    // the fingerprint named in findings, FingerprintID(fp)
	born     time.Time // the time of its first record
	start    time.Time // its window's
	accounts counter
	reported bool
	live     bool
}

// Detector reports campaigns. Safe for concurrent use (one lock around the state; the
// MinHash of the text is computed outside it).
type Detector struct {
	cfg      Config
	minEqual int

	mu       sync.Mutex
	tracked  []content          // ring of at most MaxTracked
	next     int                // next slot of the ring to fill
	postings map[uint64][]int32 // band key (mixed with the band number) → slots
	bufs     sync.Pool
	publish  func(Observation) // shared mode (NewShared)
}

// New returns a Detector for cfg.
func New(cfg Config) *Detector {
	cfg = cfg.withDefaults()
	d := &Detector{cfg: cfg, postings: map[uint64][]int32{}}
	d.minEqual = int(cfg.Similarity*fingerprint.MinHashPerms + 0.999)
	d.bufs.New = func() any { b := make([]byte, 0, 1024); return &b }
	return d
}

// Name implements detectors.Detector.
func (*Detector) Name() string { return Name }

// Config returns the detector's settings, defaults filled in.
func (d *Detector) Config() Config { return d.cfg }

// Tracked returns how many pieces of content are followed and the bytes their counters
// hold.
func (d *Detector) Tracked() (n, counterBytes int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range d.tracked {
		if d.tracked[i].live {
			n++
			counterBytes += d.tracked[i].accounts.bytes()
		}
	}
	return n, counterBytes
}

// Observation is one record's part in a campaign: the signature of its text, who pushed
// it and when. In shared mode (NewShared) observations go through a log that every
// instance reads in the same order, so all of them count the same accounts.
type Observation struct {
	Sig      fingerprint.MinHashSig
	Who      uint64 // xxhash64 of platform NUL account
	At       time.Time
	RecordID string
	Origin   string // the instance that judged the record (shared mode)
}

// Campaign is what Observe reports when an observation brings a piece of content to the
// configured number of accounts.
type Campaign struct {
	ID       string        // the content's fingerprint, "minhash:" and 16 hex digits
	Accounts int           // distinct accounts counted
	Estimate bool          // Accounts comes from the HyperLogLog (±HLLError)
	Start    time.Time     // the window's start (the content's first record in it)
	Window   time.Duration // the configured window
}

// Detail is the campaign in words, for evidence and events.
func (c Campaign) Detail() string {
	s := c.ID + ": " + strconv.Itoa(c.Accounts) + " accounts in " + c.Window.String()
	if c.Estimate {
		s += " (estimate, ±" + strconv.FormatFloat(100*HLLError, 'f', 1, 64) + " %)"
	}
	return s
}

// NewShared returns a Detector that makes no findings itself: it hands each record's
// observation to publish (which must not block for long), and the log that carries them
// calls Observe on every instance in the same order.
func NewShared(cfg Config, publish func(Observation)) *Detector {
	d := New(cfg)
	d.publish = publish
	return d
}

// Detect implements detectors.Detector.
func (d *Detector) Detect(_ context.Context, r *record.Record, res *detectors.Result) error {
	o, ok := d.observation(r)
	if !ok {
		return nil
	}
	if d.publish != nil {
		d.publish(o)
		return nil
	}
	if c, ok := d.Observe(&o); ok {
		res.Findings = append(res.Findings, detectors.Finding{Detector: Name, Category: Category, Severity: detectors.Medium,
			Layer: detectors.Global, Evidence: detectors.Evidence{Check: "campaign", Outcome: "fail", Entry: c.ID, Detail: c.Detail()}})
	}
	return nil
}

// observation computes r's observation; false when r is not followed (no text, no
// account or platform, too short).
func (d *Detector) observation(r *record.Record) (Observation, bool) {
	if r.Text == "" || r.Account == "" && r.Platform == "" {
		return Observation{}, false
	}
	bp := d.bufs.Get().(*[]byte)
	norm := fingerprint.AppendNormalized((*bp)[:0], r.Text)
	sig, shingles := fingerprint.MinHash(norm)
	*bp = norm
	d.bufs.Put(bp)
	if shingles < d.cfg.MinShingles {
		return Observation{}, false
	}
	at := r.Time
	if at.IsZero() {
		at = time.Now()
	}
	return Observation{Sig: sig, Who: xxhash.Sum64String(r.Platform + "\x00" + r.Account), At: at, RecordID: r.ID}, true
}

// Observe counts o and reports the campaign when o brings its content to the configured
// number of accounts (once per window). The same observations in the same order give the
// same results.
func (d *Detector) Observe(o *Observation) (Campaign, bool) {
	bands := BandKeys(&o.Sig)
	d.mu.Lock()
	defer d.mu.Unlock()
	slot := d.match(&o.Sig, &bands, AllBands)
	if slot < 0 {
		d.add(&o.Sig, &bands, AllBands, o.At).accounts.add(o.Who)
		return Campaign{}, false
	}
	c := &d.tracked[slot]
	if o.At.Sub(c.start) > d.cfg.Window {
		c.start, c.reported = o.At, false // a new window for this content
		c.accounts.reset()
	}
	c.accounts.add(o.Who)
	if n, est := c.accounts.count(); !c.reported && n >= d.cfg.Accounts {
		c.reported = true
		return Campaign{ID: c.id, Accounts: n, Estimate: est, Start: c.start, Window: d.cfg.Window}, true
	}
	return Campaign{}, false
}

// match returns the slot of the followed content that sig agrees with most (at least
// minEqual values), looked up through the bands in mask; -1 when there is none. d.mu is
// held.
func (d *Detector) match(sig *fingerprint.MinHashSig, bands *[fingerprint.MinHashBands]uint64, mask uint32) int {
	slot, best := -1, 0
	for b, k := range bands {
		if mask&(1<<b) == 0 {
			continue
		}
		for _, s := range d.postings[k] {
			c := &d.tracked[s]
			if eq := c.sig.Equal(sig); c.live && eq >= d.minEqual && (eq > best || eq == best && c.fp < d.tracked[slot].fp) {
				slot, best = int(s), eq
			}
		}
	}
	return slot
}

// add starts following a new piece of content, indexed by the bands in mask, dropping
// the oldest when MaxTracked are.
func (d *Detector) add(sig *fingerprint.MinHashSig, bands *[fingerprint.MinHashBands]uint64, mask uint32, at time.Time) *content {
	var slot int
	if len(d.tracked) < d.cfg.MaxTracked {
		d.tracked = append(d.tracked, content{})
		slot = len(d.tracked) - 1
	} else {
		slot = d.next
		d.next = (d.next + 1) % d.cfg.MaxTracked
		old := &d.tracked[slot]
		for b, k := range old.bands {
			if old.mask&(1<<b) != 0 {
				d.unpost(k, int32(slot))
			}
		}
	}
	c := &d.tracked[slot]
	*c = content{sig: *sig, bands: *bands, mask: mask, born: at, start: at, live: true}
	c.fp = Fingerprint(sig)
	c.id = FingerprintID(c.fp)
	for b, k := range bands {
		if mask&(1<<b) != 0 {
			d.postings[k] = append(d.postings[k], int32(slot))
		}
	}
	return c
}

func (d *Detector) unpost(k uint64, slot int32) {
	ps := d.postings[k]
	for i, s := range ps {
		if s == slot {
			ps[i] = ps[len(ps)-1]
			ps = ps[:len(ps)-1]
			break
		}
	}
	if len(ps) == 0 {
		delete(d.postings, k)
	} else {
		d.postings[k] = ps
	}
}

// bandKey is band b of sig (MinHashRows 16-bit values) mixed with b, so that equal values
// in different bands are different keys.
func bandKey(sig *fingerprint.MinHashSig, b int) uint64 {
	r := sig[b*fingerprint.MinHashRows : (b+1)*fingerprint.MinHashRows]
	var k uint64
	for _, v := range r {
		k = k<<16 | uint64(v)
	}
	// SplitMix64's finaliser over the key and the band number.
	k ^= uint64(b+1) * 0x9e3779b97f4a7c15
	k = (k ^ k>>30) * 0xbf58476d1ce4e5b9
	k = (k ^ k>>27) * 0x94d049bb133111eb
	return k ^ k>>31
}

func sigBytes(sig *fingerprint.MinHashSig) []byte {
	out := make([]byte, 2*len(sig))
	for i, v := range sig {
		out[2*i], out[2*i+1] = byte(v>>8), byte(v)
	}
	return out
}
