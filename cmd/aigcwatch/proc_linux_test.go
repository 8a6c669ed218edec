package main

import (
	"os/exec"
	"syscall"
)

// diesWithParent asks the kernel to kill the child when its parent dies (a test binary
// killed by `go test -timeout` or by hand), so that no aigcwatch run, serve or deliver is
// left behind holding ports and consumer-group memberships. The signal follows the thread
// that started the child; Go ends a thread only when a goroutine locked to it exits
// locked, which these tests never do.
func diesWithParent(c *exec.Cmd) {
	if c.SysProcAttr == nil {
		c.SysProcAttr = &syscall.SysProcAttr{}
	}
	c.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
