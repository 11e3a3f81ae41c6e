package guest

import (
	"fmt"

	"github.com/tetratelabs/wazero/api"

	"github.com/rtfsvm/rtfsvm/internal/layout"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
)

// Finish completes the module: the static data goes into a data segment and the memory
// is exported. The module's memory starts just large enough for the static data; Setup
// gives each instance its stack and heap.
func (rt *Runtime) Finish() {
	m := rt.M
	rt.finishGC()
	rt.Data.SetWord(layout.StaticEndWord, layout.StaticTag<<32|uint64(rt.Data.End()))
	if len(rt.Data.Bytes()) > 0 {
		m.Datas = append(m.Datas, Data{Offset: layout.StaticBase, Bytes: rt.Data.Bytes()})
	}
	m.MinPages = (rt.Data.End() + layout.PageSize - 1) / layout.PageSize
	if m.MinPages == 0 {
		m.MinPages = 1
	}
	m.Exports = append(m.Exports, Export{Name: "memory", Kind: ExportMemory, Index: 0})
}

// Modules compiled before the words at layout.StaticEndWord and layout.GCMinHeapWord
// exported their values as these constant globals (and the empty collections as
// globals named after them); Setup and the host's writer still read those.
const (
	GlobalStaticEnd = "static_end"
	GlobalGCMinHeap = "gc_min_heap"
)

// MemoryReserve is how much memory a VM with this memory limit may use: twice the limit
// (at most 4 GiB less a page). The collector copies live data above the heap before it
// slides it down, so it needs room for live data twice; with the room above the limit,
// the limit bounds what a plan keeps, all of it, and the process's memory stays under
// twice the limit.
func MemoryReserve(limit uint64) uint64 {
	return min(2*limit+layout.PageSize, 1<<32-layout.PageSize)
}

// Setup prepares a fresh instance: the shadow stack takes stackBytes after the static
// data, the heap starts after it, and the memory grows to hold both; memoryLimit bounds
// the static data, the stack and the live data, and the memory may reach
// MemoryReserve(memoryLimit) while the collector copies.
func Setup(mod api.Module, stackBytes, memoryLimit uint32) error {
	get := func(name string) api.Global {
		return mod.ExportedGlobal(name)
	}
	mem := mod.Memory()
	tagged, _ := mem.ReadUint64Le(layout.StaticEndWord)
	fixed := layout.FixedStatic(tagged)
	word := func(addr uint32, global string) uint64 {
		if !fixed {
			return get(global).Get()
		}
		v, _ := mem.ReadUint64Le(addr)
		return v
	}
	staticEnd := uint32(word(layout.StaticEndWord, GlobalStaticEnd))
	stackBase := (staticEnd + 7) &^ 7
	heapBase := stackBase + stackBytes
	need := heapBase + layout.PageSize
	if need > memoryLimit {
		return fmt.Errorf("guest: a memory limit of %d bytes cannot hold the plan's %d bytes of static data and stack", memoryLimit, need)
	}
	if have := mem.Size(); need > have {
		if _, ok := mem.Grow((need - have + layout.PageSize - 1) / layout.PageSize); !ok {
			return fmt.Errorf("guest: the memory limit cannot hold the %d-byte stack", stackBytes)
		}
	}
	set := func(name string, v uint64) { get(name).(api.MutableGlobal).Set(v) }
	set(GlobalSP, uint64(stackBase))
	set(GlobalStackLimit, uint64(heapBase))
	set(GlobalHP, uint64(heapBase))
	set(GlobalHeapEnd, uint64(mem.Size()))
	set(GlobalHeapLimit, uint64(memoryLimit))
	set(GlobalMemLimit, MemoryReserve(uint64(memoryLimit)))
	set(GlobalHeapBase, uint64(heapBase))
	trigger := uint64(heapBase) + word(layout.GCMinHeapWord, GlobalGCMinHeap)
	set(GlobalGCTrigger, trigger)
	set(GlobalAllocEnd, min(trigger, uint64(mem.Size())))
	return nil
}
