package guest_test

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
	"testing"

	"github.com/tetratelabs/wazero/api"
	"pgregory.net/rapid"

	"github.com/rtfsvm/rtfsvm/internal/guest"
	"github.com/rtfsvm/rtfsvm/internal/heap"
	"github.com/rtfsvm/rtfsvm/internal/layout"
	"github.com/rtfsvm/rtfsvm/value"
)

// writerRoutines are the exports heap.Writer needs.
var writerRoutines = []string{"alloc", "box_int", "box_float", "list_cons", "vector_conj", "map_assoc", "set_conj"}

// newCollVM is a test VM exporting the writer's routines and the given ones.
func newCollVM(t *testing.T, routines ...string) collVM {
	t.Helper()
	all := slices.Clone(writerRoutines)
	for _, r := range routines {
		if !slices.Contains(all, r) {
			all = append(all, r)
		}
	}
	vm := newTestVM(t, all...)
	return collVM{vm, vm.global(guest.GlobalHP)}
}

// collVM is a test VM whose heap can be emptied between the examples of a property.
type collVM struct {
	*testVM
	heapBase uint64
}

// reset empties the heap (zeroing it, as alloc expects), so that a property test of
// many examples stays within the VM's memory limit.
func (vm collVM) reset() {
	hp := vm.global(guest.GlobalHP)
	if !vm.mod.Memory().Write(uint32(vm.heapBase), make([]byte, hp-vm.heapBase)) {
		vm.t.Fatal("heap outside memory")
	}
	vm.mod.ExportedGlobal(guest.GlobalHP).(api.MutableGlobal).Set(vm.heapBase)
}

// write puts a Go value into the guest.
func (vm *testVM) write(v value.Value) uint64 {
	vm.t.Helper()
	g, err := heap.Writer{In: heap.Module(vm.ctx, vm.mod)}.Write(v)
	if err != nil {
		vm.t.Fatal(err)
	}
	return g
}

// call32 runs a routine with an i32 result (whose upper bits wazero leaves undefined).
func (vm *testVM) call32(name string, args ...uint64) uint32 {
	vm.t.Helper()
	return uint32(vm.call(name, args...))
}

func (vm *testVM) global(name string) uint64 { return vm.mod.ExportedGlobal(name).Get() }

func (vm *testVM) word(addr uint32) uint64 {
	b, ok := vm.mod.Memory().Read(addr, 8)
	if !ok {
		vm.t.Fatalf("read at %#x outside memory", addr)
	}
	return binary.LittleEndian.Uint64(b)
}

func (vm *testVM) u32(addr uint32) uint32 { return uint32(vm.word(addr)) }

func (vm *testVM) typeOf(v uint64) byte { return byte(vm.word(uint32(v))) }

func (vm *testVM) size(v uint64) uint32 { return vm.u32(uint32(v) + layout.HeaderSizeOffset) }

// slot is payload word w of the object v.
func (vm *testVM) slot(v uint64, w uint32) uint64 {
	return vm.word(uint32(v) + layout.HeaderSize + 8*w)
}

// tb is what the shape checks need of a *testing.T or *rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// checkVectorShape checks that vector v has the shape the Go model gives its count:
// leaves of 32, inner nodes with only the children in use, the least shift, and a tail
// holding the rest.
func checkVectorShape(t tb, vm collVM, v uint64) {
	t.Helper()
	count, shift := vm.u32(uint32(v)+layout.CountOffset), vm.u32(uint32(v)+layout.VectorShift)
	off := uint32(0)
	if count >= 32 {
		off = (count - 1) &^ 31
	}
	if n := vm.size(vm.slot(v, 2)); n != count-off {
		t.Fatalf("vector of %d: tail of %d", count, n)
	}
	if shift < 5 || (shift > 5 && off <= 1<<shift) || off > 1<<(shift+5) {
		t.Fatalf("vector of %d: shift %d", count, shift)
	}
	var check func(node uint64, level, n uint32)
	check = func(node uint64, level, n uint32) {
		if vm.typeOf(node) != layout.TypeVNode {
			t.Fatalf("vector of %d: node of type %d", count, vm.typeOf(node))
		}
		if level == 0 {
			if n != 32 || vm.size(node) != 32 {
				t.Fatalf("vector of %d: leaf of %d for %d elements", count, vm.size(node), n)
			}
			return
		}
		per := uint32(1) << level
		kids := (n + per - 1) / per
		if vm.size(node) != kids {
			t.Fatalf("vector of %d: node at level %d has %d children, want %d", count, level, vm.size(node), kids)
		}
		for i := uint32(0); i < kids; i++ {
			check(vm.slot(node, i), level-5, min(per, n-i*per))
		}
	}
	check(vm.slot(v, 1), shift, off)
}

// checkMapShape checks that map or set m is a canonical CHAMP trie holding its count:
// every pair sits at its hash's chunk, collision nodes only where the hash is used up,
// and no child is empty or a lone pair (those fold into their parent).
func checkMapShape(t tb, vm collVM, m uint64) {
	t.Helper()
	var walk func(node uint64, shift uint, root bool) int
	walk = func(node uint64, shift uint, root bool) int {
		switch vm.typeOf(node) {
		case layout.TypeCNode:
			n := vm.size(node) / 2
			if shift < 64 || n < 2 || vm.size(node)%2 != 0 {
				t.Fatalf("collision node of %d words at shift %d", vm.size(node), shift)
			}
			h := value.Hash(vm.read(vm.slot(node, 0)))
			for i := uint32(1); i < n; i++ {
				if value.Hash(vm.read(vm.slot(node, 2*i))) != h {
					t.Fatal("collision node with different hashes")
				}
			}
			return int(n)
		case layout.TypeHNode:
			dm, nm := vm.u32(uint32(node)+layout.HNodeDatamap), vm.u32(uint32(node)+layout.HNodeNodemap)
			pairs, kids := uint32(bits.OnesCount32(dm)), uint32(bits.OnesCount32(nm))
			if dm&nm != 0 || vm.size(node) != 1+2*pairs+kids || shift >= 64 {
				t.Fatalf("bad node at shift %d: datamap %#x nodemap %#x size %d", shift, dm, nm, vm.size(node))
			}
			if !root && (pairs+kids == 0 || pairs == 1 && kids == 0) {
				t.Fatalf("child at shift %d with %d pairs and %d children", shift, pairs, kids)
			}
			i := uint32(0)
			for b := uint32(0); b < 32; b++ {
				if dm&(1<<b) != 0 {
					if h := value.Hash(vm.read(vm.slot(node, 1+2*i))); uint32(h>>shift)&31 != b {
						t.Fatalf("key in slot %d at shift %d hashes to %d", b, shift, uint32(h>>shift)&31)
					}
					i++
				}
			}
			total := int(pairs)
			for j := uint32(0); j < kids; j++ {
				total += walk(vm.slot(node, 1+2*pairs+j), shift+5, false)
			}
			return total
		}
		t.Fatalf("map node of type %d", vm.typeOf(node))
		return 0
	}
	count := int(vm.u32(uint32(m) + layout.CountOffset))
	root := vm.slot(m, 1)
	if root == layout.Nil {
		if count != 0 {
			t.Fatalf("map of %d without a root", count)
		}
		return
	}
	if n := walk(root, 0, true); n != count || count == 0 {
		t.Fatalf("map of count %d holds %d entries", count, n)
	}
}

// same is value equality for comparing a read-back value with the original: like
// value.Equal, but a list differs from a vector, and NaN is itself (NaN is not drawn as
// a map key or set element).
func same(a, b value.Value) bool {
	if a.Kind() != b.Kind() {
		return false
	}
	switch a := a.(type) {
	case value.Float:
		b := b.(value.Float)
		return a == b || math.IsNaN(float64(a)) && math.IsNaN(float64(b))
	case value.Sequential:
		x, y := a.Slice(), b.(value.Sequential).Slice()
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !same(x[i], y[i]) {
				return false
			}
		}
		return true
	case *value.Map:
		b := b.(*value.Map)
		eq := a.Len() == b.Len()
		a.EachUnordered(func(k, v value.Value) bool {
			w, ok := b.Get(k)
			eq = eq && ok && same(v, w)
			return eq
		})
		return eq
	}
	return value.Equal(a, b)
}

// Generators.

var (
	negZero    = math.Copysign(0, -1)
	someFloats = []float64{0, negZero, 1, -1, 1.5, 2.5e-8, 1e300, math.Inf(1), math.Inf(-1), math.SmallestNonzeroFloat64}
	someTexts  = []string{"", "a", "b", "ab", "héllo", "a/b", "0123456789abcdef", "longer text than eight bytes"}
)

// genScalar draws nil, booleans, numbers (boxed ones too), strings, keywords, symbols;
// NaN only when nan.
func genScalar(nan bool) *rapid.Generator[value.Value] {
	floats := slices.Clone(someFloats)
	if nan {
		floats = append(floats, math.NaN())
	}
	v := func(x value.Value) value.Value { return x }
	return rapid.OneOf(
		rapid.Just(v(value.Nil)),
		rapid.Map(rapid.Bool(), func(b bool) value.Value { return value.Bool(b) }),
		rapid.Map(rapid.Int64Range(-40, 40), func(n int64) value.Value { return value.Int(n) }),
		rapid.Map(rapid.SampledFrom([]int64{layout.FixnumMax, layout.FixnumMin, layout.FixnumMax + 1, layout.FixnumMin - 1,
			math.MaxInt64, math.MinInt64}), func(n int64) value.Value { return value.Int(n) }),
		rapid.Map(rapid.Int64(), func(n int64) value.Value { return value.Int(n) }),
		rapid.Map(rapid.SampledFrom(floats), func(f float64) value.Value { return value.Float(f) }),
		rapid.Map(rapid.Float64(), func(f float64) value.Value { return value.Float(f) }),
		rapid.Map(rapid.SampledFrom(someTexts), func(s string) value.Value { return value.String(s) }),
		rapid.Map(rapid.StringN(0, 20, -1), func(s string) value.Value { return value.String(s) }),
		rapid.Map(rapid.SampledFrom(someTexts), func(s string) value.Value { return value.Keyword(s) }),
		rapid.Map(rapid.SampledFrom(someTexts), func(s string) value.Value { return value.Symbol(s) }),
	)
}

// genValue draws values nested up to depth; map keys and set elements never hold NaN,
// other places may when nan.
func genValue(depth int, nan bool) *rapid.Generator[value.Value] {
	if depth == 0 {
		return genScalar(nan)
	}
	elem, key := genValue(depth-1, nan), genValue(depth-1, false)
	return rapid.OneOf(
		genScalar(nan),
		rapid.Map(rapid.SliceOfN(elem, 0, 6), func(xs []value.Value) value.Value { return value.NewList(xs...) }),
		rapid.Map(rapid.SliceOfN(elem, 0, 40), func(xs []value.Value) value.Value { return value.NewVector(xs) }),
		rapid.Map(rapid.SliceOfN(key, 0, 8), func(xs []value.Value) value.Value { return value.NewSet(xs...) }),
		rapid.Custom(func(t *rapid.T) value.Value {
			m := value.EmptyMap
			for i, n := 0, rapid.IntRange(0, 8).Draw(t, "entries"); i < n; i++ {
				m = m.Assoc(key.Draw(t, "key"), elem.Draw(t, "val"))
			}
			return m
		}),
	)
}

// variant is a value equal to v built differently: lists and vectors swapped, -0.0 for
// 0.0, maps and sets filled in another order.
func variant(t *rapid.T, v value.Value) value.Value {
	switch v := v.(type) {
	case value.Float:
		if v == 0 {
			return value.Float(rapid.SampledFrom([]float64{0, negZero}).Draw(t, "zero"))
		}
	case value.Sequential:
		xs := v.Slice()
		for i := range xs {
			xs[i] = variant(t, xs[i])
		}
		if rapid.Bool().Draw(t, "as list") {
			return value.NewList(xs...)
		}
		return value.NewVector(xs)
	case *value.Set:
		xs := rapid.Permutation(v.Elems()).Draw(t, "order")
		s := value.EmptySet
		for _, x := range xs {
			s = s.Conj(variant(t, x))
		}
		return s
	case *value.Map:
		es := rapid.Permutation(v.Entries()).Draw(t, "order")
		m := value.EmptyMap
		for _, e := range es {
			m = m.Assoc(variant(t, e.Key), variant(t, e.Val))
		}
		return m
	}
	return v
}
