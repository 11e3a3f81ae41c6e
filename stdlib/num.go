package stdlib

import (
	"cmp"
	"math"
	"strings"

	"github.com/rtfsvm/rtfsvm/value"
)

var arithFns = []*value.Builtin{
	fn("+", 0, variadic, sum),
	fn("*", 0, variadic, foldNum("*", value.Int(1), mul)),
	fn("-", 1, variadic, unaryOrFold("-", sub)),
	fn("/", 1, variadic, unaryOrFold("/", div)),
	fn("quot", 2, 2, binary("quot", quot)),
	fn("rem", 2, 2, binary("rem", rem)),
	fn("mod", 2, 2, binary("mod", mod)),
	fn("inc", 1, 1, func(_ Caller, a []Value) (Value, error) { return add.apply("inc", a[0], value.Int(1)) }),
	fn("dec", 1, 1, func(_ Caller, a []Value) (Value, error) { return sub.apply("dec", a[0], value.Int(1)) }),
	fn("abs", 1, 1, absFn),
	fn("min", 1, variadic, extremum("min", -1)),
	fn("max", 1, variadic, extremum("max", 1)),
	fn("sqrt", 1, 1, floatFn("sqrt", math.Sqrt)),
	fn("floor", 1, 1, floatFn("floor", math.Floor)),
	fn("ceil", 1, 1, floatFn("ceil", math.Ceil)),
	fn("round", 1, 1, floatFn("round", math.Round)), // math.Round halves away from zero
	fn("pow", 2, 2, binary("pow", pow)),
	fn("=", 1, variadic, func(c Caller, a []Value) (Value, error) {
		eq, err := allEqual(c, a)
		return value.FromBool(eq), err
	}),
	fn("not=", 1, variadic, func(c Caller, a []Value) (Value, error) {
		eq, err := allEqual(c, a)
		return value.FromBool(!eq), err
	}),
	fn("<", 1, variadic, compareChain("<", func(c int) bool { return c < 0 })),
	fn(">", 1, variadic, compareChain(">", func(c int) bool { return c > 0 })),
	fn("<=", 1, variadic, compareChain("<=", func(c int) bool { return c <= 0 })),
	fn(">=", 1, variadic, compareChain(">=", func(c int) bool { return c >= 0 })),
	fn("compare", 2, 2, func(c Caller, a []Value) (Value, error) {
		return value.Int(value.Compare(a[0], a[1])), charge(c, shallowSize(a[0], a[1]))
	}),
}

// numOp is a binary numeric operation: integers with integers stay integers (the
// integer case reports overflow and division by zero itself); any float makes both
// operands floats.
type numOp struct {
	i func(fn string, x, y int64) (Value, error)
	f func(fn string, x, y float64) (Value, error)
}

func (op numOp) apply(fn string, a, b Value) (Value, error) {
	if x, ok := a.(value.Int); ok {
		if y, ok := b.(value.Int); ok {
			return op.i(fn, int64(x), int64(y))
		}
	}
	x, err := floatOf(fn, a)
	if err != nil {
		return nil, err
	}
	y, err := floatOf(fn, b)
	if err != nil {
		return nil, err
	}
	return op.f(fn, x, y)
}

func floatOf(fn string, v Value) (float64, error) {
	switch v := v.(type) {
	case value.Int:
		return float64(v), nil
	case value.Float:
		return float64(v), nil
	}
	return 0, value.TypeError(fn, "a number", v)
}

func isNumber(v Value) bool {
	switch v.(type) {
	case value.Int, value.Float:
		return true
	}
	return false
}

func overflow(fn string) *value.Error {
	return value.Errorf(value.ErrOverflow, "%s: integer overflow", fn)
}

func divByZero(fn string) *value.Error {
	return value.Errorf(value.ErrDivisionByZero, "%s: division by zero", fn)
}

// checked lifts an int64 operation that reports overflow.
func checked(f func(x, y int64) (int64, bool)) func(string, int64, int64) (Value, error) {
	return func(fn string, x, y int64) (Value, error) {
		r, ok := f(x, y)
		if !ok {
			return nil, overflow(fn)
		}
		return value.Int(r), nil
	}
}

func plain(f func(x, y float64) float64) func(string, float64, float64) (Value, error) {
	return func(_ string, x, y float64) (Value, error) { return value.Float(f(x, y)), nil }
}

func addInt(x, y int64) (int64, bool) {
	s := x + y
	return s, (x^s)&(y^s) >= 0
}

func subInt(x, y int64) (int64, bool) {
	s := x - y
	return s, (x^y)&(x^s) >= 0
}

func mulInt(x, y int64) (int64, bool) {
	if x == 0 || y == 0 {
		return 0, true
	}
	p := x * y
	if (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64) || p/y != x {
		return 0, false
	}
	return p, true
}

var (
	add = numOp{checked(addInt), plain(func(x, y float64) float64 { return x + y })}
	sub = numOp{checked(subInt), plain(func(x, y float64) float64 { return x - y })}
	mul = numOp{checked(mulInt), plain(func(x, y float64) float64 { return x * y })}
	div = numOp{
		func(fn string, x, y int64) (Value, error) {
			switch {
			case y == 0:
				return nil, divByZero(fn)
			case x == math.MinInt64 && y == -1:
				return nil, overflow(fn)
			case x%y == 0:
				return value.Int(x / y), nil
			}
			return value.Float(float64(x) / float64(y)), nil
		},
		plain(func(x, y float64) float64 { return x / y }), // IEEE: 1.0/0 is ##Inf
	}
	quot = numOp{
		func(fn string, x, y int64) (Value, error) {
			switch {
			case y == 0:
				return nil, divByZero(fn)
			case x == math.MinInt64 && y == -1:
				return nil, overflow(fn)
			}
			return value.Int(x / y), nil
		},
		nonzero(func(x, y float64) float64 { return math.Trunc(x / y) }),
	}
	rem = numOp{
		func(fn string, x, y int64) (Value, error) {
			if y == 0 {
				return nil, divByZero(fn)
			}
			return value.Int(x % y), nil // Go defines MinInt64 % -1 as 0
		},
		nonzero(math.Mod),
	}
	mod = numOp{
		func(fn string, x, y int64) (Value, error) {
			if y == 0 {
				return nil, divByZero(fn)
			}
			m := x % y
			if m != 0 && (m < 0) != (y < 0) {
				m += y
			}
			return value.Int(m), nil
		},
		nonzero(func(x, y float64) float64 {
			m := math.Mod(x, y)
			if m != 0 && (m < 0) != (y < 0) {
				m += y
			}
			return m
		}),
	}
	pow = numOp{
		func(fn string, x, y int64) (Value, error) {
			if y < 0 {
				return value.Float(math.Pow(float64(x), float64(y))), nil
			}
			r, ok := powInt(x, y)
			if !ok {
				return nil, overflow(fn)
			}
			return value.Int(r), nil
		},
		plain(math.Pow),
	}
)

// nonzero is a float operation for quot, rem and mod, which fail on a zero divisor even
// with floats (as in Clojure); only / follows IEEE.
func nonzero(f func(x, y float64) float64) func(string, float64, float64) (Value, error) {
	return func(fn string, x, y float64) (Value, error) {
		if y == 0 {
			return nil, divByZero(fn)
		}
		return value.Float(f(x, y)), nil
	}
}

// powInt is x**y by squaring; it stops at the first overflow, so huge exponents end fast.
func powInt(x, y int64) (int64, bool) {
	switch {
	case y == 0 || x == 1:
		return 1, true
	case x == 0:
		return 0, true
	case x == -1:
		return 1 - 2*(y&1), true
	}
	r, ok := int64(1), true
	for {
		if y&1 == 1 {
			if r, ok = mulInt(r, x); !ok {
				return 0, false
			}
		}
		if y >>= 1; y == 0 {
			return r, true
		}
		// Square only when another factor is needed, so that x*x cannot overflow uselessly.
		if x, ok = mulInt(x, x); !ok {
			return 0, false
		}
	}
}

func foldNum(fn string, unit Value, op numOp) fnImpl {
	return func(_ Caller, args []Value) (Value, error) {
		acc := unit
		for _, a := range args {
			var err error
			if acc, err = op.apply(fn, acc, a); err != nil {
				return nil, err
			}
		}
		return acc, nil
	}
}

// sum is +: (+) is 0, (+ x) is x (a number), and more arguments fold from the first, as
// in Clojure: folding from 0 would turn (+ -0.0 -0.0) into 0.0.
func sum(_ Caller, args []Value) (Value, error) {
	switch len(args) {
	case 0:
		return value.Int(0), nil
	case 1:
		if f, ok := args[0].(value.Float); ok {
			return f, nil
		}
		return add.apply("+", value.Int(0), args[0])
	}
	acc := args[0]
	for _, a := range args[1:] {
		var err error
		if acc, err = add.apply("+", acc, a); err != nil {
			return nil, err
		}
	}
	return acc, nil
}

// unaryOrFold is - and /: with one argument they negate or invert it.
func unaryOrFold(fn string, op numOp) fnImpl {
	return func(_ Caller, args []Value) (Value, error) {
		if len(args) == 1 {
			if fn == "/" {
				return op.apply(fn, value.Int(1), args[0])
			}
			if f, ok := args[0].(value.Float); ok {
				return -f, nil // 0.0 - 0.0 would lose the sign of (- 0.0)
			}
			return op.apply(fn, value.Int(0), args[0])
		}
		acc := args[0]
		for _, a := range args[1:] {
			var err error
			if acc, err = op.apply(fn, acc, a); err != nil {
				return nil, err
			}
		}
		return acc, nil
	}
}

func binary(fn string, op numOp) fnImpl {
	return func(_ Caller, args []Value) (Value, error) { return op.apply(fn, args[0], args[1]) }
}

func absFn(_ Caller, args []Value) (Value, error) {
	switch x := args[0].(type) {
	case value.Int:
		if x == math.MinInt64 {
			return nil, overflow("abs")
		}
		return value.Int(max(x, -x)), nil
	case value.Float:
		return value.Float(math.Abs(float64(x))), nil
	}
	return nil, value.TypeError("abs", "a number", args[0])
}

func floatFn(fn string, f func(float64) float64) fnImpl {
	return func(_ Caller, args []Value) (Value, error) {
		x, err := floatOf(fn, args[0])
		if err != nil {
			return nil, err
		}
		if fn == "sqrt" && x < 0 {
			return nil, invalid(fn, "square root of negative number %s", value.Print(args[0]))
		}
		return value.Float(f(x)), nil
	}
}

// numCmp compares two numbers by value; an integer and a float are compared exactly, not
// by rounding the integer. ok is false when either is NaN, which is unordered.
func numCmp(a, b Value) (c int, ok bool) {
	switch x := a.(type) {
	case value.Int:
		switch y := b.(type) {
		case value.Int:
			return cmp.Compare(x, y), true
		case value.Float:
			c, ok := cmpFloatInt(float64(y), int64(x))
			return -c, ok
		}
	case value.Float:
		switch y := b.(type) {
		case value.Int:
			return cmpFloatInt(float64(x), int64(y))
		case value.Float:
			if math.IsNaN(float64(x)) || math.IsNaN(float64(y)) {
				return 0, false
			}
			return cmp.Compare(x, y), true
		}
	}
	return 0, false
}

func cmpFloatInt(f float64, i int64) (int, bool) {
	switch {
	case math.IsNaN(f):
		return 0, false
	case f >= 0x1p63:
		return 1, true
	case f < -0x1p63:
		return -1, true
	}
	t := math.Trunc(f)
	if c := cmp.Compare(int64(t), i); c != 0 {
		return c, true
	}
	return cmp.Compare(f, t), true
}

// compareChain is < > <= >=: every adjacent pair must satisfy test, comparing numbers
// by value or strings by their bytes.
func compareChain(fn string, test func(int) bool) fnImpl {
	return func(_ Caller, args []Value) (Value, error) {
		_, strs := args[0].(value.String)
		for _, a := range args {
			if _, s := a.(value.String); s != strs || !s && !isNumber(a) {
				want := "a number"
				if strs {
					want = "a string"
				}
				return nil, value.TypeError(fn, want, a)
			}
		}
		for i := 1; i < len(args); i++ {
			var c int
			if strs {
				c = strings.Compare(string(args[i-1].(value.String)), string(args[i].(value.String)))
			} else if cc, ok := numCmp(args[i-1], args[i]); ok {
				c = cc
			} else {
				return value.False, nil
			}
			if !test(c) {
				return value.False, nil
			}
		}
		return value.True, nil
	}
}

// extremum is min (sign -1) and max (sign 1) on numbers; NaN wins, as in Java's Math.max.
func extremum(fn string, sign int) fnImpl {
	return func(_ Caller, args []Value) (Value, error) {
		best := args[0]
		for _, a := range args {
			if !isNumber(a) {
				return nil, value.TypeError(fn, "a number", a)
			}
		}
		for _, a := range args[1:] {
			c, ok := numCmp(a, best)
			if !ok {
				if f, isF := a.(value.Float); isF && math.IsNaN(float64(f)) {
					best = a
				}
				continue
			}
			if c == sign {
				best = a
			}
		}
		return best, nil
	}
}

func allEqual(c Caller, args []Value) (bool, error) {
	for i := 1; i < len(args); i++ {
		if err := charge(c, shallowSize(args[i-1], args[i])); err != nil {
			return false, err
		}
		if !value.Equal(args[i-1], args[i]) {
			return false, nil
		}
	}
	return true, nil
}

// shallowSize estimates the work of comparing two values: the smaller of their top-level
// sizes when both are collections. Nested elements are not counted: that would take a
// walk as long as the comparison itself.
func shallowSize(a, b Value) int {
	if !isColl(a) || !isColl(b) {
		return 0
	}
	n, _ := count("", a)
	m, _ := count("", b)
	return min(n, m)
}
