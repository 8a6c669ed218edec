package carrier

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkRead reads one labelled file per format (a few hundred bytes to 1.3 KB, so the
// figure is the per-file overhead, not throughput on large media).
func BenchmarkRead(b *testing.B) {
	for _, name := range []string{"png/label-text.png", "png/label-xmp.png", "jpeg/label-xmp-attr.jpg", "mp4/label.mp4", "mp3/label-v24.mp3", "wav/label-chunk.wav"} {
		data, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if res, err := Read(data, Limits{}); err != nil || len(res.Labels) != 1 {
					b.Fatal(res, err)
				}
			}
		})
	}
}

// BenchmarkReadLargeMP4 measures the box walk over a file whose bulk is mdat (the
// reader skips it without reading).
func BenchmarkReadLargeMP4(b *testing.B) {
	data := append(mp4File([][]byte{bmffBox("udta", mdtaMeta(true, "AIGC", testLabel))}), bmffBox("mdat", make([]byte, 8<<20))...)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if res, err := Read(data, Limits{}); err != nil || len(res.Labels) != 1 {
			b.Fatal(res, err)
		}
	}
}
