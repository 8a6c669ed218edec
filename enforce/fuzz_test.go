package enforce

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzRestore feeds arbitrary snapshots to Restore: it must not panic, a failed restore
// must leave the state unchanged, and a restored state must apply records and round-trip.
func FuzzRestore(f *testing.F) {
	s := newTestState(f)
	s.ApplyObservation(obs("acme", at(0), crit))
	s.ApplyObservation(obs("acme", at(1), unl))
	s.ApplyObservation(obs("calm", at(1)))
	var buf bytes.Buffer
	if _, err := s.WriteTo(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"format":"aigcwatch.enforcement.state.v1","providers":[{"provider":"x","level":200,"buckets":3,"points_milli":[1,2,3],"head":-5,"started":true}]}`))
	f.Add([]byte(`{"format":"aigcwatch.enforcement.state.v1","providers":[{"provider":"x","ladder":"test","level":1,"buckets":10,"bucket_ns":3600000000000,"appetite_bucket_ns":3600000000000,"volume":[1,1,1,1,1,1,1,1,1,1],"points_milli":[0,0,0,0,0,0,0,0,0,-9],"categories":["unlabeled"],"category_counts":[[9,9,9,9,9,9,9,9,9,9]],"started":true,"head":-1,"appetite_head":7}]}`))
	pols := testPolicies(f)
	newState := func() *State { return NewState(pols, Options{}) }
	f.Fuzz(func(t *testing.T, data []byte) {
		st := newState()
		st.ApplyObservation(obs("before", at(0)))
		if err := st.Restore(bytes.NewReader(data)); err != nil {
			if st.Len() != 1 {
				t.Fatalf("failed restore changed the state: %v", err)
			}
			return
		}
		for _, v := range st.Levels() {
			st.ApplyObservation(obs(v.Provider, at(100), crit, unl))
			st.Views(Query{})
			st.Provider(v.Provider)
		}
		st.Sweep(at(1000))
		var out bytes.Buffer
		if _, err := st.WriteTo(&out); err != nil {
			t.Fatal(err)
		}
		again := newState()
		if err := again.Restore(bytes.NewReader(out.Bytes())); err != nil {
			t.Fatalf("a written snapshot does not restore: %v", err)
		}
		a, _ := json.Marshal(st.Export())
		b, _ := json.Marshal(again.Export())
		if !bytes.Equal(a, b) {
			t.Fatalf("round trip changed the state:\n%s\n%s", a, b)
		}
	})
}
