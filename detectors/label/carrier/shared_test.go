package carrier

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/internal/shareddata"
)

// TestSharedHostileFiles reads the hostile files of the C2PA reference implementation's
// test fixtures (made to break parsers) and every other file there: no panic, bounded
// time and memory, and a failure, if any, is a named error (*FormatError wrapping
// ErrTruncated or ErrMalformed).
func TestSharedHostileFiles(t *testing.T) {
	dir := shareddata.Path(t, "c2pa")
	hostile := map[string]bool{"nested_moov_1000.mp4": true, "riff_bomb_1000.wav": true,
		"id3v23_compression_underflow.mp3": true, "sample3.invalid.wav": true}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	found := 0
	for _, p := range files {
		name := filepath.Base(p)
		if filepath.Ext(name) == "" || name == "LICENSE-MIT" {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if hostile[name] {
			found++
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		res, err := Read(data, Limits{})
		el := time.Since(start)
		runtime.ReadMemStats(&after)
		alloc := after.TotalAlloc - before.TotalAlloc
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) || !(errors.Is(err, ErrTruncated) || errors.Is(err, ErrMalformed)) {
				t.Errorf("%s: error %v is not a *FormatError with a sentinel", name, err)
			}
		}
		if res == nil && err == nil {
			t.Errorf("%s: no result and no error", name)
		}
		// Generous bounds (the machine is shared); a reader that follows a hostile length
		// or recursion would take seconds or gigabytes.
		if el > 2*time.Second || alloc > uint64(64<<20+4*len(data)) {
			t.Errorf("%s: %v and %d bytes allocated for a %d-byte file", name, el, alloc, len(data))
		}
		t.Logf("%s: %v, %d bytes allocated, error %v", name, el, alloc, err)
	}
	if found != len(hostile) {
		t.Errorf("found %d of the %d hostile files", found, len(hostile))
	}
}
