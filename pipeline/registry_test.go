package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const registryHead = "#!jurisdiction CN\n# provider\tservice\tfiling number\tstatus\tfiled on\tvalid until\n"

// TestRegistryRevokedMidStream: records are judged in a loop while the registry file is
// rewritten with the provider's filing revoked; the watcher reloads it and the records that
// follow are blocked (CN-FILING-03), without a restart. A bad registry file is then kept
// out (the error names file:line) and the last good one keeps judging.
func TestRegistryRevokedMidStream(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cn-registry.tsv")
	write := func(body string) {
		t.Helper()
		tmp := file + ".tmp"
		if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, file); err != nil { // as editors and deploy tools do
			t.Fatal(err)
		}
	}
	write(registryHead + "moxing-studio\tchat\tZhejiang-MoXing-202402140001\tfiled\t2024-02-14\n")
	cfg := DefaultConfig
	cfg.Registries = []string{file}
	p, err := Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &Reloader{P: p, Cfg: cfg, OnReload: func(ok bool, _ string) {}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Watch(ctx, 20*time.Millisecond) }()

	const rec = `{"id":"m-%d","time":"2026-10-05T12:00:00+08:00","jurisdiction":"CN","provider":"moxing-studio","service":"chat","role":"provider","modality":"text","text":"【本回答由AI生成】绿萝喜欢散射光。","context":{"deep_synthesis":true}}`
	w := p.NewWorker()
	judge := func(i int) string {
		t.Helper()
		j, err := w.Judge(context.Background(), []byte(strings.Replace(rec, "%d", itoa(i), 1)))
		if err != nil || j.Verdict == nil {
			t.Fatal(err, j.Reject)
		}
		return string(j.VerdictJSON)
	}
	if v := judge(0); !strings.Contains(v, `"decision":"allow"`) || strings.Contains(v, "filing.") {
		t.Fatalf("filed provider:\n%s", v)
	}
	// The watcher may not be registered yet: keep rewriting until the stream sees it.
	revoked := registryHead + "moxing-studio\tchat\tZhejiang-MoXing-202402140001\trevoked\t2024-02-14\n"
	deadline := time.Now().Add(10 * time.Second)
	i := 1
	for ; ; i++ {
		if i%20 == 1 {
			write(revoked)
		}
		v := judge(i)
		if strings.Contains(v, `"id":"CN-FILING-03"`) {
			if !strings.Contains(v, `"decision":"block"`) || !strings.Contains(v, `"detail":"filing Zhejiang-MoXing-202402140001 revoked (`) ||
				!strings.Contains(v, file) {
				t.Fatalf("revoked verdict:\n%s", v)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the revocation never took effect")
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("revocation took effect at record %d", i)

	// A bad file is kept out with file:line; the revoked filing keeps being applied.
	if err := os.WriteFile(file, []byte(registryHead+"moxing-studio\tchat\tN-1\twithdrawn\t2024-02-14\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = r.Reload()
	if err == nil || !strings.Contains(err.Error(), file+":3: status \"withdrawn\"") {
		t.Fatalf("bad registry: %v", err)
	}
	if v := judge(i + 1); !strings.Contains(v, `"id":"CN-FILING-03"`) {
		t.Errorf("after a failed reload the last good registry should still apply:\n%s", v)
	}
	if _, err := Build(cfg); err == nil || !strings.Contains(err.Error(), "cn-registry.tsv:3") {
		t.Errorf("build with a bad registry: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
