package guest_test

import (
	"math"
	"testing"

	"pgregory.net/rapid"

	"github.com/rtfsvm/rtfsvm/internal/layout"
	"github.com/rtfsvm/rtfsvm/value"
)

// Values written into the guest read back as themselves.
func TestWriteReadRoundTrip(t *testing.T) {
	vm := newCollVM(t)
	rapid.Check(t, func(rt *rapid.T) {
		vm.reset()
		v := genValue(3, true).Draw(rt, "v")
		if got := vm.read(vm.write(v)); !same(got, v) {
			rt.Fatalf("%s reads back as %s", value.Print(v), value.Print(got))
		}
	})
}

// The guest's hash is value.Hash, and equal is value.Equal: on values and equal variants
// of them (lists for vectors, -0.0 for 0.0, maps built in another order), and on
// unrelated pairs.
func TestEqualHash(t *testing.T) {
	vm := newCollVM(t, "equal", "hash")
	rapid.Check(t, func(rt *rapid.T) {
		vm.reset()
		a := genValue(3, true).Draw(rt, "a")
		b := variant(rt, a)
		c := genValue(2, true).Draw(rt, "c")
		ga, gb, gc := vm.write(a), vm.write(b), vm.write(c)
		for _, v := range []struct {
			x  value.Value
			gx uint64
		}{{a, ga}, {b, gb}, {c, gc}} {
			if h := vm.call("hash", v.gx); h != value.Hash(v.x) {
				rt.Fatalf("hash(%s) = %#x, want %#x", value.Print(v.x), h, value.Hash(v.x))
			}
		}
		pairs := []struct {
			x, y   value.Value
			gx, gy uint64
		}{{a, b, ga, gb}, {b, a, gb, ga}, {a, a, ga, ga}, {a, c, ga, gc}, {c, a, gc, ga}}
		for _, p := range pairs {
			if got, want := vm.call32("equal", p.gx, p.gy) == 1, value.Equal(p.x, p.y); got != want {
				rt.Fatalf("equal(%s, %s) = %v, want %v", value.Print(p.x), value.Print(p.y), got, want)
			}
		}
		if value.Equal(a, b) && value.Hash(a) != value.Hash(b) {
			rt.Fatalf("value.Hash differs on equal %s and %s", value.Print(a), value.Print(b))
		}
	})
}

func TestEqualCases(t *testing.T) {
	vm := newCollVM(t, "equal", "hash")
	nan := value.Float(math.NaN())
	v := func(xs ...value.Value) value.Value { return value.NewVector(xs) }
	l := func(xs ...value.Value) value.Value { return value.NewList(xs...) }
	m := func(kvs ...value.Value) value.Value {
		r := value.EmptyMap
		for i := 0; i < len(kvs); i += 2 {
			r = r.Assoc(kvs[i], kvs[i+1])
		}
		return r
	}
	big := value.Int(layout.FixnumMax + 1)
	tests := []struct {
		a, b value.Value
		want bool
	}{
		{value.Int(1), value.Float(1), false},
		{value.Float(0), value.Float(negZero), true},
		{nan, nan, false},
		{big, big, true},
		{big, value.Int(layout.FixnumMax), false},
		{value.String("a"), value.Keyword("a"), false},
		{value.Symbol("ab"), value.Symbol("ab"), true},
		{value.String("0123456789"), value.String("0123456788"), false},
		{l(), v(), true},
		{l(value.Int(1), v(value.Int(2))), v(value.Int(1), l(value.Int(2))), true},
		{l(value.Int(1)), v(value.Int(1), value.Int(2)), false},
		{v(nan), v(nan), false},
		{m(), value.EmptySet, false},
		{m(v(value.Int(1)), value.Int(2)), m(l(value.Int(1)), value.Int(2)), true},
		{m(value.Int(1), value.Int(2)), m(value.Int(1), value.Int(3)), false},
		{m(value.Int(1), m(value.Keyword("a"), v())), m(value.Int(1), m(value.Keyword("a"), l())), true},
		{value.NewSet(value.Int(1), value.Int(2)), value.NewSet(value.Int(2), value.Int(1)), true},
		{value.NewSet(value.Int(1)), value.NewSet(value.Int(2)), false},
	}
	for _, tt := range tests {
		ga := vm.write(tt.a)
		for _, gb := range []uint64{vm.write(tt.b), ga} {
			b := tt.b
			if gb == ga {
				b = tt.a
			}
			if got := vm.call32("equal", ga, gb) == 1; got != value.Equal(tt.a, b) {
				t.Errorf("equal(%s, %s) = %v", value.Print(tt.a), value.Print(b), got)
			}
		}
		if got := vm.call32("equal", ga, vm.write(tt.b)) == 1; got != tt.want {
			t.Errorf("equal(%s, %s) = %v, want %v", value.Print(tt.a), value.Print(tt.b), got, tt.want)
		}
		if tt.want && vm.call("hash", ga) != vm.call("hash", vm.write(tt.b)) {
			t.Errorf("equal %s and %s hash differently", value.Print(tt.a), value.Print(tt.b))
		}
	}
}
