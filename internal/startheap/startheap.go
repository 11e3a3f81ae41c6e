// Package startheap spares a short-lived process the collections of its first
// megabytes.
//
// Go starts with a heap goal of 4 MiB, so a process whose live heap stays small
// collects every few megabytes it allocates. Compiling a plan allocates several (most
// of them in wazero, for each function it compiles), and a cold compile spent about half
// its time waiting for the collector. Go's own compiler meets the same problem the same
// way (cmd/compile's AdjustStartingHeap): it raises GOGC until the heap reaches a
// starting goal, then gives the collector back its usual setting.
package startheap

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// Goal is the starting heap goal of the rtfsvm command.
const Goal = 64 << 20

// generation tells a pending adjustment whether Set or Reset came after it.
var generation atomic.Int64

// Set makes the collector run only once the heap reaches goal bytes, after which it
// behaves as under GOGC=100 again. A GOGC or GOMEMLIMIT in the environment wins: Set does
// nothing then.
func Set(goal uint64) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" || goal == 0 {
		return
	}
	adjust(generation.Add(1), goal)
}

// Reset gives the collector GOGC=100 at once (for benchmarks that compare both).
func Reset() {
	generation.Add(1)
	debug.SetGCPercent(100)
}

// adjust sets GOGC for the heap goal given the heap live after the last collection, and
// asks to be called again after the next collection, until the goal is reached.
func adjust(gen int64, goal uint64) {
	if generation.Load() != gen {
		return
	}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	var live uint64
	if sample[0].Value.Kind() == metrics.KindUint64 {
		live = sample[0].Value.Uint64()
	}
	percent, more := Percent(goal, live)
	debug.SetGCPercent(percent)
	if more {
		// A finalizer runs after the collection that finds its object unreachable: once
		// a cycle.
		runtime.SetFinalizer(&struct{ _ *byte }{}, func(any) { adjust(gen, goal) })
	}
}

// Percent is the GOGC that puts the next collection at goal bytes of heap when live
// bytes survived the last one, and whether to adjust it again after the next one: not
// once GOGC=100 would put it there or beyond.
func Percent(goal, live uint64) (percent int, more bool) {
	live = max(live, 1<<20) // the heap is never empty, and GOGC stays bounded
	if 2*live >= goal {
		return 100, false
	}
	return int(100 * (goal - live) / live), true
}
