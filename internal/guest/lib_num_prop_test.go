package guest_test

import (
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/rtfsvm/rtfsvm/internal/guest"
	"github.com/rtfsvm/rtfsvm/internal/layout"
	"github.com/rtfsvm/rtfsvm/value"
)

// Property tests: the guest and stdlib agree on random arguments, most of them numbers
// at the edges: around the fixnum range (±2^62, where integers become boxed), the i64
// range (±2^63, where arithmetic overflows), 2^53 (where floats stop holding every
// integer), and NaN, ±Inf, -0.0 and subnormal floats.

// numBases are integers near which the representation or the arithmetic changes.
var numBases = []int64{0, 1 << 31, 3037000499, 1 << 53, layout.FixnumMax, layout.FixnumMin, math.MaxInt64, math.MinInt64}

func numGenInt() *rapid.Generator[value.Value] {
	return rapid.OneOf(
		rapid.Map(rapid.Int64Range(-40, 40), func(n int64) value.Value { return value.Int(n) }),
		rapid.Custom(func(t *rapid.T) value.Value {
			b := rapid.SampledFrom(numBases).Draw(t, "base")
			d := rapid.Int64Range(-3, 3).Draw(t, "delta")
			if rapid.Bool().Draw(t, "negate") && b != math.MinInt64 {
				b = -b
			}
			return value.Int(b + d) // wraps at the ends of i64: still an edge
		}),
		rapid.Map(rapid.Int64(), func(n int64) value.Value { return value.Int(n) }),
		rapid.Map(rapid.Int64Range(-(1<<20), 1<<20), func(n int64) value.Value { return value.Int(n) }),
	)
}

var numSomeFloats = []float64{0, negZero, math.NaN(), math.Inf(1), math.Inf(-1), 0.5, -0.5, 1.5, 2.5, -2.5, 1, -1, 2, 3,
	0.49999999999999994, 1e300, -1e300, 5e-324, -5e-324, 2.2250738585072014e-308, 0x1p62, -0x1p62, 0x1p63, -0x1p63,
	0x1p53, 0x1p53 + 2, 1e-7, 4503599627370495.5, 709.78, -745.2, 1.0000000000000002, 0.9999999999999999}

func numGenFloat() *rapid.Generator[value.Value] {
	f := func(x float64) value.Value { return value.Float(x) }
	return rapid.OneOf(
		rapid.Map(rapid.SampledFrom(numSomeFloats), f),
		rapid.Map(rapid.Float64(), f),
		rapid.Map(rapid.Uint64(), func(b uint64) value.Value { return value.Float(math.Float64frombits(b)) }),
		rapid.Map(rapid.Float64Range(-100, 100), f),
		rapid.Map(rapid.Int64Range(-1000, 1000), func(n int64) value.Value { return value.Float(float64(n) / 4) }),
		rapid.Map(numGenInt(), func(n value.Value) value.Value { return value.Float(float64(n.(value.Int))) }),
	)
}

func numGenNumber() *rapid.Generator[value.Value] { return rapid.OneOf(numGenInt(), numGenFloat()) }

// numGenArg is mostly a number, sometimes anything.
func numGenArg() *rapid.Generator[value.Value] {
	return rapid.OneOf(numGenInt(), numGenFloat(), numGenInt(), numGenFloat(), genValue(1, true))
}

func numGenArgs(min, max int, elem *rapid.Generator[value.Value]) *rapid.Generator[[]value.Value] {
	return rapid.SliceOfN(elem, min, max)
}

// numProperty checks a library function on random argument lists; the label, after a
// space, names the kind of arguments.
func numProperty(t *testing.T, vm numVM, label string, gen *rapid.Generator[[]value.Value]) {
	name, _, _ := strings.Cut(label, " ")
	t.Run(label, func(t *testing.T) {
		rapid.Check(t, func(rt *rapid.T) {
			vm.reset()
			vm.check(rt, name, gen.Draw(rt, "args")...)
		})
	})
}

func TestNumArithmeticProperties(t *testing.T) {
	vm := newNumVM(t)
	for _, name := range []string{"+", "-", "*", "/"} {
		min := guest.Library[name].Min
		numProperty(t, vm, name, numGenArgs(min, 5, numGenArg()))
		// Integers only, to reach the overflow checks more often.
		numProperty(t, vm, name+" ints", numGenArgs(min, 4, numGenInt()))
	}
	for _, name := range []string{"quot", "rem", "mod", "pow"} {
		numProperty(t, vm, name, numGenArgs(2, 2, numGenArg()))
		numProperty(t, vm, name+" ints", numGenArgs(2, 2, numGenInt()))
		numProperty(t, vm, name+" floats", numGenArgs(2, 2, numGenFloat()))
	}
	for _, name := range []string{"inc", "dec", "abs", "sqrt", "floor", "ceil", "round", "zero?", "pos?", "neg?", "even?", "odd?"} {
		numProperty(t, vm, name, numGenArgs(1, 1, numGenArg()))
	}
	for _, name := range []string{"min", "max"} {
		numProperty(t, vm, name, numGenArgs(1, 5, numGenArg()))
		numProperty(t, vm, name+" numbers", numGenArgs(1, 5, numGenNumber()))
	}
}

// pow of integers where the result crosses the fixnum and i64 ranges; pow of floats
// with integral, fractional, huge and tiny exponents.
func TestNumPowProperties(t *testing.T) {
	vm := newNumVM(t)
	i := func(n int64) value.Value { return value.Int(n) }
	small := rapid.Map(rapid.Int64Range(-20, 20), i)
	exps := rapid.Map(rapid.Int64Range(-3, 70), i)
	numProperty(t, vm, "pow", rapid.Custom(func(t *rapid.T) []value.Value {
		return []value.Value{small.Draw(t, "x"), exps.Draw(t, "y")}
	}))
	numProperty(t, vm, "pow", rapid.Custom(func(t *rapid.T) []value.Value {
		return []value.Value{numGenInt().Draw(t, "x"), rapid.Map(rapid.Int64Range(0, 4), i).Draw(t, "y")}
	}))
	pos := rapid.Map(rapid.Float64Range(0, 100), func(x float64) value.Value { return value.Float(x) })
	frac := rapid.Map(rapid.Float64Range(-40, 40), func(x float64) value.Value { return value.Float(x) })
	near1 := rapid.Map(rapid.Float64Range(0.999, 1.001), func(x float64) value.Value { return value.Float(x) })
	huge := rapid.Map(rapid.Float64Range(-1e6, 1e6), func(x float64) value.Value { return value.Float(x) })
	if numExactMath {
		numProperty(t, vm, "pow", rapid.Custom(func(t *rapid.T) []value.Value {
			return []value.Value{pos.Draw(t, "x"), frac.Draw(t, "y")}
		}))
		numProperty(t, vm, "pow", rapid.Custom(func(t *rapid.T) []value.Value {
			return []value.Value{near1.Draw(t, "x"), huge.Draw(t, "y")}
		}))
	}
}

func TestNumComparisonProperties(t *testing.T) {
	vm := newNumVM(t)
	texts := rapid.OneOf(
		rapid.Map(rapid.SampledFrom(someTexts), func(s string) value.Value { return value.String(s) }),
		rapid.Map(rapid.StringN(0, 4, -1), func(s string) value.Value { return value.String(s) }),
	)
	for _, name := range []string{"<", ">", "<=", ">="} {
		numProperty(t, vm, name, numGenArgs(1, 5, numGenNumber()))
		numProperty(t, vm, name+" strings", numGenArgs(1, 4, texts))
		numProperty(t, vm, name+" mixed", numGenArgs(1, 4, rapid.OneOf(numGenNumber(), texts, genScalar(true))))
		// Neighbouring integers and floats around 2^53 and the ends of i64, where
		// comparing through float64 would be wrong.
		numProperty(t, vm, name+" edges", numGenArgs(2, 3, rapid.OneOf(numGenInt(),
			rapid.Map(numGenInt(), func(n value.Value) value.Value { return value.Float(float64(n.(value.Int))) }))))
	}
	for _, name := range []string{"=", "not="} {
		numProperty(t, vm, name, numGenArgs(1, 4, rapid.OneOf(numGenNumber(), genValue(2, true))))
		numProperty(t, vm, name+" equal", rapid.Custom(func(t *rapid.T) []value.Value {
			v := genValue(2, true).Draw(t, "v")
			return []value.Value{v, variant(t, v), v}
		}))
	}
}

func TestNumPredicateProperties(t *testing.T) {
	vm := newNumVM(t)
	for _, name := range numLibNames {
		if lf := guest.Library[name]; lf.Fixed != 1 {
			continue
		}
		numProperty(t, vm, name, numGenArgs(1, 1, rapid.OneOf(numGenNumber(), genValue(2, true))))
	}
}
