package guest

import (
	"math"

	"github.com/rtfsvm/rtfsvm/internal/layout"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
	"github.com/rtfsvm/rtfsvm/value"
)

// The numeric library (rtfs-language.md §8: arithmetic, comparison, logic and the
// predicates), with exactly the results and error kinds of package stdlib (num.go,
// pred.go). Integers with integers stay integers, checked for overflow; any float makes
// both operands floats. The compiler inlines fixnum fast paths for direct calls of a few
// of these; the routines here run for everything else: floats, boxed integers, variadic
// calls, and the functions used as values.
//
// Helper routines of this file are named lib_num_*; the library routines lib_*.

// The numeric codes (300-399). Other type errors use ErrNotNumber, overflow ErrOverflow
// and a zero divisor ErrDivisionByZero.
var (
	ErrNumNotInteger   = errorCode(300, value.ErrType, "expected an integer, got %s")
	ErrNumNotString    = errorCode(301, value.ErrType, "expected a string, got %s")
	ErrNumSqrtNegative = errorCode(302, value.ErrInvalidArg, "square root of negative number %s")
)

// lnIsNaN tests a float for NaN; a must be cheap (it is used twice).
func lnIsNaN(a X) X { return NeF64(a, a) }

// lnArg is argument i (an i32) of a variadic routine whose arguments start at args.
func lnArg(args, i X) X { return Load64(Add32(args, Shl32(i, C32(3))), 0) }

// lnMinArgs raises an arity error when a variadic routine has fewer than n arguments
// (the compiler checks arity before the call; this keeps the routine safe on its own).
func lnMinArgs(rt *Runtime, f *Func, n int32) {
	argc := f.Param(1)
	f.If(LtU32(argc.Get(), C32(n)), func() { f.Return(rt.Raise(ErrArity, Tag(ExtendU(argc.Get())))) }, nil)
}

// lnBinary emits the dispatch of a binary numeric operation on the values a and b: a
// type error for a non-number (a first), ints with x and y the integers of two integer
// operands (it must return), floats with x and y the operands as floats (it returns or
// leaves the result).
func lnBinary(rt *Runtime, f *Func, a, b X, ints func(x, y Local), floats func(x, y Local)) {
	ka, kb := f.NewLocal(I32), f.NewLocal(I32)
	f.Set(ka, Call(rt.Fn("num_kind"), a))
	f.Set(kb, Call(rt.Fn("num_kind"), b))
	f.If(Eqz32(ka.Get()), func() { f.Return(rt.Raise(ErrNotNumber, a)) }, nil)
	f.If(Eqz32(kb.Get()), func() { f.Return(rt.Raise(ErrNotNumber, b)) }, nil)
	f.If(And32(Eq32(ka.Get(), C32(1)), Eq32(kb.Get(), C32(1))), func() {
		x, y := f.NewLocal(I64), f.NewLocal(I64)
		f.Set(x, Call(rt.Fn("int_of"), a))
		f.Set(y, Call(rt.Fn("int_of"), b))
		ints(x, y)
	}, nil)
	x, y := f.NewLocal(F64), f.NewLocal(F64)
	f.Set(x, Call(rt.Fn("float_of"), a))
	f.Set(y, Call(rt.Fn("float_of"), b))
	floats(x, y)
}

// lnFold emits a left fold of the arguments from index from over the binary routine
// step, starting from acc; the first error ends it.
func lnFold(rt *Runtime, f *Func, start X, from int32, step string) {
	args, argc := f.Param(0), f.Param(1)
	acc, i := f.NewLocal(I64), f.NewLocal(I32)
	f.Set(acc, start)
	f.Set(i, C32(from))
	f.Block(func(done Label) {
		f.Loop(func(again Label) {
			f.BrIf(done, GeU32(i.Get(), argc.Get()))
			f.Set(acc, Call(rt.Fn(step), acc.Get(), lnArg(args.Get(), i.Get())))
			f.If(Eq64(acc.Get(), Const(layout.Err)), func() { f.Return(acc.Get()) }, nil)
			f.Set(i, Add32(i.Get(), C32(1)))
			f.Br(again)
		})
	})
	f.Result(acc.Get())
}

func init() {
	vs := VariadicSig
	divByZero := func(rt *Runtime, f *Func) { f.Return(rt.Raise(ErrDivisionByZero, Const(layout.Nil))) }
	overflow := func(rt *Runtime, f *Func) { f.Return(rt.Raise(ErrOverflow, Const(layout.Nil))) }
	isMinOverMinusOne := func(x, y Local) X {
		return And32(Eq64(x.Get(), C64(math.MinInt64)), Eq64(y.Get(), C64(-1)))
	}

	// lib_num_add2(a, b) and lib_num_sub2(a, b) are num_add and num_sub with the fixnum
	// case first, as the compiler has it.
	define("lib_num_add2", i64x2, i64, func(rt *Runtime, f *Func) {
		a, b := f.Param(0), f.Param(1)
		fixnumFirst(f, a, b, FixnumAdd)
		f.Result(Call(rt.Fn("num_add"), a.Get(), b.Get()))
	})
	define("lib_num_sub2", i64x2, i64, func(rt *Runtime, f *Func) {
		a, b := f.Param(0), f.Param(1)
		fixnumFirst(f, a, b, FixnumSub)
		f.Result(Call(rt.Fn("num_sub"), a.Get(), b.Get()))
	})
	// lib_num_div2(a, b) is a / b: integers give an integer when the division is exact,
	// else a float; an integer zero divisor, or MinInt64 / -1, is an error; floats
	// divide as IEEE 754 says.
	define("lib_num_div2", i64x2, i64, func(rt *Runtime, f *Func) {
		a, b := f.Param(0), f.Param(1)
		lnBinary(rt, f, a.Get(), b.Get(), func(x, y Local) {
			f.If(Eqz64(y.Get()), func() { divByZero(rt, f) }, nil)
			f.If(isMinOverMinusOne(x, y), func() { overflow(rt, f) }, nil)
			f.If(Eqz64(Op(I64RemS, x.Get(), y.Get())), func() {
				f.Return(Call(rt.Fn("box_int"), Op(I64DivS, x.Get(), y.Get())))
			}, nil)
			f.Return(Call(rt.Fn("box_float"), DivF64(ConvertF64(x.Get()), ConvertF64(y.Get()))))
		}, func(x, y Local) {
			f.Result(Call(rt.Fn("box_float"), DivF64(x.Get(), y.Get())))
		})
	})

	// (+) is 0; (+ x) is x, a number; more arguments fold from the first, as Clojure
	// does: folding from 0 would turn (+ -0.0 -0.0) into 0.0.
	define("lib_add", vs.Params, vs.Results, func(rt *Runtime, f *Func) {
		args, argc := f.Param(0), f.Param(1)
		x := f.NewLocal(I64)
		f.If(Eqz32(argc.Get()), func() { f.Return(Fixnum(0)) }, nil)
		f.If(Eq32(argc.Get(), C32(1)), func() {
			f.Set(x, Load64(args.Get(), 0))
			f.If(Eq32(Call(rt.Fn("num_kind"), x.Get()), C32(2)), func() { f.Return(x.Get()) }, nil)
			f.Return(Call(rt.Fn("lib_num_add2"), Fixnum(0), x.Get()))
		}, nil)
		lnFold(rt, f, Load64(args.Get(), 0), 1, "lib_num_add2")
	})
	// (*) is 1 and folds from there: 1 * x is x exactly, -0.0 included.
	define("lib_mul", vs.Params, vs.Results, func(rt *Runtime, f *Func) {
		lnFold(rt, f, Fixnum(1), 0, "num_mul")
	})
	// (- x) negates: a float by its sign bit ((- 0.0) is -0.0), anything else as 0 - x.
	define("lib_sub", vs.Params, vs.Results, func(rt *Runtime, f *Func) {
		args, argc := f.Param(0), f.Param(1)
		x := f.NewLocal(I64)
		lnMinArgs(rt, f, 1)
		f.If(Eq32(argc.Get(), C32(1)), func() {
			f.Set(x, Load64(args.Get(), 0))
			f.If(Eq32(Call(rt.Fn("num_kind"), x.Get()), C32(2)), func() {
				f.Return(Call(rt.Fn("box_float"), NegF64(Call(rt.Fn("float_of"), x.Get()))))
			}, nil)
			f.Return(Call(rt.Fn("lib_num_sub2"), Fixnum(0), x.Get()))
		}, nil)
		lnFold(rt, f, Load64(args.Get(), 0), 1, "lib_num_sub2")
	})
	// (/ x) is 1 / x.
	define("lib_div", vs.Params, vs.Results, func(rt *Runtime, f *Func) {
		args, argc := f.Param(0), f.Param(1)
		lnMinArgs(rt, f, 1)
		f.If(Eq32(argc.Get(), C32(1)), func() {
			f.Return(Call(rt.Fn("lib_num_div2"), Fixnum(1), Load64(args.Get(), 0)))
		}, nil)
		lnFold(rt, f, Load64(args.Get(), 0), 1, "lib_num_div2")
	})

	// quot and rem truncate toward zero, mod takes the sign of the divisor; all three
	// fail on a zero divisor, floats too.
	define("lib_quot", i64x2, i64, func(rt *Runtime, f *Func) {
		a, b := f.Param(0), f.Param(1)
		lnBinary(rt, f, a.Get(), b.Get(), func(x, y Local) {
			f.If(Eqz64(y.Get()), func() { divByZero(rt, f) }, nil)
			f.If(isMinOverMinusOne(x, y), func() { overflow(rt, f) }, nil)
			f.Return(Call(rt.Fn("box_int"), Op(I64DivS, x.Get(), y.Get())))
		}, func(x, y Local) {
			f.If(EqF64(y.Get(), CF64(0)), func() { divByZero(rt, f) }, nil)
			f.Result(Call(rt.Fn("box_float"), TruncF64(DivF64(x.Get(), y.Get()))))
		})
	})
	define("lib_rem", i64x2, i64, func(rt *Runtime, f *Func) {
		a, b := f.Param(0), f.Param(1)
		lnBinary(rt, f, a.Get(), b.Get(), func(x, y Local) {
			f.If(Eqz64(y.Get()), func() { divByZero(rt, f) }, nil)
			// i64.rem_s of MinInt64 by -1 is 0, as in Go; it traps only on zero.
			f.Return(Call(rt.Fn("box_int"), Op(I64RemS, x.Get(), y.Get())))
		}, func(x, y Local) {
			f.If(EqF64(y.Get(), CF64(0)), func() { divByZero(rt, f) }, nil)
			f.Result(Call(rt.Fn("box_float"), Call(rt.Fn("lib_num_fmod"), x.Get(), y.Get())))
		})
	})
	define("lib_mod", i64x2, i64, func(rt *Runtime, f *Func) {
		a, b := f.Param(0), f.Param(1)
		lnBinary(rt, f, a.Get(), b.Get(), func(x, y Local) {
			m := f.NewLocal(I64)
			f.If(Eqz64(y.Get()), func() { divByZero(rt, f) }, nil)
			f.Set(m, Op(I64RemS, x.Get(), y.Get()))
			f.If(And32(Ne64(m.Get(), C64(0)), Ne32(LtS64(m.Get(), C64(0)), LtS64(y.Get(), C64(0)))), func() {
				f.Set(m, Add64(m.Get(), y.Get()))
			}, nil)
			f.Return(Call(rt.Fn("box_int"), m.Get()))
		}, func(x, y Local) {
			m := f.NewLocal(F64)
			f.If(EqF64(y.Get(), CF64(0)), func() { divByZero(rt, f) }, nil)
			f.Set(m, Call(rt.Fn("lib_num_fmod"), x.Get(), y.Get()))
			// As in stdlib: NaN is not 0, and not negative.
			f.If(And32(NeF64(m.Get(), CF64(0)), Ne32(LtF64(m.Get(), CF64(0)), LtF64(y.Get(), CF64(0)))), func() {
				f.Set(m, AddF64(m.Get(), y.Get()))
			}, nil)
			f.Result(Call(rt.Fn("box_float"), m.Get()))
		})
	})

	define("lib_inc", i64, i64, func(rt *Runtime, f *Func) {
		f.Result(Call(rt.Fn("lib_num_add2"), f.Param(0).Get(), Fixnum(1)))
	})
	define("lib_dec", i64, i64, func(rt *Runtime, f *Func) {
		f.Result(Call(rt.Fn("lib_num_sub2"), f.Param(0).Get(), Fixnum(1)))
	})
	// abs: MinInt64 has no absolute value; a float loses its sign bit.
	define("lib_abs", i64, i64, func(rt *Runtime, f *Func) {
		v := f.Param(0)
		k, n := f.NewLocal(I32), f.NewLocal(I64)
		f.Set(k, Call(rt.Fn("num_kind"), v.Get()))
		f.If(Eqz32(k.Get()), func() { f.Return(rt.Raise(ErrNotNumber, v.Get())) }, nil)
		f.If(Eq32(k.Get(), C32(2)), func() {
			f.Return(Call(rt.Fn("box_float"), AbsF64(Call(rt.Fn("float_of"), v.Get()))))
		}, nil)
		f.Set(n, Call(rt.Fn("int_of"), v.Get()))
		f.If(Eq64(n.Get(), C64(math.MinInt64)), func() { overflow(rt, f) }, nil)
		f.If(GeS64(n.Get(), C64(0)), func() { f.Return(v.Get()) }, nil)
		f.Result(Call(rt.Fn("box_int"), Sub64(C64(0), n.Get())))
	})

	// pow: two integers with a non-negative exponent give an integer (overflow checked
	// as stdlib's powInt does: by squaring, stopping at the first overflow); otherwise
	// math.Pow on floats (lib_num_pow).
	define("lib_pow", i64x2, i64, func(rt *Runtime, f *Func) {
		a, b := f.Param(0), f.Param(1)
		lnBinary(rt, f, a.Get(), b.Get(), func(x, y Local) {
			r, t := f.NewLocal(I64), f.NewLocal(I64)
			f.If(LtS64(y.Get(), C64(0)), func() {
				f.Return(Call(rt.Fn("box_float"), Call(rt.Fn("lib_num_pow"), ConvertF64(x.Get()), ConvertF64(y.Get()))))
			}, nil)
			f.If(Or32(Eqz64(y.Get()), Eq64(x.Get(), C64(1))), func() { f.Return(Fixnum(1)) }, nil)
			f.If(Eqz64(x.Get()), func() { f.Return(Fixnum(0)) }, nil)
			f.If(Eq64(x.Get(), C64(-1)), func() {
				f.Return(Tag(Sub64(C64(1), Shl64(And64(y.Get(), C64(1)), C64(1)))))
			}, nil)
			f.Set(r, C64(1))
			f.Loop(func(again Label) {
				f.If(Wrap(And64(y.Get(), C64(1))), func() {
					checkedMul(rt, f, r, x, t)
					f.Set(r, t.Get())
				}, nil)
				f.Set(y, ShrS64(y.Get(), C64(1)))
				f.If(Eqz64(y.Get()), func() { f.Return(Call(rt.Fn("box_int"), r.Get())) }, nil)
				checkedMul(rt, f, x, x, t)
				f.Set(x, t.Get())
				f.Br(again)
			})
			f.Unreachable()
		}, func(x, y Local) {
			f.Result(Call(rt.Fn("box_float"), Call(rt.Fn("lib_num_pow"), x.Get(), y.Get())))
		})
	})

	// lib_num_cmp_fi(f, i) compares a float with an integer exactly (not by rounding the
	// integer to a float): -1, 0, 1, or 2 when f is NaN. stdlib's cmpFloatInt.
	define("lib_num_cmp_fi", []ValType{F64, I64}, i32, func(rt *Runtime, f *Func) {
		x, i := f.Param(0), f.Param(1)
		t, ti := f.NewLocal(F64), f.NewLocal(I64)
		f.If(lnIsNaN(x.Get()), func() { f.Return(C32(2)) }, nil)
		f.If(GeF64(x.Get(), CF64(0x1p63)), func() { f.Return(C32(1)) }, nil)
		f.If(LtF64(x.Get(), CF64(-0x1p63)), func() { f.Return(C32(-1)) }, nil)
		f.Set(t, TruncF64(x.Get()))
		f.Set(ti, Op(I64TruncF64S, t.Get()))
		f.If(Ne64(ti.Get(), i.Get()), func() { f.Return(Sub32(GtS64(ti.Get(), i.Get()), LtS64(ti.Get(), i.Get()))) }, nil)
		f.Result(Sub32(GtF64(x.Get(), t.Get()), LtF64(x.Get(), t.Get())))
	})
	// lib_num_cmp(a, b) compares two numbers by value (the caller knows they are
	// numbers): -1, 0, 1, or 2 when unordered (NaN). stdlib's numCmp.
	define("lib_num_cmp", i64x2, i32, func(rt *Runtime, f *Func) {
		a, b := f.Param(0), f.Param(1)
		ka, kb, c := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		i, j := f.NewLocal(I64), f.NewLocal(I64)
		x, y := f.NewLocal(F64), f.NewLocal(F64)
		f.Set(ka, Call(rt.Fn("num_kind"), a.Get()))
		f.Set(kb, Call(rt.Fn("num_kind"), b.Get()))
		f.If(And32(Eq32(ka.Get(), C32(1)), Eq32(kb.Get(), C32(1))), func() {
			f.Set(i, Call(rt.Fn("int_of"), a.Get()))
			f.Set(j, Call(rt.Fn("int_of"), b.Get()))
			f.Return(Sub32(GtS64(i.Get(), j.Get()), LtS64(i.Get(), j.Get())))
		}, nil)
		f.If(Eq32(ka.Get(), C32(1)), func() {
			f.Set(c, Call(rt.Fn("lib_num_cmp_fi"), Call(rt.Fn("float_of"), b.Get()), Call(rt.Fn("int_of"), a.Get())))
			f.Return(Select(c.Get(), Sub32(C32(0), c.Get()), Eq32(c.Get(), C32(2))))
		}, nil)
		f.If(Eq32(kb.Get(), C32(1)), func() {
			f.Return(Call(rt.Fn("lib_num_cmp_fi"), Call(rt.Fn("float_of"), a.Get()), Call(rt.Fn("int_of"), b.Get())))
		}, nil)
		f.Set(x, Call(rt.Fn("float_of"), a.Get()))
		f.Set(y, Call(rt.Fn("float_of"), b.Get()))
		f.If(LtF64(x.Get(), y.Get()), func() { f.Return(C32(-1)) }, nil)
		f.If(GtF64(x.Get(), y.Get()), func() { f.Return(C32(1)) }, nil)
		f.If(EqF64(x.Get(), y.Get()), func() { f.Return(C32(0)) }, nil)
		f.Result(C32(2))
	})

	// min and max: every argument must be a number; ties keep the earlier argument, and
	// a NaN argument wins from where it appears (stdlib's extremum).
	for _, m := range []struct {
		name string
		sign int32
	}{{"lib_min", -1}, {"lib_max", 1}} {
		define(m.name, vs.Params, vs.Results, func(rt *Runtime, f *Func) {
			args, argc := f.Param(0), f.Param(1)
			i, c := f.NewLocal(I32), f.NewLocal(I32)
			best, a := f.NewLocal(I64), f.NewLocal(I64)
			lnMinArgs(rt, f, 1)
			f.Block(func(done Label) {
				f.Loop(func(again Label) {
					f.BrIf(done, GeU32(i.Get(), argc.Get()))
					f.Set(a, lnArg(args.Get(), i.Get()))
					f.If(Eqz32(Call(rt.Fn("num_kind"), a.Get())), func() { f.Return(rt.Raise(ErrNotNumber, a.Get())) }, nil)
					f.Set(i, Add32(i.Get(), C32(1)))
					f.Br(again)
				})
			})
			f.Set(best, Load64(args.Get(), 0))
			f.Set(i, C32(1))
			f.Block(func(done Label) {
				f.Loop(func(again Label) {
					f.BrIf(done, GeU32(i.Get(), argc.Get()))
					f.Set(a, lnArg(args.Get(), i.Get()))
					f.Set(i, Add32(i.Get(), C32(1)))
					f.Set(c, Call(rt.Fn("lib_num_cmp"), a.Get(), best.Get()))
					f.If(Eq32(c.Get(), C32(2)), func() {
						// Unordered: a NaN argument replaces the best; a number after a
						// NaN best does not.
						f.If(Eq32(Call(rt.Fn("num_kind"), a.Get()), C32(2)), func() {
							f.If(lnIsNaN(Call(rt.Fn("float_of"), a.Get())), func() { f.Set(best, a.Get()) }, nil)
						}, nil)
						f.Br(again)
					}, nil)
					f.If(Eq32(c.Get(), C32(m.sign)), func() { f.Set(best, a.Get()) }, nil)
					f.Br(again)
				})
			})
			f.Result(best.Get())
		})
	}

	// = and not=: structural equality of every adjacent pair.
	for _, e := range []struct {
		name              string
		ifEqual, ifDiffer uint64
	}{{"lib_eq", layout.True, layout.False}, {"lib_not_eq", layout.False, layout.True}} {
		define(e.name, vs.Params, vs.Results, func(rt *Runtime, f *Func) {
			args, argc := f.Param(0), f.Param(1)
			i := f.NewLocal(I32)
			lnMinArgs(rt, f, 1)
			f.Set(i, C32(1))
			f.Block(func(done Label) {
				f.Loop(func(again Label) {
					f.BrIf(done, GeU32(i.Get(), argc.Get()))
					f.If(Eqz32(Call(rt.Fn("equal"), lnArg(args.Get(), Sub32(i.Get(), C32(1))), lnArg(args.Get(), i.Get()))), func() {
						f.Return(Const(e.ifDiffer))
					}, nil)
					f.Set(i, Add32(i.Get(), C32(1)))
					f.Br(again)
				})
			})
			f.Result(Const(e.ifEqual))
		})
	}

	// < > <= >=: every adjacent pair in order. The first argument says what all must be:
	// strings (compared by their bytes) or numbers (by value; NaN makes the chain
	// false); the types are checked before anything is compared.
	for _, c := range []struct {
		name string
		test func(c X) X
	}{
		{"lib_lt", func(c X) X { return Eq32(c, C32(-1)) }},
		{"lib_gt", func(c X) X { return Eq32(c, C32(1)) }},
		{"lib_le", func(c X) X { return Or32(Eq32(c, C32(-1)), Eqz32(c)) }},
		{"lib_ge", func(c X) X { return Or32(Eq32(c, C32(1)), Eqz32(c)) }},
	} {
		define(c.name, vs.Params, vs.Results, func(rt *Runtime, f *Func) {
			args, argc := f.Param(0), f.Param(1)
			strs, i, r := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
			a := f.NewLocal(I64)
			lnMinArgs(rt, f, 1)
			f.Set(strs, Call(rt.Fn("is_string"), Load64(args.Get(), 0)))
			f.Block(func(done Label) {
				f.Loop(func(again Label) {
					f.BrIf(done, GeU32(i.Get(), argc.Get()))
					f.Set(a, lnArg(args.Get(), i.Get()))
					f.If(strs.Get(), func() {
						f.If(Eqz32(Call(rt.Fn("is_string"), a.Get())), func() { f.Return(rt.Raise(ErrNumNotString, a.Get())) }, nil)
					}, func() {
						f.If(Eqz32(Call(rt.Fn("num_kind"), a.Get())), func() { f.Return(rt.Raise(ErrNotNumber, a.Get())) }, nil)
					})
					f.Set(i, Add32(i.Get(), C32(1)))
					f.Br(again)
				})
			})
			f.Set(i, C32(1))
			f.Block(func(done Label) {
				f.Loop(func(again Label) {
					f.BrIf(done, GeU32(i.Get(), argc.Get()))
					f.If(strs.Get(), func() {
						f.Set(r, Call(rt.Fn("text_compare"), lnArg(args.Get(), Sub32(i.Get(), C32(1))), lnArg(args.Get(), i.Get())))
					}, func() {
						f.Set(r, Call(rt.Fn("lib_num_cmp"), lnArg(args.Get(), Sub32(i.Get(), C32(1))), lnArg(args.Get(), i.Get())))
					})
					f.If(Eqz32(c.test(r.Get())), func() { f.Return(Const(layout.False)) }, nil)
					f.Set(i, Add32(i.Get(), C32(1)))
					f.Br(again)
				})
			})
			f.Result(Const(layout.True))
		})
	}

	for _, l := range []struct {
		name, routine string
		min, max      int
	}{
		{"+", "lib_add", 0, -1}, {"-", "lib_sub", 1, -1}, {"*", "lib_mul", 0, -1}, {"/", "lib_div", 1, -1},
		{"min", "lib_min", 1, -1}, {"max", "lib_max", 1, -1},
		{"=", "lib_eq", 1, -1}, {"not=", "lib_not_eq", 1, -1},
		{"<", "lib_lt", 1, -1}, {">", "lib_gt", 1, -1}, {"<=", "lib_le", 1, -1}, {">=", "lib_ge", 1, -1},
	} {
		libVariadic(l.name, l.routine, l.min, l.max)
	}
	for _, l := range []struct {
		name, routine string
		n             int
	}{
		{"quot", "lib_quot", 2}, {"rem", "lib_rem", 2}, {"mod", "lib_mod", 2}, {"pow", "lib_pow", 2},
		{"inc", "lib_inc", 1}, {"dec", "lib_dec", 1}, {"abs", "lib_abs", 1},
	} {
		libFixed(l.name, l.routine, l.n)
	}
}
