package guest_test

import (
	"math"
	"testing"

	"pgregory.net/rapid"

	"github.com/rtfsvm/rtfsvm/internal/guest"
	"github.com/rtfsvm/rtfsvm/internal/layout"
	"github.com/rtfsvm/rtfsvm/value"
)

var mapRoutines = []string{"map_get", "map_contains", "map_assoc", "map_dissoc", "map_count",
	"set_conj", "set_contains", "set_disj", "vector_from_map", "equal", "hash"}

// collidingKeys are keys of equal hashes that are not equal, which only collision nodes
// tell apart: value.Hash of Int(n) is mix(n) and of Float(f) mix(bits(f) ^ 0x5bd1e995),
// of the empty map mix(0x17) and of the empty set mix(0x13).
var collidingKeys = []value.Value{
	value.Float(1.5), value.Int(int64(math.Float64bits(1.5) ^ 0x5bd1e995)),
	value.Float(-1e300), value.Int(int64(math.Float64bits(-1e300) ^ 0x5bd1e995)), // a boxed integer
	value.Int(0x17), value.EmptyMap, value.Float(math.Float64frombits(0x17 ^ 0x5bd1e995)),
	value.Int(0x13), value.EmptySet, value.Float(math.Float64frombits(0x13 ^ 0x5bd1e995)),
}

// genKey draws keys from a small space, so that keys repeat, share hash chunks and
// collide outright.
func genKey() *rapid.Generator[value.Value] {
	return rapid.OneOf(
		rapid.Map(rapid.IntRange(-50, 3000), func(n int) value.Value { return value.Int(n) }),
		rapid.Map(rapid.StringMatching(`[a-c]{0,3}`), func(s string) value.Value { return value.String(s) }),
		rapid.Map(rapid.StringMatching(`[a-c]{0,2}`), func(s string) value.Value { return value.Keyword(s) }),
		rapid.Map(rapid.IntRange(0, 3), func(n int) value.Value { return value.NewVector([]value.Value{value.Int(n)}) }),
		rapid.Map(rapid.IntRange(0, 3), func(n int) value.Value { return value.NewList(value.Int(n)) }), // = the vector
		rapid.Map(rapid.SampledFrom([]float64{0, negZero, 2.5}), func(f float64) value.Value { return value.Float(f) }),
		rapid.SampledFrom(collidingKeys),
	)
}

// A random history of assoc and dissoc on a guest map matches value.Map at every step
// (get, contains, count), keeps the canonical shape, reads back equal, hashes as
// value.Hash, and equals the model written afresh.
func TestMapModel(t *testing.T) {
	vm := newCollVM(t, mapRoutines...)
	rapid.Check(t, func(rt *rapid.T) {
		vm.reset()
		model := value.EmptyMap
		g := uint64(layout.EmptyMap)
		keys := rapid.SliceOfN(genKey(), 1, 400).Draw(rt, "keys")
		for i, steps := 0, rapid.IntRange(0, 1500).Draw(rt, "steps"); i < steps; i++ {
			k := keys[rapid.IntRange(0, len(keys)-1).Draw(rt, "key")]
			gk := vm.write(k)
			before := g
			if rapid.IntRange(0, 2).Draw(rt, "op") == 0 {
				model = model.Dissoc(k)
				g = vm.call("map_dissoc", g, gk)
			} else {
				x := value.Int(i % 5) // repeated values exercise the unchanged-assoc path
				model = model.Assoc(k, x)
				g = vm.call("map_assoc", g, gk, vm.write(x))
			}
			if int(vm.call32("map_count", g)) != model.Len() {
				rt.Fatalf("count %d, want %d", vm.call32("map_count", g), model.Len())
			}
			if g == before && model.Len() != int(vm.call32("map_count", before)) {
				rt.Fatal("an update that changed the count returned the same map")
			}
			want, ok := model.Get(k)
			got := vm.call("map_get", g, gk, layout.Err)
			if ok != (got != layout.Err) || ok && !same(vm.read(got), want) || (vm.call32("map_contains", g, gk) == 1) != ok {
				rt.Fatalf("get %s after the step: %#x, want %v", value.Print(k), got, want)
			}
		}
		checkMapShape(rt, vm, g)
		if got := vm.read(g); !same(got, model) {
			rt.Fatalf("map reads as %s, want %s", value.Print(got), value.Print(model))
		}
		model.EachUnordered(func(k, v value.Value) bool {
			if got := vm.read(vm.call("map_get", g, vm.write(k), layout.Nil)); !same(got, v) {
				rt.Fatalf("get %s = %s, want %s", value.Print(k), value.Print(got), value.Print(v))
			}
			return true
		})
		if h := vm.call("hash", g); h != value.Hash(model) {
			rt.Fatalf("hash %#x, want %#x", h, value.Hash(model))
		}
		fresh := vm.write(model)
		if vm.call32("equal", g, fresh) != 1 || vm.call32("equal", fresh, g) != 1 {
			rt.Fatal("the map is not equal to the model written afresh")
		}
		entries := vm.read(vm.call("vector_from_map", g)).(*value.Vector)
		back := value.EmptyMap
		entries.Each(func(e value.Value) bool {
			kv := e.(*value.Vector)
			back = back.Assoc(kv.Index(0), kv.Index(1))
			return kv.Len() == 2
		})
		if entries.Len() != model.Len() || !same(back, model) {
			rt.Fatalf("vector_from_map gives %s", value.Print(entries))
		}
	})
}

// Sets follow value.Set the same way.
func TestSetModel(t *testing.T) {
	vm := newCollVM(t, mapRoutines...)
	rapid.Check(t, func(rt *rapid.T) {
		vm.reset()
		model := value.EmptySet
		g := uint64(layout.EmptySet)
		for i, steps := 0, rapid.IntRange(0, 600).Draw(rt, "steps"); i < steps; i++ {
			x := genKey().Draw(rt, "x")
			gx := vm.write(x)
			before := g
			if rapid.IntRange(0, 2).Draw(rt, "op") == 0 {
				model = model.Disj(x)
				g = vm.call("set_disj", g, gx)
			} else {
				had := model.Has(x)
				model = model.Conj(x)
				g = vm.call("set_conj", g, gx)
				if had != (g == before) {
					rt.Fatalf("conj of %s: the set is the same object: %v; it had it: %v", value.Print(x), g == before, had)
				}
			}
			if int(vm.call32("map_count", g)) != model.Len() || (vm.call32("set_contains", g, gx) == 1) != model.Has(x) {
				rt.Fatalf("after a step on %s: count %d, want %d", value.Print(x), vm.call32("map_count", g), model.Len())
			}
		}
		checkMapShape(rt, vm, g)
		if got := vm.read(g); !value.Equal(got, model) {
			rt.Fatalf("set reads as %s, want %s", value.Print(got), value.Print(model))
		}
		if h := vm.call("hash", g); h != value.Hash(model) {
			rt.Fatalf("hash %#x, want %#x", h, value.Hash(model))
		}
		if vm.call32("equal", g, vm.write(model)) != 1 {
			rt.Fatal("the set is not equal to the model written afresh")
		}
		elems := vm.read(vm.call("vector_from_map", g)).(*value.Vector)
		if !value.Equal(value.NewSet(elems.Slice()...), model) || elems.Len() != model.Len() {
			rt.Fatalf("vector_from_map gives %s", value.Print(elems))
		}
	})
}

// A map of 10,000 entries: assoc and dissoc copy one path, not the map; removing every
// key in another order ends at the empty map; NaN keys, equal to nothing, pile up in a
// collision node.
func TestMapBig(t *testing.T) {
	vm := newCollVM(t, mapRoutines...)
	const n = 10000
	g := uint64(layout.EmptyMap)
	for i := 0; i < n; i++ {
		g = vm.call("map_assoc", g, vm.write(value.String(value.Print(value.Int(i)))), layout.Fixnum(int64(i)))
	}
	checkMapShape(t, vm, g)
	key := vm.write(value.String("1234"))
	hp := vm.global(guest.GlobalHP)
	g2 := vm.call("map_assoc", g, key, layout.Fixnum(-1))
	g3 := vm.call("map_dissoc", g, key)
	if used := vm.global(guest.GlobalHP) - hp; used > 2048 {
		t.Fatalf("an assoc and a dissoc on %d entries took %d bytes", n, used)
	}
	if vm.call("map_get", g2, key, layout.Nil) != layout.Fixnum(-1) || vm.call("map_get", g, key, layout.Nil) != layout.Fixnum(1234) ||
		vm.call32("map_contains", g3, key) != 0 || vm.call32("map_count", g3) != n-1 {
		t.Fatal("assoc or dissoc went wrong")
	}
	for i := 0; i < n; i++ {
		g = vm.call("map_dissoc", g, vm.write(value.String(value.Print(value.Int((i*7919)%n)))))
		if i%2500 == 0 {
			checkMapShape(t, vm, g)
		}
	}
	if g != uint64(layout.EmptyMap) {
		t.Fatalf("removing every key leaves %s", value.Print(vm.read(g)))
	}
	nan := vm.write(value.Float(math.NaN()))
	for i := 0; i < 3; i++ {
		g = vm.call("map_assoc", g, nan, layout.Fixnum(int64(i)))
	}
	checkMapShape(t, vm, g)
	if vm.call32("map_count", g) != 3 || vm.call32("map_contains", g, nan) != 0 || vm.call("map_dissoc", g, nan) != g {
		t.Fatal("NaN keys: three entries that no lookup finds")
	}
}
