package pyvenv

import "testing"

// TestUnreachable: only network failures skip; a package that does not build, or a
// missing version with a reachable index, must fail the test that asked for it.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		out  string
		skip bool
	}{
		{"WARNING: Retrying ... NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')", true},
		{"ERROR: Could not install packages due to an OSError: HTTPSConnectionPool(host='pypi.org', port=443): Max retries exceeded", true},
		{"error: subprocess-exited-with-error\n× Building wheel for c2pa-python (pyproject.toml) did not run successfully.", false},
		{"ERROR: Invalid requirement: 'c2pa-python=='", false},
	}
	for _, c := range cases {
		if _, got := unreachable(c.out); got != c.skip {
			t.Errorf("unreachable(%q) = %v, want %v", c.out, got, c.skip)
		}
	}
	if got := lastLine("a\nb\n c \n"); got != "c" {
		t.Errorf("lastLine = %q", got)
	}
}
