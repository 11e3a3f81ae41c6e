package guest

import (
	"github.com/rtfsvm/rtfsvm/internal/layout"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
	"github.com/rtfsvm/rtfsvm/value"
)

var ErrIndexCall = errorCode(11, value.ErrIndex, "index out of range: %s")
var ErrIndexType = errorCode(12, value.ErrType, "a vector takes an integer index, got %s")

func init() {
	// apply_data(args, argc, f) calls a value that is not a closure, as Clojure does:
	// (:k m), (m k), (s x), (v i); anything else is not a function.
	define("apply_data", []ValType{I32, I32, I64}, i64, func(rt *Runtime, f *Func) {
		args, argc, fn := f.Param(0), f.Param(1), f.Param(2)
		t := f.NewLocal(I32)
		arg := func(i uint32) X { return Load64(args.Get(), 8*i) }
		dflt := IfX(i64, Eq32(argc.Get(), C32(2)), func(f *Func) { f.Emit(arg(1)) }, func(f *Func) { f.Emit(Const(layout.Nil)) })
		arity := func(lo, hi int32) {
			f.If(Or32(LtU32(argc.Get(), C32(lo)), GtU32(argc.Get(), C32(hi))), func() {
				f.Return(rt.Raise(ErrArity, Tag(ExtendU(argc.Get()))))
			}, nil)
		}
		f.If(Eqz32(IsPointer(fn.Get())), func() { f.Return(rt.Raise(ErrNotFunction, fn.Get())) }, nil)
		f.Set(t, TypeOf(fn.Get()))
		f.If(Eq32(t.Get(), C32(layout.TypeKeyword)), func() {
			arity(1, 2)
			f.If(HasType(arg(0), layout.TypeMap), func() {
				f.Return(Call(rt.Fn("map_get"), arg(0), fn.Get(), dflt))
			}, nil)
			f.Return(dflt)
		}, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeMap)), func() {
			arity(1, 2)
			f.Return(Call(rt.Fn("map_get"), fn.Get(), arg(0), dflt))
		}, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeSet)), func() {
			arity(1, 1)
			f.Return(Select(arg(0), Const(layout.Nil), Call(rt.Fn("set_contains"), fn.Get(), arg(0))))
		}, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeVector)), func() {
			arity(1, 1)
			f.If(Eqz32(IsFixnum(arg(0))), func() { f.Return(rt.Raise(ErrIndexType, arg(0))) }, nil)
			f.If(Or32(LtS64(Untag(arg(0)), C64(0)), GeS64(Untag(arg(0)), ExtendU(Load32(Ptr(fn.Get()), layout.CountOffset)))), func() {
				f.Return(rt.Raise(ErrIndexCall, arg(0)))
			}, nil)
			f.Return(Call(rt.Fn("vector_nth"), fn.Get(), Wrap(Untag(arg(0)))))
		}, nil)
		f.Result(rt.Raise(ErrNotFunction, fn.Get()))
	})
	// error_kind_is(err, kind) tests the :error/kind of an error map.
	define("error_kind_is", i64x2, i32, func(rt *Runtime, f *Func) {
		kindKey := Const(rt.Data.Text(layout.TypeKeyword, string(value.KeyKind)))
		f.Result(Call(rt.Fn("equal"), Call(rt.Fn("map_get"), f.Param(0).Get(), kindKey, Const(layout.Nil)), f.Param(1).Get()))
	})
}
