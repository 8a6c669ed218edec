package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
