package c2pa_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors/label/c2pa"
	"github.com/aigcwatch/aigcwatch/detectors/label/c2pa/c2patest"
	"github.com/aigcwatch/aigcwatch/detectors/label/carrier"
	"github.com/aigcwatch/aigcwatch/internal/pyvenv"
	"github.com/aigcwatch/aigcwatch/internal/shareddata"
)

// referencePackage is the C2PA reference implementation's Python binding (c2pa-rs
// inside), pinned so that the cross-check is reproducible.
const referencePackage = "c2pa-python==0.38.1"

// refResult is what testdata/reference.py prints for one file.
type refResult struct {
	File                string   `json:"file"`
	Error               string   `json:"error"`
	NotFound            bool     `json:"not_found"`
	Present             bool     `json:"present"`
	Manifests           int      `json:"manifests"`
	Active              string   `json:"active"`
	ClaimGenerator      string   `json:"claim_generator"`
	ClaimGeneratorName  string   `json:"claim_generator_name"`
	DigitalSourceTypes  []string `json:"digital_source_types"`
	HardBinding         string   `json:"hard_binding"` // match, mismatch, none
	HashedURIMismatch   bool     `json:"hashed_uri_mismatch"`
	ValidationStateSeen string   `json:"validation_state"`
	SignerOrg           string   `json:"signer_org"`
	IngredientMismatch  bool     `json:"ingredient_mismatch"`
	When                string   `json:"when"`
}

// explained are the disagreements that remain, by file and field, each with the reason
// docs/inspect.md gives ("Cross-check with the reference implementation"). A listed
// disagreement that no longer occurs fails the test too, so the list stays true.
// carrierTestdata holds the carrier package's generated files (inputs for signing).
var carrierTestdata = filepath.Join("..", "carrier", "testdata")

var explained = map[string]map[string]string{
	// A DASH init segment whose Merkle tree covers fragments in other files: the Go
	// reader checks the segment's own hash (initHash, it matches) and reports the tree
	// unchecked (Unverified); the reference refuses an initHash in a file without
	// fragments ("BMFF inithash must not be present for non-fragmented media"): mismatch.
	"dashinit.mp4":        {"hard_binding": "init segment without its fragments: Go unchecked, the reference mismatch"},
	"gen-merkle-init.mp4": {"hard_binding": "init segment without its fragments: Go unchecked, the reference mismatch"},
	// The reference signs a fragmented file with a Merkle tree per mdat over fixed-size
	// blocks (merkle_tree_chunk_size_in_kb) but its reader verifies a fragmented file as
	// fragment leaves and finds no merkle box per fragment ("Incorrect number of fragments
	// hashes"): its own file is a mismatch there; the Go reader verifies the trees the
	// assertion describes (they and the file-level hash match).
	"ref-merkle-fragmented.mp4": {"hard_binding": "the reference's writer and reader disagree on a fragmented file with block trees"},
	// The reference refuses the file ("unknown algorithm": no alg in the claim or the
	// hashed URIs); the Go reader reads it and reports Invalid, algorithm.unsupported.
	"no_alg.jpg": {"refused": "reference refuses, Go reports Invalid"},
	// The reference refuses pre-1.0 manifests ("prerelease content detected"); the Go
	// reader reads the store and reports Invalid (its assertion hashes do not match).
	"prerelease.jpg": {"refused": "reference refuses, Go reports Invalid"},
	// The reference refuses the asset ("boxes too deeply nested"); the Go reader walks
	// only the boxes where a manifest or label may be, finds none, and reports no manifest.
	"nested_moov_1000.mp4": {"refused": "reference refuses the asset, Go finds no manifest"},
	// The reference refuses the asset ("Invalid RIFF format": the RIFF size runs past the
	// end); the Go reader reads the chunks that are there, warns, and finds no manifest.
	"sample3.invalid.wav": {"refused": "reference refuses the asset, Go finds no manifest"},
	// The byte changed in the middle of the signed DOCX falls inside the stored manifest:
	// the reference refuses the archive (CRC-32 mismatch), the Go reader reports the
	// store unreadable (present, Invalid, claim.malformed). Neither uses it.
	"changed-ref-none.docx": {"refused": "reference refuses the ZIP (CRC), Go reports the store unreadable"},
}

func TestCrossCheckReference(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-check with the reference implementation: not under -short (it installs c2pa-python from PyPI on first run)")
	}
	dir := shareddata.Path(t, "c2pa")
	py := pyvenv.Python(t, referencePackage)

	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	files = slices.DeleteFunc(files, func(p string) bool { return strings.HasPrefix(filepath.Base(p), "LICENSE") })
	// Files made here: a signed generated image, the same with one image byte changed
	// (both readers must report the hard-binding mismatch), and C.jpg with one byte of
	// its image data changed.
	gen := t.TempDir()
	s, err := c2patest.NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	jpg, err := genAI.JPEG(s, plainJPEG(t, 160, 120))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) {
		p := filepath.Join(gen, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	write("gen-genai.jpg", jpg)
	flipped := slices.Clone(jpg)
	flipped[len(flipped)-20] ^= 0x10
	write("gen-genai-image-changed.jpg", flipped)
	// the same image with a box hash written here (c2patest.JPEGBoxHash), and changed
	bh, err := genAI.JPEGBoxHash(s, plainJPEG(t, 160, 120), nil)
	if err != nil {
		t.Fatal(err)
	}
	write("gen-genai-boxhash.jpg", bh)
	bh = slices.Clone(bh)
	bh[len(bh)-20] ^= 0x10
	write("gen-genai-boxhash-image-changed.jpg", bh)
	cjpg, err := os.ReadFile(filepath.Join(dir, "C.jpg"))
	if err == nil {
		cjpg[len(cjpg)-100] ^= 0x01
		write("gen-C-image-changed.jpg", cjpg)
	}
	// video1.mp4 (a BMFF v2 hash) with one byte of its media data changed.
	if v, err := os.ReadFile(filepath.Join(dir, "video1.mp4")); err == nil {
		if i := bytes.Index(v, []byte("mdat")); i > 0 && i+1000 < len(v) {
			v[i+1000] ^= 0x01
			write("gen-video1-mdat-changed.mp4", v)
		}
	}
	// BMFF files for the reference to sign with Merkle trees (not read themselves), and
	// fragmented files with a Merkle tree over their fragments written here per the
	// specification (specFragmentedMP4): intact, one fragment byte changed, and the
	// initialization segment alone.
	for name, b := range map[string][]byte{"plain.mp4": bmffFile(0, 5000), "fragmented.mp4": bmffFile(3, 2200)} {
		if err := os.WriteFile(filepath.Join(gen, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	frag := specFragmentedMP4(t, s, 5, 2, false)
	write("gen-merkle-fragments.mp4", frag)
	write("gen-merkle-fragments-root.mp4", specFragmentedMP4(t, s, 5, 1, false))
	write("gen-merkle-fragments-layer3.mp4", specFragmentedMP4(t, s, 5, 3, false))
	write("gen-merkle-fragments-changed.mp4", flipAt(frag, bytes.LastIndex(frag, []byte("mdat"))+100))
	write("gen-merkle-init.mp4", specFragmentedMP4(t, s, 5, 1, true))
	// Files the reference implementation signs here, in every format both read: the Go
	// reader must find what the reference wrote (manifest, source type, signer, binding),
	// and agree on the same files with one byte in the middle changed.
	toSign := [][2]string{
		{filepath.Join(dir, "no_manifest.jpg"), "image/jpeg"},
		{filepath.Join(dir, "sample1.png"), "image/png"},
		{filepath.Join(dir, "sample1.webp"), "image/webp"},
		{filepath.Join(dir, "sample1.wav"), "audio/wav"},
		{filepath.Join(dir, "sample1.mp3"), "audio/mpeg"},
		{filepath.Join(dir, "video1_no_manifest.mp4"), "video/mp4"},
		{filepath.Join(carrierTestdata, "gif", "none.gif"), "image/gif"},
		{filepath.Join(carrierTestdata, "heif", "none.heic"), "image/heic"},
		{filepath.Join(carrierTestdata, "heif", "two-labels.avif"), "image/avif"},
		{filepath.Join(carrierTestdata, "pdf", "none.pdf"), "application/pdf"},
		{filepath.Join(carrierTestdata, "ooxml", "none.docx"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		// BMFF Merkle trees over 1 KiB mdat blocks, unfragmented and fragmented
		{filepath.Join(gen, "plain.mp4"), "video/mp4:merkle"},
		{filepath.Join(gen, "fragmented.mp4"), "video/mp4:merkle"},
		// box hashes (c2pa.hash.boxes), through the reference's embeddable-manifest API
		{filepath.Join(dir, "no_manifest.jpg"), "image/jpeg:boxhash"},
		{filepath.Join(dir, "sample1.png"), "image/png:boxhash"},
		{filepath.Join(carrierTestdata, "gif", "none.gif"), "image/gif:boxhash"},
	}
	// written here (c2patest, specFragmentedMP4): the reference must verify them
	mustMatch := map[string]bool{"gen-genai-boxhash.jpg": true, "gen-merkle-fragments.mp4": true,
		"gen-merkle-fragments-root.mp4": true, "gen-merkle-fragments-layer3.mp4": true}
	mustMismatch := map[string]bool{"gen-genai-image-changed.jpg": true, "gen-genai-boxhash-image-changed.jpg": true, "gen-merkle-fragments-changed.mp4": true, "gen-C-image-changed.jpg": true, "gen-video1-mdat-changed.mp4": true}
	signArgs := []string{filepath.Join("testdata", "reference_sign.py"), gen}
	for _, ts := range toSign {
		signArgs = append(signArgs, ts[0]+":"+ts[1])
	}
	signOut, err := exec.Command(py, signArgs...).Output()
	if err != nil {
		t.Fatalf("reference_sign.py: %v", err)
	}
	refSigned := map[string]bool{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(signOut)), "\n") {
		var r struct{ Src, Out, Error string }
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("reference_sign.py output %q: %v", line, err)
		}
		if r.Error != "" {
			t.Errorf("the reference could not sign %s: %s", r.Src, r.Error)
			continue
		}
		files = append(files, r.Out)
		refSigned[filepath.Base(r.Out)] = true
		b, err := os.ReadFile(r.Out)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 0x01
		write("changed-"+filepath.Base(r.Out), b)
		if strings.HasPrefix(filepath.Base(r.Out), "ref-merkle-") {
			// a byte of the last mdat's Merkle-hashed blocks: both must report the mismatch
			b[len(b)/2] ^= 0x01
			i := bytes.LastIndex(b, []byte("mdat")) + 1500
			b[i] ^= 0x01
			name := "block-changed-" + filepath.Base(r.Out)
			write(name, b)
			mustMismatch[name] = true
		}
		if strings.HasPrefix(filepath.Base(r.Out), "ref-boxhash-") {
			// a byte of the image data near the end: both must report the box-hash mismatch
			b[len(b)/2] ^= 0x01
			b[len(b)-20] ^= 0x01
			name := "image-changed-" + filepath.Base(r.Out)
			write(name, b)
			mustMismatch[name] = true
		}
	}
	if len(refSigned) != len(toSign) {
		t.Errorf("the reference signed %d of %d files", len(refSigned), len(toSign))
	}
	// CACA.jpg with one byte changed inside its ingredient's manifest (the first in the
	// store, excluded from the data hash): both must report ingredient.manifest.mismatch.
	if v, err := os.ReadFile(filepath.Join(dir, "CACA.jpg")); err == nil {
		if i := bytes.Index(v, []byte("urn:c2pa:5259041e")); i > 0 && i+5000 < len(v) {
			v[i+5000] ^= 0x01
			write("gen-CACA-ingredient-changed.jpg", v)
		}
	}

	cmd := exec.Command(py, append([]string{filepath.Join("testdata", "reference.py")}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("reference.py: %v\n%s", err, stderr.String())
	}
	refs := map[string]refResult{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r refResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("reference output %q: %v", sc.Text(), err)
		}
		refs[filepath.Base(r.File)] = r
	}
	if len(refs) != len(files) {
		t.Fatalf("reference reported %d files, want %d", len(refs), len(files))
	}

	seen := map[string]map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		ref := refs[name]
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		res, rerr := carrier.Read(data, carrier.Limits{})
		var got *c2pa.Report
		present := false
		if res != nil {
			got, present = res.Manifest, res.C2PA
		}
		disagree := func(field, format string, args ...any) {
			if why, ok := explained[name][field]; ok {
				if seen[name] == nil {
					seen[name] = map[string]bool{}
				}
				seen[name][field] = true
				t.Logf("%s: %s: explained disagreement (%s)", name, field, why)
				return
			}
			t.Errorf("%s: %s: "+format, append([]any{name, field}, args...)...)
		}
		t.Logf("%s: reference %+v", name, ref)
		switch {
		case ref.NotFound:
			if present {
				disagree("present", "Go finds a manifest store, the reference none")
			}
			if rerr != nil && !strings.Contains(name, "invalid") && !strings.Contains(name, "bomb") && !strings.Contains(name, "underflow") {
				t.Errorf("%s: Go reader error %v on a file the reference reads as having no manifest", name, rerr)
			}
			continue
		case ref.Error != "":
			if got == nil || got.State == c2pa.StateInvalid {
				if got == nil {
					disagree("refused", "reference refuses (%s); Go reads it: present %v, error %v", ref.Error, present, rerr)
				} else {
					disagree("refused", "reference refuses (%s); Go reports Invalid %v", ref.Error, got.StatusCodes)
				}
				continue
			}
			disagree("refused", "reference refuses (%s); Go reports %s", ref.Error, got.State)
			continue
		}
		if got == nil {
			t.Errorf("%s: the reference reads a manifest store, Go does not (present %v, error %v, manifest error %v)", name, present, rerr, res.ManifestErr)
			continue
		}
		if got.Manifests != ref.Manifests {
			disagree("manifests", "Go %d, reference %d", got.Manifests, ref.Manifests)
		}
		if got.Active != ref.Active {
			disagree("active", "Go %q, reference %q", got.Active, ref.Active)
		}
		if got.ClaimGenerator != ref.ClaimGenerator {
			disagree("claim_generator", "Go %q, reference %q", got.ClaimGenerator, ref.ClaimGenerator)
		}
		goName := ""
		if len(got.GeneratorInfo) > 0 {
			goName = got.GeneratorInfo[0].Name
		}
		if goName != ref.ClaimGeneratorName {
			disagree("claim_generator_info", "Go %q, reference %q", goName, ref.ClaimGeneratorName)
		}
		var dsts []string
		for _, a := range got.Actions {
			if a.DigitalSourceType != "" && !slices.Contains(dsts, a.DigitalSourceType) {
				dsts = append(dsts, a.DigitalSourceType)
			}
		}
		if !slices.Equal(dsts, ref.DigitalSourceTypes) && (len(dsts) > 0 || len(ref.DigitalSourceTypes) > 0) {
			disagree("digital_source_types", "Go %q, reference %q", dsts, ref.DigitalSourceTypes)
		}
		goBinding := got.HardBinding
		if goBinding == c2pa.BindingMissing {
			goBinding = "none"
		}
		if got.SignerOrg != ref.SignerOrg {
			disagree("signer_org", "Go %q, reference %q", got.SignerOrg, ref.SignerOrg)
		}
		if !sameTime(got.When, ref.When) {
			disagree("when", "Go %q, reference %q", got.When, ref.When)
		}
		if goBinding != ref.HardBinding {
			disagree("hard_binding", "Go %q, reference %q", got.HardBinding, ref.HardBinding)
		}
		if hm := slices.Contains(got.StatusCodes, "assertion.hashedURI.mismatch"); hm != ref.HashedURIMismatch {
			disagree("hashed_uri", "Go mismatch %v, reference %v", hm, ref.HashedURIMismatch)
		}
		if mustMatch[name] && (got.HardBinding != c2pa.BindingMatch || ref.HardBinding != "match") {
			t.Errorf("%s: made here per the specification: Go %s, reference %s; both must report the match", name, got.HardBinding, ref.HardBinding)
		}
		if mustMismatch[name] && (got.HardBinding != c2pa.BindingMismatch || ref.HardBinding != "mismatch" || got.State != c2pa.StateInvalid) {
			t.Errorf("%s: image bytes changed: Go %s/%s, reference %s; both must report the mismatch", name, got.State, got.HardBinding, ref.HardBinding)
		}
		if refSigned[name] && (got.HardBinding != c2pa.BindingMatch || got.State != c2pa.StateUnverified ||
			!slices.Contains(dsts, c2patest.TrainedAlgorithmicMedia) || got.SignerOrg != "aigcwatch cross-check") {
			t.Errorf("%s (signed by the reference): Go %s, binding %s, source types %q, signer %q", name, got.State, got.HardBinding, dsts, got.SignerOrg)
		}
		if (strings.HasPrefix(name, "ref-boxhash-") || strings.HasPrefix(name, "gen-genai-boxhash")) && got.BindingKind != "c2pa.hash.boxes" {
			t.Errorf("%s: hard binding %q, want c2pa.hash.boxes", name, got.BindingKind)
		}
		if gm := slices.Contains(got.StatusCodes, "ingredient.manifest.mismatch"); gm != ref.IngredientMismatch {
			disagree("ingredient", "Go ingredient.manifest.mismatch %v, reference %v", gm, ref.IngredientMismatch)
		}
		if name == "gen-CACA-ingredient-changed.jpg" && (!ref.IngredientMismatch || got.State != c2pa.StateInvalid) {
			t.Errorf("%s: the changed ingredient manifest must be reported by both (Go %s %v)", name, got.State, got.StatusCodes)
		}
		if got.State == c2pa.StateInvalid && ref.ValidationStateSeen != "Invalid" {
			disagree("state", "Go Invalid %v, reference %s", got.StatusCodes, ref.ValidationStateSeen)
		}
	}
	for name, fields := range explained {
		for field := range fields {
			if !seen[name][field] {
				t.Errorf("%s: %s: listed as an explained disagreement but the readers agree now: update the list and docs/inspect.md", name, field)
			}
		}
	}
}

// sameTime compares two RFC 3339 times ("" equals only "").
func sameTime(a, b string) bool {
	if a == "" || b == "" {
		return a == b
	}
	ta, err1 := time.Parse(time.RFC3339, a)
	tb, err2 := time.Parse(time.RFC3339, b)
	return err1 == nil && err2 == nil && ta.Equal(tb)
}
