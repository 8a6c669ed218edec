package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
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

// TestHotPathInlined holds the profile-guided build to the inlining the hot path was
// measured with: the helpers called for every byte, ideograph or token of a record must be
// inlined where they are called. A regenerated profile can move the inliner's budget
// between call sites; one did (session 10): the degenerate detector's per-byte closure was
// no longer inlined and judging cost 9 % more instructions, with every test passing.
// Builds this package with -gcflags=-m (a few seconds) and reads the compiler's decisions.
func TestHotPathInlined(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the binary again with -gcflags=-m")
	}
	const mod = "github.com/aigcwatch/aigcwatch/"
	cmd := exec.Command("go", "build", "-o", os.DevNull, "-pgo=default.pgo",
		"-gcflags="+mod+"detectors/...=-m", "-gcflags="+mod+"record=-m", ".")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	// file (under the module) → callees that must be inlined there at least once: what runs
	// for each byte, ideograph, clause or token (not what runs once a record).
	want := map[string][]string{
		"detectors/degenerate/scan.go": {"hasZero"},
		"detectors/lexicon/norm/norm.go": {"cjkRun", "appendCJKRun", "(*Normalizer).proseRun", "(*bmpTable).boundaryAt",
			"ideographBit", "t2s", "safeAt", "(*Buffer).writeMark", "isHan"},
		"detectors/lexicon/bytescan.go": {"(*Matcher).emit"},
		"detectors/pii/scan.go":         {"nextStart", "fullWidthDigits", "hasBetween", "fwDigit", "isWordByte"},
		"record/fastpath.go":            {"shortString", "memberName", "skipWS", "hasControl.func1"},
	}
	got := map[string]bool{}
	for line := range strings.SplitSeq(string(out), "\n") {
		file, rest, ok := strings.Cut(line, ":")
		_, callee, found := strings.Cut(rest, ": inlining call to ")
		if !ok || !found {
			continue
		}
		if i := strings.Index(file, "/detectors/"); i >= 0 {
			file = file[i+1:]
		} else if i := strings.Index(file, "/record/"); i >= 0 {
			file = file[i+1:]
		}
		got[file+" "+callee] = true
	}
	if len(got) == 0 {
		t.Fatalf("no inlining decisions in the compiler's output:\n%s", out)
	}
	for file, callees := range want {
		for _, c := range callees {
			if !got[file+" "+c] {
				t.Errorf("%s: %s is no longer inlined with default.pgo: measure judging (docs/benchmarks/streaming.md) "+
					"and restore the inlining, or regenerate the profile (scripts/pgo-profile.sh)", file, c)
			}
		}
	}
}
