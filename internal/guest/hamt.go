package guest

import (
	"github.com/rtfsvm/rtfsvm/internal/layout"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
)

// Maps and sets are the CHAMP tries of value/hamt.go. An HNode's payload is its bitmap
// word (datamap in the low half, nodemap in the high half), then the key/value pairs of
// the bits of datamap in bit order, then the children of the bits of nodemap in bit
// order; each level uses the next 5 bits of the key's 64-bit hash. Where the hash is
// used up, a CNode holds the colliding pairs. A map is its count and root (nil when
// empty); a set is the same with every value true. Updates follow the Go model step for
// step, so both build the same shape for the same keys, and dissoc keeps it canonical:
// a child left with one entry and no children folds into its parent.
//
// Payload words of an HNode: 0 is the bitmaps, key i is 1+2i and its value 2+2i, child
// j is 1+2*pairs+j. Of a CNode: key i is 2i, its value 2i+1.

const (
	hbits    = 5
	maxShift = 64 // past the last 5-bit chunk of the hash: only collision nodes remain
)

// chunkBit is the bit of the hash's 5-bit chunk at shift (an i32).
func chunkBit(hash, shift X) X {
	return Shl32(C32(1), And32(Wrap(ShrU64(hash, ExtendU(shift))), C32(1<<hbits-1)))
}

// below counts the bits of bitmap under bit (the index of bit's entry or child).
func below(bitmap, bit X) X { return Popcnt32(And32(bitmap, Sub32(bit, C32(1)))) }

func datamap(p X) X { return Load32(p, layout.HNodeDatamap) }
func nodemap(p X) X { return Load32(p, layout.HNodeNodemap) }

// bitmaps is the bitmap word of an HNode.
func bitmaps(dm, nm X) X { return Or64(ExtendU(dm), Shl64(ExtendU(nm), C64(32))) }

// eachNodeEntry emits loops over the pairs of the map node at p (an i32 local), then
// over its children.
func eachNodeEntry(f *Func, p Local, entry func(k, v Local), child func(c Local)) {
	base, pairs, kids, i := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
	k, v := f.NewLocal(I64), f.NewLocal(I64)
	f.If(Eq32(Load8U(p.Get(), layout.HeaderTypeOffset), C32(layout.TypeCNode)), func() {
		f.Set(base, C32(0))
		f.Set(pairs, ShrU32(sizeOf(p.Get()), C32(1)))
		f.Set(kids, C32(0))
	}, func() {
		f.Set(base, C32(1))
		f.Set(pairs, Popcnt32(datamap(p.Get())))
		f.Set(kids, Popcnt32(nodemap(p.Get())))
	})
	loop := func(n Local, body func()) {
		f.Set(i, C32(0))
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, GeU32(i.Get(), n.Get()))
				body()
				f.Set(i, Add32(i.Get(), C32(1)))
				f.Br(again)
			})
		})
	}
	loop(pairs, func() {
		f.Set(k, slot(p.Get(), Add32(base.Get(), Shl32(i.Get(), C32(1)))))
		f.Set(v, slot(p.Get(), Add32(Add32(base.Get(), Shl32(i.Get(), C32(1))), C32(1))))
		entry(k, v)
	})
	loop(kids, func() {
		f.Set(k, slot(p.Get(), Add32(Add32(base.Get(), Shl32(pairs.Get(), C32(1))), i.Get())))
		child(k)
	})
}

// eachCollisionKey emits a scan of the collision node at p for key k: found runs with
// i at the word of the equal key (and must return). n and i are scratch locals; i must
// start at 0.
func eachCollisionKey(rt *Runtime, f *Func, p, n, i, k Local, found func()) {
	f.Set(n, sizeOf(p.Get()))
	f.Block(func(done Label) {
		f.Loop(func(again Label) {
			f.BrIf(done, GeU32(i.Get(), n.Get()))
			f.If(Call(rt.Fn("equal"), slot(p.Get(), i.Get()), k.Get()), found, nil)
			f.Set(i, Add32(i.Get(), C32(2)))
			f.Br(again)
		})
	})
}

func init() {
	// hamt_find(node, k, hash) -> the value of key k (whose hash is given) in the trie
	// under node (nil for none), or Err when it is absent: no value is ever Err.
	define("hamt_find", []ValType{I64, I64, I64}, i64, func(rt *Runtime, f *Func) {
		node, k, hash := f.Param(0), f.Param(1), f.Param(2)
		p, shift, bit, i, n := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		f.If(Eq64(node.Get(), Const(layout.Nil)), func() { f.Return(Const(layout.Err)) }, nil)
		f.Set(p, Ptr(node.Get()))
		f.Loop(func(down Label) {
			f.If(Eq32(Load8U(p.Get(), layout.HeaderTypeOffset), C32(layout.TypeCNode)), func() {
				eachCollisionKey(rt, f, p, n, i, k, func() { f.Return(slot(p.Get(), Add32(i.Get(), C32(1)))) })
				f.Return(Const(layout.Err))
			}, nil)
			f.Set(bit, chunkBit(hash.Get(), shift.Get()))
			f.If(And32(datamap(p.Get()), bit.Get()), func() {
				f.Set(i, Add32(C32(1), Shl32(below(datamap(p.Get()), bit.Get()), C32(1))))
				f.If(Call(rt.Fn("equal"), slot(p.Get(), i.Get()), k.Get()), func() {
					f.Return(slot(p.Get(), Add32(i.Get(), C32(1))))
				}, nil)
				f.Return(Const(layout.Err))
			}, nil)
			f.If(And32(nodemap(p.Get()), bit.Get()), func() {
				f.Set(p, Ptr(slot(p.Get(), Add32(Add32(C32(1), Shl32(Popcnt32(datamap(p.Get())), C32(1))),
					below(nodemap(p.Get()), bit.Get())))))
				f.Set(shift, Add32(shift.Get(), C32(hbits)))
				f.Br(down)
			}, nil)
		})
		f.Result(Const(layout.Err))
	})
	// hamt_assoc(node, k, v, hash, shift, keep) -> (the node with k mapped to v, 1 when k
	// is new). keep (for sets) leaves an existing key as it is; otherwise the new key
	// and value replace the old pair, as in the Go model. An update that changes nothing
	// returns node itself.
	define("hamt_assoc", []ValType{I64, I64, I64, I64, I32, I32}, []ValType{I64, I32}, func(rt *Runtime, f *Func) {
		node, k, v, hash, shift, keep := f.Param(0), f.Param(1), f.Param(2), f.Param(3), f.Param(4), f.Param(5)
		p, c, n, i, bit, dm, nm := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		old, sub := f.NewLocal(I64), f.NewLocal(I64)
		added := f.NewLocal(I32)
		splice := func(rm, rmN, ins, insN X) X { return Call(rt.Fn("obj_splice"), p.Get(), rm, rmN, ins, insN) }
		// replace handles k equal to the key at word i: with keep, or when the pair is
		// already k and v, nothing changes; otherwise a copy of the node holds k and v.
		replace := func() {
			f.If(Or32(keep.Get(), And32(Eq64(slot(p.Get(), i.Get()), k.Get()), Eq64(slot(p.Get(), Add32(i.Get(), C32(1))), v.Get()))),
				func() { f.Return(node.Get(), C32(0)) }, nil)
			f.Set(c, splice(C32(0), C32(0), C32(0), C32(0)))
			setSlot(f, c.Get(), i.Get(), k.Get())
			setSlot(f, c.Get(), Add32(i.Get(), C32(1)), v.Get())
			f.Return(ExtendU(c.Get()), C32(0))
		}
		f.Set(p, Ptr(node.Get()))
		f.If(isType(node.Get(), layout.TypeCNode), func() {
			eachCollisionKey(rt, f, p, n, i, k, replace)
			f.Set(c, splice(C32(0), C32(0), n.Get(), C32(2)))
			setSlot(f, c.Get(), n.Get(), k.Get())
			setSlot(f, c.Get(), Add32(n.Get(), C32(1)), v.Get())
			f.Return(ExtendU(c.Get()), C32(1))
		}, nil)
		f.Set(bit, chunkBit(hash.Get(), shift.Get()))
		f.Set(dm, datamap(p.Get()))
		f.Set(nm, nodemap(p.Get()))
		f.If(And32(dm.Get(), bit.Get()), func() {
			f.Set(i, Add32(C32(1), Shl32(below(dm.Get(), bit.Get()), C32(1))))
			f.Set(old, slot(p.Get(), i.Get()))
			f.If(Call(rt.Fn("equal"), old.Get(), k.Get()), replace, nil)
			// Two keys meet in this slot: they move down into a new child, which takes
			// the place of the pair among the children.
			f.Set(sub, Call(rt.Fn("hamt_pair"), old.Get(), slot(p.Get(), Add32(i.Get(), C32(1))), Call(rt.Fn("hash"), old.Get()),
				k.Get(), v.Get(), hash.Get(), Add32(shift.Get(), C32(hbits))))
			// Its word once the pair is gone: after the other pairs, among the children.
			f.Set(n, Add32(Add32(C32(1), Shl32(Sub32(Popcnt32(dm.Get()), C32(1)), C32(1))), below(nm.Get(), bit.Get())))
			f.Set(c, splice(i.Get(), C32(2), n.Get(), C32(1)))
			f.Store64(c.Get(), layout.HNodeDatamap, bitmaps(Xor32(dm.Get(), bit.Get()), Or32(nm.Get(), bit.Get())))
			setSlot(f, c.Get(), n.Get(), sub.Get())
			f.Return(ExtendU(c.Get()), C32(1))
		}, nil)
		f.If(And32(nm.Get(), bit.Get()), func() {
			f.Set(i, Add32(Add32(C32(1), Shl32(Popcnt32(dm.Get()), C32(1))), below(nm.Get(), bit.Get())))
			set2(f, sub, added, Call(rt.Fn("hamt_assoc"), slot(p.Get(), i.Get()), k.Get(), v.Get(), hash.Get(),
				Add32(shift.Get(), C32(hbits)), keep.Get()))
			f.If(Eq64(sub.Get(), slot(p.Get(), i.Get())), func() { f.Return(node.Get(), C32(0)) }, nil)
			f.Set(c, splice(C32(0), C32(0), C32(0), C32(0)))
			setSlot(f, c.Get(), i.Get(), sub.Get())
			f.Return(ExtendU(c.Get()), added.Get())
		}, nil)
		// A free slot: the pair goes in.
		f.Set(i, Add32(C32(1), Shl32(below(dm.Get(), bit.Get()), C32(1))))
		f.Set(c, splice(C32(0), C32(0), i.Get(), C32(2)))
		f.Store64(c.Get(), layout.HNodeDatamap, bitmaps(Or32(dm.Get(), bit.Get()), nm.Get()))
		setSlot(f, c.Get(), i.Get(), k.Get())
		setSlot(f, c.Get(), Add32(i.Get(), C32(1)), v.Get())
		f.Emit(ExtendU(c.Get()), C32(1))
	})
	// hamt_pair(k1, v1, h1, k2, v2, h2, shift) -> the node holding two pairs whose
	// hashes agree below shift.
	define("hamt_pair", []ValType{I64, I64, I64, I64, I64, I64, I32}, i64, func(rt *Runtime, f *Func) {
		k1, v1, h1, k2, v2, h2, shift := f.Param(0), f.Param(1), f.Param(2), f.Param(3), f.Param(4), f.Param(5), f.Param(6)
		p, b1, b2 := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		store := func(w int32, x X) { setSlot(f, p.Get(), C32(w), x) }
		f.If(GeU32(shift.Get(), C32(maxShift)), func() {
			f.Set(p, Call(rt.Fn("alloc"), C32(layout.TypeCNode), C32(4)))
			store(0, k1.Get())
			store(1, v1.Get())
			store(2, k2.Get())
			store(3, v2.Get())
			f.Return(ExtendU(p.Get()))
		}, nil)
		f.Set(b1, chunkBit(h1.Get(), shift.Get()))
		f.Set(b2, chunkBit(h2.Get(), shift.Get()))
		f.If(Eq32(b1.Get(), b2.Get()), func() {
			f.Set(p, Call(rt.Fn("alloc"), C32(layout.TypeHNode), C32(2)))
			store(0, bitmaps(C32(0), b1.Get()))
			store(1, Call(rt.Fn("hamt_pair"), k1.Get(), v1.Get(), h1.Get(), k2.Get(), v2.Get(), h2.Get(), Add32(shift.Get(), C32(hbits))))
			f.Return(ExtendU(p.Get()))
		}, nil)
		f.Set(p, Call(rt.Fn("alloc"), C32(layout.TypeHNode), C32(5)))
		store(0, bitmaps(Or32(b1.Get(), b2.Get()), C32(0)))
		f.If(LtU32(b1.Get(), b2.Get()), func() {
			store(1, k1.Get())
			store(2, v1.Get())
			store(3, k2.Get())
			store(4, v2.Get())
		}, func() {
			store(1, k2.Get())
			store(2, v2.Get())
			store(3, k1.Get())
			store(4, v1.Get())
		})
		f.Result(ExtendU(p.Get()))
	})
	// hamt_dissoc(node, k, hash, shift) -> the node without key k; node itself when k
	// is absent (otherwise always a new node).
	define("hamt_dissoc", []ValType{I64, I64, I64, I32}, i64, func(rt *Runtime, f *Func) {
		node, k, hash, shift := f.Param(0), f.Param(1), f.Param(2), f.Param(3)
		p, q, c, n, i, j, bit, dm, nm := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32),
			f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		sub := f.NewLocal(I64)
		f.Set(p, Ptr(node.Get()))
		f.If(isType(node.Get(), layout.TypeCNode), func() {
			eachCollisionKey(rt, f, p, n, i, k, func() {
				f.Return(ExtendU(Call(rt.Fn("obj_splice"), p.Get(), i.Get(), C32(2), C32(0), C32(0))))
			})
			f.Return(node.Get())
		}, nil)
		f.Set(bit, chunkBit(hash.Get(), shift.Get()))
		f.Set(dm, datamap(p.Get()))
		f.Set(nm, nodemap(p.Get()))
		f.If(And32(dm.Get(), bit.Get()), func() {
			f.Set(i, Add32(C32(1), Shl32(below(dm.Get(), bit.Get()), C32(1))))
			f.If(Eqz32(Call(rt.Fn("equal"), slot(p.Get(), i.Get()), k.Get())), func() { f.Return(node.Get()) }, nil)
			f.Set(c, Call(rt.Fn("obj_splice"), p.Get(), i.Get(), C32(2), C32(0), C32(0)))
			f.Store64(c.Get(), layout.HNodeDatamap, bitmaps(Xor32(dm.Get(), bit.Get()), nm.Get()))
			f.Return(ExtendU(c.Get()))
		}, nil)
		f.If(Eqz32(And32(nm.Get(), bit.Get())), func() { f.Return(node.Get()) }, nil)
		f.Set(j, Add32(Add32(C32(1), Shl32(Popcnt32(dm.Get()), C32(1))), below(nm.Get(), bit.Get())))
		f.Set(sub, Call(rt.Fn("hamt_dissoc"), slot(p.Get(), j.Get()), k.Get(), hash.Get(), Add32(shift.Get(), C32(hbits))))
		f.If(Eq64(sub.Get(), slot(p.Get(), j.Get())), func() { f.Return(node.Get()) }, nil)
		// A child left with a single pair and no children gives the pair back to this node.
		f.Set(q, Ptr(sub.Get()))
		f.Set(n, Select(C32(0), C32(1), isType(sub.Get(), layout.TypeCNode))) // the word of its first key
		f.If(Select(Eq32(sizeOf(q.Get()), C32(2)), And32(Eqz32(nodemap(q.Get())), Eq32(Popcnt32(datamap(q.Get())), C32(1))),
			isType(sub.Get(), layout.TypeCNode)), func() {
			f.Set(i, Add32(C32(1), Shl32(below(dm.Get(), bit.Get()), C32(1))))
			f.Set(c, Call(rt.Fn("obj_splice"), p.Get(), j.Get(), C32(1), i.Get(), C32(2)))
			f.Store64(c.Get(), layout.HNodeDatamap, bitmaps(Or32(dm.Get(), bit.Get()), Xor32(nm.Get(), bit.Get())))
			setSlot(f, c.Get(), i.Get(), slot(q.Get(), n.Get()))
			setSlot(f, c.Get(), Add32(i.Get(), C32(1)), slot(q.Get(), Add32(n.Get(), C32(1))))
			f.Return(ExtendU(c.Get()))
		}, nil)
		f.Set(c, Call(rt.Fn("obj_splice"), p.Get(), C32(0), C32(0), C32(0), C32(0)))
		setSlot(f, c.Get(), j.Get(), sub.Get())
		f.Result(ExtendU(c.Get()))
	})
	// hamt_hash(node, set) -> the sum of the hashes of the entries under node, as
	// value.Hash sums them: a set's elements, or a map's mixed key and value hashes.
	define("hamt_hash", []ValType{I64, I32}, i64, func(rt *Runtime, f *Func) {
		node, set := f.Param(0), f.Param(1)
		p := f.NewLocal(I32)
		h := f.NewLocal(I64)
		hash := func(x Local) X { return Call(rt.Fn("hash"), x.Get()) }
		f.If(Eq64(node.Get(), Const(layout.Nil)), func() { f.Return(C64(0)) }, nil)
		f.Set(p, Ptr(node.Get()))
		eachNodeEntry(f, p, func(k, v Local) {
			f.If(set.Get(), func() { f.Set(h, Add64(h.Get(), hash(k))) }, func() {
				f.Set(h, Add64(h.Get(), Call(rt.Fn("mix"), Xor64(hash(k), Mul64(hash(v), C64(31))))))
			})
		}, func(c Local) {
			f.Set(h, Add64(h.Get(), Call(rt.Fn("hamt_hash"), c.Get(), set.Get())))
		})
		f.Result(h.Get())
	})
	// hamt_subset(node, other, set) -> 1 when every key under node is in the trie other
	// with an equal value (for a set, just there).
	define("hamt_subset", []ValType{I64, I64, I32}, i32, func(rt *Runtime, f *Func) {
		node, other, set := f.Param(0), f.Param(1), f.Param(2)
		p := f.NewLocal(I32)
		found := f.NewLocal(I64)
		f.Set(p, Ptr(node.Get()))
		eachNodeEntry(f, p, func(k, v Local) {
			f.Set(found, Call(rt.Fn("hamt_find"), other.Get(), k.Get(), Call(rt.Fn("hash"), k.Get())))
			f.If(Eq64(found.Get(), Const(layout.Err)), func() { f.Return(C32(0)) }, nil)
			f.If(Eqz32(set.Get()), func() {
				f.If(Eqz32(Call(rt.Fn("equal"), v.Get(), found.Get())), func() { f.Return(C32(0)) }, nil)
			}, nil)
		}, func(c Local) {
			f.If(Eqz32(Call(rt.Fn("hamt_subset"), c.Get(), other.Get(), set.Get())), func() { f.Return(C32(0)) }, nil)
		})
		f.Result(C32(1))
	})
	// hamt_into_vector(node, acc, set) -> acc with the entries under node appended: a
	// set's elements, or a map's [k v] pairs.
	define("hamt_into_vector", []ValType{I64, I64, I32}, i64, func(rt *Runtime, f *Func) {
		node, acc, set := f.Param(0), f.Param(1), f.Param(2)
		p := f.NewLocal(I32)
		f.Set(p, Ptr(node.Get()))
		eachNodeEntry(f, p, func(k, v Local) {
			f.If(set.Get(), func() { f.Set(acc, Call(rt.Fn("vector_conj"), acc.Get(), k.Get())) }, func() {
				f.Set(acc, Call(rt.Fn("vector_conj"), acc.Get(), Call(rt.Fn("vector_pair"), k.Get(), v.Get())))
			})
		}, func(c Local) {
			f.Set(acc, Call(rt.Fn("hamt_into_vector"), c.Get(), acc.Get(), set.Get()))
		})
		f.Result(acc.Get())
	})

	// The map and set routines. A set is a map whose values are all true; the routines
	// that serve both keep the type of the collection they are given.

	// map_get(m, k, default) -> the value of k in map m, or default.
	define("map_get", []ValType{I64, I64, I64}, i64, func(rt *Runtime, f *Func) {
		m, k, def := f.Param(0), f.Param(1), f.Param(2)
		r := f.NewLocal(I64)
		f.Set(r, Call(rt.Fn("hamt_find"), Load64(Ptr(m.Get()), layout.MapRoot), k.Get(), Call(rt.Fn("hash"), k.Get())))
		f.Result(Select(def.Get(), r.Get(), Eq64(r.Get(), Const(layout.Err))))
	})
	// map_contains(m, k) -> 1 when map (or set) m has key k.
	define("map_contains", i64x2, i32, func(rt *Runtime, f *Func) {
		m, k := f.Param(0), f.Param(1)
		f.Result(Ne64(Call(rt.Fn("hamt_find"), Load64(Ptr(m.Get()), layout.MapRoot), k.Get(), Call(rt.Fn("hash"), k.Get())),
			Const(layout.Err)))
	})
	// map_count(m) -> the number of entries of map (or set) m.
	define("map_count", i64, i32, func(rt *Runtime, f *Func) { f.Result(collCount(f.Param(0).Get())) })
	// hamt_coll_assoc(m, k, v, keep) -> map or set m with k mapped to v (see hamt_assoc);
	// m itself when nothing changes.
	define("hamt_coll_assoc", []ValType{I64, I64, I64, I32}, i64, func(rt *Runtime, f *Func) {
		m, k, v, keep := f.Param(0), f.Param(1), f.Param(2), f.Param(3)
		p, added := f.NewLocal(I32), f.NewLocal(I32)
		root, node, hash := f.NewLocal(I64), f.NewLocal(I64), f.NewLocal(I64)
		f.Set(root, Load64(Ptr(m.Get()), layout.MapRoot))
		f.Set(hash, Call(rt.Fn("hash"), k.Get()))
		f.If(Eq64(root.Get(), Const(layout.Nil)), func() {
			f.Set(p, Call(rt.Fn("alloc"), C32(layout.TypeHNode), C32(3)))
			setSlot(f, p.Get(), C32(0), bitmaps(chunkBit(hash.Get(), C32(0)), C32(0)))
			setSlot(f, p.Get(), C32(1), k.Get())
			setSlot(f, p.Get(), C32(2), v.Get())
			f.Set(node, ExtendU(p.Get()))
			f.Set(added, C32(1))
		}, func() {
			set2(f, node, added, Call(rt.Fn("hamt_assoc"), root.Get(), k.Get(), v.Get(), hash.Get(), C32(0), keep.Get()))
		})
		f.If(Eq64(node.Get(), root.Get()), func() { f.Return(m.Get()) }, nil)
		f.Result(Call(rt.Fn("hamt_coll"), m.Get(), Add32(collCount(m.Get()), added.Get()), node.Get()))
	})
	// hamt_coll(like, count, root) -> a new map or set (the type of like).
	define("hamt_coll", []ValType{I64, I32, I64}, i64, func(rt *Runtime, f *Func) {
		like, count, root := f.Param(0), f.Param(1), f.Param(2)
		p := f.NewLocal(I32)
		f.Set(p, Call(rt.Fn("alloc"), TypeOf(like.Get()), C32(2)))
		f.Store64(p.Get(), layout.CountOffset, ExtendU(count.Get()))
		f.Store64(p.Get(), layout.MapRoot, root.Get())
		f.Result(ExtendU(p.Get()))
	})
	// map_assoc(m, k, v) -> map m with k mapped to v.
	define("map_assoc", []ValType{I64, I64, I64}, i64, func(rt *Runtime, f *Func) {
		f.Result(Call(rt.Fn("hamt_coll_assoc"), f.Param(0).Get(), f.Param(1).Get(), f.Param(2).Get(), C32(0)))
	})
	// map_dissoc(m, k) -> map (or set) m without key k; m itself when k is absent.
	define("map_dissoc", i64x2, i64, func(rt *Runtime, f *Func) {
		m, k := f.Param(0), f.Param(1)
		root, node := f.NewLocal(I64), f.NewLocal(I64)
		f.Set(root, Load64(Ptr(m.Get()), layout.MapRoot))
		f.If(Eq64(root.Get(), Const(layout.Nil)), func() { f.Return(m.Get()) }, nil)
		f.Set(node, Call(rt.Fn("hamt_dissoc"), root.Get(), k.Get(), Call(rt.Fn("hash"), k.Get()), C32(0)))
		f.If(Eq64(node.Get(), root.Get()), func() { f.Return(m.Get()) }, nil)
		// The last key gone, the result is the static empty map or set.
		f.If(Eq32(collCount(m.Get()), C32(1)), func() {
			f.Return(Select(Const(rt.EmptySet), Const(rt.EmptyMap), isType(m.Get(), layout.TypeSet)))
		}, nil)
		f.Result(Call(rt.Fn("hamt_coll"), m.Get(), Sub32(collCount(m.Get()), C32(1)), node.Get()))
	})
	// set_conj(s, x) -> set s with x; s itself when x is already there.
	define("set_conj", i64x2, i64, func(rt *Runtime, f *Func) {
		f.Result(Call(rt.Fn("hamt_coll_assoc"), f.Param(0).Get(), f.Param(1).Get(), Const(layout.True), C32(1)))
	})
	// set_contains(s, x) -> 1 when x is in set s.
	define("set_contains", i64x2, i32, func(rt *Runtime, f *Func) {
		f.Result(Call(rt.Fn("map_contains"), f.Param(0).Get(), f.Param(1).Get()))
	})
	// set_disj(s, x) -> set s without x.
	define("set_disj", i64x2, i64, func(rt *Runtime, f *Func) {
		f.Result(Call(rt.Fn("map_dissoc"), f.Param(0).Get(), f.Param(1).Get()))
	})
	// vector_from_map(m) -> a vector of the [k v] entries of map m, or of the elements
	// of set m, in trie order (deterministic, not the total order).
	define("vector_from_map", i64, i64, func(rt *Runtime, f *Func) {
		m := f.Param(0)
		root := f.NewLocal(I64)
		f.Set(root, Load64(Ptr(m.Get()), layout.MapRoot))
		f.If(Eq64(root.Get(), Const(layout.Nil)), func() { f.Return(Const(rt.EmptyVector)) }, nil)
		f.Result(Call(rt.Fn("hamt_into_vector"), root.Get(), Const(rt.EmptyVector), isType(m.Get(), layout.TypeSet)))
	})
	// vector_pair(a, b) -> the vector [a b] (a map entry).
	define("vector_pair", i64x2, i64, func(rt *Runtime, f *Func) {
		t := f.NewLocal(I32)
		f.Set(t, Call(rt.Fn("alloc"), C32(layout.TypeVNode), C32(2)))
		setSlot(f, t.Get(), C32(0), f.Param(0).Get())
		setSlot(f, t.Get(), C32(1), f.Param(1).Get())
		f.Result(Call(rt.Fn("vector_make"), C32(2), C32(vbits), Load64(Ptr(Const(rt.EmptyVector)), layout.VectorRoot), ExtendU(t.Get())))
	})
}

// xor32 is i32 exclusive or (here: clearing or flipping a bit known to be set).
