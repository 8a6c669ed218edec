//go:build !linux

package main

import "os/exec"

// diesWithParent has no portable equivalent: the test's cleanup kills the child.
func diesWithParent(*exec.Cmd) {}
