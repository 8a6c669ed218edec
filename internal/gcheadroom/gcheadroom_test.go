package gcheadroom

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		live, headroom uint64
		want           int
	}{
		{6 << 20, 64 << 20, 1067},   // the embedded defaults: about 11x
		{64 << 20, 64 << 20, 100},   // live as large as the headroom: Go's default
		{500 << 20, 64 << 20, 100},  // a 100k-term lexicon: never below the default
		{0, 64 << 20, 1_000_000},    // nothing live: capped, not a division by zero
		{100 << 20, 150 << 20, 150}, // rounded up
	} {
		if got := Percent(c.live, c.headroom); got != c.want {
			t.Errorf("Percent(%d, %d) = %d, want %d", c.live, c.headroom, got, c.want)
		}
	}
}

func TestApply(t *testing.T) {
	if _, set := os.LookupEnv("GOGC"); set {
		t.Skip("GOGC is set in the environment: Apply leaves it alone by design; TestApplyLeavesGOGC covers that")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	keep := make([]byte, 32<<20) // live heap of at least 32 MiB
	p, ok := Apply(64 << 20)
	if !ok || p < 100 || p > 210 {
		t.Errorf("Apply with >= 32 MiB live: percent %d, applied %v; want 100-210", p, ok)
	}
	if got := debug.SetGCPercent(p); got != p {
		t.Errorf("percent in force %d, Apply said %d", got, p)
	}
	keep[0] = 1
	_ = keep[len(keep)-1]
}

func TestApplyLeavesGOGC(t *testing.T) {
	t.Setenv("GOGC", "150")
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	if p, ok := Apply(64 << 20); ok || p != 150 {
		t.Errorf("with GOGC=150 set: percent %d, applied %v; want 150, false", p, ok)
	}
}
