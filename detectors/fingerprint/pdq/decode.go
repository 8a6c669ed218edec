package pdq

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // register decoders: PDQ inputs are JPEG, PNG and WebP
	_ "image/png"
	"io"
	"os"

	_ "golang.org/x/image/webp"
)

// Limits bound the work and memory of decoding one image.
type Limits struct {
	MaxBytes  int64 // encoded size; 0 means DefaultLimits.MaxBytes
	MaxPixels int64 // width*height from the header; 0 means DefaultLimits.MaxPixels
}

// DefaultLimits: 64 MiB of encoded bytes and 50 megapixels (a decoded 50 MP RGBA image
// is 200 MB; YCbCr JPEGs take less).
var DefaultLimits = Limits{MaxBytes: 64 << 20, MaxPixels: 50_000_000}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultLimits.MaxPixels
	}
	return l
}

// Errors returned (wrapped) by Decode and the Hash*Bytes functions. None is retryable:
// the input itself is bad. Callers count them as a closed set of reasons.
var (
	// ErrTooLarge: the input exceeds Limits (bytes or header pixels); it was not decoded.
	ErrTooLarge = errors.New("pdq: image too large")
	// ErrUnsupported: the bytes are not a JPEG, PNG or WebP image.
	ErrUnsupported = errors.New("pdq: unsupported image format")
	// ErrUndecodable: the header was recognised but the image could not be decoded.
	ErrUndecodable = errors.New("pdq: undecodable image")
)

// Decode decodes a JPEG, PNG or WebP image within lim. It reads the header first and
// refuses images over lim before allocating pixels. It also returns the EXIF
// orientation (1..8; 1 when absent or invalid), which HashImage applies.
func Decode(data []byte, lim Limits) (img image.Image, format string, orientation int, err error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxBytes {
		return nil, "", 0, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), lim.MaxBytes)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, "", 0, fmt.Errorf("%w: %v", ErrUnsupported, err)
		}
		return nil, "", 0, fmt.Errorf("%w: header: %v", ErrUndecodable, err)
	}
	switch format {
	case "jpeg", "png", "webp":
	default:
		return nil, "", 0, fmt.Errorf("%w: %s", ErrUnsupported, format)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, "", 0, fmt.Errorf("%w: %s: empty image %dx%d", ErrUndecodable, format, cfg.Width, cfg.Height)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > lim.MaxPixels {
		return nil, "", 0, fmt.Errorf("%w: %dx%d = %d pixels, limit %d", ErrTooLarge, cfg.Width, cfg.Height, px, lim.MaxPixels)
	}
	img, _, err = image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, "", 0, fmt.Errorf("%w: %s: %v", ErrUndecodable, format, err)
	}
	b := img.Bounds()
	if b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, "", 0, fmt.Errorf("%w: %s: size %dx%d differs from header %dx%d", ErrUndecodable, format, b.Dx(), b.Dy(), cfg.Width, cfg.Height)
	}
	return img, format, Orientation(data), nil
}

// ReadFile reads a file of at most lim.MaxBytes bytes; a larger file is ErrTooLarge.
func ReadFile(path string, lim Limits) ([]byte, error) {
	lim = lim.withDefaults()
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, lim.MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, lim.MaxBytes)
	}
	return data, nil
}

// HashBytes decodes data within lim and returns its PDQ hash and quality.
func HashBytes(data []byte, lim Limits) (Hash, int, error) {
	img, _, o, err := Decode(data, lim)
	if err != nil {
		return Hash{}, 0, err
	}
	h, q := HashImage(img, o)
	return h, q, nil
}

// DihedralBytes decodes data within lim and returns the hashes of its 8 dihedral
// variants and the quality.
func DihedralBytes(data []byte, lim Limits) (Dihedral, int, error) {
	img, _, o, err := Decode(data, lim)
	if err != nil {
		return Dihedral{}, 0, err
	}
	d, q := DihedralImage(img, o)
	return d, q, nil
}

// HashImage returns the PDQ hash and quality of img displayed with EXIF orientation o
// (1..8; other values mean 1).
func HashImage(img image.Image, o int) (Hash, int) { return HashLuma(ToLuma(img, o)) }

// DihedralImage returns the hashes of the 8 dihedral variants of img displayed with EXIF
// orientation o, and the quality.
func DihedralImage(img image.Image, o int) (Dihedral, int) { return DihedralLuma(ToLuma(img, o)) }

// reduceTarget is the short side, in pixels, above which ToLuma box-averages the image
// by an integer factor first. PDQ looks at a 64x64 tent-filtered image, so this loses
// nothing it uses and bounds the float buffers.
const reduceTarget = 512

// ToLuma converts img to luma (0..255, Rec. 601 from RGB), box-averaged by an integer
// factor when its short side exceeds 2*reduceTarget, and oriented by EXIF orientation o.
func ToLuma(img image.Image, o int) Luma {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	f := min(w, h) / reduceTarget
	if f < 1 {
		f = 1
	}
	cols, rows := (w+f-1)/f, (h+f-1)/f
	acc := make([]float32, rows*cols)
	row := make([]float32, w)
	for y := 0; y < h; y++ {
		lumaRow(img, b.Min.X, b.Min.Y+y, row)
		dst := acc[(y/f)*cols:]
		if f == 1 {
			copy(dst[:cols], row)
			continue
		}
		for x, v := range row {
			dst[x/f] += v
		}
	}
	if f > 1 {
		for r := 0; r < rows; r++ {
			nh := min(f, h-r*f)
			for c := 0; c < cols; c++ {
				nw := min(f, w-c*f)
				acc[r*cols+c] /= float32(nh * nw)
			}
		}
	}
	return orient(Luma{Rows: rows, Cols: cols, Pix: acc}, o)
}

func lumaOf(r, g, b uint8) float32 {
	return lumaR*float32(r) + lumaG*float32(g) + lumaB*float32(b)
}

// lumaRow fills row with the luma of the pixels (x0.., y).
func lumaRow(img image.Image, x0, y int, row []float32) {
	switch m := img.(type) {
	case *image.YCbCr:
		yi := m.YOffset(x0, y)
		for x := range row {
			ci := m.COffset(x0+x, y)
			r, g, b := color.YCbCrToRGB(m.Y[yi+x], m.Cb[ci], m.Cr[ci])
			row[x] = lumaOf(r, g, b)
		}
	case *image.Gray:
		p := m.Pix[m.PixOffset(x0, y):]
		for x := range row {
			row[x] = float32(p[x])
		}
	case *image.NRGBA:
		// Alpha is dropped, as the reference's convert("RGB") does.
		p := m.Pix[m.PixOffset(x0, y):]
		for x := range row {
			row[x] = lumaOf(p[4*x], p[4*x+1], p[4*x+2])
		}
	case *image.RGBA:
		p := m.Pix[m.PixOffset(x0, y):]
		for x := range row {
			row[x] = lumaOf(p[4*x], p[4*x+1], p[4*x+2])
		}
	default:
		for x := range row {
			c := color.NRGBAModel.Convert(img.At(x0+x, y)).(color.NRGBA)
			row[x] = lumaOf(c.R, c.G, c.B)
		}
	}
}

// orient returns l transformed so that it displays as EXIF orientation o asks.
func orient(l Luma, o int) Luma {
	if o < 2 || o > 8 {
		return l
	}
	W, H := l.Cols, l.Rows
	out := Luma{Rows: H, Cols: W}
	if o >= 5 {
		out = Luma{Rows: W, Cols: H}
	}
	out.Pix = make([]float32, len(l.Pix))
	in := func(x, y int) float32 { return l.Pix[y*W+x] }
	for y := 0; y < out.Rows; y++ {
		for x := 0; x < out.Cols; x++ {
			var v float32
			switch o {
			case 2: // mirror horizontal
				v = in(W-1-x, y)
			case 3: // rotate 180
				v = in(W-1-x, H-1-y)
			case 4: // mirror vertical
				v = in(x, H-1-y)
			case 5: // transpose
				v = in(y, x)
			case 6: // rotate 90 clockwise
				v = in(y, H-1-x)
			case 7: // transverse
				v = in(W-1-y, H-1-x)
			case 8: // rotate 90 counter-clockwise
				v = in(W-1-y, x)
			}
			out.Pix[y*out.Cols+x] = v
		}
	}
	return out
}
