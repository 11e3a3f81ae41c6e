package guest

import (
	"github.com/rtfsvm/rtfsvm/internal/layout"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
)

// A vector is the 32-way trie with a tail of value/vector.go: the last 1..32 elements
// live in the tail node, the others in leaves of exactly 32 elements under the root, a
// trie of depth shift/5. A node's slot count is its payload size, so inner nodes hold
// only the children in use and the tail only its elements. Every shape is the one the Go
// model builds for the same elements, whatever the history of the vector (conj, assoc,
// pop).

const (
	vbits  = layout.VectorBits
	vwidth = layout.VectorWidth
	vmask  = vwidth - 1
)

// tailOff is the number of elements in the trie of a vector of count elements (an i32
// local, used twice).
func tailOff(count X) X {
	return Select(C32(0), And32(Sub32(count, C32(1)), C32(^vmask)), LtU32(count, C32(vwidth)))
}

// vectorFields loads the count, shift, root and tail of vector v into fresh locals.
func vectorFields(f *Func, v X) (count, shift Local, root, tail Local) {
	count, shift, root, tail = f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I64), f.NewLocal(I64)
	f.Set(count, Load32(Ptr(v), layout.CountOffset))
	f.Set(shift, Load32(Ptr(v), layout.VectorShift))
	f.Set(root, Load64(Ptr(v), layout.VectorRoot))
	f.Set(tail, Load64(Ptr(v), layout.VectorTail))
	return
}

// newNode allocates a vector node of n slots and returns its address in a fresh local.
func newNode(rt *Runtime, f *Func, n int32) Local {
	p := f.NewLocal(I32)
	f.Set(p, Call(rt.Fn("alloc"), C32(layout.TypeVNode), C32(n)))
	return p
}

func init() {
	// vector_make(count, shift, root, tail) -> a new vector header.
	define("vector_make", []ValType{I32, I32, I64, I64}, i64, func(rt *Runtime, f *Func) {
		p := f.NewLocal(I32)
		f.Set(p, Call(rt.Fn("alloc"), C32(layout.TypeVector), C32(3)))
		f.Store32(p.Get(), layout.CountOffset, f.Param(0).Get())
		f.Store32(p.Get(), layout.VectorShift, f.Param(1).Get())
		f.Store64(p.Get(), layout.VectorRoot, f.Param(2).Get())
		f.Store64(p.Get(), layout.VectorTail, f.Param(3).Get())
		f.Result(ExtendU(p.Get()))
	})
	// vector_count(v) -> the number of elements.
	define("vector_count", i64, i32, func(rt *Runtime, f *Func) {
		f.Result(collCount(f.Param(0).Get()))
	})
	// vector_leaf(root, shift, i) -> the leaf of the trie that holds element i.
	define("vector_leaf", []ValType{I64, I32, I32}, i64, func(rt *Runtime, f *Func) {
		node, level, i := f.Param(0), f.Param(1), f.Param(2)
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, Eqz32(level.Get()))
				f.Set(node, slot(Ptr(node.Get()), And32(ShrU32(i.Get(), level.Get()), C32(vmask))))
				f.Set(level, Sub32(level.Get(), C32(vbits)))
				f.Br(again)
			})
		})
		f.Result(node.Get())
	})
	// vector_nth(v, i) -> element i; the caller checks 0 <= i < count.
	define("vector_nth", []ValType{I64, I32}, i64, func(rt *Runtime, f *Func) {
		v, i := f.Param(0), f.Param(1)
		count, shift, root, tail := vectorFields(f, v.Get())
		f.If(GeU32(i.Get(), tailOff(count.Get())), func() {
			f.Return(slot(Ptr(tail.Get()), And32(i.Get(), C32(vmask))))
		}, nil)
		f.Result(slot(Ptr(Call(rt.Fn("vector_leaf"), root.Get(), shift.Get(), i.Get())), And32(i.Get(), C32(vmask))))
	})
	// vector_conj(v, x) -> v with x appended.
	define("vector_conj", i64x2, i64, func(rt *Runtime, f *Func) {
		v, x := f.Param(0), f.Param(1)
		count, shift, root, tail := vectorFields(f, v.Get())
		n, t := f.NewLocal(I32), f.NewLocal(I32)
		f.Set(n, sizeOf(Ptr(tail.Get())))
		f.If(LtU32(n.Get(), C32(vwidth)), func() {
			// Room in the tail: copy it one slot longer.
			f.Set(t, Call(rt.Fn("obj_splice"), Ptr(tail.Get()), C32(0), C32(0), n.Get(), C32(1)))
			setSlot(f, t.Get(), n.Get(), x.Get())
			f.Return(Call(rt.Fn("vector_make"), Add32(count.Get(), C32(1)), shift.Get(), root.Get(), ExtendU(t.Get())))
		}, nil)
		// The full tail becomes a leaf of the trie (shared, not copied); x starts a new tail.
		f.If(GtU32(ShrU32(count.Get(), C32(vbits)), Shl32(C32(1), shift.Get())), func() {
			// The trie is full: a new root over the old one and a path to the leaf.
			r := newNode(rt, f, 2)
			setSlot(f, r.Get(), C32(0), root.Get())
			setSlot(f, r.Get(), C32(1), Call(rt.Fn("vector_path"), shift.Get(), tail.Get()))
			f.Set(root, ExtendU(r.Get()))
			f.Set(shift, Add32(shift.Get(), C32(vbits)))
		}, func() {
			f.Set(root, Call(rt.Fn("vector_push_leaf"), count.Get(), shift.Get(), root.Get(), tail.Get()))
		})
		f.Set(t, Call(rt.Fn("alloc"), C32(layout.TypeVNode), C32(1)))
		setSlot(f, t.Get(), C32(0), x.Get())
		f.Result(Call(rt.Fn("vector_make"), Add32(count.Get(), C32(1)), shift.Get(), root.Get(), ExtendU(t.Get())))
	})
	// vector_path(level, node) -> node under a chain of single-child nodes, level/5 deep.
	define("vector_path", []ValType{I32, I64}, i64, func(rt *Runtime, f *Func) {
		level, node := f.Param(0), f.Param(1)
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, Eqz32(level.Get()))
				p := newNode(rt, f, 1)
				setSlot(f, p.Get(), C32(0), node.Get())
				f.Set(node, ExtendU(p.Get()))
				f.Set(level, Sub32(level.Get(), C32(vbits)))
				f.Br(again)
			})
		})
		f.Result(node.Get())
	})
	// vector_push_leaf(count, level, parent, leaf) -> a copy of parent with leaf added
	// as the last leaf, for a vector of count elements whose full tail is leaf.
	define("vector_push_leaf", []ValType{I32, I32, I64, I64}, i64, func(rt *Runtime, f *Func) {
		count, level, parent, leaf := f.Param(0), f.Param(1), f.Param(2), f.Param(3)
		sub, n, c := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		child := f.NewLocal(I64)
		f.Set(sub, And32(ShrU32(Sub32(count.Get(), C32(1)), level.Get()), C32(vmask)))
		f.Set(n, sizeOf(Ptr(parent.Get())))
		f.If(Eq32(level.Get(), C32(vbits)), func() {
			f.Set(child, leaf.Get())
		}, func() {
			f.If(LtU32(sub.Get(), n.Get()), func() {
				f.Set(child, Call(rt.Fn("vector_push_leaf"), count.Get(), Sub32(level.Get(), C32(vbits)),
					slot(Ptr(parent.Get()), sub.Get()), leaf.Get()))
			}, func() {
				f.Set(child, Call(rt.Fn("vector_path"), Sub32(level.Get(), C32(vbits)), leaf.Get()))
			})
		})
		// sub is an existing slot or the next one.
		f.Set(c, Call(rt.Fn("obj_splice"), Ptr(parent.Get()), C32(0), C32(0), n.Get(), Select(C32(0), C32(1), LtU32(sub.Get(), n.Get()))))
		setSlot(f, c.Get(), sub.Get(), child.Get())
		f.Result(ExtendU(c.Get()))
	})
	// vector_assoc(v, i, x) -> v with element i replaced by x, or x appended when i is
	// the count; the caller checks 0 <= i <= count.
	define("vector_assoc", []ValType{I64, I32, I64}, i64, func(rt *Runtime, f *Func) {
		v, i, x := f.Param(0), f.Param(1), f.Param(2)
		count, shift, root, tail := vectorFields(f, v.Get())
		t := f.NewLocal(I32)
		f.If(Eq32(i.Get(), count.Get()), func() { f.Return(Call(rt.Fn("vector_conj"), v.Get(), x.Get())) }, nil)
		f.If(GeU32(i.Get(), tailOff(count.Get())), func() {
			f.Set(t, Call(rt.Fn("obj_splice"), Ptr(tail.Get()), C32(0), C32(0), C32(0), C32(0)))
			setSlot(f, t.Get(), And32(i.Get(), C32(vmask)), x.Get())
			f.Return(Call(rt.Fn("vector_make"), count.Get(), shift.Get(), root.Get(), ExtendU(t.Get())))
		}, nil)
		f.Result(Call(rt.Fn("vector_make"), count.Get(), shift.Get(),
			Call(rt.Fn("vector_assoc_path"), shift.Get(), root.Get(), i.Get(), x.Get()), tail.Get()))
	})
	// vector_assoc_path(level, node, i, x) -> a copy of the path from node to element i,
	// with x in its place.
	define("vector_assoc_path", []ValType{I32, I64, I32, I64}, i64, func(rt *Runtime, f *Func) {
		level, node, i, x := f.Param(0), f.Param(1), f.Param(2), f.Param(3)
		c, sub := f.NewLocal(I32), f.NewLocal(I32)
		f.Set(c, Call(rt.Fn("obj_splice"), Ptr(node.Get()), C32(0), C32(0), C32(0), C32(0)))
		f.If(Eqz32(level.Get()), func() {
			setSlot(f, c.Get(), And32(i.Get(), C32(vmask)), x.Get())
		}, func() {
			f.Set(sub, And32(ShrU32(i.Get(), level.Get()), C32(vmask)))
			setSlot(f, c.Get(), sub.Get(), Call(rt.Fn("vector_assoc_path"), Sub32(level.Get(), C32(vbits)),
				slot(Ptr(node.Get()), sub.Get()), i.Get(), x.Get()))
		})
		f.Result(ExtendU(c.Get()))
	})
	// vector_pop(v) -> v without its last element; the empty vector stays empty.
	define("vector_pop", i64, i64, func(rt *Runtime, f *Func) {
		v := f.Param(0)
		count, shift, root, tail := vectorFields(f, v.Get())
		n := f.NewLocal(I32)
		leaf := f.NewLocal(I64)
		f.If(Eqz32(count.Get()), func() { f.Return(v.Get()) }, nil)
		f.If(Eq32(count.Get(), C32(1)), func() { f.Return(Const(rt.EmptyVector)) }, nil)
		f.Set(n, sizeOf(Ptr(tail.Get())))
		f.If(GtU32(n.Get(), C32(1)), func() {
			f.Return(Call(rt.Fn("vector_make"), Sub32(count.Get(), C32(1)), shift.Get(), root.Get(),
				ExtendU(Call(rt.Fn("obj_splice"), Ptr(tail.Get()), Sub32(n.Get(), C32(1)), C32(1), C32(0), C32(0)))))
		}, nil)
		// The tail empties: the last leaf of the trie becomes the tail.
		f.Set(leaf, Call(rt.Fn("vector_leaf"), root.Get(), shift.Get(), Sub32(count.Get(), C32(2))))
		f.Set(root, Call(rt.Fn("vector_pop_tail"), count.Get(), shift.Get(), root.Get()))
		f.If(Eq64(root.Get(), Const(layout.Nil)), func() {
			f.Set(root, Load64(Ptr(Const(rt.EmptyVector)), layout.VectorRoot))
		}, nil)
		// A root left with one child gives way to it.
		f.If(And32(GtU32(shift.Get(), C32(vbits)), Eq32(sizeOf(Ptr(root.Get())), C32(1))), func() {
			f.Set(root, slot(Ptr(root.Get()), C32(0)))
			f.Set(shift, Sub32(shift.Get(), C32(vbits)))
		}, nil)
		f.Result(Call(rt.Fn("vector_make"), Sub32(count.Get(), C32(1)), shift.Get(), root.Get(), leaf.Get()))
	})
	// vector_pop_tail(count, level, node) -> node without the last leaf of a vector of
	// count elements (whose tail holds one element), or nil when nothing is left of it.
	define("vector_pop_tail", []ValType{I32, I32, I64}, i64, func(rt *Runtime, f *Func) {
		count, level, node := f.Param(0), f.Param(1), f.Param(2)
		sub, c := f.NewLocal(I32), f.NewLocal(I32)
		child := f.NewLocal(I64)
		f.Set(sub, And32(ShrU32(Sub32(count.Get(), C32(2)), level.Get()), C32(vmask)))
		f.If(GtU32(level.Get(), C32(vbits)), func() {
			f.Set(child, Call(rt.Fn("vector_pop_tail"), count.Get(), Sub32(level.Get(), C32(vbits)), slot(Ptr(node.Get()), sub.Get())))
			f.If(Ne64(child.Get(), Const(layout.Nil)), func() {
				f.Set(c, Call(rt.Fn("obj_splice"), Ptr(node.Get()), C32(0), C32(0), C32(0), C32(0)))
				setSlot(f, c.Get(), sub.Get(), child.Get())
				f.Return(ExtendU(c.Get()))
			}, nil)
		}, nil)
		// The child at sub (the last one) goes away, and with it this node if it was alone.
		f.If(Eqz32(sub.Get()), func() { f.Return(Const(layout.Nil)) }, nil)
		f.Result(ExtendU(Call(rt.Fn("obj_splice"), Ptr(node.Get()), sub.Get(), C32(1), C32(0), C32(0))))
	})
}
