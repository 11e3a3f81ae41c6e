package value

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

func TestFormatFloat(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{2, "2.0"}, {2.5, "2.5"}, {-3.25, "-3.25"}, {1e-7, "1e-7"}, {1.5e21, "1.5e+21"},
		{1e21, "1e+21"}, {1e20, "100000000000000000000.0"}, {0.000001, "0.000001"},
		{123456789012.5, "123456789012.5"}, {0.30000000000000004, "0.30000000000000004"},
		{math.Copysign(0, -1), "-0.0"}, {0, "0.0"}, {math.Inf(1), "##Inf"},
		{math.Inf(-1), "##-Inf"}, {math.NaN(), "##NaN"}, {1.2345e-10, "1.2345e-10"},
		{5e-324, "5e-324"}, {math.MaxFloat64, "1.7976931348623157e+308"},
	}
	for _, tt := range tests {
		if got := FormatFloat(tt.f); got != tt.want {
			t.Errorf("FormatFloat(%g) = %s, want %s", tt.f, got, tt.want)
		}
	}
}

func TestPrint(t *testing.T) {
	m := EmptyMap.Assoc(Keyword("b"), Int(2)).Assoc(Keyword("a"), Int(1)).Assoc(String("s"), Nil)
	tests := []struct {
		v    Value
		want string
	}{
		{m, `{"s" nil :a 1 :b 2}`},
		{NewSet(Int(3), Float(1.5), Nil, Keyword("k")), `#{nil 1.5 3 :k}`},
		{NewList(Int(1), NewVector([]Value{String("a\tb\x01")})), `((1 ["a\tb\u{1}"]))`[1 : len(`((1 ["a\tb\u{1}"]))`)-1]},
		{&Builtin{Name: "inc"}, "#<fn inc>"},
		{&Builtin{}, "#<fn>"},
	}
	for _, tt := range tests {
		if got := Print(tt.v); got != tt.want {
			t.Errorf("Print = %s, want %s", got, tt.want)
		}
	}
}

func TestEqualAndOrder(t *testing.T) {
	l := NewList(Int(1), Int(2))
	v := NewVector([]Value{Int(1), Int(2)})
	if !Equal(l, v) || Hash(l) != Hash(v) {
		t.Error("a list and a vector with the same elements must be equal, with equal hashes")
	}
	if Equal(Int(1), Float(1)) {
		t.Error("1 and 1.0 must differ")
	}
	if Equal(Float(math.NaN()), Float(math.NaN())) {
		t.Error("NaN must not equal NaN")
	}
	if !Equal(Float(0), Float(math.Copysign(0, -1))) || Hash(Float(0)) != Hash(Float(math.Copysign(0, -1))) {
		t.Error("0.0 and -0.0 are equal and must hash alike")
	}
	ordered := []Value{Nil, False, True, Float(math.Inf(-1)), Int(1), Float(1), Float(1.5), Int(2), Float(math.NaN()),
		String("a"), Keyword("a"), Symbol("a"), NewVector(nil), NewList(Int(1)), EmptySet, EmptyMap, &Builtin{Name: "f"}}
	for i := range ordered {
		for j := range ordered {
			want := cmp3(i, j)
			if got := Compare(ordered[i], ordered[j]); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", Print(ordered[i]), Print(ordered[j]), got, want)
			}
		}
	}
	if Compare(Int(math.MaxInt64), Float(0x1p63)) != -1 || Compare(Int(math.MinInt64), Float(-0x1p63)) != -1 {
		t.Error("integer/float comparison must be exact at the edges of int64")
	}
}

// The persistent vector behaves as a slice that is copied on every update.
func TestVectorModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 3000).Draw(t, "n")
		model := make([]Value, n)
		for i := range model {
			model[i] = Int(i)
		}
		v := NewVector(model)
		old, oldModel := v, append([]Value(nil), model...)
		steps := rapid.IntRange(0, 200).Draw(t, "steps")
		for s := 0; s < steps; s++ {
			if len(model) > 0 && rapid.Bool().Draw(t, "assoc") {
				i := rapid.IntRange(0, len(model)-1).Draw(t, "i")
				v = v.Assoc(i, Int(-i))
				model[i] = Int(-i)
			} else {
				v = v.Conj(Int(len(model)))
				model = append(model, Int(len(model)))
			}
		}
		check := func(v *Vector, model []Value) {
			if v.Len() != len(model) {
				t.Fatalf("Len = %d, want %d", v.Len(), len(model))
			}
			for i, x := range model {
				if !Equal(v.Index(i), x) {
					t.Fatalf("Index(%d) = %s, want %s", i, Print(v.Index(i)), Print(x))
				}
			}
			if !Equal(NewVector(v.Slice()), NewVector(model)) {
				t.Fatal("Slice differs from the model")
			}
		}
		check(v, model)
		check(old, oldModel) // updates never change the original
	})
}

// The persistent map behaves as a Go map keyed by printed form, including under hash
// collisions (keys drawn from a small space collide in the low bits often).
func TestMapModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := EmptyMap
		model := map[string]Value{}
		keys := map[string]Value{}
		steps := rapid.IntRange(0, 500).Draw(t, "steps")
		for s := 0; s < steps; s++ {
			var k Value
			switch rapid.IntRange(0, 2).Draw(t, "kind") {
			case 0:
				k = Int(rapid.IntRange(-50, 2000).Draw(t, "int"))
			case 1:
				k = String(rapid.StringMatching(`[a-c]{0,3}`).Draw(t, "str"))
			default:
				k = NewVector([]Value{Int(rapid.IntRange(0, 3).Draw(t, "a"))})
			}
			ks := Print(k)
			if rapid.IntRange(0, 3).Draw(t, "op") == 0 {
				m = m.Dissoc(k)
				delete(model, ks)
			} else {
				m = m.Assoc(k, Int(s))
				model[ks], keys[ks] = Int(s), k
			}
		}
		if m.Len() != len(model) {
			t.Fatalf("Len = %d, want %d", m.Len(), len(model))
		}
		for ks, want := range model {
			got, ok := m.Get(keys[ks])
			if !ok || !Equal(got, want) {
				t.Fatalf("Get(%s) = %v, %v; want %s", ks, got, ok, Print(want))
			}
		}
		entries := m.Entries()
		for i := 1; i < len(entries); i++ {
			if Compare(entries[i-1].Key, entries[i].Key) >= 0 {
				t.Fatal("Entries are not in the total order")
			}
		}
	})
}

func TestHashCollisions(t *testing.T) {
	// Keys with the same hash must still be told apart.
	a, b := hentry{Int(1), Int(10)}, hentry{Int(2), Int(20)}
	h := hamt{root: pair(a, 7, b, 7, 0), count: 2}
	n := h.root
	for !n.collision {
		if len(n.nodes) != 1 {
			t.Fatal("equal hashes must lead down to a collision node")
		}
		n = n.nodes[0]
	}
	if len(n.entries) != 2 {
		t.Fatalf("collision node holds %d entries, want 2", len(n.entries))
	}
}
