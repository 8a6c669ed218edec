package hugepage

import "testing"

func TestMakeIsZeroedAndSized(t *testing.T) {
	for _, n := range []int{0, 1, 1000, 3 << 20} {
		s := Make[uint64](n)
		if len(s) != n {
			t.Fatalf("len %d, want %d", len(s), n)
		}
		for i := 0; i < n; i += 4096 {
			if s[i] != 0 {
				t.Fatalf("not zeroed at %d", i)
			}
			s[i] = 1 // writable
		}
	}
	Advise([]byte(nil)) // no panic on empty
}
