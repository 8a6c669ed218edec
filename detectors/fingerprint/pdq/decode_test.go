package pdq

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// synthetic is a deterministic, asymmetric test image (no external data).
func synthetic(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r := uint8((x*5 + y*2) % 256)
			g := uint8((x * y / 7) % 256)
			b := uint8(0)
			if x < w/3 && y < h/2 {
				b = 255
			}
			img.SetNRGBA(x, y, color.NRGBA{r, g, b, 255})
		}
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestGolden pins the hash of a generated image: stored bank data depends on hashes not
// drifting between releases.
func TestGolden(t *testing.T) {
	const (
		want        = "0f0e1f1e3e1e7c1e7c1ef83ce87cc07409fc057c0df82feaed50f888d2a83883"
		wantQuality = 100
	)
	h, q, err := HashBytes(encodePNG(t, synthetic(300, 200)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if h.String() != want || q != wantQuality {
		t.Errorf("got %s q=%d, want %s q=%d", h, q, want, wantQuality)
	}
}

func TestHexRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100; i++ {
		h := Hash{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
		back, err := ParseHex(strings.ToUpper(h.String()))
		if err != nil || back != h {
			t.Fatalf("round trip of %s: %s, %v", h, back, err)
		}
	}
	// Bit k of the reference is word k/16 of the hex reversed: bit 0 is the last digit.
	var h Hash
	h.setBit(0)
	h.setBit(255)
	if got := h.String(); got != "8"+strings.Repeat("0", 62)+"1" {
		t.Errorf("bit order: %s", got)
	}
	if h.Slot16(0) != 1 || h.Slot16(15) != 0x8000 {
		t.Errorf("slots: %x %x", h.Slot16(0), h.Slot16(15))
	}
	for _, bad := range []string{"", "abc", strings.Repeat("g", 64), strings.Repeat("0", 63) + " "} {
		if _, err := ParseHex(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseHex(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

// transforms returns, for each EXIF orientation, the stored image whose display (after
// applying the orientation) is img. Written pixel by pixel from the EXIF definitions,
// independently of orient.
func stored(img *image.NRGBA, o int) *image.NRGBA {
	b := img.Bounds()
	W, H := b.Dx(), b.Dy()
	var s *image.NRGBA
	if o >= 5 {
		s = image.NewNRGBA(image.Rect(0, 0, H, W))
	} else {
		s = image.NewNRGBA(image.Rect(0, 0, W, H))
	}
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			c := img.NRGBAAt(x, y)
			switch o {
			case 1:
				s.SetNRGBA(x, y, c)
			case 2: // display is the mirror of stored
				s.SetNRGBA(W-1-x, y, c)
			case 3:
				s.SetNRGBA(W-1-x, H-1-y, c)
			case 4:
				s.SetNRGBA(x, H-1-y, c)
			case 5: // transpose
				s.SetNRGBA(y, x, c)
			case 6: // display = stored rotated 90° clockwise, so stored = display rotated 90° counter-clockwise
				s.SetNRGBA(y, W-1-x, c)
			case 7: // transverse
				s.SetNRGBA(H-1-y, W-1-x, c)
			case 8: // stored = display rotated 90° clockwise
				s.SetNRGBA(H-1-y, x, c)
			}
		}
	}
	return s
}

func tiffWithOrientation(bo binary.ByteOrder, o int) []byte {
	var b bytes.Buffer
	if bo == binary.LittleEndian {
		b.WriteString("II*\x00")
	} else {
		b.WriteString("MM\x00*")
	}
	w := func(v any) { _ = binary.Write(&b, bo, v) }
	w(uint32(8))
	w(uint16(2))
	// an unrelated tag first, then orientation
	w(uint16(0x010F))
	w(uint16(2))
	w(uint32(4))
	b.WriteString("abc\x00")
	w(uint16(0x0112))
	w(uint16(3))
	w(uint32(1))
	w(uint16(o))
	w(uint16(0))
	w(uint32(0))
	return b.Bytes()
}

func pngWithExif(t testing.TB, img image.Image, o int) []byte {
	p := encodePNG(t, img)
	tiff := tiffWithOrientation(binary.BigEndian, o)
	var chunk bytes.Buffer
	_ = binary.Write(&chunk, binary.BigEndian, uint32(len(tiff)))
	chunk.WriteString("eXIf")
	chunk.Write(tiff)
	_ = binary.Write(&chunk, binary.BigEndian, crc32.ChecksumIEEE(append([]byte("eXIf"), tiff...)))
	// after IHDR: 8 signature + 25 IHDR
	out := append([]byte{}, p[:33]...)
	out = append(out, chunk.Bytes()...)
	return append(out, p[33:]...)
}

func jpegWithExif(t testing.TB, img image.Image, o int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	j := buf.Bytes()
	payload := append([]byte("Exif\x00\x00"), tiffWithOrientation(binary.LittleEndian, o)...)
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	out := append([]byte{}, j[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, j[2:]...)
}

// TestExifOrientation: an image stored rotated or flipped with the EXIF orientation that
// undoes it hashes like the upright image (exactly for PNG, which is lossless).
func TestExifOrientation(t *testing.T) {
	img := synthetic(240, 160)
	want, _, err := HashBytes(encodePNG(t, img), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for o := 1; o <= 8; o++ {
		s := stored(img, o)
		p := pngWithExif(t, s, o)
		if got := Orientation(p); got != o {
			t.Fatalf("PNG orientation %d read as %d", o, got)
		}
		h, _, err := HashBytes(p, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if h != want {
			t.Errorf("PNG orientation %d: hash %s, want %s (distance %d)", o, h, want, h.Distance(want))
		}
		j := jpegWithExif(t, s, o)
		if got := Orientation(j); got != o {
			t.Fatalf("JPEG orientation %d read as %d", o, got)
		}
		hj, _, err := HashBytes(j, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if d := hj.Distance(want); d > 16 {
			t.Errorf("JPEG orientation %d: distance %d from upright", o, d)
		}
		if o != 1 {
			// Without honouring the tag the hash would be far: the test can fail.
			raw, _ := HashImage(s, 1)
			if d := raw.Distance(want); d <= 31 {
				t.Errorf("orientation %d: the unoriented image is already within %d", o, d)
			}
		}
	}
}

func TestWebPOrientationChunk(t *testing.T) {
	tiff := tiffWithOrientation(binary.LittleEndian, 6)
	var b bytes.Buffer
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(0))
	b.WriteString("WEBP")
	b.WriteString("VP8X")
	_ = binary.Write(&b, binary.LittleEndian, uint32(10))
	b.Write(make([]byte, 10))
	b.WriteString("EXIF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(len(tiff)+6))
	b.WriteString("Exif\x00\x00")
	b.Write(tiff)
	if got := Orientation(b.Bytes()); got != 6 {
		t.Errorf("WebP EXIF orientation read as %d, want 6", got)
	}
}

// TestWebP decodes the WebP samples of golang.org/x/image (found through the go
// command): the lossless and lossy encodings of one picture hash alike.
func TestWebP(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/image").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skip("golang.org/x/image module directory not available")
	}
	var hs []Hash
	for _, f := range []string{"blue-purple-pink.lossless.webp", "blue-purple-pink.lossy.webp"} {
		data, err := os.ReadFile(filepath.Join(dir, "testdata", f))
		if err != nil {
			t.Skipf("x/image testdata: %v", err)
		}
		_, format, _, err := Decode(data, Limits{})
		if err != nil || format != "webp" {
			t.Fatalf("%s: format %q, %v", f, format, err)
		}
		h, _, err := HashBytes(data, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	if d := hs[0].Distance(hs[1]); d > 31 {
		t.Errorf("lossless and lossy WebP of one picture at distance %d", d)
	}
}

// bombPNG is a valid PNG header claiming w x h pixels with almost no data.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit gray
	_ = binary.Write(&b, binary.BigEndian, uint32(13))
	b.WriteString("IHDR")
	b.Write(ihdr)
	_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte("IHDR"), ihdr...)))
	return b.Bytes()
}

func TestLimits(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		lim  Limits
		want error
	}{
		{"bomb header 100k x 100k", bombPNG(100000, 100000), Limits{}, ErrTooLarge},
		{"over pixel limit", encodePNG(t, synthetic(100, 100)), Limits{MaxPixels: 9999}, ErrTooLarge},
		{"over byte limit", encodePNG(t, synthetic(100, 100)), Limits{MaxBytes: 100}, ErrTooLarge},
		{"truncated", encodePNG(t, synthetic(100, 100))[:200], Limits{}, ErrUndecodable},
		{"not an image", []byte("hello, world"), Limits{}, ErrUnsupported},
		{"empty", nil, Limits{}, ErrUnsupported},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := HashBytes(c.data, c.lim)
			if !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
		})
	}
	if _, _, err := HashBytes(encodePNG(t, synthetic(100, 100)), Limits{MaxPixels: 10000}); err != nil {
		t.Errorf("at the pixel limit: %v", err)
	}
}

// TestReduce: box-averaging a large image first (as ToLuma does above 1024 px on the
// short side) changes the hash by a few bits at most.
func TestReduce(t *testing.T) {
	img := synthetic(2400, 1600)
	h, _ := HashImage(img, 1)
	// Full resolution, bypassing the reduction.
	l := Luma{Rows: 1600, Cols: 2400, Pix: make([]float32, 2400*1600)}
	for y := 0; y < 1600; y++ {
		lumaRow(img, 0, y, l.Pix[y*2400:(y+1)*2400])
	}
	full, _ := HashLuma(l)
	if d := h.Distance(full); d > 16 {
		t.Errorf("reduced vs full resolution: distance %d", d)
	}
}

func FuzzParseHex(f *testing.F) {
	f.Add(strings.Repeat("0f", 32))
	f.Add("zz")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHex(s)
		if err != nil {
			return
		}
		if !strings.EqualFold(h.String(), s) {
			t.Fatalf("%q parsed to %s", s, h)
		}
	})
}

func FuzzDecode(f *testing.F) {
	f.Add(encodePNG(f, synthetic(20, 10)))
	f.Add(pngWithExif(f, synthetic(20, 10), 6))
	f.Add(jpegWithExif(f, synthetic(20, 10), 3))
	f.Add(bombPNG(1<<20, 1<<20))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = Orientation(data)
		h, q, err := HashBytes(data, Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 20})
		if err == nil && (q < 0 || q > 100) {
			t.Fatalf("quality %d for %s", q, h)
		}
	})
}
