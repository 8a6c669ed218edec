package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors/label/c2pa/c2patest"
)

// genAIJPEG writes a JPEG whose C2PA manifest (signed, hard binding over the file) says
// c2pa.created with trainedAlgorithmicMedia, and returns its path.
func genAIJPEG(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 96, 64))
	for y := range 64 {
		for x := range 96 {
			img.Set(x, y, color.RGBA{uint8(x * 2), uint8(y * 3), 80, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	s, err := c2patest.NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	out, err := c2patest.Manifest{ClaimGenerator: "ExampleGen/2.1", Actions: []c2patest.Action{
		{Action: "c2pa.created", DigitalSourceType: c2patest.TrainedAlgorithmicMedia}}}.JPEG(s, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "genai.jpg")
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// scanVerdict runs `aigcwatch scan` on one record and returns the verdict's rule IDs and
// finding categories.
func scanVerdict(t *testing.T, rec []byte) (rules, findings []string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run([]string{"scan"}, bytes.NewReader(rec), &out, &errb); code != exitOK {
		t.Fatalf("scan exit %d: %s", code, errb.String())
	}
	var v struct {
		Rules    []struct{ ID string } `json:"rules"`
		Findings []struct {
			Category string `json:"category"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatalf("verdict %q: %v", out.String(), err)
	}
	for _, r := range v.Rules {
		rules = append(rules, r.ID)
	}
	for _, f := range v.Findings {
		findings = append(findings, f.Category)
	}
	return rules, findings
}

// withFields adds top-level fields (the upload's context, as the platform sends it) to
// inspect's record.
func withFields(t *testing.T, line string, extra map[string]any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range extra {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return append(b, '\n')
}

// TestInspectC2PAThroughScan is the end-to-end path of issue 17: inspect reads the C2PA
// manifest of a generated image (trainedAlgorithmicMedia), and scan's EU and CN rules act
// on that AI evidence. The same upload without the manifest is the control: the rules
// that fire because of the manifest must not fire without it.
func TestInspectC2PAThroughScan(t *testing.T) {
	t.Parallel()
	file := genAIJPEG(t)
	data, _ := os.ReadFile(file)
	plain := filepath.Join(t.TempDir(), "plain.jpg")
	// The same image with the APP11 segment cut out: no manifest.
	n := int(data[4])<<8 | int(data[5])
	os.WriteFile(plain, append(append([]byte{}, data[:2]...), data[2+2+n:]...), 0o644)

	rec := func(path, jur, role string) string {
		code, out, errs := inspect(t, nil, "--jurisdiction", jur, "--role", role, path)
		if code != exitOK {
			t.Fatalf("inspect %s: exit %d: %s", path, code, errs)
		}
		return strings.TrimSuffix(out, "\n")
	}
	line := rec(file, "EU", "platform")
	var got struct {
		C2PA struct {
			Present         bool   `json:"present"`
			ValidationState string `json:"validation_state"`
			HardBinding     string `json:"hard_binding"`
			ClaimGenerator  string `json:"claim_generator"`
			Actions         []struct {
				Action            string `json:"action"`
				DigitalSourceType string `json:"digital_source_type"`
			} `json:"actions"`
		} `json:"c2pa"`
	}
	if err := json.Unmarshal([]byte(line), &got); err != nil {
		t.Fatal(err)
	}
	c := got.C2PA
	if !c.Present || c.ValidationState != "Unverified" || c.HardBinding != "match" || c.ClaimGenerator != "ExampleGen/2.1" ||
		len(c.Actions) != 1 || c.Actions[0].DigitalSourceType != c2patest.TrainedAlgorithmicMedia {
		t.Fatalf("inspect record: %s", line)
	}

	cases := []struct {
		name       string
		jur, role  string
		extra      map[string]any
		wantRules  []string // must fire with the manifest, and not without it
		wantFinds  []string // findings that must be there with the manifest
		neverRules []string // must not fire (trust would be needed)
	}{
		{"EU platform upload of a realistic image of a person, no disclosure", "EU", "platform",
			map[string]any{"signals": map[string]any{"depicts_real_person": true}},
			[]string{"EU-50-4a"}, []string{"label.c2pa_01.inconclusive"}, []string{"C2PA-01"}},
		{"EU provider output marked only by the unvalidated manifest", "EU", "provider", nil,
			nil, []string{"label.eu_50_2.inconclusive"}, []string{"EU-50-2", "C2PA-01"}},
		{"CN platform upload without a CN label", "CN", "platform", nil,
			[]string{"CN-PLAT-01-SUSPECTED"}, []string{"label.x_consist_01.warn"}, []string{"CN-TAMPER-01"}},
		{"CN platform output after processing, no CN label", "CN", "platform",
			map[string]any{"distribution": map[string]any{"processed": true}},
			[]string{"CN-IMP-01", "CN-PLAT-01-SUSPECTED"}, []string{"label.x_consist_01.warn"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rules, finds := scanVerdict(t, withFields(t, rec(file, tc.jur, tc.role), tc.extra))
			for _, r := range tc.wantRules {
				if !slices.Contains(rules, r) {
					t.Errorf("with the manifest: %s did not fire (rules %q, findings %q)", r, rules, finds)
				}
			}
			for _, f := range tc.wantFinds {
				if !slices.Contains(finds, f) {
					t.Errorf("with the manifest: no %s finding (findings %q)", f, finds)
				}
			}
			for _, r := range tc.neverRules {
				if slices.Contains(rules, r) {
					t.Errorf("%s fired on an unvalidated manifest (rules %q)", r, rules)
				}
			}
			without, _ := scanVerdict(t, withFields(t, rec(plain, tc.jur, tc.role), tc.extra))
			for _, r := range tc.wantRules {
				if slices.Contains(without, r) {
					t.Errorf("without the manifest %s fired too: the test does not show the manifest's effect", r)
				}
			}
		})
	}
}
