package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

// TestDefaultPGOProfile holds the binary to its profile-guided build: default.pgo
// (written by scripts/pgo-profile.sh from the stream benchmark) is what go build and go
// test use for this package by themselves, and it must profile the judging path. A profile
// taken from another workload, a renamed file or -pgo=off would build a binary without the
// inlining that docs/benchmarks/streaming.md measured (6.7 % fewer instructions a record).
func TestDefaultPGOProfile(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Fatal("no build info in the test binary")
	}
	var pgo string
	for _, s := range bi.Settings {
		if s.Key == "-pgo" {
			pgo = s.Value
		}
	}
	if filepath.Base(pgo) != "default.pgo" {
		t.Errorf("built with -pgo=%q, want this package's default.pgo", pgo)
	}
	f, err := os.Open("default.pgo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("default.pgo is not a pprof profile (gzip): %v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("default.pgo: %v", err)
	}
	// A profile's string table holds the names of the functions sampled: the hot path's
	// must be among them.
	for _, fn := range []string{
		"pipeline.(*Worker).JudgeAt", "record.decodeFast", "detectors.Chain.Detect",
		"detectors/lexicon.(*Set).Scan", "detectors/degenerate.scan",
		"detectors/label.(*Detector).Detect", "detectors/pii.Scan", "pipeline/stream.(*partition).judge",
	} {
		if !bytes.Contains(raw, []byte("github.com/aigcwatch/aigcwatch/"+fn)) {
			t.Errorf("default.pgo has no samples in %s: regenerate it with scripts/pgo-profile.sh", fn)
		}
	}
}
