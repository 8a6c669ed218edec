package lexicon

import (
	"context"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/record"
)

// Name is the detector's name, in findings and metrics.
const Name = "lexicon"

// Detector reports lexicon terms found in a record's text. It holds the current
// Set behind an atomic pointer: Swap or Reload replaces it while scans go on, each
// scan using the Set it started with. Safe for concurrent use.
type Detector struct {
	set  atomic.Pointer[Set]
	pool sync.Pool
}

// New returns a Detector scanning with set (which may be nil: no findings until a
// Set is swapped in).
func New(set *Set) *Detector {
	d := &Detector{}
	d.pool.New = func() any { return new(Scratch) }
	if set != nil {
		d.set.Store(set)
	}
	return d
}

// Name implements detectors.Detector.
func (d *Detector) Name() string { return Name }

// Set returns the Set in use.
func (d *Detector) Set() *Set { return d.set.Load() }

// Swap installs set and returns the previous one.
func (d *Detector) Swap(set *Set) *Set { return d.set.Swap(set) }

// Reload loads and compiles the lexicon files and swaps them in; on any error it
// keeps the current Set and returns the error. The lexicons are returned for their
// warnings.
func (d *Detector) Reload(paths ...string) ([]*Lexicon, error) {
	lexs, err := Load(paths...)
	if err != nil {
		return lexs, err
	}
	set, err := Compile(lexs...)
	if err != nil {
		return lexs, err
	}
	d.Swap(set)
	return lexs, nil
}

// Detect implements detectors.Detector: one finding per term occurrence in r.Text,
// with byte offsets into r.Text. Entries restricted to jurisdictions other than
// r.Jurisdiction are skipped. Context cues (Entry.Context) are reported only beside
// a finding of another category. It allocates nothing in steady state beyond growing
// res.Findings.
func (d *Detector) Detect(ctx context.Context, r *record.Record, res *detectors.Result) error {
	set := d.set.Load()
	if set == nil || r.Text == "" {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	sc := d.pool.Get().(*Scratch)
	defer d.pool.Put(sc)
	hits := set.Scan(r.Text, r.Jurisdiction, sc)
	risk := false
	for _, h := range hits {
		if !set.entries[h.Entry].Context {
			risk = true
			break
		}
	}
	if !risk {
		return nil // nothing, or only context cues (Entry.Context): no finding
	}
	for _, h := range hits {
		e := &set.entries[h.Entry]
		res.Findings = append(res.Findings, detectors.Finding{
			Detector: Name,
			Category: e.Category,
			Severity: e.Severity,
			Layer:    e.Layer,
			Evidence: detectors.Evidence{Term: e.Term, Start: h.Start, End: h.End},
		})
	}
	return nil
}

func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
