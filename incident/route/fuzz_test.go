package route

import (
	"os"
	"testing"

	"github.com/aigcwatch/aigcwatch/incident"
)

// FuzzParse: any bytes either parse into a tree that routes every incident somewhere, or
// give an ErrInvalid error; never a panic.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/good.yaml", "testdata/bad.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("receivers: [{name: a, url: 'http://x/', secret_file: tns.whsec}]\nroute: {receiver: a, routes: [{match_re: {rule: '(a|b'}}]}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := Parse("testdata/fuzz.yaml", b)
		if err != nil {
			return
		}
		s := incident.Summary{ID: "x", Jurisdiction: "CN", Rule: "CN-1", Severity: "high"}
		rs := tr.Match(&s)
		if len(rs) == 0 {
			t.Fatal("a valid tree routed an incident nowhere")
		}
		for _, r := range rs {
			if tr.Receivers[r.Receiver] == nil {
				t.Fatalf("routed to unknown receiver %q", r.Receiver)
			}
		}
	})
}
