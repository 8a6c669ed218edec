package campaign

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors/fingerprint"
)

// observationVersion is the first byte of an encoded observation.
const observationVersion = 1

// ErrBadObservation is wrapped by UnmarshalObservation for bytes that are not an encoded
// observation (another producer on the topic, a truncated message): skip and count them.
var ErrBadObservation = errors.New("campaign: bad observation")

// MarshalBinary encodes o: a version byte, the 128 signature values (big-endian), who, the
// time in Unix nanoseconds, then the record id and origin, each with a 2-byte length.
func (o *Observation) MarshalBinary() ([]byte, error) {
	if len(o.RecordID) > 0xFFFF || len(o.Origin) > 0xFFFF {
		return nil, fmt.Errorf("campaign: record id or origin longer than 65535 bytes")
	}
	b := make([]byte, 0, 1+2*fingerprint.MinHashPerms+16+4+len(o.RecordID)+len(o.Origin))
	b = append(b, observationVersion)
	for _, v := range o.Sig {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	b = binary.BigEndian.AppendUint64(b, o.Who)
	b = binary.BigEndian.AppendUint64(b, uint64(o.At.UnixNano()))
	b = binary.BigEndian.AppendUint16(b, uint16(len(o.RecordID)))
	b = append(b, o.RecordID...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(o.Origin)))
	b = append(b, o.Origin...)
	return b, nil
}

// UnmarshalObservation decodes what MarshalBinary encoded.
func UnmarshalObservation(b []byte) (Observation, error) {
	var o Observation
	const fixed = 1 + 2*fingerprint.MinHashPerms + 16
	if len(b) < fixed+4 || b[0] != observationVersion {
		return o, fmt.Errorf("%w: %d bytes, version %d", ErrBadObservation, len(b), firstByte(b))
	}
	p := b[1:]
	for i := range o.Sig {
		o.Sig[i] = binary.BigEndian.Uint16(p[2*i:])
	}
	p = p[2*fingerprint.MinHashPerms:]
	o.Who = binary.BigEndian.Uint64(p)
	o.At = time.Unix(0, int64(binary.BigEndian.Uint64(p[8:]))).UTC()
	p = p[16:]
	str := func() (string, bool) {
		if len(p) < 2 {
			return "", false
		}
		n := int(binary.BigEndian.Uint16(p))
		if len(p) < 2+n {
			return "", false
		}
		s := string(p[2 : 2+n])
		p = p[2+n:]
		return s, true
	}
	var ok1, ok2 bool
	o.RecordID, ok1 = str()
	o.Origin, ok2 = str()
	if !ok1 || !ok2 || len(p) != 0 {
		return Observation{}, fmt.Errorf("%w: bad lengths", ErrBadObservation)
	}
	return o, nil
}

func firstByte(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	return int(b[0])
}

// Messages of a sharded campaign topic (shard.go): the first byte tells them apart.
const (
	kindBanded     = 2 // an observation for the owner of some of its bands
	kindAssignment = 3 // an observation assigned to a fingerprint, for the fingerprint's owner
	kindMerge      = 4 // a fingerprint merged into older content, for the fingerprint's owner
	kindTransfer   = 5 // the counts of a merged fingerprint, for the owner of the older content
)

// Merge says that the content with fingerprint From is a copy of the older content Into
// (whose first record is from IntoBorn): its counts belong there.
type Merge struct {
	From, Into uint64
	IntoBorn   time.Time
	RecordID   string // the record whose observation showed it
}

// Transfer carries the counts of a merged fingerprint to the older content Into.
type Transfer struct {
	Into     uint64
	IntoBorn time.Time
	Start    time.Time // the window of the counts
	Reported bool      // the merged fingerprint reported a campaign in that window
	Accounts counter
	RecordID string // the record whose observation made the merge
}

// MarshalBinary encodes m: kind 4, From, Into, IntoBorn (Unix ns), the record id with a
// 2-byte length.
func (m *Merge) MarshalBinary() ([]byte, error) {
	if len(m.RecordID) > 0xFFFF {
		return nil, fmt.Errorf("campaign: record id longer than 65535 bytes")
	}
	b := make([]byte, 0, 27+len(m.RecordID))
	b = append(b, kindMerge)
	b = binary.BigEndian.AppendUint64(b, m.From)
	b = binary.BigEndian.AppendUint64(b, m.Into)
	b = binary.BigEndian.AppendUint64(b, uint64(m.IntoBorn.UnixNano()))
	b = binary.BigEndian.AppendUint16(b, uint16(len(m.RecordID)))
	return append(b, m.RecordID...), nil
}

// MarshalBinary encodes x: kind 5, the record id with a 2-byte length, Into, IntoBorn,
// Start, Reported (1 byte), then the counter: 0 and a 2-byte count of 8-byte hashes, or 1
// and the 1,024 registers.
func (x *Transfer) MarshalBinary() ([]byte, error) {
	if len(x.RecordID) > 0xFFFF {
		return nil, fmt.Errorf("campaign: record id longer than 65535 bytes")
	}
	b := make([]byte, 0, 3+len(x.RecordID)+24+2+2+8*len(x.Accounts.exact)+len(x.Accounts.regs))
	b = append(b, kindTransfer)
	b = binary.BigEndian.AppendUint16(b, uint16(len(x.RecordID)))
	b = append(b, x.RecordID...)
	b = binary.BigEndian.AppendUint64(b, x.Into)
	b = binary.BigEndian.AppendUint64(b, uint64(x.IntoBorn.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, uint64(x.Start.UnixNano()))
	b = append(b, boolByte(x.Reported))
	if x.Accounts.regs != nil {
		b = append(b, 1)
		return append(b, x.Accounts.regs[:]...), nil
	}
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(len(x.Accounts.exact)))
	for _, h := range x.Accounts.exact {
		b = binary.BigEndian.AppendUint64(b, h)
	}
	return b, nil
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

func unixNano(b []byte) time.Time { return time.Unix(0, int64(binary.BigEndian.Uint64(b))).UTC() }

func unmarshalMerge(b []byte) (*Merge, error) {
	if len(b) < 27 {
		return nil, fmt.Errorf("%w: merge of %d bytes", ErrBadObservation, len(b))
	}
	m := &Merge{From: binary.BigEndian.Uint64(b[1:]), Into: binary.BigEndian.Uint64(b[9:]), IntoBorn: unixNano(b[17:])}
	id, rest, ok := lenString(b[25:])
	if !ok || len(rest) != 0 {
		return nil, fmt.Errorf("%w: merge: bad lengths", ErrBadObservation)
	}
	m.RecordID = id
	return m, nil
}

func unmarshalTransfer(b []byte) (*Transfer, error) {
	if len(b) < 3 {
		return nil, fmt.Errorf("%w: transfer of %d bytes", ErrBadObservation, len(b))
	}
	id, b, ok := lenString(b[1:])
	const fixed = 24 + 2
	if !ok || len(b) < fixed || b[24] > 1 || b[25] > 1 {
		return nil, fmt.Errorf("%w: transfer: bad lengths", ErrBadObservation)
	}
	x := &Transfer{RecordID: id, Into: binary.BigEndian.Uint64(b), IntoBorn: unixNano(b[8:]), Start: unixNano(b[16:]), Reported: b[24] == 1}
	p := b[fixed:]
	if b[25] == 1 {
		if len(p) != 1<<hllP {
			return nil, fmt.Errorf("%w: transfer with %d registers", ErrBadObservation, len(p))
		}
		x.Accounts.regs = new([1 << hllP]uint8)
		copy(x.Accounts.regs[:], p)
		return x, nil
	}
	if len(p) < 2 {
		return nil, fmt.Errorf("%w: transfer without a count", ErrBadObservation)
	}
	n := int(binary.BigEndian.Uint16(p))
	p = p[2:]
	if n > exactLimit || len(p) != 8*n {
		return nil, fmt.Errorf("%w: transfer of %d accounts in %d bytes", ErrBadObservation, n, len(p))
	}
	for i := range n {
		x.Accounts.add(binary.BigEndian.Uint64(p[8*i:])) // a hash repeated counts once
	}
	return x, nil
}

// Banded is an observation sent to the owner of the bands in Mask, one of the Of
// partitions it was sent to.
type Banded struct {
	Mask uint32
	Of   int
	Observation
}

// Assignment says that partition Part assigned an observation's text to the content with
// fingerprint FP. Created: the text became that content there (it matched no older
// content); Of is the number of partitions the observation was sent to.
type Assignment struct {
	FP       uint64
	Who      uint64
	At       time.Time
	Created  bool
	Part     int
	Of       int
	RecordID string
	Origin   string
}

// MarshalBinary encodes b: kind 2, the mask (4 bytes), Of (1 byte), then the observation
// as Observation.MarshalBinary encodes it.
func (b *Banded) MarshalBinary() ([]byte, error) {
	if b.Of < 1 || b.Of > fingerprint.MinHashBands {
		return nil, fmt.Errorf("campaign: banded observation sent to %d partitions", b.Of)
	}
	ob, err := b.Observation.MarshalBinary()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, 6+len(ob))
	out = append(out, kindBanded)
	out = binary.BigEndian.AppendUint32(out, b.Mask)
	out = append(out, byte(b.Of))
	return append(out, ob...), nil
}

// MarshalBinary encodes a: kind 3, the fingerprint, who, the time (Unix ns), a created
// byte, the partition (4 bytes), Of (1 byte), then the record id and origin, each with a
// 2-byte length.
func (a *Assignment) MarshalBinary() ([]byte, error) {
	if len(a.RecordID) > 0xFFFF || len(a.Origin) > 0xFFFF {
		return nil, fmt.Errorf("campaign: record id or origin longer than 65535 bytes")
	}
	if a.Of < 1 || a.Of > fingerprint.MinHashBands || a.Part < 0 || int64(a.Part) > 0x7FFFFFFF {
		return nil, fmt.Errorf("campaign: assignment from partition %d of %d", a.Part, a.Of)
	}
	b := make([]byte, 0, 1+8+8+8+1+5+4+len(a.RecordID)+len(a.Origin))
	b = append(b, kindAssignment)
	b = binary.BigEndian.AppendUint64(b, a.FP)
	b = binary.BigEndian.AppendUint64(b, a.Who)
	b = binary.BigEndian.AppendUint64(b, uint64(a.At.UnixNano()))
	created := byte(0)
	if a.Created {
		created = 1
	}
	b = append(b, created)
	b = binary.BigEndian.AppendUint32(b, uint32(a.Part))
	b = append(b, byte(a.Of))
	b = binary.BigEndian.AppendUint16(b, uint16(len(a.RecordID)))
	b = append(b, a.RecordID...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(a.Origin)))
	b = append(b, a.Origin...)
	return b, nil
}

// UnmarshalShardMessage decodes a message of a sharded campaign topic: a *Banded, an
// *Assignment, a *Merge or a *Transfer. Anything else wraps ErrBadObservation.
func UnmarshalShardMessage(b []byte) (any, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty message", ErrBadObservation)
	}
	switch b[0] {
	case kindBanded:
		if len(b) < 6 {
			return nil, fmt.Errorf("%w: %d bytes", ErrBadObservation, len(b))
		}
		o, err := UnmarshalObservation(b[6:])
		if err != nil {
			return nil, err
		}
		m, of := binary.BigEndian.Uint32(b[1:]), int(b[5])
		if m == 0 || m&^AllBands != 0 || of < 1 || of > fingerprint.MinHashBands {
			return nil, fmt.Errorf("%w: band mask %#x, %d partitions", ErrBadObservation, m, of)
		}
		return &Banded{Mask: m, Of: of, Observation: o}, nil
	case kindAssignment:
		const fixed = 1 + 8 + 8 + 8 + 1 + 4 + 1
		if len(b) < fixed+4 || b[25] > 1 || b[30] < 1 || b[30] > fingerprint.MinHashBands || b[26]&0x80 != 0 {
			return nil, fmt.Errorf("%w: %d bytes", ErrBadObservation, len(b))
		}
		a := &Assignment{FP: binary.BigEndian.Uint64(b[1:]), Who: binary.BigEndian.Uint64(b[9:]),
			At: time.Unix(0, int64(binary.BigEndian.Uint64(b[17:]))).UTC(), Created: b[25] == 1,
			Part: int(binary.BigEndian.Uint32(b[26:])), Of: int(b[30])}
		p := b[fixed:]
		var ok1, ok2 bool
		a.RecordID, p, ok1 = lenString(p)
		a.Origin, p, ok2 = lenString(p)
		if !ok1 || !ok2 || len(p) != 0 {
			return nil, fmt.Errorf("%w: bad lengths", ErrBadObservation)
		}
		return a, nil
	case kindMerge:
		return unmarshalMerge(b)
	case kindTransfer:
		return unmarshalTransfer(b)
	}
	return nil, fmt.Errorf("%w: kind %d (an observation of the one-partition format, or another producer)", ErrBadObservation, b[0])
}

func lenString(p []byte) (string, []byte, bool) {
	if len(p) < 2 {
		return "", p, false
	}
	n := int(binary.BigEndian.Uint16(p))
	if len(p) < 2+n {
		return "", p, false
	}
	return string(p[2 : 2+n]), p[2+n:], true
}
