package guest

import (
	"math"

	"github.com/rtfsvm/rtfsvm/internal/layout"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
)

var (
	i32   = []ValType{I32}
	i64   = []ValType{I64}
	f64   = []ValType{F64}
	i64x2 = []ValType{I64, I64}
)

// Integer arithmetic is checked: a result outside i64 is :error/overflow. Integers that
// do not fit a fixnum are boxed.

func init() {
	// box_int(n) is the value of integer n.
	define("box_int", i64, i64, func(rt *Runtime, f *Func) {
		n := f.Param(0)
		p := f.NewLocal(I32)
		f.If(And32(GeS64(n.Get(), C64(layout.FixnumMin)), LeS64(n.Get(), C64(layout.FixnumMax))), func() {
			f.Return(Tag(n.Get()))
		}, nil)
		f.Set(p, Call(rt.Fn("alloc"), C32(layout.TypeBigInt), C32(1)))
		f.Store64(p.Get(), layout.BoxValue, n.Get())
		f.Result(ExtendU(p.Get()))
	})
	// box_float(x) is the value of float x.
	define("box_float", f64, i64, func(rt *Runtime, f *Func) {
		p := f.NewLocal(I32)
		f.Set(p, Call(rt.Fn("alloc"), C32(layout.TypeFloat), C32(1)))
		f.StoreF64(p.Get(), layout.BoxValue, f.Param(0).Get())
		f.Result(ExtendU(p.Get()))
	})
	// num_kind(v) is 1 for an integer, 2 for a float, 0 for anything else.
	define("num_kind", i64, i32, func(rt *Runtime, f *Func) {
		v := f.Param(0)
		t := f.NewLocal(I32)
		f.If(IsFixnum(v.Get()), func() { f.Return(C32(1)) }, nil)
		f.If(Eqz32(IsPointer(v.Get())), func() { f.Return(C32(0)) }, nil)
		f.Set(t, TypeOf(v.Get()))
		f.If(Eq32(t.Get(), C32(layout.TypeBigInt)), func() { f.Return(C32(1)) }, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeFloat)), func() { f.Return(C32(2)) }, nil)
		f.Result(C32(0))
	})
	// int_of(v) is the integer of an integer value (fixnum or boxed).
	define("int_of", i64, i64, func(rt *Runtime, f *Func) {
		v := f.Param(0)
		f.If(IsFixnum(v.Get()), func() { f.Return(Untag(v.Get())) }, nil)
		f.Result(Load64(Ptr(v.Get()), layout.BoxValue))
	})
	// float_of(v) is a number as a float.
	define("float_of", i64, f64, func(rt *Runtime, f *Func) {
		v := f.Param(0)
		f.If(IsFixnum(v.Get()), func() { f.Return(Op(F64ConvertI64S, Untag(v.Get()))) }, nil)
		f.If(Eq32(TypeOf(v.Get()), C32(layout.TypeFloat)), func() { f.Return(LoadF64(Ptr(v.Get()), layout.BoxValue)) }, nil)
		f.Result(Op(F64ConvertI64S, Load64(Ptr(v.Get()), layout.BoxValue)))
	})
	for _, op := range []struct {
		name  string
		int   func(rt *Runtime, f *Func, a, b, r Local) // leaves r or returns Err
		float byte
	}{
		{"num_add", checkedAdd, F64Add},
		{"num_sub", checkedSub, F64Sub},
		{"num_mul", checkedMul, F64Mul},
	} {
		op := op
		define(op.name, i64x2, i64, func(rt *Runtime, f *Func) {
			a, b := f.Param(0), f.Param(1)
			ka, kb, r := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I64)
			f.Set(ka, Call(rt.Fn("num_kind"), a.Get()))
			f.Set(kb, Call(rt.Fn("num_kind"), b.Get()))
			f.If(Eqz32(ka.Get()), func() { f.Return(rt.Raise(ErrNotNumber, a.Get())) }, nil)
			f.If(Eqz32(kb.Get()), func() { f.Return(rt.Raise(ErrNotNumber, b.Get())) }, nil)
			f.If(And32(Eq32(ka.Get(), C32(1)), Eq32(kb.Get(), C32(1))), func() {
				x, y := f.NewLocal(I64), f.NewLocal(I64)
				f.Set(x, Call(rt.Fn("int_of"), a.Get()))
				f.Set(y, Call(rt.Fn("int_of"), b.Get()))
				op.int(rt, f, x, y, r)
				f.Return(Call(rt.Fn("box_int"), r.Get()))
			}, nil)
			f.Result(Call(rt.Fn("box_float"), Op(op.float, Call(rt.Fn("float_of"), a.Get()), Call(rt.Fn("float_of"), b.Get()))))
		})
	}
	// num_cmp(a, b) compares two numbers by value: -1, 0, 1, or 2 when unordered (NaN);
	// 3 when a is not a number, 4 when b is not.
	define("num_cmp", i64x2, i32, func(rt *Runtime, f *Func) {
		a, b := f.Param(0), f.Param(1)
		ka, kb := f.NewLocal(I32), f.NewLocal(I32)
		f.Set(ka, Call(rt.Fn("num_kind"), a.Get()))
		f.Set(kb, Call(rt.Fn("num_kind"), b.Get()))
		f.If(Eqz32(ka.Get()), func() { f.Return(C32(3)) }, nil)
		f.If(Eqz32(kb.Get()), func() { f.Return(C32(4)) }, nil)
		// Exactly, without rounding an integer to a float (lib_num.go).
		f.Result(Call(rt.Fn("lib_num_cmp"), a.Get(), b.Get()))
	})
	// The comparisons as values: true, false, or Err for a non-number.
	for _, c := range []struct {
		name string
		test func(c X) X
	}{
		{"num_lt", func(c X) X { return Eq32(c, C32(-1)) }},
		{"num_gt", func(c X) X { return Eq32(c, C32(1)) }},
		{"num_le", func(c X) X { return Or32(Eq32(c, C32(-1)), Eqz32(c)) }},
		{"num_ge", func(c X) X { return Or32(Eq32(c, C32(1)), Eqz32(c)) }},
		{"num_eq", func(c X) X { return Eqz32(c) }},
	} {
		c := c
		define(c.name, i64x2, i64, func(rt *Runtime, f *Func) {
			a, b := f.Param(0), f.Param(1)
			r := f.NewLocal(I32)
			f.Set(r, Call(rt.Fn("num_cmp"), a.Get(), b.Get()))
			// Strings compare too, by their UTF-8 bytes.
			f.If(And32(Eq32(r.Get(), C32(3)), And32(Call(rt.Fn("is_string"), a.Get()), Call(rt.Fn("is_string"), b.Get()))), func() {
				f.Set(r, Call(rt.Fn("text_compare"), a.Get(), b.Get()))
			}, nil)
			f.If(Eq32(r.Get(), C32(3)), func() { f.Return(rt.Raise(ErrNotNumber, a.Get())) }, nil)
			f.If(Eq32(r.Get(), C32(4)), func() { f.Return(rt.Raise(ErrNotNumber, b.Get())) }, nil)
			f.Result(Bool(c.test(r.Get())))
		})
	}
}

func init() {
	// is_string(v) tests for a string.
	define("is_string", i64, i32, func(rt *Runtime, f *Func) {
		v := f.Param(0)
		f.Result(IfX(i32, IsPointer(v.Get()), func(f *Func) { f.Emit(Eq32(TypeOf(v.Get()), C32(layout.TypeString))) }, func(f *Func) { f.Emit(C32(0)) }))
	})
	// text_compare(a, b) orders two texts by their bytes: -1, 0 or 1.
	define("text_compare", i64x2, i32, func(rt *Runtime, f *Func) {
		a, b := Ptr(f.Param(0).Get()), Ptr(f.Param(1).Get())
		na, nb, i, ca, cb := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		f.Set(na, Load32(a, layout.StringByteLen))
		f.Set(nb, Load32(b, layout.StringByteLen))
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, Or32(GeU32(i.Get(), na.Get()), GeU32(i.Get(), nb.Get())))
				f.Set(ca, Load8U(Add32(a, i.Get()), layout.StringBytes))
				f.Set(cb, Load8U(Add32(b, i.Get()), layout.StringBytes))
				f.If(Ne32(ca.Get(), cb.Get()), func() { f.Return(Sub32(GtU32(ca.Get(), cb.Get()), LtU32(ca.Get(), cb.Get()))) }, nil)
				f.Set(i, Add32(i.Get(), C32(1)))
				f.Br(again)
			})
		})
		f.Result(Sub32(GtU32(na.Get(), nb.Get()), LtU32(na.Get(), nb.Get())))
	})
}

// Bool turns an i32 condition into true or false.
func Bool(c X) X { return Select(Const(layout.True), Const(layout.False), c) }

func checkedAdd(rt *Runtime, f *Func, a, b, r Local) {
	f.Set(r, Add64(a.Get(), b.Get()))
	// Overflow when both operands differ in sign from the result.
	f.If(LtS64(And64(Xor64(a.Get(), r.Get()), Xor64(b.Get(), r.Get())), C64(0)), func() {
		f.Return(rt.Raise(ErrOverflow, Const(layout.Nil)))
	}, nil)
}

func checkedSub(rt *Runtime, f *Func, a, b, r Local) {
	f.Set(r, Sub64(a.Get(), b.Get()))
	f.If(LtS64(And64(Xor64(a.Get(), b.Get()), Xor64(a.Get(), r.Get())), C64(0)), func() {
		f.Return(rt.Raise(ErrOverflow, Const(layout.Nil)))
	}, nil)
}

func checkedMul(rt *Runtime, f *Func, a, b, r Local) {
	overflow := func() { f.Return(rt.Raise(ErrOverflow, Const(layout.Nil))) }
	f.Set(r, Mul64(a.Get(), b.Get()))
	// -1 * MinInt64 overflows, and MinInt64 / -1 would trap: test it apart.
	f.If(Eq64(a.Get(), C64(-1)), func() {
		f.If(Eq64(b.Get(), C64(math.MinInt64)), overflow, nil)
	}, func() {
		f.If(Ne64(a.Get(), C64(0)), func() {
			f.If(Ne64(Op(I64DivS, r.Get(), a.Get()), b.Get()), overflow, nil)
		}, nil)
	})
}
