package c2pa

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// JUMBF (ISO/IEC 19566-5) as C2PA uses it: a superbox ("jumb") holds a description box
// ("jumd": a 16-byte type, toggles, an optional label, id, signature and private box) and
// then content boxes, some of them superboxes again.

// UUIDs of the JUMBF description types C2PA uses: a four-character code followed by
// the ISO suffix 0011-0010-8000-00AA00389B71.
var isoSuffix = []byte{0x00, 0x11, 0x00, 0x10, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}

// Node is one JUMBF superbox.
type Node struct {
	Type     [16]byte // the description's type UUID
	Label    string   // the description's label ("" when absent)
	Off, Len int      // the superbox's byte range within the JUMBF data passed to Parse
	HdrLen   int      // its box header length (8, or 16 with a 64-bit size)
	Children []*Node  // superboxes inside, in order
	Content  []Box    // other boxes inside (after the description), in order
}

// Box is a content box: its type and payload.
type Box struct {
	Type string
	Data []byte
}

// TypeCode returns the four-character code of an ISO-suffixed type UUID (c2pa, c2ma,
// c2as, cbor, json...), or "" for any other UUID.
func (n *Node) TypeCode() string {
	if !bytes.Equal(n.Type[4:], isoSuffix) {
		return ""
	}
	return string(n.Type[:4])
}

// Child returns the first child superbox with the given label, or nil.
func (n *Node) Child(label string) *Node {
	for _, c := range n.Children {
		if c.Label == label {
			return c
		}
	}
	return nil
}

// ContentBox returns the payload of the first content box of type typ.
func (n *Node) ContentBox(typ string) ([]byte, bool) {
	for _, b := range n.Content {
		if b.Type == typ {
			return b.Data, true
		}
	}
	return nil, false
}

// jparser walks JUMBF with bounds on depth and box count.
type jparser struct {
	data  []byte
	lim   Limits
	boxes int
}

// boxHeader reads the box header at d[off:end]: its size (to end when 0), type and
// header length.
func (p *jparser) boxHeader(off, end int) (size int, typ string, hdr int, err error) {
	rem := end - off
	if rem < 8 {
		return 0, "", 0, p.errf(off, ErrTruncated, "box header needs 8 bytes, %d remain", rem)
	}
	d := p.data[off:end]
	sz := uint64(binary.BigEndian.Uint32(d))
	typ, hdr = string(d[4:8]), 8
	switch sz {
	case 0:
		sz = uint64(rem)
	case 1:
		if rem < 16 {
			return 0, "", 0, p.errf(off, ErrTruncated, "%q box: 64-bit size needs 16 bytes, %d remain", typ, rem)
		}
		sz, hdr = binary.BigEndian.Uint64(d[8:]), 16
	}
	if sz < uint64(hdr) {
		return 0, "", 0, p.errf(off, ErrMalformed, "%q box: size %d is smaller than its header", typ, sz)
	}
	if sz > uint64(rem) {
		return 0, "", 0, p.errf(off, ErrTruncated, "%q box declares %d bytes, %d remain", typ, sz, rem)
	}
	p.boxes++
	if p.boxes > p.lim.MaxBoxes {
		return 0, "", 0, p.errf(off, ErrLimit, "more than %d JUMBF boxes", p.lim.MaxBoxes)
	}
	return int(sz), typ, hdr, nil
}

// superbox parses the jumb box at off (its header already read) to off+size.
func (p *jparser) superbox(off, size, hdr, depth int) (*Node, error) {
	if depth > p.lim.MaxDepth {
		return nil, p.errf(off, ErrLimit, "JUMBF nesting deeper than %d", p.lim.MaxDepth)
	}
	n := &Node{Off: off, Len: size, HdrLen: hdr}
	pos, end := off+hdr, off+size
	dsz, dtyp, dhdr, err := p.boxHeader(pos, end)
	if err != nil {
		return nil, err
	}
	if dtyp != "jumd" {
		return nil, p.errf(pos, ErrMalformed, "superbox starts with %q, want a jumd description box", dtyp)
	}
	if err := p.description(n, pos+dhdr, pos+dsz); err != nil {
		return nil, err
	}
	pos += dsz
	for pos < end {
		sz, typ, h, err := p.boxHeader(pos, end)
		if err != nil {
			return nil, err
		}
		if typ == "jumb" {
			c, err := p.superbox(pos, sz, h, depth+1)
			if err != nil {
				return nil, err
			}
			n.Children = append(n.Children, c)
		} else {
			n.Content = append(n.Content, Box{Type: typ, Data: p.data[pos+h : pos+sz]})
		}
		pos += sz
	}
	return n, nil
}

// description reads a jumd payload d[off:end] into n.
func (p *jparser) description(n *Node, off, end int) error {
	d := p.data[off:end]
	if len(d) < 17 {
		return p.errf(off, ErrTruncated, "jumd description is %d bytes, needs at least 17", len(d))
	}
	copy(n.Type[:], d[:16])
	toggles := d[16]
	rest := d[17:]
	if toggles&0x02 != 0 {
		z := bytes.IndexByte(rest, 0)
		if z < 0 {
			return p.errf(off+17, ErrMalformed, "jumd label is not NUL-terminated")
		}
		if z > p.lim.MaxLabelBytes {
			return p.errf(off+17, ErrLimit, "jumd label is %d bytes, limit %d", z, p.lim.MaxLabelBytes)
		}
		n.Label = string(rest[:z])
	}
	return nil
}

func (p *jparser) errf(off int, sentinel error, format string, args ...any) error {
	return &Error{Offset: int64(off), Msg: fmt.Sprintf(format, args...), Err: sentinel}
}

// parseJUMBF parses d as one JUMBF superbox (trailing bytes after it are ignored).
func parseJUMBF(d []byte, lim Limits) (*Node, error) {
	p := &jparser{data: d, lim: lim}
	sz, typ, hdr, err := p.boxHeader(0, len(d))
	if err != nil {
		return nil, err
	}
	if typ != "jumb" {
		return nil, p.errf(0, ErrMalformed, "data starts with a %q box, want a jumb superbox", typ)
	}
	return p.superbox(0, sz, hdr, 0)
}
