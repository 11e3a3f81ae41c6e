package guest

import (
	"github.com/rtfsvm/rtfsvm/internal/layout"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
)

func init() {
	// alloc(type, words) -> address of a new object with its header written and its
	// payload zeroed (fresh memory is zero; the heap is never reused without a clear).
	define("alloc", []ValType{I32, I32}, []ValType{I32}, func(rt *Runtime, f *Func) {
		typ, words := f.Param(0), f.Param(1)
		p, next := f.NewLocal(I32), f.NewLocal(I32)
		f.Set(p, rt.HP.Get())
		f.Set(next, Add32(p.Get(), Add32(C32(layout.HeaderSize), Shl32(words.Get(), C32(3)))))
		f.If(GtU32(next.Get(), rt.HeapEnd.Get()), func() {
			f.Exec(Call(rt.Fn("grow"), next.Get()))
		}, nil)
		f.SetGlobal(rt.HP, next.Get())
		f.Store8(p.Get(), layout.HeaderTypeOffset, typ.Get())
		f.Store32(p.Get(), layout.HeaderSizeOffset, words.Get())
		f.Result(p.Get())
	})
	// grow(end) makes the heap reach at least end, within the memory limit.
	define("grow", []ValType{I32}, nil, func(rt *Runtime, f *Func) {
		end := f.Param(0)
		pages := f.NewLocal(I32)
		// Pages needed, rounded up; an address past 4 GiB wrapped around and is refused.
		f.If(LtU32(end.Get(), rt.HP.Get()), func() { f.Exec(Call(rt.Abort, C32(AbortMemory))) }, nil)
		f.If(GtU32(end.Get(), rt.HeapLimit.Get()), func() { f.Exec(Call(rt.Abort, C32(AbortMemory))) }, nil)
		f.Set(pages, ShrU32(Add32(Sub32(end.Get(), rt.HeapEnd.Get()), C32(layout.PageSize-1)), C32(16)))
		f.If(Eq32(MemoryGrow(pages.Get()), C32(-1)), func() { f.Exec(Call(rt.Abort, C32(AbortMemory))) }, nil)
		f.SetGlobal(rt.HeapEnd, Add32(rt.HeapEnd.Get(), Shl32(pages.Get(), C32(16))))
	})
	// fuel_slow refills the fuel of the current slice from the host, which stops the VM
	// when the budget or the wall clock is exhausted.
	define("fuel_slow", nil, nil, func(rt *Runtime, f *Func) {
		f.SetGlobal(rt.Fuel, Call(rt.Refuel))
	})
}

// ChargeFuel subtracts n from the fuel and takes the slow path when it runs out.
func (rt *Runtime) ChargeFuel(f *Func, n X) {
	// The new amount is kept in a local for the test, rather than read back from the
	// global: this sits on every call and loop iteration.
	left := rt.fuelLocal(f)
	f.SetGlobal(rt.Fuel, Tee(left, Sub64(rt.Fuel.Get(), n)))
	f.If(LtS64(left.Get(), C64(0)), func() { f.Exec(Call(rt.Fn("fuel_slow"))) }, nil)
}

// EntryCheck is a function's entry: one unit of fuel, and room on the shadow stack for
// a frame ending at frameEnd; a single branch covers both.
func (rt *Runtime) EntryCheck(f *Func, frameEnd X) {
	left := rt.fuelLocal(f)
	f.SetGlobal(rt.Fuel, Tee(left, Sub64(rt.Fuel.Get(), C64(1))))
	f.If(Or32(LtS64(left.Get(), C64(0)), GtU32(frameEnd, rt.StackLimit.Get())), func() {
		f.Exec(Call(rt.Fn("entry_slow"), frameEnd))
	}, nil)
}

func (rt *Runtime) fuelLocal(f *Func) Local {
	left, ok := rt.fuelLocals[f]
	if !ok {
		left = f.NewLocal(I64)
		rt.fuelLocals[f] = left
	}
	return left
}

func init() {
	// entry_slow(frame_end) is the rare path of a function's entry.
	define("entry_slow", []ValType{I32}, nil, func(rt *Runtime, f *Func) {
		f.If(GtU32(f.Param(0).Get(), rt.StackLimit.Get()), func() { f.Exec(Call(rt.Abort, C32(AbortStack))) }, nil)
		f.If(LtS64(rt.Fuel.Get(), C64(0)), func() { f.Exec(Call(rt.Fn("fuel_slow"))) }, nil)
	})
}
