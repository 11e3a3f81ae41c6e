//go:build linux || darwin || freebsd

package microvm

import (
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// reservedMemory backs a VM's linear memory with one anonymous mapping of the VM's
// memory limit, reserved but not committed: growing the memory hands out more of the
// same mapping (no copy), and the operating system supplies zeroed pages only when they
// are first touched. A VM then costs the pages it uses, not its limit, and spawning one
// allocates and clears nothing.
type reservedMemory struct {
	buf []byte
	// pool, when set, takes the mapping back on Free, after dirty (the part of the heap
	// the VM used) is cleared: the next VM of the same module reuses it without a system
	// call or a page fault.
	pool  *memoryPool
	dirty [2]uint32
}

// reserve maps limit bytes, or falls back to a Go slice when the mapping fails.
func reserve(limit uint64) experimental.LinearMemory {
	buf, err := syscall.Mmap(-1, 0, int(limit), syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|mapNoReserve)
	if err != nil {
		return &sliceMemory{limit: limit}
	}
	return &reservedMemory{buf: buf}
}

func (m *reservedMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.buf)) {
		return nil
	}
	return m.buf[:size]
}

func (m *reservedMemory) Free() {
	if m.buf == nil {
		return
	}
	if m.pool != nil {
		clear(m.buf[m.dirty[0]:m.dirty[1]])
		if m.pool.put(m) {
			return
		}
	}
	syscall.Munmap(m.buf)
	m.buf = nil
}

func (m *reservedMemory) size() uint64 { return uint64(len(m.buf)) }

// release unmaps a pooled memory.
func (m *reservedMemory) release() {
	if m.buf != nil {
		syscall.Munmap(m.buf)
		m.buf = nil
	}
}

// recycle marks the memory for reuse by pool once the heap range [from, to) is cleared.
func (m *reservedMemory) recycle(pool *memoryPool, from, to uint32) {
	if from <= to && uint64(to) <= m.size() {
		m.pool, m.dirty = pool, [2]uint32{from, to}
	}
}
