package benchclock

import "syscall"

// rusageThread is RUSAGE_THREAD: the calling thread only.
const rusageThread = 1

// ThreadCPU returns the calling thread's CPU time (user + system) in nanoseconds.
func ThreadCPU() int64 { return rusage(rusageThread) }

// ProcessCPU returns the whole process's CPU time in nanoseconds.
func ProcessCPU() int64 { return rusage(syscall.RUSAGE_SELF) }

func rusage(who int) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
