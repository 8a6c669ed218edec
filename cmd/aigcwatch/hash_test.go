package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestRunHash(t *testing.T) {
	dir := t.TempDir()
	img := image.NewGray(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			img.SetGray(x, y, color.Gray{uint8(x * y % 251)})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.png")
	bad := filepath.Join(dir, "bad.png")
	if err := os.WriteFile(good, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^[0-9a-f]{64} [0-9]{1,3} ` + regexp.QuoteMeta(good) + `$`)

	var out, errOut bytes.Buffer
	if rc := runHash(context.Background(), []string{good}, &out, &errOut); rc != 0 {
		t.Fatalf("rc %d, stderr %q", rc, errOut.String())
	}
	if !line.MatchString(strings.TrimSpace(out.String())) {
		t.Errorf("output %q", out.String())
	}

	out.Reset()
	errOut.Reset()
	missing := filepath.Join(dir, "missing.jpg")
	rc := runHash(context.Background(), []string{bad, good, missing}, &out, &errOut)
	if rc != 1 {
		t.Errorf("rc %d with bad files, want 1", rc)
	}
	if !line.MatchString(strings.TrimSpace(out.String())) {
		t.Errorf("good file not hashed among bad ones: %q", out.String())
	}
	for _, p := range []string{bad, missing} {
		if !strings.Contains(errOut.String(), p) {
			t.Errorf("stderr %q does not name %s", errOut.String(), p)
		}
	}
	if rc := runHash(context.Background(), nil, &out, &errOut); rc != 2 {
		t.Errorf("no args: rc %d, want 2", rc)
	}
}
