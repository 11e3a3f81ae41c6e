package guest

import (
	"github.com/rtfsvm/rtfsvm/internal/layout"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
)

// The collector: a copying collector (Cheney's algorithm) that copies the live objects
// above the heap's top, then slides the copy down to the heap's base and clears the rest
// (LAYOUT.md, "The collector").
//
// It runs only at safe points: the entry of a compiled function and the back edge of a
// loop, where every live value is in a frame slot below a known address, in the globals
// area or a literal cell (static roots), or in the err global; the entry also passes the
// callee's closure, which the collector updates. alloc never collects: when it passes
// the trigger it requests a collection (gc_request), which lowers stack_limit so that
// the next function entry takes its slow path, and sets gc_pending, which loop back
// edges test. Routines and the host's writer can therefore hold fresh objects in Wasm
// locals across allocations.

// GCMinHeap is the least room the heap gets between collections.
const GCMinHeap = 4 << 20

// gcMinRoom is the least room after a collection, however close live data is to the
// limit.
const gcMinRoom = layout.PageSize

// GCBytesPerFuel is the collector's price: one unit of fuel for this many bytes of live
// objects copied or of shadow stack scanned.
const GCBytesPerFuel = 64

// gcCopyInline is the size in bytes up to which an object is copied by words.
const gcCopyInline = 256

// gcNotRaw marks, in the table of raw words, a type whose payload is all raw.
const gcNotRaw = 0xff

func (rt *Runtime) initGC() {
	rt.HeapBase = rt.exportGlobal(GlobalHeapBase, I32, 0)
	rt.GCTrigger = rt.exportGlobal(GlobalGCTrigger, I32, 0)
	rt.AllocEnd = rt.exportGlobal(GlobalAllocEnd, I32, 0)
	rt.GCCount = rt.exportGlobal(GlobalGCCount, I32, 0)
	rt.GCPending = rt.M.AddGlobal(I32, true, 0)
	rt.gcFromEnd = rt.M.AddGlobal(I32, true, 0)
	rt.gcDelta = rt.M.AddGlobal(I32, true, 0)
	// The number of raw payload words of each type, gcNotRaw for types without values.
	rt.rawTable = rt.Data.Reserve(2)
	var words [2]uint64
	for t := 0; t < layout.TypeCount; t++ {
		n := uint64(layout.RawWords[t])
		if layout.AllRaw(t) || t == 0 {
			n = gcNotRaw
		}
		words[t/8] |= n << (8 * (t % 8))
	}
	rt.Data.SetWord(rt.rawTable, words[0])
	rt.Data.SetWord(rt.rawTable+8, words[1])
}

// Exported globals of the collector.
const (
	GlobalHeapBase  = "heap_base"  // the start of the heap (the end of the stack)
	GlobalGCTrigger = "gc_trigger" // an allocation past it requests a collection
	GlobalAllocEnd  = "alloc_end"  // min(heap_end, gc_trigger): alloc's fast path ends there
	GlobalGCCount   = "gc_count"   // collections so far
)

// AddRoots makes words [addr, addr+8*words) of the static region roots of the collector
// (the globals area, the cells of literals).
func (rt *Runtime) AddRoots(addr uint32, words int) {
	if words == 0 {
		return
	}
	if n := len(rt.roots); n > 0 && rt.roots[n-1][0]+8*rt.roots[n-1][1] == addr {
		rt.roots[n-1][1] += uint32(words)
		return
	}
	rt.roots = append(rt.roots, [2]uint32{addr, uint32(words)})
}

// staticRoots is the function that forwards the static roots; Finish writes its body,
// when every root is known.
func (rt *Runtime) staticRoots() *Func {
	if parent := rt.writing; parent != nil {
		parent.Need(staticRootsName)
	}
	if rt.staticRootsFn == nil {
		rt.staticRootsFn = rt.M.NewFunc(staticRootsName, nil, nil)
	}
	return rt.staticRootsFn
}

const staticRootsName = "gc_static_roots"

func (rt *Runtime) finishGC() {
	minHeap := uint64(GCMinHeap)
	if rt.GCStress {
		minHeap = 0
	}
	rt.Data.SetWord(layout.GCMinHeapWord, minHeap)
	if f := rt.staticRootsFn; f != nil {
		for _, r := range rt.roots {
			f.Exec(Call(rt.Fn("gc_range"), C32(int32(r[0])), C32(int32(r[1]))))
		}
	}
}

// setAllocEnd sets alloc_end to min(heap_end, gc_trigger).
func (rt *Runtime) setAllocEnd(f *Func) {
	f.SetGlobal(rt.AllocEnd, Select(rt.HeapEnd.Get(), rt.GCTrigger.Get(), LtU32(rt.HeapEnd.Get(), rt.GCTrigger.Get())))
}

func init() {
	// gc_request asks for a collection at the next safe point.
	define("gc_request", nil, nil, func(rt *Runtime, f *Func) {
		f.SetGlobal(rt.GCPending, C32(1))
		f.SetGlobal(rt.StackLimit, rt.SP.Get()) // every function entry now takes its slow path
		f.SetGlobal(rt.GCTrigger, C32(-1))      // until the collection sets the next one
	})
	// gc_safepoint(scan_end, extra) -> extra collects if a collection was requested.
	define("gc_safepoint", []ValType{I32, I64}, []ValType{I64}, func(rt *Runtime, f *Func) {
		extra := f.Param(1)
		f.If(rt.GCPending.Get(), func() {
			f.Set(extra, Call(rt.Fn("gc_collect"), f.Param(0).Get(), extra.Get()))
		}, nil)
		f.Result(extra.Get())
	})
	// gc_collect(scan_end, extra) -> extra collects now: the roots are the shadow stack
	// below scan_end, the static roots, the err global and extra, which it returns
	// updated. Compiled code calls it before a checkpoint, to compact the heap.
	define("gc_collect", []ValType{I32, I64}, []ValType{I64}, func(rt *Runtime, f *Func) {
		scanEnd, extra := f.Param(0), f.Param(1)
		to, scan, n, raw, live := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		room, next := f.NewLocal(I64), f.NewLocal(I64)
		f.SetGlobal(rt.GCPending, C32(0))
		f.SetGlobal(rt.StackLimit, rt.HeapBase.Get())
		// Live objects are copied from hp on; each gets the address it will have once the
		// copy slides down to heap_base.
		f.Set(to, rt.HP.Get())
		f.SetGlobal(rt.gcFromEnd, to.Get())
		f.SetGlobal(rt.gcDelta, Sub32(to.Get(), rt.HeapBase.Get()))
		forward := rt.Fn("gc_forward")
		f.Exec(Call(rt.Fn("gc_range"), rt.SP.Get(), ShrU32(Sub32(scanEnd.Get(), rt.SP.Get()), C32(3))))
		f.Exec(Call(rt.staticRoots()))
		f.SetGlobal(rt.ErrValue, Call(forward, rt.ErrValue.Get()))
		f.Set(extra, Call(forward, extra.Get()))
		// Cheney's scan: the copies between scan and hp are not yet forwarded.
		f.Set(scan, to.Get())
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, GeU32(scan.Get(), rt.HP.Get()))
				f.Set(n, Load32(scan.Get(), layout.HeaderSizeOffset))
				f.Set(raw, Load8U(Add32(C32(int32(rt.rawTable)), Load8U(scan.Get(), layout.HeaderTypeOffset)), 0))
				f.If(Ne32(raw.Get(), C32(gcNotRaw)), func() {
					f.Exec(Call(rt.Fn("gc_range"), Add32(scan.Get(), Add32(C32(layout.HeaderSize), Shl32(raw.Get(), C32(3)))), Sub32(n.Get(), raw.Get())))
				}, nil)
				f.Set(scan, Add32(scan.Get(), Add32(C32(layout.HeaderSize), Shl32(n.Get(), C32(3)))))
				f.Br(again)
			})
		})
		// Slide the copy down and clear everything above it: alloc relies on zeroed
		// memory, and the memory pool clears only up to hp.
		f.Set(live, Sub32(rt.HP.Get(), to.Get()))
		f.MemoryCopy(rt.HeapBase.Get(), to.Get(), live.Get())
		f.MemoryFill(Add32(rt.HeapBase.Get(), live.Get()), C32(0), Sub32(to.Get(), rt.HeapBase.Get()))
		f.SetGlobal(rt.HP, Add32(rt.HeapBase.Get(), live.Get()))
		// :limit/memory means this: the live data does not fit the limit.
		f.If(GtU32(rt.HP.Get(), rt.HeapLimit.Get()), func() { f.Exec(Call(rt.Abort, C32(AbortMemory))) }, nil)
		f.SetGlobal(rt.GCCount, Add32(rt.GCCount.Get(), C32(1)))
		// The work is charged as fuel; the safe point refuels if this overdraws.
		f.SetGlobal(rt.Fuel, Sub64(rt.Fuel.Get(), ExtendU(Add32(C32(1),
			ShrU32(Add32(live.Get(), Sub32(scanEnd.Get(), rt.SP.Get())), C32(6))))))
		// The next trigger: room for twice the live data (at least GCMinHeap), but not
		// past the limit: the copy of the live data goes above it, into the memory
		// that MemoryReserve sets aside.
		if rt.GCStress {
			f.SetGlobal(rt.GCTrigger, rt.HP.Get())
		} else {
			f.Set(room, Shl64(ExtendU(live.Get()), C64(1)))
			f.If(LtU32(live.Get(), C32(GCMinHeap/2)), func() { f.Set(room, C64(GCMinHeap)) }, nil)
			f.Set(next, Add64(ExtendU(rt.HP.Get()), room.Get()))
			f.Set(room, ExtendU(rt.HeapLimit.Get()))
			f.If(GtS64(next.Get(), room.Get()), func() { f.Set(next, room.Get()) }, nil)
			f.Set(room, Add64(ExtendU(rt.HP.Get()), C64(gcMinRoom)))
			f.If(LtS64(next.Get(), room.Get()), func() { f.Set(next, room.Get()) }, nil)
			f.SetGlobal(rt.GCTrigger, Wrap(next.Get()))
		}
		rt.setAllocEnd(f)
		f.Result(extra.Get())
	})
	// gc_range(addr, n) forwards the n values at addr.
	define("gc_range", []ValType{I32, I32}, nil, func(rt *Runtime, f *Func) {
		p, end := f.Param(0), f.Param(1)
		v := f.NewLocal(I64)
		f.Set(end, Add32(p.Get(), Shl32(end.Get(), C32(3))))
		forward := rt.Fn("gc_forward")
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, GeU32(p.Get(), end.Get()))
				// Immediates (most values) are skipped here; gc_forward checks the rest.
				f.Set(v, Load64(p.Get(), 0))
				f.If(IsPointer(v.Get()), func() {
					f.Store64(p.Get(), 0, Call(forward, v.Get()))
				}, nil)
				f.Set(p, Add32(p.Get(), C32(8)))
				f.Br(again)
			})
		})
	})
	// gc_forward(v) -> v: an object of the old heap is copied (once) above hp; its
	// header then holds the copy's final address. Immediates and static objects stay.
	define("gc_forward", []ValType{I64}, []ValType{I64}, func(rt *Runtime, f *Func) {
		v := f.Param(0)
		a, size, dst, i := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		f.If(Eqz32(IsPointer(v.Get())), func() { f.Return(v.Get()) }, nil)
		f.Set(a, Wrap(v.Get()))
		f.If(Or32(LtU32(a.Get(), rt.HeapBase.Get()), GeU32(a.Get(), rt.gcFromEnd.Get())), func() { f.Return(v.Get()) }, nil)
		f.If(Load8U(a.Get(), layout.HeaderGCOffset), func() {
			f.Return(ExtendU(Load32(a.Get(), layout.HeaderSizeOffset)))
		}, nil)
		f.Set(size, Add32(C32(layout.HeaderSize), Shl32(Load32(a.Get(), layout.HeaderSizeOffset), C32(3))))
		f.Set(dst, rt.HP.Get())
		f.If(GtU32(Add32(dst.Get(), size.Get()), rt.HeapEnd.Get()), func() {
			f.Exec(Call(rt.Fn("grow"), Add32(dst.Get(), size.Get())))
		}, nil)
		// wazero runs memory.copy out of line: small objects (most) are copied by words.
		f.If(GtU32(size.Get(), C32(gcCopyInline)), func() {
			f.MemoryCopy(dst.Get(), a.Get(), size.Get())
		}, func() {
			f.Set(i, C32(0))
			f.Loop(func(again Label) {
				f.Store64(Add32(dst.Get(), i.Get()), 0, Load64(Add32(a.Get(), i.Get()), 0))
				f.Set(i, Add32(i.Get(), C32(8)))
				f.BrIf(again, LtU32(i.Get(), size.Get()))
			})
		})
		f.SetGlobal(rt.HP, Add32(dst.Get(), size.Get()))
		f.Set(dst, Sub32(dst.Get(), rt.gcDelta.Get()))
		f.Store8(a.Get(), layout.HeaderGCOffset, C32(1))
		f.Store32(a.Get(), layout.HeaderSizeOffset, dst.Get())
		f.Result(ExtendU(dst.Get()))
	})
}
