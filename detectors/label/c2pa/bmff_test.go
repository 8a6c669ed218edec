package c2pa_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors/label/c2pa"
	"github.com/aigcwatch/aigcwatch/detectors/label/carrier"
	"github.com/aigcwatch/aigcwatch/internal/shareddata"
)

// TestBMFFHash checks the BMFF hash (v1: legacy.mp4, v2: video1.mp4) on the reference
// implementation's files: intact they match; one changed byte of media data, or a
// top-level box moved (v2 hashes box offsets), is a mismatch and the state Invalid.
func TestBMFFHash(t *testing.T) {
	dir := shareddata.Path(t, "c2pa")
	read := func(t *testing.T, data []byte) *c2pa.Report {
		t.Helper()
		res, err := carrier.Read(data, carrier.Limits{})
		if err != nil || res.Manifest == nil {
			t.Fatalf("read: %v, manifest error %v", err, res.ManifestErr)
		}
		return res.Manifest
	}
	for _, name := range []string{"video1.mp4", "legacy.mp4"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			r := read(t, data)
			if r.HardBinding != c2pa.BindingMatch || !slices.Contains(r.StatusCodes, "assertion.bmffHash.match") || r.State != c2pa.StateUnverified {
				t.Fatalf("intact: %s %s %v", r.State, r.HardBinding, r.StatusCodes)
			}
			changed := slices.Clone(data)
			i := bytes.Index(changed, []byte("mdat"))
			changed[i+500] ^= 0x80
			r = read(t, changed)
			if r.HardBinding != c2pa.BindingMismatch || r.State != c2pa.StateInvalid || r.StatusCodes[0] != "assertion.bmffHash.mismatch" {
				t.Errorf("media byte changed: %s %s %v", r.State, r.HardBinding, r.StatusCodes)
			}
		})
	}
	// v2 binds box positions: a free box inserted before mdat shifts it; the bytes of every
	// box are unchanged but their offsets are not.
	data, err := os.ReadFile(filepath.Join(dir, "video1.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte("mdat")) - 4
	moved := append(append(slices.Clone(data[:i]), 0, 0, 0, 8, 'f', 'r', 'e', 'e'), data[i:]...)
	if r := read(t, moved); r.HardBinding != c2pa.BindingMismatch {
		t.Errorf("boxes moved: %s %s %v", r.State, r.HardBinding, r.StatusCodes)
	}
}

// TestIngredientHash: CACA.jpg's active manifest has an ingredient whose manifest is the
// first in the store; intact it matches, and one byte changed inside that manifest (which
// the data hash excludes) is ingredient.manifest.mismatch and Invalid.
func TestIngredientHash(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(shareddata.Path(t, "c2pa"), "CACA.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := carrier.Read(data, carrier.Limits{})
	if err != nil || res.Manifest == nil {
		t.Fatalf("read: %v %v", err, res.ManifestErr)
	}
	if r := res.Manifest; r.State != c2pa.StateUnverified || len(r.Ingredients) != 1 || r.Ingredients[0].Manifest == "" {
		t.Fatalf("intact: %s %v %+v", r.State, r.StatusCodes, r.Ingredients)
	}
	i := bytes.Index(data, []byte("urn:c2pa:5259041e"))
	changed := slices.Clone(data)
	changed[i+5000] ^= 0x01
	res, err = carrier.Read(changed, carrier.Limits{})
	if err != nil || res.Manifest == nil {
		t.Fatalf("read: %v %v", err, res.ManifestErr)
	}
	r := res.Manifest
	if r.State != c2pa.StateInvalid || r.StatusCodes[0] != "ingredient.manifest.mismatch" || r.HardBinding != c2pa.BindingMatch {
		t.Errorf("changed ingredient: %s %s %v", r.State, r.HardBinding, r.StatusCodes)
	}
}
