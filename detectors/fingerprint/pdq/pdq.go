package pdq

import (
	"math"
	"slices"
)

// Luma coefficients (Rec. 601), as in the reference.
const (
	lumaR = 0.299
	lumaG = 0.587
	lumaB = 0.114
)

// jaroszPasses is the number of X,Y box-filter pass pairs: two give a tent filter.
const jaroszPasses = 2

// jaroszWindowDivisor: PDQ decimates to 64x64 and runs two passes, so each pass averages
// over 1/128 of the dimension.
const jaroszWindowDivisor = 128

// dctMatrix is the 16x64 DCT-II basis for frequencies 1..16 (frequency 0, the mean, is
// dropped).
var dctMatrix = func() (d [16][64]float32) {
	scale := math.Sqrt(2.0 / 64.0)
	for i := 0; i < 16; i++ {
		for j := 0; j < 64; j++ {
			d[i][j] = float32(scale * math.Cos(math.Pi/2/64*float64(i+1)*float64(2*j+1)))
		}
	}
	return d
}()

// Luma is a single-channel float image in row-major order, the input of the hashing core.
type Luma struct {
	Rows, Cols int
	Pix        []float32 // len Rows*Cols
}

// jaroszWindow returns the box-filter window size for a dimension (rounded up).
func jaroszWindow(dim int) int { return (dim + jaroszWindowDivisor - 1) / jaroszWindowDivisor }

// box1D is a 1-D moving average of window w over n elements spaced by stride, written
// with the same four phases (and hence the same float rounding order) as the reference:
// out[k] is the mean of in[max(0,k-(w-half)) .. min(n-1,k+half-1)] with half=(w+2)/2.
func box1D(in, out []float32, off, n, stride, w int) {
	half := (w + 2) / 2
	p1 := half - 1
	p2 := w - half + 1
	p3 := n - w
	p4 := half - 1
	li, ri, oi := off, off, off
	var sum float32
	cnt := 0
	for i := 0; i < p1; i++ {
		sum += in[ri]
		cnt++
		ri += stride
	}
	for i := 0; i < p2; i++ {
		sum += in[ri]
		cnt++
		out[oi] = sum / float32(cnt)
		ri += stride
		oi += stride
	}
	for i := 0; i < p3; i++ {
		sum += in[ri]
		sum -= in[li]
		out[oi] = sum / float32(cnt)
		li += stride
		ri += stride
		oi += stride
	}
	for i := 0; i < p4; i++ {
		sum -= in[li]
		cnt--
		out[oi] = sum / float32(cnt)
		li += stride
		oi += stride
	}
}

// jarosz applies the tent filter in place on l.Pix, using scratch (same length).
func jarosz(l Luma, scratch []float32) {
	wr := jaroszWindow(l.Cols)
	wc := jaroszWindow(l.Rows)
	for p := 0; p < jaroszPasses; p++ {
		for i := 0; i < l.Rows; i++ {
			box1D(l.Pix, scratch, i*l.Cols, l.Cols, 1, wr)
		}
		for j := 0; j < l.Cols; j++ {
			box1D(scratch, l.Pix, j, l.Rows, l.Cols, wc)
		}
	}
}

// decimate samples the filtered image at the centres of a 64x64 grid.
func decimate(l Luma, out *[64][64]float32) {
	for i := 0; i < 64; i++ {
		ii := int((float64(i) + 0.5) * float64(l.Rows) / 64)
		row := l.Pix[ii*l.Cols:]
		for j := 0; j < 64; j++ {
			jj := int((float64(j) + 0.5) * float64(l.Cols) / 64)
			out[i][j] = row[jj]
		}
	}
}

// quality is the reference's heuristic: the sum of quantised absolute gradients of the
// 64x64 image, scaled to 0..100.
func quality(b *[64][64]float32) int {
	sum := 0
	for i := 0; i < 63; i++ {
		for j := 0; j < 64; j++ {
			d := int((b[i][j] - b[i+1][j]) * 100 / 255)
			if d < 0 {
				d = -d
			}
			sum += d
		}
	}
	for i := 0; i < 64; i++ {
		for j := 0; j < 63; j++ {
			d := int((b[i][j] - b[i][j+1]) * 100 / 255)
			if d < 0 {
				d = -d
			}
			sum += d
		}
	}
	q := sum / 90
	if q > 100 {
		q = 100
	}
	return q
}

// dct16 computes B = D A Dᵀ, keeping frequencies 1..16 in each direction.
func dct16(a *[64][64]float32, b *[16][16]float32) {
	var t [16][64]float32
	for i := 0; i < 16; i++ {
		di := &dctMatrix[i]
		ti := &t[i]
		for k := 0; k < 64; k++ {
			dik := di[k]
			ak := &a[k]
			for j := 0; j < 64; j++ {
				ti[j] += dik * ak[j]
			}
		}
	}
	for i := 0; i < 16; i++ {
		for j := 0; j < 16; j++ {
			var s float32
			dj := &dctMatrix[j]
			for k := 0; k < 64; k++ {
				s += t[i][k] * dj[k]
			}
			b[i][j] = s
		}
	}
}

// bitsFromDCT sets bit i*16+j when B[i][j] is above the median (the 128th smallest of
// the 256 values, as the reference's Torben median returns).
func bitsFromDCT(b *[16][16]float32) Hash {
	var v [256]float32
	for i := 0; i < 16; i++ {
		copy(v[i*16:], b[i][:])
	}
	s := v
	slices.Sort(s[:])
	median := s[127]
	var h Hash
	for k, x := range v {
		if x > median {
			h.setBit(k)
		}
	}
	return h
}

// transformDCT writes into out the DCT of the image transformed by t, derived from the
// DCT of the original: flips negate odd-frequency rows or columns, transposes swap axes.
func transformDCT(in *[16][16]float32, t Transform, out *[16][16]float32) {
	for i := 0; i < 16; i++ {
		for j := 0; j < 16; j++ {
			a := in[i][j]
			switch t {
			case Original:
				out[i][j] = a
			case Rotate90:
				if j&1 == 0 {
					a = -a
				}
				out[j][i] = a
			case Rotate180:
				if (i+j)&1 != 0 {
					a = -a
				}
				out[i][j] = a
			case Rotate270:
				if i&1 == 0 {
					a = -a
				}
				out[j][i] = a
			case FlipX:
				if i&1 == 0 {
					a = -a
				}
				out[i][j] = a
			case FlipY:
				if j&1 == 0 {
					a = -a
				}
				out[i][j] = a
			case FlipPlus1:
				out[j][i] = a
			case FlipMinus1:
				if (i+j)&1 != 0 {
					a = -a
				}
				out[j][i] = a
			}
		}
	}
}

// hashCore filters l in place (scratch has the same length) and returns the 16x16 DCT
// and the quality.
func hashCore(l Luma, scratch []float32) (dct [16][16]float32, q int) {
	jarosz(l, scratch)
	var d64 [64][64]float32
	decimate(l, &d64)
	q = quality(&d64)
	dct16(&d64, &dct)
	return dct, q
}

// HashLuma hashes a luma image (values 0..255). It overwrites l.Pix. Images smaller
// than 1x1 are the caller's error (Decode refuses them).
func HashLuma(l Luma) (Hash, int) {
	scratch := make([]float32, len(l.Pix))
	dct, q := hashCore(l, scratch)
	return bitsFromDCT(&dct), q
}

// DihedralLuma hashes a luma image and its 7 other dihedral variants. It overwrites l.Pix.
func DihedralLuma(l Luma) (Dihedral, int) {
	scratch := make([]float32, len(l.Pix))
	dct, q := hashCore(l, scratch)
	var out Dihedral
	var aux [16][16]float32
	for t := Original; t <= FlipMinus1; t++ {
		transformDCT(&dct, t, &aux)
		out[t] = bitsFromDCT(&aux)
	}
	return out, q
}
