package guest_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/rtfsvm/rtfsvm/internal/guest"
	"github.com/rtfsvm/rtfsvm/internal/layout"
	"github.com/rtfsvm/rtfsvm/value"
)

func TestList(t *testing.T) {
	vm := newCollVM(t, "list_first", "list_rest", "coll_count")
	empty := uint64(layout.EmptyList)
	if vm.call("list_first", empty) != layout.Nil || vm.call("list_rest", empty) != empty {
		t.Fatal("the first of () is nil and its rest is ()")
	}
	l := vm.call("list_cons", layout.Fixnum(1), vm.call("list_cons", layout.Fixnum(2), empty))
	if got := value.Print(vm.read(l)); got != "(1 2)" {
		t.Fatalf("(cons 1 (cons 2 ())) reads as %s", got)
	}
	if vm.call("list_first", l) != layout.Fixnum(1) || vm.read(vm.call("list_rest", l)).(*value.List).Len() != 1 {
		t.Fatal("first/rest of (1 2)")
	}
	if vm.call("coll_count", l) != layout.Fixnum(2) {
		t.Fatal("count of (1 2)")
	}
}

// A random history of conj, assoc and pop on a guest vector matches value.Vector (a pop
// is NewVector of the elements but the last), keeps the canonical shape, and leaves
// every earlier version unchanged.
func TestVectorModel(t *testing.T) {
	vm := newCollVM(t, "vector_nth", "vector_assoc", "vector_count", "vector_pop")
	rapid.Check(t, func(rt *rapid.T) {
		vm.reset()
		n := rapid.IntRange(0, 2200).Draw(rt, "n")
		elems := make([]value.Value, n)
		for i := range elems {
			elems[i] = value.Int(i)
		}
		model := value.NewVector(elems)
		g := vm.write(model)
		type version struct {
			model *value.Vector
			g     uint64
		}
		var history []version
		for step, steps := 0, rapid.IntRange(0, 100).Draw(rt, "steps"); step < steps; step++ {
			history = append(history, version{model, g})
			x := value.Int(-step)
			switch op := rapid.IntRange(0, 3).Draw(rt, "op"); {
			case op == 0 && model.Len() > 0:
				// Pop a run, to cross leaf and level boundaries downwards.
				for k := rapid.IntRange(1, 70).Draw(rt, "pops"); k > 0 && model.Len() > 0; k-- {
					model = value.NewVector(model.Slice()[:model.Len()-1])
					g = vm.call("vector_pop", g)
				}
			case op == 1:
				i := rapid.IntRange(0, model.Len()).Draw(rt, "i")
				model = model.Assoc(i, x)
				g = vm.call("vector_assoc", g, uint64(i), vm.write(x))
			default:
				for k := rapid.IntRange(1, 70).Draw(rt, "conjs"); k > 0; k-- {
					model = model.Conj(x)
					g = vm.call("vector_conj", g, vm.write(x))
				}
			}
			checkVectorShape(rt, vm, g)
			if c := vm.call32("vector_count", g); int(c) != model.Len() {
				rt.Fatalf("count %d, want %d", c, model.Len())
			}
		}
		history = append(history, version{model, g})
		for _, h := range history {
			if got := vm.read(h.g); !same(got, h.model) {
				rt.Fatalf("vector reads as %s, want %s", value.Print(got), value.Print(h.model))
			}
			for i := 0; i < h.model.Len(); i += 1 + i/16 {
				if got := vm.read(vm.call("vector_nth", h.g, uint64(i))); !same(got, h.model.Index(i)) {
					rt.Fatalf("nth %d = %s, want %s", i, value.Print(got), value.Print(h.model.Index(i)))
				}
			}
		}
	})
}

// Big vectors go through every trie level up to shift 15 (past 32, 1024 and 32768
// elements) and back down, and an update shares the trie instead of copying it.
func TestVectorLevels(t *testing.T) {
	vm := newCollVM(t, "vector_nth", "vector_assoc", "vector_pop")
	const n = 33*1024 + 40
	g := uint64(layout.EmptyVector)
	for i := 0; i < n; i++ {
		g = vm.call("vector_conj", g, layout.Fixnum(int64(i)))
		if i%1000 == 0 || i == 32 || i == 1056 || i == 32800 {
			checkVectorShape(t, vm, g)
		}
	}
	checkVectorShape(t, vm, g)
	if shift := vm.u32(uint32(g) + layout.VectorShift); shift != 15 {
		t.Fatalf("a vector of %d has shift %d, want 15", n, shift)
	}
	for i := 0; i < n; i += 7 {
		if x := vm.call("vector_nth", g, uint64(i)); x != layout.Fixnum(int64(i)) {
			t.Fatalf("nth %d = %#x", i, x)
		}
	}
	hp := vm.global(guest.GlobalHP)
	g2 := vm.call("vector_assoc", g, 12345, layout.Fixnum(-1))
	g3 := vm.call("vector_conj", g, layout.Fixnum(-2))
	if used := vm.global(guest.GlobalHP) - hp; used > 2048 {
		t.Fatalf("an assoc and a conj on %d elements took %d bytes", n, used)
	}
	if vm.call("vector_nth", g2, 12345) != layout.Fixnum(-1) || vm.call("vector_nth", g, 12345) != layout.Fixnum(12345) ||
		vm.call("vector_nth", g3, n) != layout.Fixnum(-2) {
		t.Fatal("assoc or conj went wrong")
	}
	for i := n; i > 0; i-- {
		g = vm.call("vector_pop", g)
		if i%1000 == 0 || i-1 == 32768 || i-1 == 1024 || i-1 == 1056 || i < 70 {
			checkVectorShape(t, vm, g)
			if i > 1 && vm.call("vector_nth", g, uint64(i-2)) != layout.Fixnum(int64(i-2)) {
				t.Fatalf("after popping to %d, the last element is %#x", i-1, vm.call("vector_nth", g, uint64(i-2)))
			}
		}
	}
	if g != uint64(layout.EmptyVector) || vm.call("vector_pop", g) != g {
		t.Fatal("popping everything ends at the empty vector, which pops to itself")
	}
}

func TestCheckedAccess(t *testing.T) {
	vm := newCollVM(t, "vector_get", "coll_count")
	v := vm.write(value.NewVector([]value.Value{value.Int(10), value.Int(11)}))
	if vm.call("vector_get", v, layout.Fixnum(1)) != layout.Fixnum(11) {
		t.Fatal("vector_get [10 11] 1")
	}
	for _, tt := range []struct {
		i    value.Value
		code int
	}{
		{value.Int(2), guest.ErrIndex}, {value.Int(-1), guest.ErrIndex}, {value.Int(1 << 62), guest.ErrIndex},
		{value.Float(0), guest.ErrNotIndex}, {value.Nil, guest.ErrNotIndex},
	} {
		vm.raised = nil
		if r := vm.call("vector_get", v, vm.write(tt.i)); r != layout.Err || len(vm.raised) != 1 || vm.raised[0] != tt.code {
			t.Errorf("vector_get %s = %#x, raised %v; want code %d", value.Print(tt.i), r, vm.raised, tt.code)
		}
	}
	for _, tt := range []struct {
		v    value.Value
		want int64
	}{
		{value.Nil, 0}, {value.String("héllo"), 5}, {value.NewList(value.Int(1)), 1},
		{value.NewSet(value.Int(1), value.Int(2)), 2}, {value.EmptyMap.Assoc(value.Nil, value.Nil), 1},
	} {
		if got := vm.call("coll_count", vm.write(tt.v)); got != layout.Fixnum(tt.want) {
			t.Errorf("coll_count %s = %#x", value.Print(tt.v), got)
		}
	}
	vm.raised = nil
	if r := vm.call("coll_count", layout.Fixnum(3)); r != layout.Err || len(vm.raised) != 1 || vm.raised[0] != guest.ErrNotCollection {
		t.Errorf("coll_count 3 = %#x, raised %v", r, vm.raised)
	}
}
