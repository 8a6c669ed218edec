package carrier

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aigcwatch/aigcwatch/internal/shareddata"
)

// fuzzLimits are small so the fuzzer reaches the limit paths.
var fuzzLimits = Limits{MaxLabels: 8, MaxValueBytes: 256, MaxInflate: 4096, MaxXMLDepth: 16}

// checkResult holds the invariants every read keeps, whatever the input.
func checkResult(t *testing.T, f Format, data []byte, res *Result, err error) {
	t.Helper()
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("FormatError wraps %v", fe.Err)
			}
			if fe.Offset < 0 {
				t.Fatalf("negative error offset %d", fe.Offset)
			}
		}
	}
	if res == nil {
		if err == nil {
			t.Fatal("nil result without error")
		}
		return
	}
	if res.Format != f {
		t.Fatalf("format %q, want %q", res.Format, f)
	}
	if len(res.Labels) > fuzzLimits.MaxLabels {
		t.Fatalf("%d labels, limit %d", len(res.Labels), fuzzLimits.MaxLabels)
	}
	for _, l := range res.Labels {
		if len(l.Raw) > fuzzLimits.MaxValueBytes {
			t.Fatalf("raw of %d bytes, limit %d", len(l.Raw), fuzzLimits.MaxValueBytes)
		}
		if l.Offset < 0 || l.Offset > int64(len(data)) {
			t.Fatalf("offset %d outside the input (%d bytes)", l.Offset, len(data))
		}
		if !strings.Contains(l.Carrier, "AIGC") {
			t.Fatalf("carrier %q does not name AIGC", l.Carrier)
		}
	}
	if res.Width < 0 || res.Height < 0 || res.DurationS < 0 {
		t.Fatalf("negative size or duration: %+v", res)
	}
	if len(res.Warnings) > 32 {
		t.Fatalf("%d warnings", len(res.Warnings))
	}
}

func addSeeds(f *testing.F, dir string) {
	ents, err := os.ReadDir(filepath.Join("testdata", dir))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range ents {
		if b, err := os.ReadFile(filepath.Join("testdata", dir, e.Name())); err == nil {
			f.Add(b)
		}
	}
}

func fuzzFormat(f *testing.F, format Format, dir string) {
	addSeeds(f, dir)
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ReadFormat(format, data, fuzzLimits)
		checkResult(t, format, data, res, err)
	})
}

func FuzzPNG(f *testing.F)   { fuzzFormat(f, PNG, "png") }
func FuzzJPEG(f *testing.F)  { fuzzFormat(f, JPEG, "jpeg") }
func FuzzMP4(f *testing.F)   { fuzzFormat(f, MP4, "mp4") }
func FuzzMP3(f *testing.F)   { fuzzFormat(f, MP3, "mp3") }
func FuzzWAV(f *testing.F)   { fuzzFormat(f, WAV, "wav") }
func FuzzWebP(f *testing.F)  { fuzzFormat(f, WebP, "webp") }
func FuzzGIF(f *testing.F)   { fuzzFormat(f, GIF, "gif") }
func FuzzPDF(f *testing.F)   { fuzzFormat(f, PDF, "pdf") }
func FuzzHEIF(f *testing.F)  { fuzzFormat(f, HEIF, "heif") }
func FuzzOOXML(f *testing.F) { fuzzFormat(f, OOXML, "ooxml") }

// FuzzXMP drives the XMP scanner alone; a label it reports with exact offsets must be
// found at its offset.
func FuzzXMP(f *testing.F) {
	f.Add(xmpAttr)
	f.Add(xmpElem)
	f.Add(xmpTwo)
	f.Add([]byte(`<a xmlns:t="` + NSTC260 + `"><t:AIGC><![CDATA[x]]></t:AIGC><t:AIGC/></a>`))
	f.Fuzz(func(t *testing.T, pkt []byte) {
		s := &state{lim: fuzzLimits.withDefaults(), res: &Result{Format: JPEG}}
		err := s.xmpScan(pkt, 0, true, "t")
		checkResult(t, JPEG, pkt, s.res, err)
		for _, l := range s.res.Labels {
			if end := l.Offset + int64(len(l.Raw)); end > int64(len(pkt)) || string(pkt[l.Offset:end]) != l.Raw {
				t.Fatalf("raw %q not at offset %d", l.Raw, l.Offset)
			}
		}
		if !utf8.ValidString(s.res.IPTCDigitalSourceType) && utf8.Valid(pkt) {
			t.Fatalf("source type %q is not UTF-8", s.res.IPTCDigitalSourceType)
		}
	})
}

// FuzzRead goes through Sniff, as inspect does. The reference implementation's small
// C2PA files (shared data, when present) are seeds too, so manifests and their hard
// bindings are fuzzed through every carrier.
func FuzzRead(f *testing.F) {
	for _, d := range []string{"png", "jpeg", "mp4", "mp3", "wav", "webp", "gif", "pdf", "heif", "ooxml"} {
		addSeeds(f, d)
	}
	if dir := shareddata.Find("c2pa"); dir != "" {
		for _, n := range []string{"C.jpg", "dashinit.mp4", "nested_moov_1000.mp4", "riff_bomb_1000.wav", "id3v23_compression_underflow.mp3", "test_xmp.webp"} {
			if b, err := os.ReadFile(filepath.Join(dir, n)); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Read(data, fuzzLimits)
		if errors.Is(err, ErrUnknownFormat) {
			if Sniff(data) != "" {
				t.Fatal("ErrUnknownFormat for a sniffed format")
			}
			return
		}
		checkResult(t, Sniff(data), data, res, err)
	})
}
