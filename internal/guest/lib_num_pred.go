package guest

import (
	"github.com/rtfsvm/rtfsvm/internal/layout"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
)

// not and the predicates of stdlib/pred.go (empty? is with the collections). Each takes
// one value and returns true or false; zero? pos? neg? raise a type error on anything
// but a number, even? odd? on anything but an integer.

// lnHasType tests for an object of type t, without loading from a value that is not a
// pointer.
func lnHasType(v X, types ...int32) X {
	return IfX(i32, IsPointer(v), func(f *Func) {
		t := f.NewLocal(I32)
		f.Set(t, TypeOf(v))
		f.Emit(Eq32(t.Get(), C32(types[0])))
		for _, ty := range types[1:] {
			f.Emit(Or32(Stack, Eq32(t.Get(), C32(ty))))
		}
	}, func(f *Func) { f.Emit(C32(0)) })
}

func init() {
	preds := []struct {
		name, routine string
		test          func(rt *Runtime, v X) X
	}{
		{"not", "lib_not", func(rt *Runtime, v X) X { return Eqz32(Truthy(v)) }},
		{"nil?", "lib_is_nil", func(rt *Runtime, v X) X { return Eq64(v, Const(layout.Nil)) }},
		{"some?", "lib_is_some", func(rt *Runtime, v X) X { return Ne64(v, Const(layout.Nil)) }},
		{"true?", "lib_is_true", func(rt *Runtime, v X) X { return Eq64(v, Const(layout.True)) }},
		{"false?", "lib_is_false", func(rt *Runtime, v X) X { return Eq64(v, Const(layout.False)) }},
		{"boolean?", "lib_is_boolean", func(rt *Runtime, v X) X {
			return Or32(Eq64(v, Const(layout.True)), Eq64(v, Const(layout.False)))
		}},
		{"int?", "lib_is_int", func(rt *Runtime, v X) X { return Eq32(Call(rt.Fn("num_kind"), v), C32(1)) }},
		{"float?", "lib_is_float", func(rt *Runtime, v X) X { return Eq32(Call(rt.Fn("num_kind"), v), C32(2)) }},
		{"number?", "lib_is_number", func(rt *Runtime, v X) X { return Ne32(Call(rt.Fn("num_kind"), v), C32(0)) }},
		{"string?", "lib_is_string", func(rt *Runtime, v X) X { return lnHasType(v, layout.TypeString) }},
		{"keyword?", "lib_is_keyword", func(rt *Runtime, v X) X { return lnHasType(v, layout.TypeKeyword) }},
		{"symbol?", "lib_is_symbol", func(rt *Runtime, v X) X { return lnHasType(v, layout.TypeSymbol) }},
		{"fn?", "lib_is_fn", func(rt *Runtime, v X) X { return lnHasType(v, layout.TypeClosure) }},
		{"map?", "lib_is_map", func(rt *Runtime, v X) X { return lnHasType(v, layout.TypeMap) }},
		{"vector?", "lib_is_vector", func(rt *Runtime, v X) X { return lnHasType(v, layout.TypeVector) }},
		{"list?", "lib_is_list", func(rt *Runtime, v X) X { return lnHasType(v, layout.TypeList) }},
		{"set?", "lib_is_set", func(rt *Runtime, v X) X { return lnHasType(v, layout.TypeSet) }},
		{"coll?", "lib_is_coll", func(rt *Runtime, v X) X {
			return lnHasType(v, layout.TypeList, layout.TypeVector, layout.TypeMap, layout.TypeSet)
		}},
		{"seq?", "lib_is_seq", func(rt *Runtime, v X) X { return lnHasType(v, layout.TypeList) }}, // as stdlib: lists only
	}
	for _, p := range preds {
		define(p.routine, i64, i64, func(rt *Runtime, f *Func) {
			f.Result(Bool(p.test(rt, f.Param(0).Get())))
		})
		libFixed(p.name, p.routine, 1)
	}

	// zero? pos? neg?: an integer by its sign, a float too unless it is NaN.
	signs := []struct {
		name, routine string
		int           func(n X) X
		float         func(x X) X
	}{
		{"zero?", "lib_is_zero", func(n X) X { return Eqz64(n) }, func(x X) X { return EqF64(x, CF64(0)) }},
		{"pos?", "lib_is_pos", func(n X) X { return GtS64(n, C64(0)) }, func(x X) X { return GtF64(x, CF64(0)) }},
		{"neg?", "lib_is_neg", func(n X) X { return LtS64(n, C64(0)) }, func(x X) X { return LtF64(x, CF64(0)) }},
	}
	for _, s := range signs {
		define(s.routine, i64, i64, func(rt *Runtime, f *Func) {
			v := f.Param(0)
			k := f.NewLocal(I32)
			f.Set(k, Call(rt.Fn("num_kind"), v.Get()))
			f.If(Eqz32(k.Get()), func() { f.Return(rt.Raise(ErrNotNumber, v.Get())) }, nil)
			f.If(Eq32(k.Get(), C32(1)), func() { f.Return(Bool(s.int(Call(rt.Fn("int_of"), v.Get())))) }, nil)
			f.Result(Bool(s.float(Call(rt.Fn("float_of"), v.Get()))))
		})
		libFixed(s.name, s.routine, 1)
	}

	// even? odd?: integers only (a float is a type error, as in stdlib).
	for _, p := range []struct {
		name, routine string
		odd           int64
	}{{"even?", "lib_is_even", 0}, {"odd?", "lib_is_odd", 1}} {
		define(p.routine, i64, i64, func(rt *Runtime, f *Func) {
			v := f.Param(0)
			f.If(Ne32(Call(rt.Fn("num_kind"), v.Get()), C32(1)), func() { f.Return(rt.Raise(ErrNumNotInteger, v.Get())) }, nil)
			f.Result(Bool(Eq64(And64(Call(rt.Fn("int_of"), v.Get()), C64(1)), C64(p.odd))))
		})
		libFixed(p.name, p.routine, 1)
	}
}
