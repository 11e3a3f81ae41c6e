package bench

import (
	"runtime"
	"testing"
)

// BenchmarkMemoryWrite: writing 1 KB (an op) into Go heap memory. kept=no writes into
// one 64 KB block over and over, which stays in the cache; kept=yes writes into new
// 64 KB blocks that stay reachable until 10 MB are written, then are dropped: what a
// chain in memory does with the actions it keeps (about 1 KB a host call), and what
// BenchmarkYield does with a store every 10,000 calls. The difference is the cost of
// memory the process has not touched lately (the collector's work on it, page faults on
// what the runtime gave back to the system), which varies widely between machines.
func BenchmarkMemoryWrite(b *testing.B) {
	const kb, blockKB, keptBlocks = 1 << 10, 64, 160
	src := make([]byte, kb)
	b.Run("kept=no", func(b *testing.B) {
		block := make([]byte, blockKB*kb)
		b.SetBytes(kb)
		for i := 0; i < b.N; i++ {
			off := i % blockKB * kb
			copy(block[off:off+kb], src)
		}
		runtime.KeepAlive(block)
	})
	b.Run("kept=yes", func(b *testing.B) {
		var kept [][]byte
		var block []byte
		b.SetBytes(kb)
		for i := 0; i < b.N; i++ {
			if i%blockKB == 0 {
				if len(kept) == keptBlocks {
					kept = kept[:0:0] // the old blocks become garbage, as a dropped store does
				}
				block = make([]byte, blockKB*kb)
				kept = append(kept, block)
			}
			off := i % blockKB * kb
			copy(block[off:off+kb], src)
		}
		runtime.KeepAlive(kept)
	})
}
