package stream

import (
	"io"
	"log/slog"
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors/fingerprint"
)

// TestBanksApply checks message handling without a broker: several lines per message,
// CRLF, comments; a bad line does not hold back the good lines of its message.
func TestBanksApply(t *testing.T) {
	m := fingerprint.NewMatcher(nil)
	if _, err := m.Reload(fingerprint.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	b := &Banks{matcher: func() *fingerprint.Matcher { return m }}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22"
	cases := []struct {
		name, value                          string
		added, malformed, rejected, liveWant int64
	}{
		{"two good lines, CRLF and a comment", "# c\r\npdq:" + h + "\tknown_illegal\ta\t\t\r\ntext:0123456789abcdef\tallow\tb\t\t\r\n\r\n", 2, 0, 0, 2},
		{"a malformed line among good ones", "pdq:" + h + "\tlabeled_ai\tc\t\t\nnot a bank line\ntext:0123456789abcdef\tallow\td\t\t", 2, 1, 0, 4},
		{"an unknown bank among good ones", "pdq:" + h + "\tnope\te\t\t\ntext:0123456789abcdef\tallow\tf\t\t", 1, 0, 1, 5},
		{"empty message", "", 0, 0, 0, 5},
	}
	for _, c := range cases {
		before := b.Stats()
		b.apply(log, 7, []byte(c.value))
		st := b.Stats()
		if st.Added-before.Added != c.added || st.Malformed-before.Malformed != c.malformed || st.Rejected-before.Rejected != c.rejected || int64(m.Live()) != c.liveWant {
			t.Errorf("%s: %v (before %v), live %d", c.name, st, before, m.Live())
		}
	}
	n := 0
	m.Set().MatchTextKey(0x0123456789abcdef, func(fingerprint.Match) bool { n++; return true })
	if n != 3 {
		t.Errorf("text key matched %d entries, want 3", n)
	}
}
