package guest

import (
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
	"github.com/rtfsvm/rtfsvm/value"
)

// Collections built from values laid out in memory: literals and the library's
// constructors.
func init() {
	each := func(rt *Runtime, f *Func, start X, step func(acc, x X) X) {
		args, argc := f.Param(0), f.Param(1)
		acc, i := f.NewLocal(I64), f.NewLocal(I32)
		f.Set(acc, start)
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, GeU32(i.Get(), argc.Get()))
				f.Set(acc, step(acc.Get(), Load64(Add32(args.Get(), Shl32(i.Get(), C32(3))), 0)))
				f.Set(i, Add32(i.Get(), C32(1)))
				f.Br(again)
			})
		})
		f.Result(acc.Get())
	}
	vs := VariadicSig
	define("vector_of", vs.Params, vs.Results, func(rt *Runtime, f *Func) {
		each(rt, f, Const(rt.EmptyVector), func(acc, x X) X { return Call(rt.Fn("vector_conj"), acc, x) })
	})
	define("set_of", vs.Params, vs.Results, func(rt *Runtime, f *Func) {
		each(rt, f, Const(rt.EmptySet), func(acc, x X) X { return Call(rt.Fn("set_conj"), acc, x) })
	})
	// list_of builds from the last element back.
	define("list_of", vs.Params, vs.Results, func(rt *Runtime, f *Func) {
		args, argc := f.Param(0), f.Param(1)
		acc, i := f.NewLocal(I64), f.NewLocal(I32)
		f.Set(acc, Const(rt.EmptyList))
		f.Set(i, argc.Get())
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, Eqz32(i.Get()))
				f.Set(i, Sub32(i.Get(), C32(1)))
				f.Set(acc, Call(rt.Fn("list_cons"), Load64(Add32(args.Get(), Shl32(i.Get(), C32(3))), 0), acc.Get()))
				f.Br(again)
			})
		})
		f.Result(acc.Get())
	})
	// map_of takes keys and values alternately; a later key replaces an earlier one.
	define("map_of", vs.Params, vs.Results, func(rt *Runtime, f *Func) {
		args, argc := f.Param(0), f.Param(1)
		acc, p, end := f.NewLocal(I64), f.NewLocal(I32), f.NewLocal(I32)
		f.If(And32(argc.Get(), C32(1)), func() { f.Return(rt.Raise(ErrOddKeyValues, Tag(ExtendU(argc.Get())))) }, nil)
		f.Set(acc, Const(rt.EmptyMap))
		f.Set(p, args.Get())
		f.Set(end, Add32(args.Get(), Shl32(argc.Get(), C32(3))))
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, GeU32(Add32(p.Get(), C32(8)), Add32(end.Get(), C32(1))))
				f.Set(acc, Call(rt.Fn("map_assoc"), acc.Get(), Load64(p.Get(), 0), Load64(p.Get(), 8)))
				f.Set(p, Add32(p.Get(), C32(16)))
				f.Br(again)
			})
		})
		f.Result(acc.Get())
	})
	libVariadic("vector", "vector_of", 0, -1)
	libVariadic("list", "list_of", 0, -1)
	libVariadic("hash-map", "map_of", 0, -1)
}

var ErrOddKeyValues = errorCode(13, value.ErrInvalidArg, "expected keys and values in pairs, got %s arguments")
