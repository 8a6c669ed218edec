// Package shareddata finds the test and benchmark data that lives beside the
// repository in ../shared/data (real lexicons, corpora, PDQ reference images). The data is
// never copied into the repository; tests that need it skip, saying so, where it is absent.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// Find returns the path of rel under the first ../shared/data found walking up from the
// working directory, or "" when there is none.
func Find(rel string) string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, "..", "shared", "data", rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Path is Find for tests and benchmarks: it skips tb, naming what is missing, when rel
// cannot be found.
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	p := Find(rel)
	if p == "" {
		tb.Skipf("shared test data %s not found (looked for ../shared/data above the working directory)", rel)
	}
	return p
}
