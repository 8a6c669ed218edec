package c2pa_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors/label/c2pa"
	"github.com/aigcwatch/aigcwatch/detectors/label/c2pa/c2patest"
	"github.com/aigcwatch/aigcwatch/internal/shareddata"
)

var fuzzLimits = c2pa.Limits{MaxBoxes: 512, MaxManifests: 8, MaxAssertions: 64, MaxActions: 16, MaxIngredients: 8, MaxCBORBytes: 1 << 16}

// seedStores adds the generated stores and, where the shared data is present, the
// stores of the reference implementation's test files (JPEG, one APP11 packet).
func seedStores(f *testing.F) {
	s, err := c2patest.NewSigner()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(genAI.Store(s))
	f.Add(genAI.UnsignedStore())
	if dir := shareddata.Find("c2pa"); dir != "" {
		for _, n := range []string{"C.jpg", "CA.jpg", "update_manifest.jpg"} {
			b, err := os.ReadFile(filepath.Join(dir, n))
			if err != nil {
				continue
			}
			if st := firstAPP11(b); st != nil {
				f.Add(st)
			}
		}
	}
}

// firstAPP11 returns the JUMBF box of a JPEG's first APP11 packet (cut to that packet).
func firstAPP11(b []byte) []byte {
	for off := 2; off+4 < len(b) && b[off] == 0xFF; {
		m, n := b[off+1], int(b[off+2])<<8|int(b[off+3])
		if m == 0xDA || off+2+n > len(b) {
			return nil
		}
		if m == 0xEB && n > 10 {
			return b[off+4+8 : off+2+n]
		}
		off += 2 + n
	}
	return nil
}

// FuzzJUMBF: Parse never panics, returns a *c2pa.Error with a known sentinel on failure,
// and keeps every node inside the input.
func FuzzJUMBF(f *testing.F) {
	seedStores(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := c2pa.Parse(data, fuzzLimits)
		if err != nil {
			var e *c2pa.Error
			if !errors.As(err, &e) || !(errors.Is(err, c2pa.ErrTruncated) || errors.Is(err, c2pa.ErrMalformed) || errors.Is(err, c2pa.ErrLimit)) {
				t.Fatalf("error %v is not a *c2pa.Error with a sentinel", err)
			}
			return
		}
		var walk func(n *c2pa.Node, depth int)
		walk = func(n *c2pa.Node, depth int) {
			if n.Off < 0 || n.Off+n.Len > len(data) || depth > 8 {
				t.Fatalf("node %q [%d,+%d) depth %d outside the input (%d bytes)", n.Label, n.Off, n.Len, depth, len(data))
			}
			for _, c := range n.Children {
				walk(c, depth+1)
			}
		}
		walk(st.Root, 0)
		if len(st.Manifests) > fuzzLimits.MaxManifests {
			t.Fatalf("%d manifests", len(st.Manifests))
		}
	})
}

// FuzzManifest: checking a parsed store against an asset never panics and reports a
// state from the closed set, bounded lists, and never "Valid" or "Trusted".
func FuzzManifest(f *testing.F) {
	seedStores(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := c2pa.Parse(data, fuzzLimits)
		if err != nil {
			return
		}
		r := st.Check(c2pa.Asset{Data: data, StoreOff: 0, StoreLen: len(data)})
		if r.State != c2pa.StateUnverified && r.State != c2pa.StateInvalid {
			t.Fatalf("state %q", r.State)
		}
		if len(r.Actions) > fuzzLimits.MaxActions || len(r.Ingredients) > fuzzLimits.MaxIngredients || len(r.Warnings) > 32 {
			t.Fatalf("unbounded: %d actions, %d ingredients, %d warnings", len(r.Actions), len(r.Ingredients), len(r.Warnings))
		}
		switch r.HardBinding {
		case c2pa.BindingMatch, c2pa.BindingMismatch, c2pa.BindingUnchecked, c2pa.BindingMissing, "":
		default:
			t.Fatalf("hard binding %q", r.HardBinding)
		}
		rec := r.Record()
		if rec.ValidationState == "Valid" || rec.ValidationState == "Trusted" {
			t.Fatal("trust reported without validation")
		}
	})
}
