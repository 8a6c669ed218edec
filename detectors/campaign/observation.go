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
)

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

// UnmarshalShardMessage decodes a message of a sharded campaign topic: a *Banded or an
// *Assignment. Anything else wraps ErrBadObservation.
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
