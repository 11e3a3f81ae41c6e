package guest

import (
	"github.com/rtfsvm/rtfsvm/internal/layout"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
)

func init() {
	// alloc(type, words) -> address of a new object with its header written and its
	// payload zeroed (fresh memory is zero: the collector clears what it frees). Past
	// alloc_end (the end of the memory, or the collector's trigger, whichever is lower)
	// alloc_slow asks for a collection at the next safe point and grows the memory: alloc
	// never collects itself, so no caller has to root what it holds in Wasm locals.
	define("alloc", []ValType{I32, I32}, []ValType{I32}, func(rt *Runtime, f *Func) {
		typ, words := f.Param(0), f.Param(1)
		p, next := f.NewLocal(I32), f.NewLocal(I32)
		f.Set(p, rt.HP.Get())
		f.Set(next, Add32(p.Get(), Add32(C32(layout.HeaderSize), Shl32(words.Get(), C32(3)))))
		f.If(GtU32(next.Get(), rt.AllocEnd.Get()), func() {
			f.Exec(Call(rt.Fn("alloc_slow"), next.Get()))
		}, nil)
		f.SetGlobal(rt.HP, next.Get())
		f.Store8(p.Get(), layout.HeaderTypeOffset, typ.Get())
		f.Store32(p.Get(), layout.HeaderSizeOffset, words.Get())
		f.Result(p.Get())
	})
	// alloc_slow(next): past the trigger, a collection is requested (gc_request); past
	// the memory's end, the memory grows (up to the limit).
	define("alloc_slow", []ValType{I32}, nil, func(rt *Runtime, f *Func) {
		next := f.Param(0)
		f.If(GtU32(next.Get(), rt.GCTrigger.Get()), func() {
			f.Exec(Call(rt.Fn("gc_request")))
		}, nil)
		f.If(GtU32(next.Get(), rt.HeapEnd.Get()), func() {
			f.Exec(Call(rt.Fn("grow"), next.Get()))
		}, nil)
		rt.setAllocEnd(f)
	})
	// grow(end) makes the memory reach at least end, within mem_limit: past heap_limit
	// only until the collection that the trigger (never above heap_limit) has requested.
	define("grow", []ValType{I32}, nil, func(rt *Runtime, f *Func) {
		end := f.Param(0)
		pages := f.NewLocal(I32)
		// Pages needed, rounded up; an address past 4 GiB wrapped around and is refused.
		f.If(LtU32(end.Get(), rt.HP.Get()), func() { f.Exec(Call(rt.Abort, C32(AbortMemory))) }, nil)
		f.If(GtU32(end.Get(), rt.MemLimit.Get()), func() { f.Exec(Call(rt.Abort, C32(AbortMemory))) }, nil)
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
// a frame ending at frameEnd; a single branch covers both. The entry is also a safe point
// of the collector: a requested collection lowers stack_limit so that the next entry
// takes the slow path, which collects with the frames up to argsEnd (the callee's
// arguments) as roots and reloads the callee's closure, which may have moved.
//
// The test is one sign: the fuel left, or'ed with the room left below stack_limit
// (negative when the frame does not fit, sign-extended). That is a subtraction, an
// extension and an or before the branch, where two comparisons each made a flag
// and or'ed them. The room is negative only past the limit: the stack is at most a
// quarter of a memory of at most 4 GiB, so it never exceeds 2 GiB.
func (rt *Runtime) EntryCheck(f *Func, frameEnd, argsEnd X, clo Local) {
	left := rt.fuelLocal(f)
	f.SetGlobal(rt.Fuel, Tee(left, Sub64(rt.Fuel.Get(), C64(1))))
	room := ExtendS(Sub32(rt.StackLimit.Get(), frameEnd))
	f.If(LtS64(Or64(left.Get(), room), C64(0)), func() {
		f.Set(clo, Call(rt.Fn("entry_slow"), frameEnd, argsEnd, clo.Get()))
	}, nil)
}

// StackCheck is the entry of an unmetered function: the stack test alone (which also
// catches a requested collection).
func (rt *Runtime) StackCheck(f *Func, frameEnd, argsEnd X, clo Local) {
	f.If(GtU32(frameEnd, rt.StackLimit.Get()), func() {
		f.Set(clo, Call(rt.Fn("entry_slow"), frameEnd, argsEnd, clo.Get()))
	}, nil)
}

// LoopCheck is a loop's back edge: one unit of fuel (unless unmetered), and a safe point
// of the collector with the frames up to scanEnd as roots.
func (rt *Runtime) LoopCheck(f *Func, scanEnd X, metered bool) {
	if !metered {
		f.If(rt.GCPending.Get(), func() { f.Exec(Call(rt.Fn("loop_slow"), scanEnd)) }, nil)
		return
	}
	left := rt.fuelLocal(f)
	f.SetGlobal(rt.Fuel, Tee(left, Sub64(rt.Fuel.Get(), C64(1))))
	f.If(Or32(LtS64(left.Get(), C64(0)), rt.GCPending.Get()), func() {
		f.Exec(Call(rt.Fn("loop_slow"), scanEnd))
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
	// entry_slow(frame_end, args_end, closure) -> closure is the rare path of a
	// function's entry: a collection, the stack limit, the fuel.
	define("entry_slow", []ValType{I32, I32, I64}, []ValType{I64}, func(rt *Runtime, f *Func) {
		clo := f.Param(2)
		f.Set(clo, Call(rt.Fn("gc_safepoint"), f.Param(1).Get(), clo.Get()))
		f.If(GtU32(f.Param(0).Get(), rt.HeapBase.Get()), func() { f.Exec(Call(rt.Abort, C32(AbortStack))) }, nil)
		f.If(LtS64(rt.Fuel.Get(), C64(0)), func() { f.Exec(Call(rt.Fn("fuel_slow"))) }, nil)
		f.Result(clo.Get())
	})
	// loop_slow(scan_end) is the rare path of a loop's back edge.
	define("loop_slow", []ValType{I32}, nil, func(rt *Runtime, f *Func) {
		f.Do(Call(rt.Fn("gc_safepoint"), f.Param(0).Get(), Const(layout.Nil)))
		f.If(LtS64(rt.Fuel.Get(), C64(0)), func() { f.Exec(Call(rt.Fn("fuel_slow"))) }, nil)
	})
}
