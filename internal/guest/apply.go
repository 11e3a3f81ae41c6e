package guest

import (
	"github.com/rtfsvm/rtfsvm/internal/layout"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
)

func init() {
	// apply_fn has the signature of a compiled function, so that (apply f a b xs) can be
	// called like any function: its arguments f a b xs lie at fp. It moves a b down over
	// f, spreads the elements of xs after them, and calls f there: f's frame starts
	// where apply's did. Nothing stays live across that call.
	define("apply_fn", FnSig.Params, FnSig.Results, func(rt *Runtime, f *Func) {
		fp, argc := f.Param(0), f.Param(1)
		fn, xs, n, count, i := f.NewLocal(I64), f.NewLocal(I64), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		f.If(LtU32(argc.Get(), C32(2)), func() { f.Return(rt.Raise(ErrArity, Tag(ExtendU(argc.Get())))) }, nil)
		f.Set(fn, Load64(fp.Get(), 0))
		f.Set(n, Sub32(argc.Get(), C32(2)))
		f.Set(xs, Call(rt.Fn(Library["vec"].Routine), Load64(Add32(fp.Get(), Shl32(Add32(n.Get(), C32(1)), C32(3))), 0)))
		f.If(Eq64(xs.Get(), Const(layout.Err)), func() { f.Return(xs.Get()) }, nil)
		f.Set(count, Call(rt.Fn("vector_count"), xs.Get()))
		// heap_base is the end of the stack (stack_limit may be lowered to request a collection).
		f.If(GtU32(Add32(fp.Get(), Shl32(Add32(n.Get(), count.Get()), C32(3))), rt.HeapBase.Get()), func() {
			f.Exec(Call(rt.Abort, C32(AbortStack)))
		}, nil)
		rt.ChargeFuel(f, ExtendU(count.Get()))
		f.MemoryCopy(fp.Get(), Add32(fp.Get(), C32(8)), Shl32(n.Get(), C32(3)))
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, GeU32(i.Get(), count.Get()))
				f.Store64(Add32(fp.Get(), Shl32(Add32(n.Get(), i.Get()), C32(3))), 0, Call(rt.Fn("vector_nth"), xs.Get(), i.Get()))
				f.Set(i, Add32(i.Get(), C32(1)))
				f.Br(again)
			})
		})
		f.Set(n, Add32(n.Get(), count.Get()))
		// The function called cannot be rewound through apply, whose arguments it
		// overwrote: while it runs, the VM takes no snapshot (snapshot.go).
		rt.Pin(f, 1)
		f.Set(xs, IfX(i64, HasType(fn.Get(), layout.TypeClosure),
			func(f *Func) {
				f.Emit(CallIndirect(FnSig, Load32(Wrap(fn.Get()), layout.ClosureIndex), fp.Get(), n.Get(), fn.Get()))
			},
			func(f *Func) { f.Emit(Call(rt.Fn("apply_data"), fp.Get(), n.Get(), fn.Get())) }))
		rt.Pin(f, -1)
		f.Result(xs.Get())
	})
	define("lib_identity", i64, i64, func(rt *Runtime, f *Func) { f.Result(f.Param(0).Get()) })
	libFixed("identity", "lib_identity", 1)
}
