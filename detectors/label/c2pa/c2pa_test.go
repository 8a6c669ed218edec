package c2pa_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"slices"
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors/label/c2pa"
	"github.com/aigcwatch/aigcwatch/detectors/label/c2pa/c2patest"
)

// plainJPEG encodes a small gradient.
func plainJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var genAI = c2patest.Manifest{
	ClaimGenerator: "ExampleGen/2.1",
	Title:          "cat.jpg",
	InstanceID:     "xmp:iid:1234",
	Actions: []c2patest.Action{{Action: "c2pa.created", DigitalSourceType: c2patest.TrainedAlgorithmicMedia,
		SoftwareAgent: "ExampleGen 2.1", When: "2026-09-01T00:00:00Z"}},
}

// storeOf returns the manifest store inside a JPEG made by c2patest (one APP11 segment
// right after SOI).
func storeOf(t *testing.T, jpg []byte) ([]byte, int) {
	t.Helper()
	n := int(jpg[4])<<8 | int(jpg[5])
	return jpg[2+2+2+8 : 2+2+n], 2 + n
}

func TestReadGeneratedJPEG(t *testing.T) {
	t.Parallel()
	s, err := c2patest.NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	jpg, err := genAI.JPEG(s, plainJPEG(t, 64, 48))
	if err != nil {
		t.Fatal(err)
	}
	store, segLen := storeOf(t, jpg)

	tamperedImage := slices.Clone(jpg)
	tamperedImage[len(tamperedImage)-10] ^= 0x01 // inside the entropy-coded data
	tamperedStore := slices.Clone(jpg)
	i := bytes.Index(tamperedStore, []byte("ExampleGen 2.1"))
	tamperedStore[i] = 'e' // inside the actions assertion

	tests := []struct {
		name      string
		file      []byte
		state     string
		binding   string
		code      string
		wantDST   bool
		wantCodes []string
	}{
		{"intact", jpg, c2pa.StateUnverified, c2pa.BindingMatch, "assertion.dataHash.match", true, nil},
		{"image bytes changed", tamperedImage, c2pa.StateInvalid, c2pa.BindingMismatch, "assertion.dataHash.mismatch", true, nil},
		{"assertion changed", tamperedStore, c2pa.StateInvalid, c2pa.BindingMatch, "assertion.hashedURI.mismatch", false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := storeOf(t, tc.file)
			r, err := c2pa.Read(st, c2pa.Asset{Data: tc.file, StoreOff: 2, StoreLen: segLen}, c2pa.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if r.State != tc.state || r.HardBinding != tc.binding || !slices.Contains(r.StatusCodes, tc.code) {
				t.Errorf("state %s binding %s codes %v; want %s %s with %s", r.State, r.HardBinding, r.StatusCodes, tc.state, tc.binding, tc.code)
			}
			if r.State == c2pa.StateInvalid && r.StatusCodes[0] != tc.code {
				t.Errorf("failure code %q is not first: %v", tc.code, r.StatusCodes)
			}
			gotDST := len(r.Actions) == 1 && r.Actions[0].DigitalSourceType == c2patest.TrainedAlgorithmicMedia
			if gotDST != tc.wantDST {
				t.Errorf("actions %+v: want the trainedAlgorithmicMedia action %v", r.Actions, tc.wantDST)
			}
			if r.SignerOrg != "aigcwatch tests" || r.When != "" { // c2patest signs without a time stamp
				t.Errorf("signer %q, when %q", r.SignerOrg, r.When)
			}
			if r.ClaimGenerator != "ExampleGen/2.1" || r.Manifests != 1 || r.InstanceID != "xmp:iid:1234" {
				t.Errorf("claim generator %q, manifests %d, instance %q", r.ClaimGenerator, r.Manifests, r.InstanceID)
			}
		})
	}
	_ = store
	rec := func() *c2pa.Report {
		r, _ := c2pa.Read(store, c2pa.Asset{Data: jpg}, c2pa.Limits{})
		return r
	}().Record()
	if !rec.Present || rec.ValidationState != "Unverified" || rec.HardBinding != "match" || len(rec.Actions) != 1 ||
		rec.Actions[0].SoftwareAgent != "ExampleGen 2.1" || rec.Actions[0].When != "2026-09-01T00:00:00Z" {
		t.Errorf("record %+v", rec)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	s, _ := c2patest.NewSigner()
	good := genAI.Store(s)
	deep := []byte{}
	for range 20 {
		deep = superbox(deep)
	}
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, c2pa.ErrTruncated},
		{"cut", good[:len(good)-5], c2pa.ErrTruncated},
		{"not jumb", append([]byte{0, 0, 0, 8}, "free"...), c2pa.ErrMalformed},
		{"size below header", []byte{0, 0, 0, 4, 'j', 'u', 'm', 'b'}, c2pa.ErrMalformed},
		{"too deep", deep, c2pa.ErrLimit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c2pa.Parse(tc.data, c2pa.Limits{})
			var pe *c2pa.Error
			if !errors.Is(err, tc.want) || !errors.As(err, &pe) {
				t.Fatalf("err %v, want %v as *c2pa.Error", err, tc.want)
			}
		})
	}
	if _, err := c2pa.Parse(good, c2pa.Limits{MaxBoxes: 5}); !errors.Is(err, c2pa.ErrLimit) {
		t.Errorf("box limit: %v", err)
	}
	if _, err := c2pa.Parse(good, c2pa.Limits{MaxStoreBytes: 100}); !errors.Is(err, c2pa.ErrLimit) {
		t.Errorf("size limit: %v", err)
	}
}

// superbox wraps inner in a jumb box with a c2pa description.
func superbox(inner []byte) []byte {
	desc := append([]byte("c2pa\x00\x11\x00\x10\x80\x00\x00\xAA\x00\x38\x9B\x71\x03"), "c2pa\x00"...)
	jumd := append([]byte{0, 0, 0, byte(8 + len(desc))}, "jumd"...)
	jumd = append(jumd, desc...)
	body := append(jumd, inner...)
	n := 8 + len(body)
	return append(append([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, "jumb"...), body...)
}
