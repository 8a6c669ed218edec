package main

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/aigcwatch/aigcwatch/internal/benchclock"
)

// noiseJPEG encodes w×h pixels of seeded noise at quality 95: about 5 MB for 2400×1800,
// the size of a camera or generator output that does not compress well.
func noiseJPEG(tb testing.TB, w, h int) []byte {
	tb.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// benchInspect runs `aigcwatch inspect FILE` on data written to a temporary file,
// reporting CPU time per file (read, carrier and manifest reading, hashing, the record).
func benchInspect(b *testing.B, data []byte) {
	p := filepath.Join(b.TempDir(), "f.jpg")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	c := benchclock.Start()
	for b.Loop() {
		if code := runInspect(context.Background(), []string{p}, nil, io.Discard, io.Discard); code != exitOK {
			b.Fatalf("exit %d", code)
		}
	}
	c.ReportBytes(b, int64(len(data)))
}

// BenchmarkInspectJPEG5MBPlain is inspect of a 5 MB JPEG without a manifest: the
// baseline that reading manifests must not slow down.
func BenchmarkInspectJPEG5MBPlain(b *testing.B) { benchInspect(b, noiseJPEG(b, 2400, 1800)) }
