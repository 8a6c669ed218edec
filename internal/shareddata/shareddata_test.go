package shareddata

import (
	"os"
	"testing"
)

func TestFind(t *testing.T) {
	if Find("no/such/file-ever") != "" {
		t.Error("found a file that does not exist")
	}
	p := Find("README.md")
	if p == "" {
		t.Skip("../shared/data not present on this machine")
	}
	if _, err := os.Stat(p); err != nil {
		t.Errorf("Find returned %s: %v", p, err)
	}
}
