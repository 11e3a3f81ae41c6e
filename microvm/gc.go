package microvm

import "github.com/rtfsvm/rtfsvm/internal/guest"

// MemoryStats describes a VM's guest memory.
type MemoryStats struct {
	Memory      uint32 // the linear memory's size in bytes: its high-water mark, as it never shrinks
	Heap        uint32 // bytes of heap in use (live data after the last collection, plus what was allocated since)
	Collections uint32 // collections so far
}

// MemoryStats reports the VM's guest memory.
func (vm *VM) MemoryStats() MemoryStats {
	return MemoryStats{
		Memory:      vm.inst.Memory().Size(),
		Heap:        uint32(vm.global(guest.GlobalHP) - vm.global(guest.GlobalHeapBase)),
		Collections: uint32(vm.global(guest.GlobalGCCount)),
	}
}
