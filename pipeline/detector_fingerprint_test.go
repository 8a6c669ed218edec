package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors/fingerprint"
)

// TestFingerprintBankThroughPipeline: a bank file given in the config is loaded, a
// record whose PDQ hash is near a bank entry gets a hash finding with bank, entry and
// distance, and the global stay-down rule blocks it; a malformed hash is a problem
// named in the verdict, not a crash.
func TestFingerprintBankThroughPipeline(t *testing.T) {
	dir := t.TempDir()
	bank := filepath.Join(dir, "bank.tsv")
	const h = "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22"
	os.WriteFile(bank, []byte("# hash\tbank\tlabel\tcategory\tsource\npdq:"+h+"\tknown_illegal\tcase-17\tterror\tgifct\n"), 0o644)
	cfg := DefaultConfig
	cfg.Banks = []string{bank}
	p, err := Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	near := "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b2f" // 3 bits away
	j, err := p.NewWorker().Judge(context.Background(), []byte(`{"id":"h1","jurisdiction":"BR","modality":"image","media":{"pdq":"`+near+`","pdq_quality":90}}`))
	if err != nil || j.Verdict == nil {
		t.Fatal(err, j.Reject)
	}
	js := string(j.VerdictJSON)
	for _, want := range []string{`"category":"hash.known_illegal"`, `"bank":"known_illegal"`, `"entry":"case-17"`, `"distance":3`, `"field":"media.pdq"`, `"decision":"block"`, `"id":"GL-HASH-01"`} {
		if !strings.Contains(js, want) {
			t.Errorf("verdict lacks %s:\n%s", want, js)
		}
	}
	j, err = p.NewWorker().Judge(context.Background(), []byte(`{"id":"h2","modality":"image","media":{"pdq":"zz"}}`))
	if err != nil || j.Verdict == nil || !strings.Contains(string(j.VerdictJSON), `"reason":"bad_pdq"`) {
		t.Fatalf("malformed pdq: %v %s", err, j.VerdictJSON)
	}
	// A malformed bank fails the build with file:line.
	os.WriteFile(bank, []byte("pdq:xyz\tknown_illegal\tx\t\t\n"), 0o644)
	if _, err := Build(cfg); err == nil || !strings.Contains(err.Error(), "bank.tsv:1") {
		t.Errorf("malformed bank: %v", err)
	}
}

// TestAutoBankLabeledThroughPipeline: with auto_bank_labeled and no bank file, a record
// carrying a valid CN implicit label is banked by the real label and fingerprint
// detectors; a near-duplicate arriving without the label fires CN-TAMPER-01-HISTORY with
// the first record named as the entry; the same content still labeled does not; and the
// live addition survives a reload when the Matcher is shared (Config.Fingerprints).
func TestAutoBankLabeledThroughPipeline(t *testing.T) {
	cfg := DefaultConfig
	cfg.AutoBankLabeled = true
	cfg.Fingerprints = fingerprint.NewMatcher(nil)
	p, err := Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const label = `{\"AIGC\":{\"Label\":\"1\",\"ContentProducer\":\"001191110102MAD55U9H0F10002\",\"ProduceID\":\"p-0001\",\"ReservedCode1\":\"e862483430d978cbf828b8b24296ef9328d843a0\",\"ContentPropagator\":\"001191110102MAD55U9H0F10002\",\"PropagateID\":\"p-0001\",\"ReservedCode2\":\"\"}}`
	const h = "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22"
	const near = "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b2f" // 3 bits away
	judge := func(rec string) string {
		t.Helper()
		j, err := p.NewWorker().Judge(context.Background(), []byte(rec))
		if err != nil || j.Verdict == nil {
			t.Fatal(err, j.Reject)
		}
		return string(j.VerdictJSON)
	}
	unlabeled := `{"id":"r2","time":"2026-10-01T08:00:00Z","jurisdiction":"CN","role":"platform","modality":"image","declared_ai":false,"media":{"pdq":"` + near + `"}}`
	if js := judge(unlabeled); strings.Contains(js, "CN-TAMPER-01-HISTORY") {
		t.Fatalf("fired before anything was banked:\n%s", js)
	}
	labeled := `{"id":"r1","time":"2026-10-01T08:00:00Z","jurisdiction":"CN","role":"provider","modality":"image","labels":{"implicit":[{"carrier":"xmp:TC260:AIGC","raw":"` + label + `"}]},"media":{"pdq":"` + h + `"}}`
	if js := judge(labeled); strings.Contains(js, "hash.labeled_ai") {
		t.Fatalf("a labeled record reported as tampered:\n%s", js)
	}
	if st := p.FingerprintDetector().AutoBank(); st.Added.Load() != 1 {
		t.Fatalf("auto-banked %d, want 1 (dup %d, failed %d)", st.Added.Load(), st.Duplicate.Load(), st.Failed.Load())
	}
	check := func(when string) {
		t.Helper()
		js := judge(unlabeled)
		for _, want := range []string{`"id":"CN-TAMPER-01-HISTORY"`, `"category":"hash.labeled_ai"`, `"entry":"r1"`, `"distance":3`} {
			if !strings.Contains(js, want) {
				t.Errorf("%s: verdict lacks %s:\n%s", when, want, js)
			}
		}
	}
	check("after banking")
	if js := judge(strings.Replace(labeled, `"id":"r1"`, `"id":"r3"`, 1)); strings.Contains(js, "CN-TAMPER-01-HISTORY") {
		t.Errorf("labeled copy fired:\n%s", js)
	}
	rl := &Reloader{P: p, Cfg: cfg}
	if err := rl.Reload(); err != nil {
		t.Fatal(err)
	}
	check("after reload")
}
