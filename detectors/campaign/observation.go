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
