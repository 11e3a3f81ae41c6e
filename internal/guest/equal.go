package guest

import (
	"github.com/rtfsvm/rtfsvm/internal/layout"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
)

// Equality and hashing follow value.Equal and value.Hash exactly: the guest's hash of a
// value is the Go model's (so both build tries of the same shape, and tests can compare
// the two), and it is consistent with equal: a list and a vector with equal elements
// hash alike, 0.0 and -0.0 too, and an integer is a fixnum whenever it fits one, so a
// boxed integer never equals a fixnum.
//
// equal has no shortcut for identical collections: [##NaN] is not equal to itself,
// since NaN equals nothing, and the interpreter agrees.

// Constants of value.Hash.
const (
	hashNil    uint64 = 0x9e3779b97f4a7c15
	hashFloat  uint64 = 0x5bd1e995
	hashSeq    uint64 = 0x11
	hashSet    uint64 = 0x13
	hashMap    uint64 = 0x17
	hashFn     uint64 = 0x19
	fnvOffset  uint64 = 14695981039346656037
	fnvPrime   uint64 = 1099511628211
	mixFactor1 uint64 = 0xbf58476d1ce4e5b9
	mixFactor2 uint64 = 0x94d049bb133111eb
)

// u64 is the i64 constant of a uint64.
func u64(x uint64) X { return C64(int64(x)) }

// isType tests the type of value v (a pointer), with t a constant type.
func isType(v X, t int) X { return Eq32(TypeOf(v), C32(int32(t))) }

// eachList emits a loop that runs body on each element of list l in order; body gets a
// local holding the element.
func eachList(f *Func, l X, body func(x Local)) {
	cell, x := f.NewLocal(I64), f.NewLocal(I64)
	f.Set(cell, l)
	f.Block(func(done Label) {
		f.Loop(func(again Label) {
			f.BrIf(done, Eqz32(collCount(cell.Get())))
			f.Set(x, Load64(Ptr(cell.Get()), layout.ListFirst))
			body(x)
			f.Set(cell, Load64(Ptr(cell.Get()), layout.ListRest))
			f.Br(again)
		})
	})
}

// eachVector emits a loop that runs body on each element of vector v in order, a leaf
// at a time.
func eachVector(rt *Runtime, f *Func, v X, body func(x Local)) {
	count, shift, root, tail := vectorFields(f, v)
	i, j, n, off, node := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
	x := f.NewLocal(I64)
	f.Set(off, tailOff(count.Get()))
	f.Block(func(done Label) {
		f.Loop(func(leaves Label) {
			f.BrIf(done, GeU32(i.Get(), count.Get()))
			f.If(GeU32(i.Get(), off.Get()), func() {
				f.Set(node, Ptr(tail.Get()))
				f.Set(n, Sub32(count.Get(), off.Get()))
			}, func() {
				f.Set(node, Ptr(Call(rt.Fn("vector_leaf"), root.Get(), shift.Get(), i.Get())))
				f.Set(n, C32(vwidth))
			})
			f.Set(j, C32(0))
			f.Block(func(leafDone Label) {
				f.Loop(func(elems Label) {
					f.BrIf(leafDone, GeU32(j.Get(), n.Get()))
					f.Set(x, slot(node.Get(), j.Get()))
					body(x)
					f.Set(j, Add32(j.Get(), C32(1)))
					f.Br(elems)
				})
			})
			f.Set(i, Add32(i.Get(), n.Get()))
			f.Br(leaves)
		})
	})
}

func init() {
	// mix(x) -> the SplitMix64 finaliser of x, which spreads every bit over the result.
	define("mix", i64, i64, func(rt *Runtime, f *Func) {
		x := f.Param(0)
		f.Set(x, Xor64(x.Get(), ShrU64(x.Get(), C64(30))))
		f.Set(x, Mul64(x.Get(), u64(mixFactor1)))
		f.Set(x, Xor64(x.Get(), ShrU64(x.Get(), C64(27))))
		f.Set(x, Mul64(x.Get(), u64(mixFactor2)))
		f.Result(Xor64(x.Get(), ShrU64(x.Get(), C64(31))))
	})
	// hash_text(p, seed) -> the hash of the bytes of the string, keyword or symbol at p:
	// FNV-1a from a seed per type, then mixed.
	define("hash_text", []ValType{I32, I64}, i64, func(rt *Runtime, f *Func) {
		p, seed := f.Param(0), f.Param(1)
		h := f.NewLocal(I64)
		i, n := f.NewLocal(I32), f.NewLocal(I32)
		f.Set(h, Xor64(u64(fnvOffset), seed.Get()))
		f.Set(n, Load32(p.Get(), layout.StringByteLen))
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, GeU32(i.Get(), n.Get()))
				f.Set(h, Mul64(Xor64(h.Get(), ExtendU(Load8U(Add32(p.Get(), i.Get()), layout.StringBytes))), u64(fnvPrime)))
				f.Set(i, Add32(i.Get(), C32(1)))
				f.Br(again)
			})
		})
		f.Result(Call(rt.Fn("mix"), h.Get()))
	})
	// hash(v) -> the hash of any value, equal to value.Hash of it.
	define("hash", i64, i64, func(rt *Runtime, f *Func) {
		v := f.Param(0)
		t := f.NewLocal(I32)
		h, bits, name := f.NewLocal(I64), f.NewLocal(I64), f.NewLocal(I64)
		mix := func(x X) X { return Call(rt.Fn("mix"), x) }
		// Fold an element's hash into h, as value.Hash does for lists and vectors.
		fold := func(x Local) { f.Set(h, mix(Add64(Mul64(h.Get(), C64(31)), Call(rt.Fn("hash"), x.Get())))) }
		f.If(Eq64(v.Get(), Const(layout.Nil)), func() { f.Return(u64(hashNil)) }, nil)
		f.If(Eq64(v.Get(), Const(layout.True)), func() { f.Return(mix(C64(1))) }, nil)
		f.If(Eq64(v.Get(), Const(layout.False)), func() { f.Return(mix(C64(2))) }, nil)
		f.If(IsFixnum(v.Get()), func() { f.Return(mix(Untag(v.Get()))) }, nil)
		f.If(Eqz32(IsPointer(v.Get())), func() { f.Return(mix(v.Get())) }, nil) // not a value
		f.Set(t, TypeOf(v.Get()))
		f.If(Eq32(t.Get(), C32(layout.TypeBigInt)), func() { f.Return(mix(Load64(Ptr(v.Get()), layout.BoxValue))) }, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeFloat)), func() {
			// -0.0 == 0.0, so both hash as 0.0.
			f.Set(bits, Select(Load64(Ptr(v.Get()), layout.BoxValue), C64(0),
				Op(F64Ne, LoadF64(Ptr(v.Get()), layout.BoxValue), CF64(0))))
			f.Return(mix(Xor64(bits.Get(), u64(hashFloat))))
		}, nil)
		// String, keyword, symbol (types 3, 4, 5): seeds 3, 5, 7.
		f.If(LtU32(Sub32(t.Get(), C32(layout.TypeString)), C32(3)), func() {
			f.Return(Call(rt.Fn("hash_text"), Ptr(v.Get()), ExtendU(Sub32(Shl32(t.Get(), C32(1)), C32(3)))))
		}, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeList)), func() {
			f.Set(h, u64(hashSeq))
			eachList(f, v.Get(), fold)
			f.Return(h.Get())
		}, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeVector)), func() {
			f.Set(h, u64(hashSeq))
			eachVector(rt, f, v.Get(), fold)
			f.Return(h.Get())
		}, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeSet)), func() {
			f.Return(mix(Xor64(Call(rt.Fn("hamt_hash"), Load64(Ptr(v.Get()), layout.MapRoot), C32(1)), u64(hashSet))))
		}, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeMap)), func() {
			f.Return(mix(Xor64(Call(rt.Fn("hamt_hash"), Load64(Ptr(v.Get()), layout.MapRoot), C32(0)), u64(hashMap))))
		}, nil)
		// A closure, by its name: closures are equal only when identical, so any hash of
		// what they hold is consistent; the name also matches value.Hash.
		f.Set(name, Load64(Ptr(v.Get()), layout.ClosureName))
		f.If(Eq64(name.Get(), Const(layout.Nil)), func() { f.Return(mix(u64(fnvOffset ^ hashFn))) }, nil)
		f.Result(Call(rt.Fn("hash_text"), Ptr(name.Get()), u64(hashFn)))
	})
	// equal(a, b) -> 1 when a = b, structurally.
	define("equal", i64x2, i32, func(rt *Runtime, f *Func) {
		a, b := f.Param(0), f.Param(1)
		ta, tb := f.NewLocal(I32), f.NewLocal(I32)
		// Immediates (nil, booleans, fixnums) are equal when their bits are.
		f.If(Eqz32(And32(IsPointer(a.Get()), IsPointer(b.Get()))), func() { f.Return(Eq64(a.Get(), b.Get())) }, nil)
		f.Set(ta, TypeOf(a.Get()))
		f.Set(tb, TypeOf(b.Get()))
		isSeq := func(t Local) X {
			return Or32(Eq32(t.Get(), C32(layout.TypeList)), Eq32(t.Get(), C32(layout.TypeVector)))
		}
		f.If(isSeq(ta), func() {
			f.If(Eqz32(isSeq(tb)), func() { f.Return(C32(0)) }, nil)
			f.Return(Call(rt.Fn("seq_equal"), a.Get(), b.Get()))
		}, nil)
		f.If(Ne32(ta.Get(), tb.Get()), func() { f.Return(C32(0)) }, nil)
		f.If(Eq32(ta.Get(), C32(layout.TypeFloat)), func() {
			f.Return(Op(F64Eq, LoadF64(Ptr(a.Get()), layout.BoxValue), LoadF64(Ptr(b.Get()), layout.BoxValue)))
		}, nil)
		f.If(Eq32(ta.Get(), C32(layout.TypeBigInt)), func() {
			f.Return(Eq64(Load64(Ptr(a.Get()), layout.BoxValue), Load64(Ptr(b.Get()), layout.BoxValue)))
		}, nil)
		f.If(LtU32(Sub32(ta.Get(), C32(layout.TypeString)), C32(3)), func() {
			f.Return(Call(rt.Fn("text_equal"), Ptr(a.Get()), Ptr(b.Get())))
		}, nil)
		f.If(Or32(Eq32(ta.Get(), C32(layout.TypeMap)), Eq32(ta.Get(), C32(layout.TypeSet))), func() {
			f.If(Ne32(collCount(a.Get()), collCount(b.Get())), func() { f.Return(C32(0)) }, nil)
			f.If(Eqz32(collCount(a.Get())), func() { f.Return(C32(1)) }, nil)
			f.Return(Call(rt.Fn("hamt_subset"), Load64(Ptr(a.Get()), layout.MapRoot), Load64(Ptr(b.Get()), layout.MapRoot),
				Eq32(ta.Get(), C32(layout.TypeSet))))
		}, nil)
		f.Result(Eq64(a.Get(), b.Get())) // closures, by identity
	})
	// text_equal(p, q) -> 1 when two strings (keywords, symbols) have the same bytes.
	define("text_equal", []ValType{I32, I32}, i32, func(rt *Runtime, f *Func) {
		p, q := f.Param(0), f.Param(1)
		n, i := f.NewLocal(I32), f.NewLocal(I32)
		f.If(Eq32(p.Get(), q.Get()), func() { f.Return(C32(1)) }, nil)
		f.Set(n, Load32(p.Get(), layout.StringByteLen))
		f.If(Ne32(n.Get(), Load32(q.Get(), layout.StringByteLen)), func() { f.Return(C32(0)) }, nil)
		// Eight bytes at a time, then the rest one by one (the padding is not compared).
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, GtU32(Add32(i.Get(), C32(8)), n.Get()))
				f.If(Ne64(Load64(Add32(p.Get(), i.Get()), layout.StringBytes), Load64(Add32(q.Get(), i.Get()), layout.StringBytes)),
					func() { f.Return(C32(0)) }, nil)
				f.Set(i, Add32(i.Get(), C32(8)))
				f.Br(again)
			})
		})
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, GeU32(i.Get(), n.Get()))
				f.If(Ne32(Load8U(Add32(p.Get(), i.Get()), layout.StringBytes), Load8U(Add32(q.Get(), i.Get()), layout.StringBytes)),
					func() { f.Return(C32(0)) }, nil)
				f.Set(i, Add32(i.Get(), C32(1)))
				f.Br(again)
			})
		})
		f.Result(C32(1))
	})
	// seq_equal(a, b) -> 1 when lists or vectors a and b have equal elements in order.
	define("seq_equal", i64x2, i32, func(rt *Runtime, f *Func) {
		a, b := f.Param(0), f.Param(1)
		i := f.NewLocal(I32)
		cell, y := f.NewLocal(I64), f.NewLocal(I64)
		f.If(Ne32(collCount(a.Get()), collCount(b.Get())), func() { f.Return(C32(0)) }, nil)
		// Walk a, and b beside it: by index when it is a vector, by cell when a list.
		f.Set(cell, b.Get())
		bIsList := isType(b.Get(), layout.TypeList)
		compare := func(x Local) {
			f.If(bIsList, func() {
				f.Set(y, Load64(Ptr(cell.Get()), layout.ListFirst))
				f.Set(cell, Load64(Ptr(cell.Get()), layout.ListRest))
			}, func() {
				f.Set(y, Call(rt.Fn("vector_nth"), b.Get(), i.Get()))
				f.Set(i, Add32(i.Get(), C32(1)))
			})
			f.If(Eqz32(Call(rt.Fn("equal"), x.Get(), y.Get())), func() { f.Return(C32(0)) }, nil)
		}
		f.If(isType(a.Get(), layout.TypeList), func() { eachList(f, a.Get(), compare) },
			func() { eachVector(rt, f, a.Get(), compare) })
		f.Result(C32(1))
	})
}
