package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/engine"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/record"
	"github.com/aigcwatch/aigcwatch/rules"
)

var latency = regexp.MustCompile(`"latency_us":\d+`)

func stripLatency(b []byte) string { return latency.ReplaceAllString(string(b), `"latency_us":0`) }

func newEngine(t testing.TB, c engine.Config) *engine.Engine {
	t.Helper()
	e, err := engine.New(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// TestCheckAgreesWithCheckJSON: a record built in Go and the same record as JSON get the
// same verdict document, and the Verdict's fields agree with it.
func TestCheckAgreesWithCheckJSON(t *testing.T) {
	t.Parallel()
	e := newEngine(t, engine.Config{})
	yes := true
	cases := []struct {
		name string
		rec  record.Record
		raw  string
	}{
		{"fraud CN", record.Record{ID: "a", Jurisdiction: "cn", Modality: "text", Text: "兼职刷单返利，日赚五百"},
			`{"id":"a","jurisdiction":"cn","modality":"text","text":"兼职刷单返利，日赚五百"}`},
		{"clean UK", record.Record{ID: "b", Jurisdiction: "UK", Modality: "text", Text: "hello"},
			`{"id":"b","jurisdiction":"UK","modality":"text","text":"hello"}`},
		{"unlabelled CN image", record.Record{ID: "c", Jurisdiction: "CN", Modality: "image", Role: "provider", DeclaredAI: &yes},
			`{"id":"c","jurisdiction":"CN","modality":"image","role":"provider","declared_ai":true}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			rec := tc.rec
			v1, err := e.Check(ctx, &rec)
			if err != nil {
				t.Fatal(err)
			}
			v2, err := e.CheckJSON(ctx, []byte(tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			if a, b := stripLatency(v1.JSON), stripLatency(v2.JSON); a != b {
				t.Fatalf("Check and CheckJSON differ:\n%s\n%s", a, b)
			}
			if v1.ID != tc.rec.ID || !bytes.Contains(v1.JSON, fmt.Appendf(nil, `"decision":%q`, v1.Decision)) {
				t.Errorf("Verdict %+v disagrees with its JSON %s", v1, v1.JSON)
			}
		})
	}
}

func TestCheckRejectsLikeTheDecoder(t *testing.T) {
	t.Parallel()
	e := newEngine(t, engine.Config{})
	ctx := context.Background()
	cases := []struct {
		name          string
		rec           *record.Record
		reason, field string
	}{
		{"no id", &record.Record{Text: "x"}, record.ReasonMissingField, "id"},
		{"bad jurisdiction", &record.Record{ID: "x", Jurisdiction: "c-n!"}, record.ReasonInvalidValue, "jurisdiction"},
		{"invalid UTF-8 text", &record.Record{ID: "x", Text: "a\xffb"}, record.ReasonInvalidUTF8, "text"},
		{"bad score", &record.Record{ID: "x", Signals: record.Signals{AIScore: new(1.5)}}, record.ReasonInvalidValue, "signals.ai_score"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Check(ctx, tc.rec)
			var de *record.DecodeError
			if !errors.As(err, &de) || de.Reason != tc.reason || de.Field != tc.field {
				t.Fatalf("got %v, want a DecodeError %s at %s", err, tc.reason, tc.field)
			}
			if !errors.Is(err, record.ErrRejected) {
				t.Errorf("%v does not wrap record.ErrRejected", err)
			}
		})
	}
	if _, err := e.Check(ctx, nil); !errors.Is(err, engine.ErrNilRecord) {
		t.Errorf("nil record: %v", err)
	}
	if _, err := e.CheckJSON(ctx, []byte(`{"id":"x","text":"a\xffb"}`)); err == nil {
		t.Error("invalid UTF-8 JSON accepted")
	}
}

// TestConcurrentChecks: many goroutines share one Engine (run with -race); each verdict
// equals the one a single caller gets, so pooled workers leak nothing between calls.
func TestConcurrentChecks(t *testing.T) {
	t.Parallel()
	e := newEngine(t, engine.Config{})
	ctx := context.Background()
	var raws [][]byte
	var want []string
	for i := range 64 {
		text := fmt.Sprintf("第%d条：兼职刷单返利，日赚五百。", i)
		if i%2 == 0 {
			text = fmt.Sprintf("an ordinary caption number %d", i)
		}
		raw := fmt.Appendf(nil, `{"id":"r-%d","jurisdiction":"CN","modality":"text","text":%q}`, i, text)
		v, err := e.CheckJSON(ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		raws, want = append(raws, raw), append(want, stripLatency(v.JSON))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for n := range 200 {
				i := (g*31 + n) % len(raws)
				v, err := e.CheckJSON(ctx, raws[i])
				if err != nil {
					errs <- err
					return
				}
				if got := stripLatency(v.JSON); got != want[i] {
					errs <- fmt.Errorf("record %d: got %s, want %s", i, got, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

const packTmpl = `pack: test-pack
version: "1"
description: test
jurisdictions: ["*"]
rules:
  - id: T-1
    title: word
    severity: high
    layer: content
    tier: high
    decision: %s
    basis: test
    authority: test
    when: record.text contains "swordfish"
`

func TestReloadSwapsAndKeepsOldOnFailure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pack := filepath.Join(dir, "p.yaml")
	write := func(s string) {
		if err := os.WriteFile(pack, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(fmt.Sprintf(packTmpl, "label"))
	e := newEngine(t, engine.Config{Pipeline: engineConfigRules(dir)})
	ctx := context.Background()
	raw := []byte(`{"id":"s","text":"the swordfish"}`)
	check := func(want rules.Decision) {
		t.Helper()
		v, err := e.CheckJSON(ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		if v.Decision != want {
			t.Fatalf("decision %s, want %s", v.Decision, want)
		}
	}
	check(rules.Label)
	old := e.Ruleset()
	write(fmt.Sprintf(packTmpl, "block"))
	if err := e.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	check(rules.Block)
	if e.Ruleset() == old {
		t.Error("ruleset checksum unchanged after a reload with a changed pack")
	}
	write("pack: [broken")
	if err := e.Reload(ctx); err == nil {
		t.Fatal("reload of a broken pack succeeded")
	}
	check(rules.Block)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CheckJSON(ctx, raw); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	if err := e.Reload(ctx); !errors.Is(err, engine.ErrClosed) {
		t.Errorf("Reload after Close: %v", err)
	}
}

func TestNewReportsBadConfig(t *testing.T) {
	t.Parallel()
	_, err := engine.New(context.Background(), engine.Config{Pipeline: engineConfigRules(filepath.Join(t.TempDir(), "missing"))})
	if err == nil {
		t.Fatal("New with a missing rules directory succeeded")
	}
}

// TestWatchReloadsOnFileChange: with Watch, editing a pack file swaps the rules without
// a call to Reload.
func TestWatchReloadsOnFileChange(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pack := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(pack, fmt.Appendf(nil, packTmpl, "label"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, engine.Config{Pipeline: engineConfigRules(dir), Watch: true})
	ctx := context.Background()
	raw := []byte(`{"id":"s","text":"the swordfish"}`)
	if v, err := e.CheckJSON(ctx, raw); err != nil || v.Decision != rules.Label {
		t.Fatalf("%v %v", v.Decision, err)
	}
	time.Sleep(100 * time.Millisecond) // let the watcher start
	if err := os.WriteFile(pack, fmt.Appendf(nil, packTmpl, "block"), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		v, err := e.CheckJSON(ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		if v.Decision == rules.Block {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the edited pack was not loaded within 15s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSameChainAsScan: the engine judges with the detectors `scan` builds from the same
// configuration (no fingerprint detector without banks, so no bad_pdq problem either).
func TestSameChainAsScan(t *testing.T) {
	t.Parallel()
	e := newEngine(t, engine.Config{})
	p, err := pipeline.Build(pipeline.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	w := p.NewWorker()
	for _, raw := range []string{
		`{"id":"pdq","jurisdiction":"EU","modality":"image","media":{"pdq":"not-hex"}}`,
		`{"id":"t","jurisdiction":"CN","modality":"text","text":"兼职刷单返利，日赚五百"}`,
	} {
		v, err := e.CheckJSON(context.Background(), []byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		j, err := w.Judge(context.Background(), []byte(raw))
		if err != nil || j.Reject != nil {
			t.Fatal(err, j.Reject)
		}
		if a, b := stripLatency(v.JSON), stripLatency(j.VerdictJSON); a != b {
			t.Errorf("engine and scan's processor differ:\n%s\n%s", a, b)
		}
	}
}
