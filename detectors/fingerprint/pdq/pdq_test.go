package pdq

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"github.com/aigcwatch/aigcwatch/internal/shareddata"
)

func sharedData(t testing.TB, rel string) string { return shareddata.Path(t, rel) }

type expected struct {
	path string
	hash Hash
}

func loadExpected(t *testing.T) (string, []expected) {
	t.Helper()
	root := sharedData(t, "pdq")
	f, err := os.Open(filepath.Join(root, "expected_hashes.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []expected
	for _, r := range rows[1:] {
		h, err := ParseHex(r[1])
		if err != nil {
			t.Fatalf("%s: %v", r[0], err)
		}
		out = append(out, expected{r[0], h})
	}
	if len(out) < 10 {
		t.Fatalf("only %d expected hashes", len(out))
	}
	return root, out
}

// TestReferenceHashes: ThreatExchange's own test tolerance is 16 bits.
func TestReferenceHashes(t *testing.T) {
	root, exp := loadExpected(t)
	for _, e := range exp {
		t.Run(e.path, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(root, e.path))
			if os.IsNotExist(err) {
				t.Skipf("%s not shipped", e.path)
			}
			if err != nil {
				t.Fatal(err)
			}
			h, q, err := HashBytes(data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			d := h.Distance(e.hash)
			t.Logf("got %s q=%d want %s distance %d", h, q, e.hash, d)
			if d > 16 {
				t.Errorf("distance %d > 16: got %s want %s", d, h, e.hash)
			}
		})
	}
}

// TestDihedralBridge: each rotated or flipped bridge image is matched by the dihedral
// variant of the original that has the same name, and that variant is the nearest one.
func TestDihedralBridge(t *testing.T) {
	root := sharedData(t, "pdq/reg-test-input/dih")
	orig, err := os.ReadFile(filepath.Join(root, "bridge-1-original.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	dih, q, err := DihedralBytes(orig, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if q < 50 {
		t.Fatalf("quality %d of the bridge photo, want >= 50", q)
	}
	plain, _, _ := HashBytes(orig, Limits{})
	if dih[Original] != plain {
		t.Fatalf("dihedral original %s != plain hash %s", dih[Original], plain)
	}
	cases := []struct {
		file string
		want Transform
	}{
		{"bridge-2-rotate-90.jpg", Rotate90},
		{"bridge-3-rotate-180.jpg", Rotate180},
		{"bridge-4-rotate-270.jpg", Rotate270},
		{"bridge-5-flipx.jpg", FlipX},
		{"bridge-6-flipy.jpg", FlipY},
		{"bridge-7-flip-plus-1.jpg", FlipPlus1},
		{"bridge-8-flip-minus-1.jpg", FlipMinus1},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(root, c.file))
			if err != nil {
				t.Fatal(err)
			}
			h, _, err := HashBytes(data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			best, bestD := Transform(0), 257
			for tr, v := range dih {
				if d := v.Distance(h); d < bestD {
					best, bestD = Transform(tr), d
				}
			}
			if plainD := plain.Distance(h); plainD <= 31 {
				t.Errorf("transformed image within %d of the untransformed hash: the test proves nothing", plainD)
			}
			if best != c.want || bestD > 16 {
				t.Errorf("nearest variant %s at %d, want %s within 16", best, bestD, c.want)
			}
		})
	}
}
