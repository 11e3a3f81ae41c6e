package guest

import (
	"math"

	. "github.com/rtfsvm/rtfsvm/internal/wasm"
)

// Float functions: sqrt floor ceil round, and the float code under rem, mod and pow.
//
// Wasm has sqrt, floor, ceil and trunc, which are exact as Go's are. The rest is ported
// from the code that Go runs, so that the guest's results are the interpreter's to the
// bit: math.Round and math.Pow (with its Frexp, Ldexp, Modf) as written in package math;
// math.Mod as an exact remainder (any exact algorithm gives Go's result; this is musl's);
// and, under Pow, math.Log and math.Exp as Go runs them on amd64: the assembly of
// log_amd64.s and the FMA path of exp_amd64.s (taken on every CPU with AVX and FMA),
// with the fused multiply-adds emulated exactly. Go's Exp and Log differ by platform
// (pure Go on most, another assembly on arm64, exp_amd64.s without FMA on old x86), so
// (pow x y) with a fractional y can differ from an interpreter on such hosts in the
// last bit; on amd64 with FMA it is identical.

func init() {
	ff := []ValType{F64, F64}
	i64c := func(v uint64) X { return C64(int64(v)) }

	// lib_num_fmod(x, y) is math.Mod(x, y): the exact remainder of x / y truncated,
	// with the sign of x; NaN when y is 0 or either is NaN, or x is infinite.
	define("lib_num_fmod", ff, f64, func(rt *Runtime, f *Func) {
		x, y := f.Param(0), f.Param(1)
		ux, uy, ex, ey, i := f.NewLocal(I64), f.NewLocal(I64), f.NewLocal(I64), f.NewLocal(I64), f.NewLocal(I64)
		f.Set(ux, BitsF64(x.Get()))
		f.Set(uy, BitsF64(y.Get()))
		f.Set(ex, And64(ShrU64(ux.Get(), C64(52)), C64(0x7ff)))
		f.Set(ey, And64(ShrU64(uy.Get(), C64(52)), C64(0x7ff)))
		zero := func() { f.Return(MulF64(CF64(0), x.Get())) } // 0 with the sign of x
		f.If(Or32(Eqz64(Shl64(uy.Get(), C64(1))), Or32(lnIsNaN(y.Get()), Eq64(ex.Get(), C64(0x7ff)))), func() {
			f.Return(CF64(math.NaN()))
		}, nil)
		f.If(Op(I64LeU, Shl64(ux.Get(), C64(1)), Shl64(uy.Get(), C64(1))), func() {
			f.If(Eq64(Shl64(ux.Get(), C64(1)), Shl64(uy.Get(), C64(1))), zero, nil)
			f.Return(x.Get())
		}, nil)
		// The significands as integers with the implicit bit; subnormals normalised.
		normalize := func(u, e Local) {
			f.If(Eqz64(e.Get()), func() {
				f.Set(i, Shl64(u.Get(), C64(12)))
				f.Block(func(done Label) {
					f.Loop(func(again Label) {
						f.BrIf(done, LtS64(i.Get(), C64(0)))
						f.Set(e, Sub64(e.Get(), C64(1)))
						f.Set(i, Shl64(i.Get(), C64(1)))
						f.Br(again)
					})
				})
				f.Set(u, Shl64(u.Get(), Sub64(C64(1), e.Get())))
			}, func() {
				f.Set(u, Or64(And64(u.Get(), i64c(1<<52-1)), C64(1<<52)))
			})
		}
		normalize(ux, ex)
		normalize(uy, ey)
		step := func() {
			f.Set(i, Sub64(ux.Get(), uy.Get()))
			f.If(GeS64(i.Get(), C64(0)), func() {
				f.If(Eqz64(i.Get()), zero, nil)
				f.Set(ux, i.Get())
			}, nil)
		}
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, LeS64(ex.Get(), ey.Get()))
				step()
				f.Set(ux, Shl64(ux.Get(), C64(1)))
				f.Set(ex, Sub64(ex.Get(), C64(1)))
				f.Br(again)
			})
		})
		step()
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, Ne64(ShrU64(ux.Get(), C64(52)), C64(0)))
				f.Set(ux, Shl64(ux.Get(), C64(1)))
				f.Set(ex, Sub64(ex.Get(), C64(1)))
				f.Br(again)
			})
		})
		f.If(GtS64(ex.Get(), C64(0)), func() {
			f.Set(ux, Or64(Sub64(ux.Get(), C64(1<<52)), Shl64(ex.Get(), C64(52))))
		}, func() {
			f.Set(ux, ShrU64(ux.Get(), Sub64(C64(1), ex.Get())))
		})
		f.Result(FromBitsF64(Or64(ux.Get(), And64(BitsF64(x.Get()), C64(math.MinInt64)))))
	})

	// lib_num_fma(a, b, c) is a*b + c rounded once, as an FMA instruction computes it,
	// for operands whose product neither overflows nor underflows: the exact product
	// (Dekker), its exact sum with c (2Sum), and the low parts added with rounding to
	// odd before the final rounding (Boldo and Melquiond, "Emulation of FMA and
	// correctly rounded sums: proved algorithms using rounding to odd", 2008).
	define("lib_num_fma", []ValType{F64, F64, F64}, f64, func(rt *Runtime, f *Func) {
		a, b, c := f.Param(0), f.Param(1), f.Param(2)
		t, ah, al, bh, bl := f.NewLocal(F64), f.NewLocal(F64), f.NewLocal(F64), f.NewLocal(F64), f.NewLocal(F64)
		ph, pl, th, tl, s, bb, e := f.NewLocal(F64), f.NewLocal(F64), f.NewLocal(F64), f.NewLocal(F64), f.NewLocal(F64), f.NewLocal(F64), f.NewLocal(F64)
		split := func(x, hi, lo Local) {
			f.Set(t, MulF64(CF64(134217729), x.Get()))
			f.Set(hi, SubF64(t.Get(), SubF64(t.Get(), x.Get())))
			f.Set(lo, SubF64(x.Get(), hi.Get()))
		}
		split(a, ah, al)
		split(b, bh, bl)
		f.Set(ph, MulF64(a.Get(), b.Get()))
		f.Set(pl, AddF64(AddF64(AddF64(SubF64(MulF64(ah.Get(), bh.Get()), ph.Get()), MulF64(ah.Get(), bl.Get())),
			MulF64(al.Get(), bh.Get())), MulF64(al.Get(), bl.Get())))
		twoSum := func(x, y X, sum, err Local) {
			f.Set(sum, AddF64(x, y))
			f.Set(bb, SubF64(sum.Get(), x))
			f.Set(err, AddF64(SubF64(x, SubF64(sum.Get(), bb.Get())), SubF64(y, bb.Get())))
		}
		twoSum(c.Get(), ph.Get(), th, tl)
		twoSum(tl.Get(), pl.Get(), s, e)
		// Round to odd: an inexact sum with an even significand moves one step toward
		// the exact value.
		f.If(And32(NeF64(e.Get(), CF64(0)), Eqz64(And64(BitsF64(s.Get()), C64(1)))), func() {
			f.Set(s, FromBitsF64(Add64(BitsF64(s.Get()),
				Select(C64(1), C64(-1), Eq32(GtF64(e.Get(), CF64(0)), GtF64(s.Get(), CF64(0)))))))
		}, nil)
		f.Result(AddF64(th.Get(), s.Get()))
	})

	// lib_num_log(x) is math.Log as log_amd64.s computes it (pure Go's log, but for
	// its Frexp, which ignores subnormals, and f1 <= Sqrt2/2 where Go has <).
	define("lib_num_log", f64, f64, func(rt *Runtime, f *Func) {
		x := f.Param(0)
		bits := f.NewLocal(I64)
		f1, k, fr, s, s2, s4, t1, t2, r, hfsq := f.NewLocal(F64), f.NewLocal(F64), f.NewLocal(F64), f.NewLocal(F64),
			f.NewLocal(F64), f.NewLocal(F64), f.NewLocal(F64), f.NewLocal(F64), f.NewLocal(F64), f.NewLocal(F64)
		const (
			hSqrt2 = 7.07106781186547524401e-01
			ln2Hi  = 6.93147180369123816490e-01
			ln2Lo  = 1.90821492927058770002e-10
			l1     = 6.666666666666735130e-01
			l2     = 3.999999999940941908e-01
			l3     = 2.857142874366239149e-01
			l4     = 2.222219843214978396e-01
			l5     = 1.818357216161805012e-01
			l6     = 1.531383769920937332e-01
			l7     = 1.479819860511658591e-01
		)
		f.Set(bits, BitsF64(x.Get()))
		f.If(Eqz64(And64(bits.Get(), C64(math.MaxInt64))), func() { f.Return(CF64(math.Inf(-1))) }, nil)
		f.If(LtS64(bits.Get(), C64(0)), func() { f.Return(CF64(math.NaN())) }, nil)
		f.If(GeS64(bits.Get(), i64c(0x7FF0000000000000)), func() { f.Return(x.Get()) }, nil)
		f.Set(f1, FromBitsF64(Or64(And64(bits.Get(), i64c(0x000FFFFFFFFFFFFF)), i64c(0x3FE0000000000000))))
		f.Set(k, ConvertF64(Sub64(And64(ShrU64(bits.Get(), C64(52)), C64(0x7ff)), C64(0x3FE))))
		f.If(LeF64(f1.Get(), CF64(hSqrt2)), func() {
			f.Set(k, SubF64(k.Get(), CF64(1)))
			f.Set(f1, MulF64(f1.Get(), CF64(2)))
		}, nil)
		f.Set(fr, SubF64(f1.Get(), CF64(1)))
		f.Set(s, DivF64(fr.Get(), AddF64(CF64(2), fr.Get())))
		f.Set(s2, MulF64(s.Get(), s.Get()))
		f.Set(s4, MulF64(s2.Get(), s2.Get()))
		f.Set(t1, MulF64(s2.Get(), AddF64(CF64(l1), MulF64(s4.Get(), AddF64(CF64(l3), MulF64(s4.Get(), AddF64(CF64(l5), MulF64(s4.Get(), CF64(l7)))))))))
		f.Set(t2, MulF64(s4.Get(), AddF64(CF64(l2), MulF64(s4.Get(), AddF64(CF64(l4), MulF64(s4.Get(), CF64(l6)))))))
		f.Set(r, AddF64(t1.Get(), t2.Get()))
		f.Set(hfsq, MulF64(MulF64(CF64(0.5), fr.Get()), fr.Get()))
		// k*Ln2Hi - ((hfsq - (s*(hfsq+R) + k*Ln2Lo)) - f)
		f.Result(SubF64(MulF64(k.Get(), CF64(ln2Hi)),
			SubF64(SubF64(hfsq.Get(), AddF64(MulF64(s.Get(), AddF64(hfsq.Get(), r.Get())), MulF64(k.Get(), CF64(ln2Lo)))), fr.Get())))
	})

	// lib_num_exp(x) is math.Exp as the FMA path of exp_amd64.s computes it: x = k*ln2
	// + r, e^(r/16) by a Taylor series, squared four times, times 2^k.
	define("lib_num_exp", f64, f64, func(rt *Runtime, f *Func) {
		x := f.Param(0)
		bits, bx := f.NewLocal(I64), f.NewLocal(I64)
		r, kf, x0, x1 := f.NewLocal(F64), f.NewLocal(F64), f.NewLocal(F64), f.NewLocal(F64)
		const (
			ln2U     = 0.69314718055966295651160180568695068359375
			ln2L     = 0.28235290563031577122588448175013436025525412068e-12
			log2E    = 1.4426950408889634073599246810018920
			overflow = 7.09782712893384e+02
		)
		fma := func(a, b, c X) X { return Call(rt.Fn("lib_num_fma"), a, b, c) }
		f.Set(bits, BitsF64(x.Get()))
		f.If(GeS64(And64(bits.Get(), C64(math.MaxInt64)), i64c(0x7FF0000000000000)), func() {
			f.If(Eq64(bits.Get(), i64c(0xFFF0000000000000)), func() { f.Return(CF64(0)) }, nil)
			f.Return(x.Get()) // NaN, +Inf
		}, nil)
		f.If(GtF64(x.Get(), CF64(overflow)), func() { f.Return(CF64(math.Inf(1))) }, nil)
		// k = CVTSD2SL(log2e*x): rounded to nearest even, or the "integer indefinite"
		// MinInt32 when out of the int32 range (only below: x <= Overflow here).
		f.Set(r, Op(F64Nearest, MulF64(CF64(log2E), x.Get())))
		f.Set(bx, IfX(i64, LtF64(r.Get(), CF64(-2147483648.0)),
			func(f *Func) { f.Emit(C64(math.MinInt32)) },
			func(f *Func) { f.Emit(Op(I64TruncF64S, r.Get())) }))
		f.Set(kf, ConvertF64(bx.Get()))
		f.Set(x0, fma(NegF64(kf.Get()), CF64(ln2U), x.Get()))
		f.Set(x0, fma(NegF64(kf.Get()), CF64(ln2L), x0.Get()))
		f.Set(x0, MulF64(x0.Get(), CF64(0.0625)))
		f.Set(x1, CF64(2.4801587301587301587e-5))
		for _, c := range []float64{1.9841269841269841270e-4, 1.3888888888888888889e-3, 8.3333333333333333333e-3,
			4.1666666666666666667e-2, 1.6666666666666666667e-1, 0.5, 1.0} {
			f.Set(x1, fma(x1.Get(), x0.Get(), CF64(c)))
		}
		f.Set(x0, MulF64(x0.Get(), x1.Get()))
		for range 3 {
			f.Set(x1, AddF64(x0.Get(), CF64(2)))
			f.Set(x0, MulF64(x0.Get(), x1.Get()))
		}
		f.Set(x1, AddF64(x0.Get(), CF64(2)))
		f.Set(x0, fma(x0.Get(), x1.Get(), CF64(1)))
		// Times 2^k, in two steps when the result is subnormal.
		f.Set(bx, Add64(bx.Get(), C64(0x3FF)))
		f.If(LeS64(bx.Get(), C64(0)), func() {
			f.If(LtS64(bx.Get(), C64(-52)), func() { f.Return(CF64(0)) }, nil)
			f.Set(x0, MulF64(x0.Get(), FromBitsF64(Shl64(Add64(bx.Get(), C64(0x3FE)), C64(52)))))
			f.Set(bx, C64(1))
		}, func() {
			f.If(GeS64(bx.Get(), C64(0x7FF)), func() { f.Return(CF64(math.Inf(1))) }, nil)
		})
		f.Result(MulF64(x0.Get(), FromBitsF64(Shl64(bx.Get(), C64(52)))))
	})

	// lib_num_ldexp(frac, exp) is math.Ldexp.
	define("lib_num_ldexp", []ValType{F64, I64}, f64, func(rt *Runtime, f *Func) {
		frac, exp := f.Param(0), f.Param(1)
		x := f.NewLocal(I64)
		m := f.NewLocal(F64)
		f.If(Or32(EqF64(frac.Get(), CF64(0)), Or32(lnIsNaN(frac.Get()), EqF64(AbsF64(frac.Get()), CF64(math.Inf(1))))), func() {
			f.Return(frac.Get())
		}, nil)
		f.If(LtF64(AbsF64(frac.Get()), CF64(0x1p-1022)), func() {
			f.Set(frac, MulF64(frac.Get(), CF64(0x1p52)))
			f.Set(exp, Sub64(exp.Get(), C64(52)))
		}, nil)
		f.Set(x, BitsF64(frac.Get()))
		f.Set(exp, Add64(exp.Get(), Sub64(And64(ShrU64(x.Get(), C64(52)), C64(0x7ff)), C64(1023))))
		f.If(LtS64(exp.Get(), C64(-1075)), func() { f.Return(CopysignF64(CF64(0), frac.Get())) }, nil)
		f.If(GtS64(exp.Get(), C64(1023)), func() { f.Return(CopysignF64(CF64(math.Inf(1)), frac.Get())) }, nil)
		f.Set(m, CF64(1))
		f.If(LtS64(exp.Get(), C64(-1022)), func() {
			f.Set(exp, Add64(exp.Get(), C64(53)))
			f.Set(m, CF64(0x1p-53))
		}, nil)
		f.Set(x, Or64(And64(x.Get(), i64c(^uint64(0x7ff<<52))), Shl64(Add64(exp.Get(), C64(1023)), C64(52))))
		f.Result(MulF64(m.Get(), FromBitsF64(x.Get())))
	})

	// lib_num_odd_int(y) is math's isOddInt: y is an odd integer below 2^53.
	define("lib_num_odd_int", f64, i32, func(rt *Runtime, f *Func) {
		y := f.Param(0)
		f.If(GeF64(AbsF64(y.Get()), CF64(0x1p53)), func() { f.Return(C32(0)) }, nil)
		f.If(NeF64(TruncF64(y.Get()), y.Get()), func() { f.Return(C32(0)) }, nil)
		f.Result(Wrap(And64(Op(I64TruncF64S, y.Get()), C64(1))))
	})

	// lib_num_pow(x, y) is math.Pow (pow.go), step by step.
	define("lib_num_pow", ff, f64, func(rt *Runtime, f *Func) {
		x, y := f.Param(0), f.Param(1)
		yi, yf, a1, x1 := f.NewLocal(F64), f.NewLocal(F64), f.NewLocal(F64), f.NewLocal(F64)
		ae, xe, i, b := f.NewLocal(I64), f.NewLocal(I64), f.NewLocal(I64), f.NewLocal(I64)
		inf := CF64(math.Inf(1))
		oddY := Call(rt.Fn("lib_num_odd_int"), y.Get())
		signX := Wrap(ShrU64(BitsF64(x.Get()), C64(63)))
		f.If(Or32(EqF64(y.Get(), CF64(0)), EqF64(x.Get(), CF64(1))), func() { f.Return(CF64(1)) }, nil)
		f.If(EqF64(y.Get(), CF64(1)), func() { f.Return(x.Get()) }, nil)
		f.If(Or32(lnIsNaN(x.Get()), lnIsNaN(y.Get())), func() { f.Return(CF64(math.NaN())) }, nil)
		f.If(EqF64(x.Get(), CF64(0)), func() {
			f.If(LtF64(y.Get(), CF64(0)), func() {
				f.If(And32(signX, oddY), func() { f.Return(CF64(math.Inf(-1))) }, nil)
				f.Return(inf)
			}, nil)
			f.If(And32(signX, oddY), func() { f.Return(x.Get()) }, nil)
			f.Return(CF64(0))
		}, nil)
		f.If(EqF64(AbsF64(y.Get()), inf), func() {
			f.If(EqF64(x.Get(), CF64(-1)), func() { f.Return(CF64(1)) }, nil)
			f.If(Eq32(LtF64(AbsF64(x.Get()), CF64(1)), EqF64(y.Get(), inf)), func() { f.Return(CF64(0)) }, nil)
			f.Return(inf)
		}, nil)
		f.If(EqF64(AbsF64(x.Get()), inf), func() {
			f.If(LtF64(x.Get(), CF64(0)), func() {
				f.Return(Call(rt.Fn("lib_num_pow"), DivF64(CF64(1), x.Get()), NegF64(y.Get()))) // Pow(-0, -y)
			}, nil)
			f.If(LtF64(y.Get(), CF64(0)), func() { f.Return(CF64(0)) }, nil)
			f.Return(inf)
		}, nil)
		f.If(EqF64(y.Get(), CF64(0.5)), func() { f.Return(Op(F64Sqrt, x.Get())) }, nil)
		f.If(EqF64(y.Get(), CF64(-0.5)), func() { f.Return(DivF64(CF64(1), Op(F64Sqrt, x.Get()))) }, nil)
		// yi, yf := Modf(Abs(y))
		f.Set(yi, TruncF64(AbsF64(y.Get())))
		f.Set(yf, SubF64(AbsF64(y.Get()), yi.Get()))
		f.If(And32(NeF64(yf.Get(), CF64(0)), LtF64(x.Get(), CF64(0))), func() { f.Return(CF64(math.NaN())) }, nil)
		f.If(GeF64(yi.Get(), CF64(0x1p63)), func() {
			f.If(EqF64(x.Get(), CF64(-1)), func() { f.Return(CF64(1)) }, nil)
			f.If(Eq32(LtF64(AbsF64(x.Get()), CF64(1)), GtF64(y.Get(), CF64(0))), func() { f.Return(CF64(0)) }, nil)
			f.Return(inf)
		}, nil)
		// ans = a1 * 2**ae
		f.Set(a1, CF64(1))
		f.If(NeF64(yf.Get(), CF64(0)), func() {
			f.If(GtF64(yf.Get(), CF64(0.5)), func() {
				f.Set(yf, SubF64(yf.Get(), CF64(1)))
				f.Set(yi, AddF64(yi.Get(), CF64(1)))
			}, nil)
			f.Set(a1, Call(rt.Fn("lib_num_exp"), MulF64(yf.Get(), Call(rt.Fn("lib_num_log"), x.Get()))))
		}, nil)
		// x1, xe := Frexp(x)
		f.Set(x1, x.Get())
		f.If(LtF64(AbsF64(x1.Get()), CF64(0x1p-1022)), func() {
			f.Set(x1, MulF64(x1.Get(), CF64(0x1p52)))
			f.Set(xe, C64(-52))
		}, nil)
		f.Set(b, BitsF64(x1.Get()))
		f.Set(xe, Add64(xe.Get(), Sub64(And64(ShrU64(b.Get(), C64(52)), C64(0x7ff)), C64(1022))))
		f.Set(x1, FromBitsF64(Or64(And64(b.Get(), i64c(^uint64(0x7ff<<52))), i64c(1022<<52))))
		// ans *= x**yi, by repeated squaring.
		f.Set(i, Op(I64TruncF64S, yi.Get()))
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, Eqz64(i.Get()))
				f.If(Or32(LtS64(xe.Get(), C64(-1<<12)), GtS64(xe.Get(), C64(1<<12))), func() {
					f.Set(ae, Add64(ae.Get(), xe.Get()))
					f.Br(done)
				}, nil)
				f.If(Wrap(And64(i.Get(), C64(1))), func() {
					f.Set(a1, MulF64(a1.Get(), x1.Get()))
					f.Set(ae, Add64(ae.Get(), xe.Get()))
				}, nil)
				f.Set(x1, MulF64(x1.Get(), x1.Get()))
				f.Set(xe, Shl64(xe.Get(), C64(1)))
				f.If(LtF64(x1.Get(), CF64(0.5)), func() {
					f.Set(x1, AddF64(x1.Get(), x1.Get()))
					f.Set(xe, Sub64(xe.Get(), C64(1)))
				}, nil)
				f.Set(i, ShrS64(i.Get(), C64(1)))
				f.Br(again)
			})
		})
		f.If(LtF64(y.Get(), CF64(0)), func() {
			f.Set(a1, DivF64(CF64(1), a1.Get()))
			f.Set(ae, Sub64(C64(0), ae.Get()))
		}, nil)
		f.Result(Call(rt.Fn("lib_num_ldexp"), a1.Get(), ae.Get()))
	})

	// lib_num_round(x) is math.Round: halves away from zero, on the bits.
	define("lib_num_round", f64, f64, func(rt *Runtime, f *Func) {
		x := f.Param(0)
		bits, e := f.NewLocal(I64), f.NewLocal(I64)
		f.Set(bits, BitsF64(x.Get()))
		f.Set(e, And64(ShrU64(bits.Get(), C64(52)), C64(0x7ff)))
		f.If(LtU32(Wrap(e.Get()), C32(1023)), func() {
			// |x| < 1: ±0, or ±1 from one half up.
			f.Set(bits, And64(bits.Get(), C64(math.MinInt64)))
			f.If(Eq64(e.Get(), C64(1022)), func() { f.Set(bits, Or64(bits.Get(), i64c(0x3FF0000000000000))) }, nil)
		}, func() {
			f.If(LtU32(Wrap(e.Get()), C32(1023+52)), func() {
				f.Set(e, Sub64(e.Get(), C64(1023)))
				f.Set(bits, Add64(bits.Get(), ShrU64(C64(1<<51), e.Get())))
				f.Set(bits, And64(bits.Get(), Xor64(ShrU64(i64c(1<<52-1), e.Get()), C64(-1))))
			}, nil)
		})
		f.Result(FromBitsF64(bits.Get()))
	})

	// sqrt floor ceil round: a number as a float, the result a float.
	for _, fn := range []struct {
		name string
		op   func(rt *Runtime, x X) X
	}{
		{"lib_sqrt", func(rt *Runtime, x X) X { return Op(F64Sqrt, x) }},
		{"lib_floor", func(rt *Runtime, x X) X { return Op(F64Floor, x) }},
		{"lib_ceil", func(rt *Runtime, x X) X { return Op(F64Ceil, x) }},
		{"lib_round", func(rt *Runtime, x X) X { return Call(rt.Fn("lib_num_round"), x) }},
	} {
		define(fn.name, i64, i64, func(rt *Runtime, f *Func) {
			v := f.Param(0)
			x := f.NewLocal(F64)
			f.If(Eqz32(Call(rt.Fn("num_kind"), v.Get())), func() { f.Return(rt.Raise(ErrNotNumber, v.Get())) }, nil)
			f.Set(x, Call(rt.Fn("float_of"), v.Get()))
			if fn.name == "lib_sqrt" {
				f.If(LtF64(x.Get(), CF64(0)), func() { f.Return(rt.Raise(ErrNumSqrtNegative, v.Get())) }, nil)
			}
			f.Result(Call(rt.Fn("box_float"), fn.op(rt, x.Get())))
		})
	}
	libFixed("sqrt", "lib_sqrt", 1)
	libFixed("floor", "lib_floor", 1)
	libFixed("ceil", "lib_ceil", 1)
	libFixed("round", "lib_round", 1)
}
