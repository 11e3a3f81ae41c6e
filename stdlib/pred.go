package stdlib

import (
	"math"

	"github.com/rtfsvm/rtfsvm/value"
)

var predFns = []*value.Builtin{
	pred("not", func(v Value) bool { return !value.Truthy(v) }),
	pred("nil?", value.IsNil),
	pred("some?", func(v Value) bool { return !value.IsNil(v) }),
	pred("true?", func(v Value) bool { return v == value.True }),
	pred("false?", func(v Value) bool { return v == value.False }),
	predOf[value.Bool]("boolean?"),
	predOf[value.Int]("int?"),
	predOf[value.Float]("float?"),
	pred("number?", isNumber),
	predOf[value.String]("string?"),
	predOf[value.Keyword]("keyword?"),
	predOf[value.Symbol]("symbol?"),
	predOf[value.Function]("fn?"),
	predOf[*value.Map]("map?"),
	predOf[*value.Vector]("vector?"),
	predOf[*value.List]("list?"),
	predOf[*value.Set]("set?"),
	pred("coll?", isColl),
	predOf[*value.List]("seq?"), // Clojure: vectors, maps and sets are not seqs
	fn("empty?", 1, 1, func(_ Caller, a []Value) (Value, error) {
		n, err := count("empty?", a[0])
		return value.FromBool(n == 0), err
	}),
	numPred("zero?", func(x float64) bool { return x == 0 }),
	numPred("pos?", func(x float64) bool { return x > 0 }),
	numPred("neg?", func(x float64) bool { return x < 0 }),
	intPred("even?", func(x int64) bool { return x%2 == 0 }),
	intPred("odd?", func(x int64) bool { return x%2 != 0 }),
}

func pred(name string, f func(Value) bool) *value.Builtin {
	return fn(name, 1, 1, func(_ Caller, a []Value) (Value, error) { return value.FromBool(f(a[0])), nil })
}

func predOf[T any](name string) *value.Builtin {
	return pred(name, func(v Value) bool { _, ok := v.(T); return ok })
}

// numPred tests a number's sign; converting an integer to a float keeps its sign.
func numPred(name string, f func(float64) bool) *value.Builtin {
	return fn(name, 1, 1, func(_ Caller, a []Value) (Value, error) {
		switch x := a[0].(type) {
		case value.Int:
			return value.FromBool(f(float64(x))), nil
		case value.Float:
			return value.FromBool(!math.IsNaN(float64(x)) && f(float64(x))), nil
		}
		return nil, value.TypeError(name, "a number", a[0])
	})
}

func intPred(name string, f func(int64) bool) *value.Builtin {
	return fn(name, 1, 1, func(_ Caller, a []Value) (Value, error) {
		if x, ok := a[0].(value.Int); ok {
			return value.FromBool(f(int64(x))), nil
		}
		return nil, value.TypeError(name, "an integer", a[0])
	})
}
