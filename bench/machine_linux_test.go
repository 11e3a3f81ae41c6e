package bench

import (
	"syscall"
	"testing"
)

// BenchmarkPageFault: the cost of the first write to a page of fresh memory, which
// every benchmark that grows the Go heap or a VM's memory pays. It varies a hundredfold
// between machines (some 0.1 us on bare metal, 14 us on the shared 2-core VM these
// figures come from), so read the other figures next to it.
func BenchmarkPageFault(b *testing.B) {
	const pages = 1024
	for i := 0; i < b.N; i += pages {
		b.StopTimer()
		mem, err := syscall.Mmap(-1, 0, pages*4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for p := 0; p < pages && i+p < b.N; p++ {
			mem[p*4096] = 1
		}
		b.StopTimer()
		syscall.Munmap(mem)
		b.StartTimer()
	}
}
