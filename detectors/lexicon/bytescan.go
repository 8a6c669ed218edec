package lexicon

import "unsafe"

// Scanning with the automaton over bytes (Matcher.bytes): one table look-up per
// byte, no decoding. Each step's load depends on the previous one (about five
// cycles), so texts are cut into streams scanned in one loop, whose chains of
// loads overlap.

// streams is the number of stretches of text scanned together.
const streams = 4

// minStream is the shortest stretch worth a stream of its own (the bytes it reports:
// texts from 64 bytes on are scanned in four streams; most of the realistic mix's texts
// are under 200 bytes, and 16 timed a little faster than 32 and than 8 there, in a
// throwaway side-by-side run, not in the tree), maxStream the longest: a text is scanned in blocks of up to streams*maxStream bytes, so that a block
// dense with matches (held back, see recCap) costs only that block.
const (
	minStream = 16
	maxStream = 4096
)

// recCap bounds the matches each stream but the first of a block holds back
// until the streams before it have reported theirs; when one fills up, the rest
// of the block is scanned by one stream after the other.
const recCap = 32

// heldMatch is a match ending at end, from the block's start, in state s (a row offset
// of the table). 8 bytes: block zeroes 96 of them.
type heldMatch struct {
	end int32
	s   int32
}

// byteTable is a transition table over bytes: each byte's code (cls) and the
// rows (dfa, stride entries each; see Matcher.dfa). Matcher.raw reads the text as
// it is; an asciiTable's reads the prepared text of a normalised scan.
type byteTable struct {
	cls    []uint32 // 256 entries (a slice: converted in the loops, the array pointer needs no nil check there)
	dfa    []int32
	stride int32
	// units is set when the text read is prepared ASCII text (asciiscan.go): a
	// run of white space is one byte of the normalised text and 0xFF none, so
	// the streams warm up over maxLen-1 such units rather than bytes.
	units bool
}

func (m *Matcher) scanBytes(text string, dst []Match, stopAtFirst bool) []Match {
	if stopAtFirst {
		dst, _, _ = m.runBytes(&m.raw, text, 0, len(text), 0, 0, dst, true)
		return dst
	}
	return m.scanStreams(&m.raw, text, dst, minStream, maxStream)
}

// scanStreams scans text in blocks of streams stretches, each stream reporting at
// least minLen bytes, at most maxLen (one stream for what is left when a stretch
// would be shorter).
func (m *Matcher) scanStreams(t *byteTable, text string, dst []Match, minLen, maxLen int) []Match {
	warm := t.warm(m)
	s := int32(0)
	for pos := 0; pos < len(text); {
		// Stream 0 reports the bytes it reads, the others warm bytes fewer: steps
		// covers what is left when streams*steps - (streams-1)*warm = len.
		steps := min(maxLen+warm, (len(text)-pos+(streams-1)*warm)/streams)
		if steps-warm < minLen {
			dst, _, _ = m.runBytes(t, text, pos, len(text), s, 0, dst, false)
			break
		}
		var end int
		dst, s, end = m.block(t, text, pos, steps, s, dst)
		pos = end
	}
	return dst
}

// warm is how many bytes before its stretch a stream starts: none for the text as it
// is (Matcher.resync joins the streams), maxLen-1 for prepared text (t.units), whose
// streams are started that far back so that they reach their stretch in the right
// state.
func (t *byteTable) warm(m *Matcher) int {
	if t.units {
		return int(m.maxLen) - 1
	}
	return 0
}

// block scans a block of text from pos, in state s, in streams of steps bytes, and
// returns the state and the position at its end. Stream k reports the matches ending in
// (b[k], b[k+1]]: stream 0 reads text[b[0]:b[1]], b[0] = pos, starting in state s; the
// others start from the root at x[k] and read up to b[k+1].
//
// Over the text as it is, x[k] = b[k], and a stream does not know the state a scan
// from the start would be in at b[k]. It is joined to the stream before it by resync:
// that one, finished, goes on past b[k] until its state is no deeper than the bytes
// it read past b[k]; from there on both are in the same state, and the later stream's
// matches before that point are dropped. In Chinese prose that takes a few bytes, where
// a warm-up of maxLen-1 bytes (95 for the degenerate phrases) left texts under about
// 220 bytes to one stream, one dependent load after another.
//
// Over prepared text (t.units) a stream starts warm units before b[k] instead (see
// warmStart): it is in the right state on reaching b[k], since no state is deeper than
// warm+1 units; a stream that starts further back finishes its last bytes alone.
func (m *Matcher) block(t *byteTable, text string, pos, steps int, s int32, dst []Match) ([]Match, int32, int) {
	warm := t.warm(m)
	var b [streams + 1]int
	b[0], b[1] = pos, pos+steps
	for k := 2; k <= streams; k++ {
		b[k] = b[k-1] + steps - warm
	}
	x := [streams]int{pos, b[1] - warm, b[2] - warm, b[3] - warm}
	q := steps
	if t.units {
		for k := 1; k < streams; k++ {
			x[k] = warmStart(text, b[k], warm)
			q = min(q, b[k+1]-x[k])
		}
	}
	st := [streams]int32{s}
	var held [streams - 1][recCap]heldMatch
	var nheld [streams - 1]int
	i := 0
	for i < q {
		i = t.step4(text, &x, &st, i, q)
		// Byte i-1 of each stream with a negative state took it to a state with
		// outputs. Streams 1..3 report a match once past their warm-up (end >
		// b[k]).
		full := false
		for k := range streams {
			if st[k] >= 0 {
				continue
			}
			st[k] = ^st[k]
			switch {
			case k == 0:
				dst = m.emit(dst, st[k]/t.stride, x[0]+i)
			case x[k]+i > b[k]:
				h := &nheld[k-1]
				held[k-1][*h] = heldMatch{int32(x[k] + i - pos), st[k]}
				*h++
				full = full || *h == recCap
			}
		}
		if full {
			break
		}
	}
	// Finish each stream in order: its held matches, then the rest of its bytes.
	for k := range streams {
		from := x[k] + i
		if k > 0 {
			keep := held[k-1][:nheld[k-1]]
			if !t.units {
				var p int
				var s int32
				dst, s, p = m.resync(t, text, b[k], from, st[k-1], dst)
				if p == from && int(m.depth[s/t.stride]) > p-b[k] {
					// The stream before reached where this one stopped without
					// joining it: it goes on in its place.
					keep, st[k] = nil, s
				}
				for len(keep) > 0 && pos+int(keep[0].end) <= p {
					keep = keep[1:]
				}
			}
			for _, h := range keep {
				dst = m.emit(dst, h.s/t.stride, pos+int(h.end))
			}
		}
		dst, st[k], _ = m.runBytes(t, text, from, b[k+1], st[k], b[k], dst, false)
	}
	return dst, st[streams-1], b[streams]
}

// step4 runs the four streams starting at text[x[k]] in step from byte i, the
// states in st, until byte n or a byte that takes one of them to a state with
// outputs: then st holds that state complemented (negative) for the streams
// that entered one, and step4 returns the byte after it. It requires
// x[k]+n <= len(text). The loads skip bounds checks: every entry of the table
// is a row offset (or its complement) and every code is below the stride, so
// s+code stays inside the table.
func (t *byteTable) step4(text string, x *[streams]int, st *[streams]int32, i, n int) int {
	_ = text[x[3]+n-1]
	dfa := unsafe.Pointer(unsafe.SliceData(t.dfa))
	cls := (*[256]uint32)(t.cls)
	// Index from i-(n-1) up to 0 from each stream's byte n-1, so that the loop
	// needs no register for its bound.
	last := unsafe.Add(unsafe.Pointer(unsafe.StringData(text)), n-1)
	p0, p1, p2, p3 := unsafe.Add(last, x[0]), unsafe.Add(last, x[1]), unsafe.Add(last, x[2]), unsafe.Add(last, x[3])
	s0, s1, s2, s3 := uint32(st[0]), uint32(st[1]), uint32(st[2]), uint32(st[3])
	j := i - (n - 1)
	for j <= 0 {
		c0 := cls[*(*byte)(unsafe.Add(p0, j))]
		c1 := cls[*(*byte)(unsafe.Add(p1, j))]
		c2 := cls[*(*byte)(unsafe.Add(p2, j))]
		c3 := cls[*(*byte)(unsafe.Add(p3, j))]
		s0 = *(*uint32)(unsafe.Add(dfa, uint(s0+c0)*4))
		s1 = *(*uint32)(unsafe.Add(dfa, uint(s1+c1)*4))
		s2 = *(*uint32)(unsafe.Add(dfa, uint(s2+c2)*4))
		s3 = *(*uint32)(unsafe.Add(dfa, uint(s3+c3)*4))
		j++
		if int32(s0|s1|s2|s3) < 0 {
			break
		}
	}
	st[0], st[1], st[2], st[3] = int32(s0), int32(s1), int32(s2), int32(s3)
	return j + n - 1
}

// resync runs the automaton from s, the state a scan from the start of text is in at
// b, over text[b:lim] until its state is no deeper than the bytes it read: that state
// is the longest suffix of the text read that some pattern starts with, and it lies
// past b, so a stream started at the root at b is in the same state there and from
// then on. It appends the matches ending on the way and returns the state and the
// position where it stopped: the first such, or lim.
func (m *Matcher) resync(t *byteTable, text string, b, lim int, s int32, dst []Match) ([]Match, int32, int) {
	cls, dfa, stride, depth := (*[256]uint32)(t.cls), t.dfa, t.stride, m.depth
	p := b
	for ; p < lim && int(depth[s/stride]) > p-b; p++ {
		v := dfa[uint(uint32(s))+uint(cls[text[p]])]
		if v < 0 {
			v = ^v
			dst = m.emit(dst, v/stride, p+1)
		}
		s = v
	}
	return dst, s, p
}

// runBytes runs the automaton from state s over text[i:end], appending the
// matches that end after lo, and returns the state at end. With stopAtFirst it
// returns after the first match, and reports whether there was one.
func (m *Matcher) runBytes(t *byteTable, text string, i, end int, s int32, lo int, dst []Match, stopAtFirst bool) ([]Match, int32, bool) {
	cls, dfa, stride := (*[256]uint32)(t.cls), t.dfa, t.stride
	txt := text[:end]
	for ; i < len(txt); i++ {
		v := dfa[uint(uint32(s))+uint(cls[txt[i]])]
		if v >= 0 {
			s = v
			continue
		}
		s = ^v
		if i < lo {
			continue
		}
		dst = m.emit(dst, s/stride, i+1)
		if stopAtFirst {
			return dst, s, true
		}
	}
	return dst, s, false
}

// emit appends the matches of state s ending at end.
func (m *Matcher) emit(dst []Match, s int32, end int) []Match {
	for o := m.nodes[s].out; o >= 0; o = m.outs[o].next {
		p := m.outs[o].pat
		dst = append(dst, Match{Start: end - int(m.patLen[p]), End: end, ID: p})
	}
	return dst
}
