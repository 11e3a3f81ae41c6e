package compile

import (
	"fmt"

	"github.com/rtfsvm/rtfsvm/internal/guest"
	"github.com/rtfsvm/rtfsvm/internal/layout"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
	"github.com/rtfsvm/rtfsvm/ir"
	"github.com/rtfsvm/rtfsvm/value"
)

// builtins compile calls of library functions: inline fast paths for fixnums, and calls
// of runtime routines for the rest.
var builtins map[string]func(g *fnGen, e *ir.CallBuiltin)

func init() {
	builtins = map[string]func(g *fnGen, e *ir.CallBuiltin){
		"+":  arith("num_add", 0, guest.FixnumAdd),
		"-":  arith("num_sub", 0, guest.FixnumSub),
		"*":  arith("num_mul", 1, nil),
		"<":  compare("num_lt", I64LtS),
		">":  compare("num_gt", I64GtS),
		"<=": compare("num_le", I64LeS),
		">=": compare("num_ge", I64GeS),
		"=":  equal,
		"apply": func(g *fnGen, e *ir.CallBuiltin) {
			saved := g.top
			out := g.layArgs(e.Args)
			g.checked(e, Call(g.c.rt.Fn("apply_fn"), g.slotAddr(out), C32(int32(len(e.Args))), guest.Const(layout.Nil)))
			g.top = saved
		},
		"inc": func(g *fnGen, e *ir.CallBuiltin) {
			g.arithConst(e, "num_add", g.operands(e.Args)[0], 1)
		},
		"dec": func(g *fnGen, e *ir.CallBuiltin) {
			g.arithConst(e, "num_sub", g.operands(e.Args)[0], 1)
		},
		"not": func(g *fnGen, e *ir.CallBuiltin) {
			g.f.Emit(guest.Bool(Eqz32(guest.Truthy(g.operands(e.Args)[0]))))
		},
		"nil?": func(g *fnGen, e *ir.CallBuiltin) {
			g.f.Emit(guest.Bool(Eqz64(g.operands(e.Args)[0])))
		},
		"zero?": func(g *fnGen, e *ir.CallBuiltin) {
			g.arith2(e, "num_eq", g.operands(e.Args)[0], guest.Fixnum(0), nil)
		},
	}
}

// arithConst computes a + n (routine num_add) or a - n (num_sub) for a constant n that
// is a fixnum. The fast path is shorter than arith2's: with n known, the sum of a fixnum
// overflows exactly when it moves the wrong way.
func (g *fnGen) arithConst(e ir.Expr, routine string, a X, n int64) {
	f, rt := g.f, g.c.rt
	b := guest.Fixnum(n)
	if routine == "num_sub" {
		n = -n
	}
	la, r := g.scratchLocal(), g.scratchLocal()
	f.Emit(a) // into la on tier 1; the routine's operand on tier 0
	f.Tiered(func() {
		f.Set(la, Stack)
		// (2x+1) + 2n = 2(x+n)+1
		f.Set(r, Add64(la.Get(), C64(2*n)))
		noOverflow := GeS64(r.Get(), la.Get())
		if n < 0 {
			noOverflow = LeS64(r.Get(), la.Get())
		}
		f.Emit(IfX(i64, And32(guest.IsFixnum(la.Get()), noOverflow),
			func(f *Func) { f.Emit(r.Get()) },
			func(f *Func) { g.checked(e, Call(rt.Fn(routine), la.Get(), b)) }))
	}, func() { g.checkedAt(e, routine+"_at", Stack, b) })
	g.release(2)
}

// constFixnum reports the value of e when it is an integer constant whose doubling (as
// arithConst adds it) stays a fixnum.
func constFixnum(e ir.Expr) (int64, bool) {
	c, ok := e.(*ir.Const)
	if !ok {
		return 0, false
	}
	n, ok := c.Value.(value.Int)
	if !ok || int64(n) > 1<<40 || int64(n) < -(1<<40) {
		return 0, false
	}
	return int64(n), true
}

// arith2 computes a op b: inline when both are fixnums and fast is given, else through
// the routine (which handles bigints, floats, overflow and type errors).
func (g *fnGen) arith2(e ir.Expr, routine string, a, b X, fast guest.FixnumOp) {
	f, rt := g.f, g.c.rt
	la, lb, r := g.scratchLocal(), g.scratchLocal(), g.scratchLocal()
	slow := func(f *Func) { g.checked(e, Call(rt.Fn(routine), la.Get(), lb.Get())) }
	if fast == nil {
		f.Set(la, a)
		f.Set(lb, b)
		slow(f)
	} else {
		f.Emit(a, b) // into la and lb on tier 1; the routine's operands on tier 0
		f.Tiered(func() {
			f.Set(lb, Stack)
			f.Set(la, Stack)
			// The fixnum result is computed whatever the operands are (it is unused
			// when they are not fixnums), so that one test chooses between it and the
			// routine.
			ok := fast(f, la, lb, r)
			f.Emit(IfX(i64, And32(guest.BothFixnums(la, lb), ok), func(f *Func) { f.Emit(r.Get()) }, slow))
		}, func() { g.checkedAt(e, routine+"_at", Stack, Stack) })
	}
	g.release(3)
}

// arith folds a variadic arithmetic function left to right; (op) is its identity and
// (op x) applies it to the identity and x (so (- x) negates and a non-number fails).
func arith(routine string, identity int64, fast guest.FixnumOp) func(g *fnGen, e *ir.CallBuiltin) {
	return func(g *fnGen, e *ir.CallBuiltin) {
		saved := g.top
		xs := g.operands(e.Args)
		switch len(xs) {
		case 0:
			g.f.Emit(guest.Fixnum(identity))
		case 1:
			// (- x) and (+ x) are not 0 - x and 0 + x for -0.0: the library decides.
			g.top = saved
			g.general(e)
		case 2:
			if n, ok := constFixnum(e.Args[1]); ok && fast != nil {
				g.arithConst(e, routine, xs[0], n)
				break
			}
			g.arith2(e, routine, xs[0], xs[1], fast)
		default:
			acc := g.scratchLocal()
			g.arith2(e, routine, xs[0], xs[1], fast)
			for _, x := range xs[2:] {
				g.f.Set(acc, Stack)
				g.arith2(e, routine, acc.Get(), x, fast)
			}
			g.release(1)
		}
		g.top = saved
	}
}

// comparisons maps each comparison to its routine and the i64 comparison that orders
// fixnums (tagging keeps the order, so they compare as they are).
var comparisons = map[string]struct {
	routine string
	fixnum  byte
}{
	"<": {"num_lt", I64LtS}, ">": {"num_gt", I64GtS}, "<=": {"num_le", I64LeS}, ">=": {"num_ge", I64GeS},
}

// compare is a numeric comparison of two arguments as a value.
func compare(routine string, fixnumOp byte) func(g *fnGen, e *ir.CallBuiltin) {
	return func(g *fnGen, e *ir.CallBuiltin) {
		if len(e.Args) != 2 {
			g.general(e)
			return
		}
		g.f.Emit(guest.Bool(g.compareCond(e, routine, fixnumOp)))
	}
}

// general calls a library function through its routine, for the calls that an inline
// fast path does not cover.
func (g *fnGen) general(e *ir.CallBuiltin) {
	lf, ok := libFn(e.Builtin)
	if !ok {
		unsupported(e, "the library function "+e.Builtin.Name+" with "+plural(len(e.Args)))
	}
	g.libCall(e, lf)
}

func plural(n int) string {
	if n == 1 {
		return "1 argument"
	}
	return fmt.Sprintf("%d arguments", n)
}

// compareCond is a comparison as an i32 condition.
func (g *fnGen) compareCond(e *ir.CallBuiltin, routine string, fixnumOp byte) X {
	return func(f *Func) {
		rt := g.c.rt
		saved := g.top
		xs := g.operands(e.Args)
		la, lb := g.scratchLocal(), g.scratchLocal()
		f.Emit(xs[0], xs[1]) // into la and lb on tier 1; the routine's operands on tier 0
		f.Tiered(func() {
			f.Set(lb, Stack)
			f.Set(la, Stack)
			f.Emit(IfX([]ValType{I32}, guest.BothFixnums(la, lb),
				func(f *Func) { f.Emit(Op(fixnumOp, la.Get(), lb.Get())) },
				func(f *Func) {
					g.checked(e, Call(rt.Fn(routine), la.Get(), lb.Get()))
					f.Emit(Eq64(Stack, guest.Const(layout.True)))
				}))
		}, func() {
			g.checkedAt(e, routine+"_at", Stack, Stack)
			f.Emit(Eq64(Stack, guest.Const(layout.True)))
		})
		g.release(2)
		g.top = saved
	}
}

// cond is the truth of an expression as an i32, without making a boolean value when
// the expression is a comparison.
func (g *fnGen) cond(e ir.Expr) X {
	if b, ok := e.(*ir.CallBuiltin); ok {
		if c, ok := comparisons[b.Builtin.Name]; ok && len(b.Args) == 2 {
			return g.compareCond(b, c.routine, c.fixnum)
		}
	}
	return guest.Truthy(g.x(e))
}

// equal is (= a b): two fixnums compare as they are; anything else asks the runtime
// (a boxed NaN is not equal to itself, though its bits are).
func equal(g *fnGen, e *ir.CallBuiltin) {
	f, rt := g.f, g.c.rt
	saved := g.top
	if len(e.Args) != 2 {
		g.general(e)
		return
	}
	xs := g.operands(e.Args)
	la, lb := g.scratchLocal(), g.scratchLocal()
	f.Set(la, xs[0])
	f.Set(lb, xs[1])
	f.Emit(guest.Bool(IfX([]ValType{I32}, guest.BothFixnums(la, lb),
		func(f *Func) { f.Emit(Eq64(la.Get(), lb.Get())) },
		func(f *Func) { f.Emit(Call(rt.Fn("equal"), la.Get(), lb.Get())) })))
	g.release(2)
	g.top = saved
}
