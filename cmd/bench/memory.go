package main

import (
	"bytes"
	"os"
	"runtime/metrics"
	"strconv"
	"time"
)

const memoryEvery = 2 * time.Millisecond

// sampleMemory samples the Go heap in use and the process RSS until the returned function is
// called, which returns their peaks in bytes. The heap figure counts live objects and those the
// collector has not freed yet, as HeapAlloc does; reading it does not stop the world.
func sampleMemory() func() (heap, rss uint64) {
	stop := make(chan struct{})
	done := make(chan [2]uint64)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak [2]uint64
		tick := time.NewTicker(memoryEvery)
		defer tick.Stop()
		for {
			metrics.Read(s)
			peak[0] = max(peak[0], s[0].Value.Uint64())
			peak[1] = max(peak[1], residentBytes())
			select {
			case <-stop:
				done <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return func() (uint64, uint64) {
		close(stop)
		p := <-done
		return p[0], p[1]
	}
}

// residentBytes is the process RSS from /proc/self/statm (0 where there is none).
func residentBytes() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(string(f[1]), 10, 64)
	return pages * uint64(os.Getpagesize())
}
