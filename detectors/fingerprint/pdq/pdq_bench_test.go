package pdq

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"testing"

	"github.com/aigcwatch/aigcwatch/internal/benchclock"
)

// BenchmarkHashJPEG1MP: decode + hash of a 1000x1000 JPEG generated here (smooth noise).
func BenchmarkHashJPEG1MP(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	img := image.NewRGBA(image.Rect(0, 0, 1000, 1000))
	for y := 0; y < 1000; y++ {
		for x := 0; x < 1000; x++ {
			v := uint8((x/8*31 + y/8*17 + r.IntN(16)) % 256)
			img.SetRGBA(x, y, color.RGBA{v, uint8(x / 4), uint8(y / 4), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	clk := benchclock.Start()
	for b.Loop() {
		if _, _, err := HashBytes(data, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
	clk.Report(b, "images/cpu-s")
}
