package pipeline

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors"
)

const reloadPack = `pack: t
version: "%s"
jurisdictions: [CN]
rules:
  - id: T-1
    title: t
    layer: content
    severity: high
    decision: %s
    basis: b
    authority: a
    when: has("fraud")
`

func writePack(t *testing.T, dir, version, decision string) {
	t.Helper()
	s := strings.Replace(strings.Replace(reloadPack, "%s", version, 1), "%s", decision, 1)
	tmp := filepath.Join(dir, ".tmp")
	if err := os.WriteFile(tmp, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "t.yaml")); err != nil { // atomic, as editors and config managers do
		t.Fatal(err)
	}
}

func judgeFraud(t *testing.T, p *Processor) string {
	t.Helper()
	j, err := p.NewWorker().Judge(context.Background(), []byte(`{"id":"x","jurisdiction":"CN","text":"SCAM"}`))
	if err != nil || j.Verdict == nil {
		t.Fatalf("judge: %v %+v", err, j.Reject)
	}
	return j.Verdict.Decision.String()
}

func TestReloadSwapsOnSuccessKeepsOnFailure(t *testing.T) {
	dir := t.TempDir()
	writePack(t, dir, "1", "review")
	cfg := Config{Rules: dir}
	p, err := Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.SetDetector(fakeLexicon)
	r := &Reloader{P: p, Cfg: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	r.Cfg.Lexicons = nil
	if got := judgeFraud(t, p); got != "review" {
		t.Fatalf("before reload: %s", got)
	}
	writePack(t, dir, "2", "bloc") // invalid decision
	if err := r.Reload(); err == nil || !strings.Contains(err.Error(), `unknown decision "bloc"`) {
		t.Fatalf("bad pack reload: %v", err)
	}
	p.SetDetector(fakeLexicon)
	if got := judgeFraud(t, p); got != "review" {
		t.Fatalf("after failed reload the old rules must run: %s", got)
	}
	writePack(t, dir, "3", "block")
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	p.SetDetector(fakeLexicon)
	if got := judgeFraud(t, p); got != "block" {
		t.Fatalf("after good reload: %s", got)
	}
}

func TestWatchReloadsOnFileChange(t *testing.T) {
	dir := t.TempDir()
	writePack(t, dir, "1", "review")
	cfg := Config{Rules: dir}
	p, err := Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	reloaded := make(chan string, 10)
	r := &Reloader{P: p, Cfg: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnReload: func(ok bool, sum string) {
			if ok {
				reloaded <- sum
			}
		}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Watch(ctx, 20*time.Millisecond) }()
	before := p.Engine().Info().Checksum
	// The watcher may not be registered yet: keep touching the file until it reacts.
	deadline := time.After(10 * time.Second)
	for i := 2; ; i++ {
		writePack(t, dir, itoa(i), "block")
		select {
		case sum := <-reloaded:
			if sum == before || p.Engine().Info().Checksum != sum {
				t.Fatalf("reload did not swap the engine")
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			return
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatal("no reload after the pack changed")
		}
	}
}

func TestPseudonymKey(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "key")
	os.WriteFile(f, []byte("0123456789abcdef-secret\n"), 0o600)
	k, dev, err := (&Config{PseudonymKeyFile: f}).PseudonymKey()
	if err != nil || dev || string(k) != "0123456789abcdef-secret" {
		t.Errorf("key file: %q %v %v", k, dev, err)
	}
	os.WriteFile(f, []byte("short\n"), 0o600)
	if _, _, err := (&Config{PseudonymKeyFile: f}).PseudonymKey(); err == nil {
		t.Error("a 5-byte key was accepted")
	}
	t.Setenv("AIGCWATCH_PSEUDONYM_KEY", "short")
	if _, _, err := (&Config{}).PseudonymKey(); err == nil {
		t.Error("a 5-byte key from the environment was accepted")
	}
	t.Setenv("AIGCWATCH_PSEUDONYM_KEY", "")
	if _, dev, err := (&Config{}).PseudonymKey(); err != nil || !dev {
		t.Errorf("no key configured: dev=%v err=%v", dev, err)
	}
}

func TestDetectorsRunInRegisteredOrder(t *testing.T) {
	for i := 1; i < len(detectorBuilders); i++ {
		if detectorBuilders[i-1].order > detectorBuilders[i].order {
			t.Fatalf("detectors out of order: %s (%d) before %s (%d)", detectorBuilders[i-1].name, detectorBuilders[i-1].order,
				detectorBuilders[i].name, detectorBuilders[i].order)
		}
	}
	d, err := DefaultConfig.BuildDetectors()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range d.(detectors.Chain) {
		names = append(names, x.Name())
	}
	if got := strings.Join(names, ","); got != "lexicon,signals,label,pii,degenerate,registry" {
		t.Errorf("default chain %s, want lexicon,signals,label,pii,degenerate,registry (fingerprint only with banks)", got)
	}
}

// TestRulesetNamesInputs: verdicts name the lexicon and bank files they were made with,
// and the checksum changes when their content does.
func TestRulesetNamesInputs(t *testing.T) {
	e, _, err := DefaultConfig.LoadEngine()
	if err != nil {
		t.Fatal(err)
	}
	if in := e.Info().Inputs; len(in) != 1 || in[0].Name != "embedded:lexicon.tsv" || len(in[0].SHA256) != 64 {
		t.Fatalf("embedded inputs %+v", in)
	}
	dir := t.TempDir()
	lex := filepath.Join(dir, "terms.tsv")
	os.WriteFile(lex, []byte("刷单返利\tfraud\thigh\n"), 0o644)
	cfg := Config{Lexicons: []string{lex}}
	e1, _, err := cfg.LoadEngine()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(lex, []byte("刷单返利\tfraud\tcritical\n"), 0o644)
	e2, _, err := cfg.LoadEngine()
	if err != nil {
		t.Fatal(err)
	}
	if e1.Info().Inputs[0].Name != lex || e1.Info().Checksum == e2.Info().Checksum || e1.Info().Checksum == e.Info().Checksum {
		t.Errorf("checksums %s %s %s", e.Info().Checksum, e1.Info().Checksum, e2.Info().Checksum)
	}
	if !strings.Contains(string(e2.Info().JSON()), `"inputs":[{"name":"`+lex) {
		t.Errorf("ruleset JSON %s", e2.Info().JSON())
	}
	if _, _, err := (&Config{Banks: []string{filepath.Join(dir, "missing.tsv")}}).LoadEngine(); err == nil {
		t.Error("a missing bank file was accepted")
	}
}
