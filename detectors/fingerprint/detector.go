// Package fingerprint matches records against banks of fingerprints of known content:
// exact keys (xxhash64 of normalised text, of media sha256), near-duplicate text
// (SimHash over character shingles) and perceptual image hashes (PDQ, through the
// multi-index in package mih, hashed by package pdq when a record carries image bytes).
//
// Banks are loaded from tab-separated files (docs/fingerprints.md) into an immutable
// Set; a Matcher swaps Sets atomically on reload and keeps the old one when a file is
// malformed. Each bank has a Meaning (known deepfake, known illegal, protected original,
// allow-list) that names the finding category ("hash.known_deepfake", ...).
//
// It does not decide what a match means for a verdict (rules do: a protected-original
// match plus AI evidence plus no disclosure, say), does not fetch banks from the network,
// and does not consume live additions from Kafka itself: Matcher.Add takes them from
// whoever does.
package fingerprint

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/fingerprint/pdq"
	"github.com/aigcwatch/aigcwatch/record"
)

// Name is the detector name in findings and problems.
const Name = "fingerprint"

// Problem reasons reported by the Detector (a closed set).
const (
	ReasonBadPDQ        = "bad_pdq"           // media.pdq is not 64 hex digits
	ReasonLowQuality    = "low_quality_pdq"   // PDQ quality below Config.MinQuality: not matched
	ReasonBadSHA256     = "bad_sha256"        // media.sha256 is not 64 hex digits
	ReasonUndecodable   = "undecodable_image" // media.data could not be decoded
	ReasonUnsupported   = "unsupported_image" // media.data is not JPEG, PNG or WebP
	ReasonImageTooLarge = "image_too_large"   // media.data over the byte or pixel limit
)

// Detector matches records against the Set currently held by a Matcher. It implements
// detectors.Detector and is safe for concurrent use.
//
// Inputs, in order: the record text (exact key, then SimHash and, when a bank holds
// MinHash entries, MinHash, each when the text has at least Config.MinShingles shingles), media.sha256 (or the sha256 of media.data), media.pdq, or
// when there is no media.pdq the PDQ hashes of the 8 dihedral variants of media.data.
// A PDQ hash with a known quality below Config.MinQuality is not matched and is reported
// as a Problem (ReasonLowQuality); an absent quality is treated as good. Malformed input
// is a Problem, never an error. Per input group (text, media) at most Config.MaxMatches
// findings are kept, closest first; if any of them is from an Allow bank, only the
// allow matches are reported for that group.
//
// Matches of a LabeledAI bank are reported ("hash.labeled_ai") only when the record
// carries no implicit label (record.labels.implicit is empty) and no C2PA manifest the
// label detector classes as AI (LabelFacts.AIC2PA): a near-duplicate of content seen
// before with its AIGC label, now arriving without it (CN-TAMPER-01's history check). A
// record that still carries a label, even a broken one, is not reported here: the label
// checks judge it.
type Detector struct {
	m    *Matcher
	pool sync.Pool // *scratch

	// AutoBankLabeled, if not empty, names a bank (of meaning LabeledAI) to which the
	// detector adds, through Matcher.Add, the PDQ hash of every record that carries a
	// readable CN implicit label saying AI (LabelFacts: AILabel, no conflict, CN-TAMPER-01
	// not failed) and a usable PDQ (media.pdq of good quality, or the hash of media.data).
	// A hash within the bank's threshold of an entry already in a LabeledAI bank is not
	// added again. The label detector must run before this one. Set it before the first
	// Detect. The entry's label is the record id (cut to 128 bytes), its source "auto".
	AutoBankLabeled string

	auto AutoBankStats
}

// AutoBankStats counts what AutoBankLabeled did; read it with Detector.AutoBank.
type AutoBankStats struct {
	Added     atomic.Int64 // hashes added to the bank
	Duplicate atomic.Int64 // not added: already within the threshold of a LabeledAI entry
	Full      atomic.Int64 // not added: MaxLiveAdditions reached (ErrTooManyAdditions)
	Failed    atomic.Int64 // not added: another error (unknown bank, no Set loaded)
}

// AutoBank returns the auto-banking counters.
func (d *Detector) AutoBank() *AutoBankStats { return &d.auto }

// Matcher returns the Matcher the detector reads.
func (d *Detector) Matcher() *Matcher { return d.m }

// NewDetector returns a Detector reading banks from m.
func NewDetector(m *Matcher) *Detector {
	return &Detector{m: m, pool: sync.Pool{New: func() any { return new(scratch) }}}
}

type hit struct {
	Match
	field  string
	detail string // fingerprint kind and transform
}

type scratch struct {
	norm []byte
	hits []hit

	skipLabeled bool // drop LabeledAI matches: the record carries a label
	sawLabeled  bool // a LabeledAI match was seen (dropped or not)
}

// Name implements detectors.Detector.
func (d *Detector) Name() string { return Name }

// Detect implements detectors.Detector.
func (d *Detector) Detect(ctx context.Context, r *record.Record, res *detectors.Result) error {
	s := d.m.Set()
	if s == nil {
		return nil
	}
	sc := d.pool.Get().(*scratch)
	defer d.pool.Put(sc)
	sc.skipLabeled = len(r.Labels.Implicit) > 0 || res.Label.AIC2PA
	sc.sawLabeled = false

	if r.Text != "" {
		sc.hits = sc.hits[:0]
		sc.norm = AppendNormalized(sc.norm[:0], r.Text)
		if len(sc.norm) > 0 {
			add := sc.collector(s.cfg.MaxMatches, "text", "text")
			s.MatchTextKey(xxhashSum(sc.norm), add)
			if sh, n := SimHash(sc.norm); n >= s.cfg.MinShingles {
				s.MatchSimHash(sh, sc.collector(s.cfg.MaxMatches, "text", "simhash"))
			}
			if s.hasMinHash() {
				if sig, n := MinHash(sc.norm); n >= s.cfg.MinShingles {
					s.MatchMinHash(&sig, sc.collector(s.cfg.MaxMatches, "text", "minhash"))
				}
			}
		}
		sc.emit(s.cfg.MaxMatches, res)
	}
	if m := r.Media; m != nil {
		sc.hits = sc.hits[:0]
		sc.sawLabeled = false
		h, ok := d.detectMedia(ctx, s, m, sc, res)
		sc.emit(s.cfg.MaxMatches, res)
		if ok && d.AutoBankLabeled != "" && labeledAI(&res.Label) {
			if sc.sawLabeled {
				d.auto.Duplicate.Add(1)
			} else {
				d.autoBank(r, h)
			}
		}
	}
	return nil
}

// labeledAI reports whether the label detector found a readable CN implicit label saying
// AI that is not itself suspect.
func labeledAI(f *detectors.LabelFacts) bool {
	return f.AILabel && f.Parsed > 0 && !f.Conflict && !f.EmptyShell && f.CNTamper01 != detectors.OutcomeFail
}

const maxAutoLabel = 128

func (d *Detector) autoBank(r *record.Record, h pdq.Hash) {
	label := r.ID
	if len(label) > maxAutoLabel {
		label = label[:maxAutoLabel]
		for len(label) > 0 && !utf8.ValidString(label) {
			label = label[:len(label)-1]
		}
	}
	if label == "" {
		label = "auto"
	}
	// The record's strings alias its input buffer: the entry outlives it.
	err := d.m.Add(Entry{Kind: KindPDQ, PDQ: h, Bank: d.AutoBankLabeled, Label: strings.Clone(label), Source: "auto"})
	switch {
	case err == nil:
		d.auto.Added.Add(1)
	case errors.Is(err, ErrTooManyAdditions):
		d.auto.Full.Add(1)
	default:
		d.auto.Failed.Add(1)
	}
}

// detectMedia matches the media inputs and returns the record's PDQ hash (as given, or of
// the untransformed image) when it has a usable one.
func (d *Detector) detectMedia(ctx context.Context, s *Set, m *record.Media, sc *scratch, res *detectors.Result) (pdq.Hash, bool) {
	problem := func(field, reason string) {
		res.Problems = append(res.Problems, detectors.Problem{Detector: Name, Field: field, Reason: reason})
	}
	switch {
	case m.SHA256 != "":
		if k, err := MediaKey(m.SHA256); err != nil {
			problem("media.sha256", ReasonBadSHA256)
		} else {
			s.MatchMediaKey(k, sc.collector(s.cfg.MaxMatches, "media.sha256", "sha256"))
		}
	case len(m.Data) > 0:
		sum := sha256.Sum256(m.Data)
		s.MatchMediaKey(xxhashSum(sum[:]), sc.collector(s.cfg.MaxMatches, "media.data", "sha256"))
	}
	if m.PDQ != "" {
		h, err := pdq.ParseHex(m.PDQ)
		if err != nil {
			problem("media.pdq", ReasonBadPDQ)
			return h, false
		}
		if m.PDQQuality != nil && *m.PDQQuality < s.cfg.MinQuality {
			problem("media.pdq", ReasonLowQuality)
			return h, false
		}
		s.MatchPDQ(h, sc.collector(s.cfg.MaxMatches, "media.pdq", "pdq"))
		return h, true
	}
	// Without PDQ entries there is nothing to hash for, unless auto-banking wants the hash.
	if len(m.Data) == 0 || !(s.hasPDQ() || d.AutoBankLabeled != "") || ctx.Err() != nil {
		return pdq.Hash{}, false
	}
	dih, q, err := pdq.DihedralBytes(m.Data, s.cfg.Limits)
	if err != nil {
		switch {
		case errors.Is(err, pdq.ErrTooLarge):
			problem("media.data", ReasonImageTooLarge)
		case errors.Is(err, pdq.ErrUnsupported):
			problem("media.data", ReasonUnsupported)
		default:
			problem("media.data", ReasonUndecodable)
		}
		return pdq.Hash{}, false
	}
	if q < s.cfg.MinQuality {
		problem("media.data", ReasonLowQuality)
		return pdq.Hash{}, false
	}
	for t, h := range dih {
		detail := "pdq"
		if t != int(pdq.Original) {
			detail = "pdq " + pdq.Transform(t).String()
		}
		s.MatchPDQ(h, sc.collector(s.cfg.MaxMatches, "media.data", detail))
	}
	return dih[pdq.Original], true
}

// collector returns a callback that appends hits, bounding the work on huge clusters:
// it stops after 4×max hits of one input (the closest max are kept by emit).
func (sc *scratch) collector(maxMatches int, field, detail string) func(Match) bool {
	limit := len(sc.hits) + 4*maxMatches
	return func(m Match) bool {
		if m.Meaning == LabeledAI {
			sc.sawLabeled = true
			if sc.skipLabeled {
				return true
			}
		}
		sc.hits = append(sc.hits, hit{Match: m, field: field, detail: detail})
		return len(sc.hits) < limit
	}
}

// emit turns the collected hits of one input group into findings.
func (sc *scratch) emit(maxMatches int, res *detectors.Result) {
	if len(sc.hits) == 0 {
		return
	}
	allow := slices.ContainsFunc(sc.hits, func(h hit) bool { return h.Meaning == Allow })
	if allow {
		sc.hits = slices.DeleteFunc(sc.hits, func(h hit) bool { return h.Meaning != Allow })
	}
	slices.SortStableFunc(sc.hits, func(a, b hit) int { return cmp.Compare(a.Distance, b.Distance) })
	for _, h := range sc.hits[:min(len(sc.hits), maxMatches)] {
		detail := h.detail
		if h.EntryCat != "" {
			detail += "; category=" + h.EntryCat
		}
		res.Findings = append(res.Findings, detectors.Finding{
			Detector: Name,
			Category: h.Category,
			Severity: h.Severity,
			Layer:    detectors.Content,
			Evidence: detectors.Evidence{Field: h.field, Bank: h.Bank, Entry: h.Label, Distance: h.Distance, Detail: detail},
		})
	}
}

func (s *Set) hasPDQ() bool {
	return len(s.pdqHashes) > 0 || (s.extra != nil && s.extra.hasPDQ()) || (s.tail != nil && len(s.tail.pdq) > 0)
}
