// Package pyvenv gives tests a private Python virtual environment with pinned packages
// from PyPI, created on first use under the user's cache directory and reused after
// (one per package set). Tests use it to compare with reference implementations that
// ship as Python packages. It installs with the ordinary client (python3 -m venv, pip)
// and skips the test, saying why, only when PyPI cannot be reached; any other failure
// (no python3, a package that will not install) fails the test.
package pyvenv

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// networkHints are pip messages that mean the index could not be reached.
var networkHints = []string{
	"NewConnectionError", "Failed to establish a new connection", "Temporary failure in name resolution",
	"Network is unreachable", "ProxyError", "Max retries exceeded", "Connection refused", "timed out",
	"Could not fetch URL", "No matching distribution found",
}

// Python returns the interpreter of a virtual environment holding pkgs (pip
// requirement specifiers, pinned: "c2pa-python==0.38.1"). AIGCWATCH_PYVENV_DIR overrides
// the parent directory.
func Python(tb testing.TB, pkgs ...string) string {
	tb.Helper()
	base := os.Getenv("AIGCWATCH_PYVENV_DIR")
	if base == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			c = os.TempDir()
		}
		base = filepath.Join(c, "aigcwatch", "pyvenv")
	}
	sum := sha256.Sum256([]byte(strings.Join(pkgs, "\n")))
	dir := filepath.Join(base, hex.EncodeToString(sum[:6]))
	py := filepath.Join(dir, "bin", "python")
	done := filepath.Join(dir, ".installed")
	if want, err := os.ReadFile(done); err == nil && string(want) == strings.Join(pkgs, "\n") {
		return py
	}
	sys, err := exec.LookPath("python3")
	if err != nil {
		tb.Fatalf("pyvenv: python3 not found: install it (Debian: python3-venv) to run this test")
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		tb.Fatal(err)
	}
	// Build in a fresh directory and rename it into place, so that concurrent test
	// processes never use a half-built environment. Moving is safe because only
	// bin/python is ever run (as "python -m pip", "python script.py"): it finds its
	// environment through pyvenv.cfg beside it, not through baked-in paths.
	tmp, err := os.MkdirTemp(base, "build-")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	if out, err := exec.Command(sys, "-m", "venv", tmp).CombinedOutput(); err != nil {
		tb.Fatalf("pyvenv: python3 -m venv %s: %v\n%s", tmp, err, out)
	}
	tb.Logf("pyvenv: installing %s into %s", strings.Join(pkgs, " "), dir)
	cmd := exec.Command(filepath.Join(tmp, "bin", "python"), append([]string{"-m", "pip", "install", "--quiet"}, pkgs...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := out.String()
		if h, ok := unreachable(msg); ok {
			tb.Skipf("pyvenv: PyPI unreachable, cannot install %s (%s): %s", strings.Join(pkgs, " "), h, lastLine(msg))
		}
		tb.Fatalf("pyvenv: pip install %s: %v\n%s", strings.Join(pkgs, " "), err, msg)
	}
	if err := os.WriteFile(filepath.Join(tmp, ".installed"), []byte(strings.Join(pkgs, "\n")), 0o644); err != nil {
		tb.Fatal(err)
	}
	os.RemoveAll(dir) // an incomplete earlier attempt
	if err := os.Rename(tmp, dir); err != nil {
		if _, e := os.Stat(done); e != nil { // not another process's finished environment
			tb.Fatalf("pyvenv: %v", err)
		}
	}
	return py
}

// unreachable reports whether pip's output says the package index could not be reached,
// and the hint that says so.
func unreachable(pipOutput string) (string, bool) {
	for _, h := range networkHints {
		if strings.Contains(pipOutput, h) {
			return h, true
		}
	}
	return "", false
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[i+1:])
	}
	return s
}
