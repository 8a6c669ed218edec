package rules

import "sync/atomic"

type atomicEngine = atomic.Pointer[Engine]
