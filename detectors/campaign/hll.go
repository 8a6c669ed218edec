package campaign

import (
	"math"
	"math/bits"
	"slices"
)

// hllP is the HyperLogLog precision: 2^hllP one-byte registers (1 KiB per counter), relative
// standard error 1.04/√1024 ≈ 3.3 %.
const hllP = 10

// HLLError is the relative standard error of a distinct count above exactLimit.
var HLLError = 1.04 / math.Sqrt(1<<hllP)

// exactLimit is how many distinct accounts a counter holds exactly (8 bytes each) before it
// becomes a HyperLogLog: most content is never pushed by more than a few accounts.
const exactLimit = 64

// counter counts distinct 64-bit hashes: exactly up to exactLimit, then with a
// HyperLogLog (Flajolet et al. 2007, with the small-range linear-counting correction).
type counter struct {
	exact []uint64
	regs  *[1 << hllP]uint8
}

func (c *counter) add(h uint64) {
	if c.regs == nil {
		for _, x := range c.exact {
			if x == h {
				return
			}
		}
		if len(c.exact) < exactLimit {
			c.exact = append(c.exact, h)
			return
		}
		c.regs = new([1 << hllP]uint8)
		for _, x := range c.exact {
			c.hllAdd(x)
		}
		c.exact = nil
	}
	c.hllAdd(h)
}

func (c *counter) hllAdd(h uint64) {
	idx := h >> (64 - hllP)
	w := h<<hllP | 1<<(hllP-1) // the remaining bits, with a stop bit
	rank := uint8(bits.LeadingZeros64(w)) + 1
	if rank > c.regs[idx] {
		c.regs[idx] = rank
	}
}

// count returns the number of distinct hashes added (exact up to exactLimit) and whether
// it is an estimate.
func (c *counter) count() (int, bool) {
	if c.regs == nil {
		return len(c.exact), false
	}
	const m = 1 << hllP
	sum, zeros := 0.0, 0
	for _, r := range c.regs {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	alpha := 0.7213 / (1 + 1.079/m)
	e := alpha * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(float64(m)/float64(zeros))
	}
	return int(e + 0.5), true
}

func (c *counter) reset() {
	c.exact = c.exact[:0]
	c.regs = nil
}

// bytes is the memory the counter holds.
func (c *counter) bytes() int {
	if c.regs != nil {
		return len(c.regs)
	}
	return 8 * cap(c.exact)
}

// merge adds every hash o counted (the union; for HyperLogLogs, the register maxima).
func (c *counter) merge(o *counter) {
	if o.regs == nil {
		for _, h := range o.exact {
			c.add(h)
		}
		return
	}
	if c.regs == nil {
		c.regs = new([1 << hllP]uint8)
		for _, x := range c.exact {
			c.hllAdd(x)
		}
		c.exact = nil
	}
	for i, r := range o.regs {
		c.regs[i] = max(c.regs[i], r)
	}
}

// clone returns a copy of c that shares nothing with it.
func (c *counter) clone() counter {
	out := counter{exact: slices.Clone(c.exact)}
	if c.regs != nil {
		r := *c.regs
		out.regs = &r
	}
	return out
}
