package campaign

import (
	"reflect"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors/fingerprint"
)

// FuzzShardMessage: no input makes UnmarshalShardMessage panic, and what it accepts
// encodes back to a message that decodes to the same value.
// go test -run '^$' -fuzz FuzzShardMessage -fuzztime 30s ./detectors/campaign
func FuzzShardMessage(f *testing.F) {
	at := time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)
	o := Observation{Sig: fingerprint.MinHashOf(paraphrase(0)), Who: 7, At: at, RecordID: "r", Origin: "h/1"}
	var big counter
	for i := range 100 {
		big.add(uint64(i) * 0x9e3779b97f4a7c15)
	}
	for _, m := range []interface{ MarshalBinary() ([]byte, error) }{
		&Banded{Mask: 5, Of: 2, Observation: o},
		&Assignment{FP: 3, Who: 7, At: at, Created: true, Part: 1, Of: 2, RecordID: "r", Origin: "h/1"},
		&Merge{From: 9, Into: 3, IntoBorn: at, RecordID: "r"},
		&Transfer{Into: 3, IntoBorn: at, Start: at, Accounts: counter{exact: []uint64{1, 2}}, RecordID: "r"},
		&Transfer{Into: 3, IntoBorn: at, Start: at, Reported: true, Accounts: big},
	} {
		b, err := m.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := UnmarshalShardMessage(b)
		if err != nil {
			return
		}
		raw, err := v.(interface{ MarshalBinary() ([]byte, error) }).MarshalBinary()
		if err != nil {
			t.Fatalf("%T decoded but does not encode: %v", v, err)
		}
		v2, err := UnmarshalShardMessage(raw)
		if err != nil || !reflect.DeepEqual(v, v2) {
			t.Fatalf("round trip: %+v\n%+v (%v)", v, v2, err)
		}
	})
}
