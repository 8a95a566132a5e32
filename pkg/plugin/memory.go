package plugin

import (
	"math"
	"runtime/debug"
)

// MemoryLimit is the soft limit of the plugin's Go heap. By default Go lets the heap grow to twice
// what is live before collecting; a year of a large store keeps about 130 MiB live during a cold
// dashboard refresh, so the heap peaked near 300 MiB. Under this limit the collector runs earlier
// instead (docs/BENCHMARKS.md has the measured cost). It is soft: a heap that needs more gets more.
const MemoryLimit = 180 << 20

// LimitMemory applies MemoryLimit, unless the process already has a limit (GOMEMLIMIT), which wins.
func LimitMemory() {
	if debug.SetMemoryLimit(-1) == math.MaxInt64 {
		debug.SetMemoryLimit(MemoryLimit)
	}
}
