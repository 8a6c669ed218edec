package configfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecodeIsStrict(t *testing.T) {
	type conf struct {
		Addr string `yaml:"addr"`
		Max  int    `yaml:"max"`
	}
	c := conf{Addr: "default", Max: 1}
	if err := Decode("x.yaml", []byte("max: 5\n"), &c); err != nil || c.Addr != "default" || c.Max != 5 {
		t.Fatalf("decode over defaults: %+v, %v", c, err)
	}
	if err := Decode("x.yaml", nil, &c); err != nil || c.Max != 5 {
		t.Fatalf("an empty document must leave the config as it is: %+v, %v", c, err)
	}
	err := Decode("x.yaml", []byte("adr: typo\n"), &c)
	if err == nil || !strings.Contains(err.Error(), "config: x.yaml:") || !strings.Contains(err.Error(), "adr") {
		t.Fatalf("an unknown key must be an error naming the file and the key: %v", err)
	}
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte("addr: a:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Load(path, &c); err != nil || c.Addr != "a:1" {
		t.Fatalf("load: %+v, %v", c, err)
	}
	if err := Load(filepath.Join(t.TempDir(), "missing.yaml"), &c); err == nil || !strings.HasPrefix(err.Error(), "config: ") {
		t.Fatalf("a missing file: %v", err)
	}
}
