package microvm

import (
	"sync"

	"github.com/tetratelabs/wazero/experimental"
)

// sliceMemory is linear memory in a Go slice, grown by copying, up to a limit: the
// fallback where memory cannot be reserved.
type sliceMemory struct {
	buf   []byte
	limit uint64
}

func (m *sliceMemory) Reallocate(size uint64) []byte {
	if size > m.limit {
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
		return m.buf
	}
	grown := make([]byte, size, min(max(2*uint64(cap(m.buf)), size), m.limit))
	copy(grown, m.buf)
	m.buf = grown
	return m.buf
}

func (m *sliceMemory) Free() { m.buf = nil }

func (m *sliceMemory) size() uint64 { return m.limit }

func (m *sliceMemory) release() { m.buf = nil }

// recycle does nothing: a slice is cheap to drop.
func (m *sliceMemory) recycle(*memoryPool, uint32, uint32) {}

// memoryPool keeps the linear memories of a module's closed VMs for its next ones. A
// recycled memory is clean where it matters: the data segment is written again at
// instantiation, the heap was cleared up to where the last VM allocated, and stack frames
// are cleared by every function on entry.
type memoryPool struct {
	mu     sync.Mutex
	free   []recyclable
	closed bool
}

type recyclable interface {
	experimental.LinearMemory
	size() uint64
	recycle(pool *memoryPool, from, to uint32)
	release() // unmaps a memory that is pooled, not in use
}

const maxPooled = 64

func (p *memoryPool) put(m recyclable) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) >= maxPooled || p.closed {
		return false
	}
	p.free = append(p.free, m)
	return true
}

// drain unmaps the pooled memories and keeps no more: the module is gone.
func (p *memoryPool) drain() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.free {
		m.release()
	}
	p.free, p.closed = nil, true
}

// get returns a pooled memory of exactly size bytes of reservation, or nil.
func (p *memoryPool) get(size uint64) experimental.LinearMemory {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.free) - 1; i >= 0; i-- {
		if m := p.free[i]; m.size() == size {
			p.free = append(p.free[:i], p.free[i+1:]...)
			return m
		}
	}
	return nil
}
