package guest

import (
	"github.com/rtfsvm/rtfsvm/internal/layout"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
)

// Routines that the interpreted side of compiled code calls where the compiled side
// writes the same work out inline (wasm.Func.Tiered): the function entry, the test of a
// call's value for Err, the fixnum fast paths of arithmetic and comparisons, a fuel
// charge, a step's entry and exit. wazero's interpreter compiles every instruction of a
// new plan before it can run, so a call in place of thirty instructions makes a plan
// ready sooner; the optimizing compiler, which works in the background, keeps the
// inline code that runs fast.
//
// Each routine does exactly what the inline code does, in the same order, and charges
// no fuel of its own: a VM behaves the same on both tiers.

// FixnumOp computes a op b for fixnums a and b, in locals, into r, and leaves a
// condition that is true when r is the tagged result (false: the routine must decide,
// as for an overflow). The result is computed whatever a and b are; it is only used
// when both are fixnums.
type FixnumOp func(f *Func, a, b, r Local) X

// FixnumAdd: (2x+1) + 2y = 2(x+y)+1; it fails only when x+y leaves the fixnums.
func FixnumAdd(f *Func, a, b, r Local) X {
	f.Set(r, Add64(a.Get(), Sub64(b.Get(), C64(1))))
	return GeS64(And64(Xor64(a.Get(), r.Get()), Xor64(Sub64(b.Get(), C64(1)), r.Get())), C64(0))
}

// FixnumSub: (2x+1) - 2y = 2(x-y)+1.
func FixnumSub(f *Func, a, b, r Local) X {
	f.Set(r, Sub64(a.Get(), Sub64(b.Get(), C64(1))))
	return GeS64(And64(Xor64(a.Get(), Sub64(b.Get(), C64(1))), Xor64(a.Get(), r.Get())), C64(0))
}

// BothFixnums tests two values, in locals, for fixnums.
func BothFixnums(a, b Local) X { return Wrap(And64(And64(a.Get(), b.Get()), C64(1))) }

// fixnumFirst returns a op b from f when both are fixnums and the result is one.
func fixnumFirst(f *Func, a, b Local, op FixnumOp) {
	r := f.NewLocal(I64)
	ok := op(f, a, b, r)
	f.If(And32(BothFixnums(a, b), ok), func() { f.Return(r.Get()) }, nil)
}

func init() {
	// failed(v) -> v, v = Err is the test after a call that may yield Err: the value
	// stays under the condition of a br_if to the handler.
	define("failed", i64, []ValType{I64, I32}, func(rt *Runtime, f *Func) {
		v := f.Param(0)
		f.Emit(v.Get())
		f.Result(Eq64(v.Get(), Const(layout.Err)))
	})
	atSig := []ValType{I64, I64, I32}
	// num_add_at(a, b, site) and num_sub_at are a ± b: the fixnum case, or else site
	// becomes the site global and num_add or num_sub decides.
	for _, op := range []struct {
		name, routine string
		fixnum        FixnumOp
	}{{"num_add_at", "num_add", FixnumAdd}, {"num_sub_at", "num_sub", FixnumSub}} {
		define(op.name, atSig, i64, func(rt *Runtime, f *Func) {
			a, b := f.Param(0), f.Param(1)
			fixnumFirst(f, a, b, op.fixnum)
			f.SetGlobal(rt.Site, f.Param(2).Get())
			f.Result(Call(rt.Fn(op.routine), a.Get(), b.Get()))
		})
	}
	// num_lt_at(a, b, site) and the other comparisons are true or false, or Err: fixnums
	// compare as they are (tagging keeps their order); otherwise site becomes the site
	// global and num_lt (...) decides.
	for _, c := range []struct {
		name, routine string
		fixnum        byte
	}{
		{"num_lt_at", "num_lt", I64LtS}, {"num_gt_at", "num_gt", I64GtS},
		{"num_le_at", "num_le", I64LeS}, {"num_ge_at", "num_ge", I64GeS},
	} {
		define(c.name, atSig, i64, func(rt *Runtime, f *Func) {
			a, b := f.Param(0), f.Param(1)
			f.If(BothFixnums(a, b), func() { f.Return(Bool(Op(c.fixnum, a.Get(), b.Get()))) }, nil)
			f.SetGlobal(rt.Site, f.Param(2).Get())
			f.Result(Call(rt.Fn(c.routine), a.Get(), b.Get()))
		})
	}
	// enter(fp, argc, closure, params, frame) -> closure or Err is the entry of a
	// function of a fixed number of parameters whose frame has frame slots: the entry
	// check (EntryCheck), the argument count (Err when it is not params), and the slots
	// past the arguments cleared. enter_unmetered is the same with StackCheck.
	for _, metered := range []bool{true, false} {
		name := "enter"
		if !metered {
			name = "enter_unmetered"
		}
		define(name, []ValType{I32, I32, I64, I32, I32}, i64, func(rt *Runtime, f *Func) {
			fp, argc, clo, params, frame := f.Param(0), f.Param(1), f.Param(2), f.Param(3), f.Param(4)
			frameEnd := Add32(fp.Get(), Shl32(frame.Get(), C32(3)))
			argsEnd := Add32(fp.Get(), Shl32(argc.Get(), C32(3)))
			if metered {
				rt.EntryCheck(f, frameEnd, argsEnd, clo)
			} else {
				rt.StackCheck(f, frameEnd, argsEnd, clo)
			}
			f.If(Ne32(argc.Get(), params.Get()), func() { f.Return(rt.Raise(ErrArity, Tag(ExtendU(argc.Get())))) }, nil)
			f.MemoryFill(Add32(fp.Get(), Shl32(params.Get(), C32(3))), C32(0), Shl32(Sub32(frame.Get(), params.Get()), C32(3)))
			f.Result(clo.Get())
		})
	}
	// step_enter(fp, slots, site) -> nil or Err and step_exit(v, fp, slots, site) -> v or
	// Err are the entry and the exit of a step form whose name is in frame slot
	// slots&0xffff and whose result goes to slot slots>>16: the host's step event (phase
	// 0, or 1 with the value, which the result slot holds during the event) with site
	// noted first; the entry clears the result slot.
	slot := func(fp, slots Local, result bool) X {
		index := And32(slots.Get(), C32(0xffff))
		if result {
			index = ShrU32(slots.Get(), C32(16))
		}
		return Add32(fp.Get(), Shl32(index, C32(3)))
	}
	define("step_enter", []ValType{I32, I32, I32}, i64, func(rt *Runtime, f *Func) {
		fp, slots, r := f.Param(0), f.Param(1), f.NewLocal(I64)
		f.SetGlobal(rt.Site, f.Param(2).Get())
		f.Set(r, Call(rt.Step, C32(0), Load64(slot(fp, slots, false), 0), Const(layout.Nil)))
		f.If(Eq64(r.Get(), Const(layout.Err)), func() { f.Return(r.Get()) }, nil)
		f.Store64(slot(fp, slots, true), 0, C64(0))
		f.Result(Const(layout.Nil))
	})
	define("step_exit", []ValType{I64, I32, I32, I32}, i64, func(rt *Runtime, f *Func) {
		v, fp, slots := f.Param(0), f.Param(1), f.Param(2)
		f.Store64(slot(fp, slots, true), 0, v.Get())
		f.SetGlobal(rt.Site, f.Param(3).Get())
		f.If(Eq64(Call(rt.Step, C32(1), Load64(slot(fp, slots, false), 0), Load64(slot(fp, slots, true), 0)), Const(layout.Err)),
			func() { f.Return(Const(layout.Err)) }, nil)
		f.Result(Load64(slot(fp, slots, true), 0))
	})
	// charge_fuel(n) is ChargeFuel.
	define("charge_fuel", i64, nil, func(rt *Runtime, f *Func) { rt.ChargeFuel(f, f.Param(0).Get()) })
}
