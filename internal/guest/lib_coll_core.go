package guest

import (
	"github.com/rtfsvm/rtfsvm/internal/layout"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
	"github.com/rtfsvm/rtfsvm/stdlib"
	"github.com/rtfsvm/rtfsvm/value"
)

// The machinery of the collection library (lib_coll.go): elements of any seqable value
// laid out in a buffer, vectors built from buffers in one pass, the total order of
// rtfs-language.md §2 (compare) and a stable merge sort over buffers.
//
// A buffer is the payload of a fresh vector node (TypeVNode): a run of value slots that
// a collector can read as such. Routines that work on buffers take the address of its
// first word. Buffers are temporary: they are garbage once the routine that made them
// returns.
//
// Internal routines are named lc_*; compare, sort_values, sorted_entries and
// sorted_elems are meant for other files too.

// Limits shared with the Go library: a single library call never builds more than
// lcMaxElems elements; asking for more stops the VM with the memory limit, as in the
// interpreter.
const (
	lcMaxElems = stdlib.MaxElems
	// lcMaxBufWord bounds a buffer (1 GiB): a bigger request is the memory limit, and
	// sizes in bytes stay far from wrapping around 32 bits.
	lcMaxBufWord = 1 << 27
)

// lcWord is the address of word i (an i32) of the buffer at buf.
func lcWord(buf, i X) X { return Add32(buf, Shl32(i, C32(3))) }

// lcLoad is word i of the buffer at buf.
func lcLoad(buf, i X) X { return Load64(lcWord(buf, i), 0) }

// lcStore sets word i of the buffer at buf.
func lcStore(f *Func, buf, i, v X) { f.Store64(lcWord(buf, i), 0, v) }

// lcFor emits for i := from; i < n; i++ { body } over i32 (n compared unsigned and
// evaluated before each iteration).
func lcFor(f *Func, i Local, from, n X, body func()) {
	f.Set(i, from)
	f.Block(func(done Label) {
		f.Loop(func(again Label) {
			f.BrIf(done, GeU32(i.Get(), n))
			body()
			f.Set(i, Add32(i.Get(), C32(1)))
			f.Br(again)
		})
	})
}

// lcMin32 is the unsigned minimum of two i32 locals.
func lcMin32(a, b X) X { return Select(a, b, LtU32(a, b)) }

// lcCmp3U32 is -1, 0 or 1 as unsigned i32 a is below, equal to or above b.
func lcCmp3U32(a, b X) X { return Sub32(GtU32(a, b), LtU32(a, b)) }

// lcSortCost is what sorting n (an i32) elements costs, as stdlib.sortCost:
// n*ceil(log2 n), n itself below 2.
func lcSortCost(n X) X {
	return Select(Mul64(ExtendU(n), ExtendU(Sub32(C32(32), Op(I32Clz, Sub32(n, C32(1)))))), ExtendU(n), GeU32(n, C32(2)))
}

// lcAbortMemory stops the VM with the memory limit.
func lcAbortMemory(rt *Runtime, f *Func) {
	f.Exec(Call(rt.Abort, C32(AbortMemory)))
	f.Unreachable()
}

// lcTypeOf is the type byte of v when it is an object, 0 otherwise (v is evaluated
// twice: pass a local).
func lcTypeOf(v X) X {
	return IfX(i32, IsPointer(v), func(f *Func) { f.Emit(TypeOf(v)) }, func(f *Func) { f.Emit(C32(0)) })
}

// Error codes of the collection library.
var (
	ErrCollNotInteger   = errorCode(400, value.ErrType, "expected an integer, got %s")
	ErrCollNotMapOrVec  = errorCode(401, value.ErrType, "expected a map or vector, got %s")
	ErrCollNotMap       = errorCode(402, value.ErrType, "expected a map, got %s")
	ErrCollNotLookup    = errorCode(403, value.ErrType, "contains?: expected a map, set, vector or string, got %s")
	ErrCollNotNthable   = errorCode(404, value.ErrType, "nth: expected a vector, list or string, got %s")
	ErrCollNotVector    = errorCode(405, value.ErrType, "subvec: expected a vector, got %s")
	ErrCollSubvecRange  = errorCode(406, value.ErrIndex, "subvec: index %s out of range")
	ErrCollOddAssoc     = errorCode(407, value.ErrInvalidArg, "assoc: expects a value for every key (%s arguments)")
	ErrCollMapEntry     = errorCode(408, value.ErrInvalidArg, "a map entry must be a [key value] vector, got %s")
	ErrCollNotEntry     = errorCode(409, value.ErrType, "expected a [key value] vector or a map, got %s")
	ErrCollRangeEndless = errorCode(410, value.ErrInvalidArg, "(range) without an end would be infinite; sequences are not lazy%.0s")
	ErrCollRangeStep    = errorCode(411, value.ErrInvalidArg, "range: bounds must be numbers and the step must not be 0 (step %s)")
	ErrCollRangeStuck   = errorCode(412, value.ErrInvalidArg, "range: the step is too small to advance from %s")
	ErrCollNotSeqPat    = errorCode(413, value.ErrType, "cannot destructure %s as a sequence")
	ErrCollNotMapPat    = errorCode(414, value.ErrType, "cannot destructure %s as a map")
	ErrCollNthIndex     = errorCode(415, value.ErrIndex, "nth: index %s out of range")
	ErrCollAssocIndex   = errorCode(416, value.ErrIndex, "assoc: index %s out of range")
	ErrCollNotColl      = errorCode(417, value.ErrType, "expected a collection, got %s")
	ErrCollAssocNotIdx  = errorCode(418, value.ErrType, "assoc: expected an integer index, got %s")
)

// lcAbsent is what lookups return internally for "no such element": Unbound is never
// a value a plan can see.
const lcAbsent = layout.Unbound

func init() {
	// lc_buf_new(n) -> the address of a fresh buffer of n zeroed value words.
	define("lc_buf_new", i32, i32, func(rt *Runtime, f *Func) {
		n := f.Param(0)
		f.If(GtU32(n.Get(), C32(lcMaxBufWord)), func() { lcAbortMemory(rt, f) }, nil)
		f.Result(Add32(Call(rt.Fn("alloc"), C32(layout.TypeVNode), n.Get()), C32(layout.HeaderSize)))
	})

	// lc_vector_from_buf(buf, n) -> the vector of the n values at buf, built leaf by leaf
	// in the shape the Go model gives n elements (see vector.go).
	define("lc_vector_from_buf", []ValType{I32, I32}, i64, func(rt *Runtime, f *Func) {
		buf, n := f.Param(0), f.Param(1)
		off, tail, nodes, nl, j, node, k, shift, level := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32),
			f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		f.If(Eqz32(n.Get()), func() { f.Return(Const(rt.EmptyVector)) }, nil)
		f.Set(off, tailOff(n.Get()))
		f.Set(tail, Call(rt.Fn("alloc"), C32(layout.TypeVNode), Sub32(n.Get(), off.Get())))
		f.MemoryCopy(Add32(tail.Get(), C32(layout.HeaderSize)), lcWord(buf.Get(), off.Get()), Shl32(Sub32(n.Get(), off.Get()), C32(3)))
		f.If(Eqz32(off.Get()), func() {
			f.Return(Call(rt.Fn("vector_make"), n.Get(), C32(vbits), Load64(Ptr(Const(rt.EmptyVector)), layout.VectorRoot),
				ExtendU(tail.Get())))
		}, nil)
		// The leaves, then each level of parents over the previous one, in place in nodes.
		f.Set(nl, ShrU32(off.Get(), C32(vbits)))
		f.Set(nodes, Call(rt.Fn("lc_buf_new"), nl.Get()))
		lcFor(f, j, C32(0), nl.Get(), func() {
			f.Set(node, Call(rt.Fn("alloc"), C32(layout.TypeVNode), C32(vwidth)))
			f.MemoryCopy(Add32(node.Get(), C32(layout.HeaderSize)), lcWord(buf.Get(), Shl32(j.Get(), C32(vbits))), C32(8*vwidth))
			lcStore(f, nodes.Get(), j.Get(), ExtendU(node.Get()))
		})
		f.Set(shift, C32(vbits))
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, LeU32(off.Get(), Shl32(C32(1), Add32(shift.Get(), C32(vbits)))))
				f.Set(shift, Add32(shift.Get(), C32(vbits)))
				f.Br(again)
			})
		})
		f.Set(level, C32(vbits))
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				// Parents of the nl nodes: ceil(nl/32) of them.
				lcFor(f, j, C32(0), ShrU32(Add32(nl.Get(), C32(vmask)), C32(vbits)), func() {
					f.Set(k, lcMin32(C32(vwidth), Sub32(nl.Get(), Shl32(j.Get(), C32(vbits)))))
					f.Set(node, Call(rt.Fn("alloc"), C32(layout.TypeVNode), k.Get()))
					f.MemoryCopy(Add32(node.Get(), C32(layout.HeaderSize)), lcWord(nodes.Get(), Shl32(j.Get(), C32(vbits))), Shl32(k.Get(), C32(3)))
					lcStore(f, nodes.Get(), j.Get(), ExtendU(node.Get()))
				})
				f.Set(nl, ShrU32(Add32(nl.Get(), C32(vmask)), C32(vbits)))
				f.BrIf(done, GeU32(level.Get(), shift.Get()))
				f.Set(level, Add32(level.Get(), C32(vbits)))
				f.Br(again)
			})
		})
		f.Result(Call(rt.Fn("vector_make"), n.Get(), shift.Get(), lcLoad(nodes.Get(), C32(0)), ExtendU(tail.Get())))
	})

	// lc_list_from_buf(buf, n) -> the list of the n values at buf.
	define("lc_list_from_buf", []ValType{I32, I32}, i64, func(rt *Runtime, f *Func) {
		buf, n := f.Param(0), f.Param(1)
		acc := f.NewLocal(I64)
		f.Set(acc, Const(rt.EmptyList))
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, Eqz32(n.Get()))
				f.Set(n, Sub32(n.Get(), C32(1)))
				f.Set(acc, Call(rt.Fn("list_cons"), lcLoad(buf.Get(), n.Get()), acc.Get()))
				f.Br(again)
			})
		})
		f.Result(acc.Get())
	})

	// lc_vector_into(v, at, from, to) writes elements [from, to) of vector v at address
	// at, a leaf at a time; the caller checks the bounds.
	define("lc_vector_into", []ValType{I64, I32, I32, I32}, nil, func(rt *Runtime, f *Func) {
		v, at, from, to := f.Param(0), f.Param(1), f.Param(2), f.Param(3)
		count, shift, root, tail := vectorFields(f, v.Get())
		off, i, node, base, end := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		f.Set(off, tailOff(count.Get()))
		f.Set(i, from.Get())
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, GeU32(i.Get(), to.Get()))
				f.If(GeU32(i.Get(), off.Get()), func() {
					f.Set(node, Ptr(tail.Get()))
					f.Set(base, off.Get())
				}, func() {
					f.Set(node, Ptr(Call(rt.Fn("vector_leaf"), root.Get(), shift.Get(), i.Get())))
					f.Set(base, And32(i.Get(), C32(^vmask)))
				})
				f.Set(end, lcMin32(to.Get(), Add32(base.Get(), sizeOf(node.Get()))))
				f.MemoryCopy(lcWord(at.Get(), Sub32(i.Get(), from.Get())),
					lcWord(Add32(node.Get(), C32(layout.HeaderSize)), Sub32(i.Get(), base.Get())),
					Shl32(Sub32(end.Get(), i.Get()), C32(3)))
				f.Set(i, end.Get())
				f.Br(again)
			})
		})
	})

	// lc_utf8_width(p, avail) -> the length of the valid UTF-8 encoding at p (at most
	// avail bytes), or 0 when the bytes there are not one: Go decodes them as U+FFFD,
	// one byte at a time (utf8.DecodeRune).
	define("lc_utf8_width", []ValType{I32, I32}, i32, func(rt *Runtime, f *Func) {
		p, avail := f.Param(0), f.Param(1)
		b, w, lo, hi, k, c := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		f.Set(b, Load8U(p.Get(), 0))
		f.If(LtU32(b.Get(), C32(0x80)), func() { f.Return(C32(1)) }, nil)
		f.If(LtU32(b.Get(), C32(0xc2)), func() { f.Return(C32(0)) }, nil)
		f.If(GeU32(b.Get(), C32(0xf5)), func() { f.Return(C32(0)) }, nil)
		f.Set(lo, C32(0x80))
		f.Set(hi, C32(0xbf))
		f.If(LtU32(b.Get(), C32(0xe0)), func() { f.Set(w, C32(2)) }, func() {
			f.If(LtU32(b.Get(), C32(0xf0)), func() {
				f.Set(w, C32(3))
				f.If(Eq32(b.Get(), C32(0xe0)), func() { f.Set(lo, C32(0xa0)) }, nil)
				f.If(Eq32(b.Get(), C32(0xed)), func() { f.Set(hi, C32(0x9f)) }, nil)
			}, func() {
				f.Set(w, C32(4))
				f.If(Eq32(b.Get(), C32(0xf0)), func() { f.Set(lo, C32(0x90)) }, nil)
				f.If(Eq32(b.Get(), C32(0xf4)), func() { f.Set(hi, C32(0x8f)) }, nil)
			})
		})
		f.If(LtU32(avail.Get(), w.Get()), func() { f.Return(C32(0)) }, nil)
		f.Set(c, Load8U(p.Get(), 1))
		f.If(Or32(LtU32(c.Get(), lo.Get()), GtU32(c.Get(), hi.Get())), func() { f.Return(C32(0)) }, nil)
		lcFor(f, k, C32(2), w.Get(), func() {
			f.Set(c, Load8U(Add32(p.Get(), k.Get()), 0))
			f.If(Ne32(And32(c.Get(), C32(0xc0)), C32(0x80)), func() { f.Return(C32(0)) }, nil)
		})
		f.Result(w.Get())
	})

	// lc_char(p, w) -> the one-character string of the w bytes at p; w = 0 stands for
	// an invalid byte, which is U+FFFD.
	define("lc_char", []ValType{I32, I32}, i64, func(rt *Runtime, f *Func) {
		p, w := f.Param(0), f.Param(1)
		s := f.NewLocal(I32)
		f.If(Eqz32(w.Get()), func() { f.Return(Const(rt.Data.Text(layout.TypeString, "\uFFFD"))) }, nil)
		f.Set(s, Call(rt.Fn("alloc"), C32(layout.TypeString), C32(2)))
		f.Store32(s.Get(), layout.StringByteLen, w.Get())
		f.Store32(s.Get(), layout.StringRunes, C32(1))
		f.MemoryCopy(Add32(s.Get(), C32(layout.StringBytes)), p.Get(), w.Get())
		f.Result(ExtendU(s.Get()))
	})

	// lc_string_into(s, at) -> the number of code points of string s, written at at as
	// one-character strings.
	define("lc_string_into", []ValType{I64, I32}, i32, func(rt *Runtime, f *Func) {
		s, at := f.Param(0), f.Param(1)
		p, nb, i, k, w := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		f.Set(p, Add32(Ptr(s.Get()), C32(layout.StringBytes)))
		f.Set(nb, Load32(Ptr(s.Get()), layout.StringByteLen))
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, GeU32(i.Get(), nb.Get()))
				f.Set(w, Call(rt.Fn("lc_utf8_width"), Add32(p.Get(), i.Get()), Sub32(nb.Get(), i.Get())))
				lcStore(f, at.Get(), k.Get(), Call(rt.Fn("lc_char"), Add32(p.Get(), i.Get()), w.Get()))
				f.Set(i, Add32(i.Get(), Select(w.Get(), C32(1), w.Get())))
				f.Set(k, Add32(k.Get(), C32(1)))
				f.Br(again)
			})
		})
		f.Result(k.Get())
	})

	// lc_string_nth(s, i) -> code point i of string s as a string, or lcAbsent when i
	// is out of range. Charges the bytes it reads.
	define("lc_string_nth", []ValType{I64, I64}, i64, func(rt *Runtime, f *Func) {
		s, i := f.Param(0), f.Param(1)
		p, nb, pos, w := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		f.If(Or32(LtS64(i.Get(), C64(0)), GeS64(i.Get(), Load32U64(Ptr(s.Get()), layout.StringRunes))), func() {
			f.Return(Const(lcAbsent))
		}, nil)
		f.Set(p, Add32(Ptr(s.Get()), C32(layout.StringBytes)))
		f.Set(nb, Load32(Ptr(s.Get()), layout.StringByteLen))
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.Set(w, Call(rt.Fn("lc_utf8_width"), Add32(p.Get(), pos.Get()), Sub32(nb.Get(), pos.Get())))
				f.BrIf(done, Eqz64(i.Get()))
				f.Set(pos, Add32(pos.Get(), Select(w.Get(), C32(1), w.Get())))
				f.Set(i, Sub64(i.Get(), C64(1)))
				f.Br(again)
			})
		})
		rt.ChargeFuel(f, ExtendU(pos.Get()))
		f.Result(Call(rt.Fn("lc_char"), Add32(p.Get(), pos.Get()), w.Get()))
	})

	// lc_hamt_collect(node, at, width) -> the address after the entries under map node
	// node, written at at in trie order: each key, followed by its value when width is 2.
	define("lc_hamt_collect", []ValType{I64, I32, I32}, i32, func(rt *Runtime, f *Func) {
		node, at, width := f.Param(0), f.Param(1), f.Param(2)
		p := f.NewLocal(I32)
		f.Set(p, Ptr(node.Get()))
		eachNodeEntry(f, p, func(k, v Local) {
			f.Store64(at.Get(), 0, k.Get())
			f.If(Eq32(width.Get(), C32(2)), func() { f.Store64(at.Get(), 8, v.Get()) }, nil)
			f.Set(at, Add32(at.Get(), Shl32(width.Get(), C32(3))))
		}, func(c Local) {
			f.Set(at, Call(rt.Fn("lc_hamt_collect"), c.Get(), at.Get(), width.Get()))
		})
		f.Result(at.Get())
	})

	// lc_sorted_into(m, at, width) writes the entries of map or set m at at, sorted by
	// key in the total order: keys alone (width 1) or keys and values (width 2).
	define("lc_sorted_into", []ValType{I64, I32, I32}, nil, func(rt *Runtime, f *Func) {
		m, at, width := f.Param(0), f.Param(1), f.Param(2)
		root := f.NewLocal(I64)
		f.Set(root, Load64(Ptr(m.Get()), layout.MapRoot))
		f.If(Eq64(root.Get(), Const(layout.Nil)), func() { f.Return() }, nil)
		f.Do(Call(rt.Fn("lc_hamt_collect"), root.Get(), at.Get(), width.Get()))
		f.Exec(Call(rt.Fn("lc_sort"), at.Get(), collCount(m.Get()), width.Get()))
	})

	// lc_seq_count(v) -> the number of elements seqable v has (rtfs-language.md §8: nil,
	// lists, vectors, sets, maps, strings), after charging the fuel for laying them out;
	// -1 after raising a type error for anything else.
	define("lc_seq_count", i64, i32, func(rt *Runtime, f *Func) {
		v := f.Param(0)
		t, n := f.NewLocal(I32), f.NewLocal(I32)
		f.If(Eq64(v.Get(), Const(layout.Nil)), func() { f.Return(C32(0)) }, nil)
		f.Set(t, lcTypeOf(v.Get()))
		f.If(Or32(Eq32(t.Get(), C32(layout.TypeList)), Eq32(t.Get(), C32(layout.TypeVector))), func() {
			f.Set(n, collCount(v.Get()))
			rt.ChargeFuel(f, ExtendU(n.Get()))
			f.Return(n.Get())
		}, nil)
		f.If(Or32(Eq32(t.Get(), C32(layout.TypeMap)), Eq32(t.Get(), C32(layout.TypeSet))), func() {
			f.Set(n, collCount(v.Get()))
			rt.ChargeFuel(f, lcSortCost(n.Get()))
			f.Return(n.Get())
		}, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeString)), func() {
			rt.ChargeFuel(f, Load32U64(Ptr(v.Get()), layout.StringByteLen))
			f.Return(Load32(Ptr(v.Get()), layout.StringRunes))
		}, nil)
		f.Do(rt.Raise(ErrCollNotColl, v.Get()))
		f.Result(C32(-1))
	})

	// lc_seq_into(v, at) writes the elements of seqable v at at (room for lc_seq_count of
	// them): sets in the total order, maps as [k v] vectors in the
	// total order of the keys, strings as one-character strings.
	define("lc_seq_into", []ValType{I64, I32}, nil, func(rt *Runtime, f *Func) {
		v, at := f.Param(0), f.Param(1)
		t, n, i, tmp := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		f.If(Eq64(v.Get(), Const(layout.Nil)), func() { f.Return() }, nil)
		f.Set(t, TypeOf(v.Get()))
		f.If(Eq32(t.Get(), C32(layout.TypeList)), func() {
			eachList(f, v.Get(), func(x Local) {
				lcStore(f, at.Get(), i.Get(), x.Get())
				f.Set(i, Add32(i.Get(), C32(1)))
			})
			f.Return()
		}, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeVector)), func() {
			f.Exec(Call(rt.Fn("lc_vector_into"), v.Get(), at.Get(), C32(0), collCount(v.Get())))
			f.Return()
		}, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeSet)), func() {
			f.Exec(Call(rt.Fn("lc_sorted_into"), v.Get(), at.Get(), C32(1)))
			f.Return()
		}, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeMap)), func() {
			f.Set(n, collCount(v.Get()))
			f.Set(tmp, Call(rt.Fn("lc_buf_new"), Shl32(n.Get(), C32(1))))
			f.Exec(Call(rt.Fn("lc_sorted_into"), v.Get(), tmp.Get(), C32(2)))
			lcFor(f, i, C32(0), n.Get(), func() {
				lcStore(f, at.Get(), i.Get(), Call(rt.Fn("vector_pair"), lcLoad(tmp.Get(), Shl32(i.Get(), C32(1))),
					lcLoad(tmp.Get(), Add32(Shl32(i.Get(), C32(1)), C32(1)))))
			})
			f.Return()
		}, nil)
		f.Do(Call(rt.Fn("lc_string_into"), v.Get(), at.Get()))
	})

	// lc_seq_buf(v, front) -> (buf, n): the n elements of seqable v in a fresh buffer,
	// after front free words; n = -1 after raising a type error.
	define("lc_seq_buf", []ValType{I64, I32}, []ValType{I32, I32}, func(rt *Runtime, f *Func) {
		v, front := f.Param(0), f.Param(1)
		n, buf := f.NewLocal(I32), f.NewLocal(I32)
		f.Set(n, Call(rt.Fn("lc_seq_count"), v.Get()))
		f.If(LtS32(n.Get(), C32(0)), func() { f.Return(C32(0), C32(-1)) }, nil)
		f.Set(buf, Call(rt.Fn("lc_buf_new"), Add32(n.Get(), front.Get())))
		f.Exec(Call(rt.Fn("lc_seq_into"), v.Get(), lcWord(buf.Get(), front.Get())))
		f.Emit(buf.Get(), n.Get())
	})

	// lc_sort(buf, n, width) sorts the n records of width words (1 or 2) at buf by their
	// first word, in the total order, stably: a bottom-up merge sort. A stable sort's
	// result does not depend on the algorithm, so it is the Go library's.
	define("lc_sort", []ValType{I32, I32, I32}, nil, func(rt *Runtime, f *Func) {
		buf, n, width := f.Param(0), f.Param(1), f.Param(2)
		src, dst, tmp, run, lo, mid, hi, i, j, k, rs := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32),
			f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		from, to := f.NewLocal(I32), f.NewLocal(I32)
		f.If(LtU32(n.Get(), C32(2)), func() { f.Return() }, nil)
		f.Set(rs, Shl32(width.Get(), C32(3)))
		rec := func(base, idx X) X { return Add32(base, Mul32(idx, rs.Get())) }
		f.Set(tmp, Call(rt.Fn("lc_buf_new"), Mul32(n.Get(), width.Get())))
		f.Set(src, buf.Get())
		f.Set(dst, tmp.Get())
		f.Set(run, C32(1))
		f.Block(func(sorted Label) {
			f.Loop(func(pass Label) {
				f.BrIf(sorted, GeU32(run.Get(), n.Get()))
				f.Set(lo, C32(0))
				f.Block(func(passDone Label) {
					f.Loop(func(runs Label) {
						f.BrIf(passDone, GeU32(lo.Get(), n.Get()))
						f.Set(mid, lcMin32(Add32(lo.Get(), run.Get()), n.Get()))
						f.Set(hi, lcMin32(Add32(mid.Get(), run.Get()), n.Get()))
						f.Set(i, lo.Get())
						f.Set(j, mid.Get())
						f.Set(k, lo.Get())
						f.Block(func(merged Label) {
							f.Loop(func(step Label) {
								f.BrIf(merged, Or32(GeU32(i.Get(), mid.Get()), GeU32(j.Get(), hi.Get())))
								// Take from the right run only when strictly less.
								f.If(LtS32(Call(rt.Fn("compare"), Load64(rec(src.Get(), j.Get()), 0), Load64(rec(src.Get(), i.Get()), 0)), C32(0)), func() {
									f.Set(from, rec(src.Get(), j.Get()))
									f.Set(j, Add32(j.Get(), C32(1)))
								}, func() {
									f.Set(from, rec(src.Get(), i.Get()))
									f.Set(i, Add32(i.Get(), C32(1)))
								})
								f.Set(to, rec(dst.Get(), k.Get()))
								f.Store64(to.Get(), 0, Load64(from.Get(), 0))
								f.If(Eq32(width.Get(), C32(2)), func() { f.Store64(to.Get(), 8, Load64(from.Get(), 8)) }, nil)
								f.Set(k, Add32(k.Get(), C32(1)))
								f.Br(step)
							})
						})
						f.MemoryCopy(rec(dst.Get(), k.Get()), rec(src.Get(), i.Get()), Mul32(Sub32(mid.Get(), i.Get()), rs.Get()))
						f.Set(k, Add32(k.Get(), Sub32(mid.Get(), i.Get())))
						f.MemoryCopy(rec(dst.Get(), k.Get()), rec(src.Get(), j.Get()), Mul32(Sub32(hi.Get(), j.Get()), rs.Get()))
						f.Set(lo, hi.Get())
						f.Br(runs)
					})
				})
				f.Set(k, src.Get())
				f.Set(src, dst.Get())
				f.Set(dst, k.Get())
				f.Set(run, Shl32(run.Get(), C32(1)))
				f.Br(pass)
			})
		})
		f.If(Ne32(src.Get(), buf.Get()), func() { f.MemoryCopy(buf.Get(), src.Get(), Mul32(n.Get(), rs.Get())) }, nil)
	})

	// sort_values(buf, n) sorts n values in memory in the total order, stably.
	define("sort_values", []ValType{I32, I32}, nil, func(rt *Runtime, f *Func) {
		f.Exec(Call(rt.Fn("lc_sort"), f.Param(0).Get(), f.Param(1).Get(), C32(1)))
	})

	// sorted_elems(s) -> a vector of the elements of set s in the total order.
	define("sorted_elems", i64, i64, func(rt *Runtime, f *Func) {
		s := f.Param(0)
		n, buf := f.NewLocal(I32), f.NewLocal(I32)
		f.Set(n, collCount(s.Get()))
		f.Set(buf, Call(rt.Fn("lc_buf_new"), n.Get()))
		f.Exec(Call(rt.Fn("lc_sorted_into"), s.Get(), buf.Get(), C32(1)))
		f.Result(Call(rt.Fn("lc_vector_from_buf"), buf.Get(), n.Get()))
	})

	// sorted_entries(m) -> a vector of the [k v] entries of map m in the total order of
	// the keys.
	define("sorted_entries", i64, i64, func(rt *Runtime, f *Func) {
		m := f.Param(0)
		n, buf := f.NewLocal(I32), f.NewLocal(I32)
		f.Set(n, collCount(m.Get()))
		f.Set(buf, Call(rt.Fn("lc_buf_new"), n.Get()))
		f.Exec(Call(rt.Fn("lc_seq_into"), m.Get(), buf.Get()))
		f.Result(Call(rt.Fn("lc_vector_from_buf"), buf.Get(), n.Get()))
	})

	// lc_rank(v) -> the rank of v's type in the total order: nil 0, boolean 1, number 2,
	// string 3, keyword 4, symbol 5, list/vector 6, set 7, map 8, function 9.
	define("lc_rank", i64, i32, func(rt *Runtime, f *Func) {
		v := f.Param(0)
		t := f.NewLocal(I32)
		f.If(Eq64(v.Get(), Const(layout.Nil)), func() { f.Return(C32(0)) }, nil)
		f.If(Or32(Eq64(v.Get(), Const(layout.True)), Eq64(v.Get(), Const(layout.False))), func() { f.Return(C32(1)) }, nil)
		f.If(IsFixnum(v.Get()), func() { f.Return(C32(2)) }, nil)
		f.If(Eqz32(IsPointer(v.Get())), func() { f.Return(C32(9)) }, nil)
		f.Set(t, TypeOf(v.Get()))
		f.If(LeU32(t.Get(), C32(layout.TypeFloat)), func() { f.Return(C32(2)) }, nil)
		f.If(LeU32(t.Get(), C32(layout.TypeSymbol)), func() { f.Return(t.Get()) }, nil) // 3, 4, 5
		f.If(LeU32(t.Get(), C32(layout.TypeVector)), func() { f.Return(C32(6)) }, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeSet)), func() { f.Return(C32(7)) }, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeMap)), func() { f.Return(C32(8)) }, nil)
		f.Result(C32(9))
	})

	// lc_float_cmp(x, y) compares floats with NaN equal to itself and after all numbers.
	define("lc_float_cmp", []ValType{F64, F64}, i32, func(rt *Runtime, f *Func) {
		x, y := f.Param(0), f.Param(1)
		xn, yn := f.NewLocal(I32), f.NewLocal(I32)
		f.Set(xn, Op(F64Ne, x.Get(), x.Get()))
		f.Set(yn, Op(F64Ne, y.Get(), y.Get()))
		f.If(Or32(xn.Get(), yn.Get()), func() { f.Return(Sub32(xn.Get(), yn.Get())) }, nil)
		f.Result(Sub32(Op(F64Gt, x.Get(), y.Get()), Op(F64Lt, x.Get(), y.Get())))
	})

	// lc_int_float_cmp(i, x) compares an integer with a float exactly (value.compareIntFloat):
	// an integer sorts before a float of equal value, and before NaN.
	define("lc_int_float_cmp", []ValType{I64, F64}, i32, func(rt *Runtime, f *Func) {
		i, x := f.Param(0), f.Param(1)
		t := f.NewLocal(F64)
		ti := f.NewLocal(I64)
		f.If(Op(F64Ne, x.Get(), x.Get()), func() { f.Return(C32(-1)) }, nil)
		f.If(Op(F64Ge, x.Get(), CF64(0x1p63)), func() { f.Return(C32(-1)) }, nil)
		f.If(Op(F64Lt, x.Get(), CF64(-0x1p63)), func() { f.Return(C32(1)) }, nil)
		f.Set(t, Op(F64Trunc, x.Get()))
		f.Set(ti, Op(I64TruncF64S, t.Get()))
		f.If(Ne64(i.Get(), ti.Get()), func() { f.Return(Sub32(Op(I64GtS, i.Get(), ti.Get()), Op(I64LtS, i.Get(), ti.Get()))) }, nil)
		f.Result(Select(C32(1), C32(-1), Op(F64Lt, Op(F64Sub, x.Get(), t.Get()), CF64(0))))
	})

	// lc_num_compare(a, b) orders two numbers (value.Compare).
	define("lc_num_compare", i64x2, i32, func(rt *Runtime, f *Func) {
		a, b := f.Param(0), f.Param(1)
		ka, kb := f.NewLocal(I32), f.NewLocal(I32)
		x, y := f.NewLocal(I64), f.NewLocal(I64)
		f.Set(ka, Call(rt.Fn("num_kind"), a.Get()))
		f.Set(kb, Call(rt.Fn("num_kind"), b.Get()))
		f.If(And32(Eq32(ka.Get(), C32(1)), Eq32(kb.Get(), C32(1))), func() {
			f.Set(x, Call(rt.Fn("int_of"), a.Get()))
			f.Set(y, Call(rt.Fn("int_of"), b.Get()))
			f.Return(Sub32(Op(I64GtS, x.Get(), y.Get()), Op(I64LtS, x.Get(), y.Get())))
		}, nil)
		f.If(And32(Eq32(ka.Get(), C32(2)), Eq32(kb.Get(), C32(2))), func() {
			f.Return(Call(rt.Fn("lc_float_cmp"), LoadF64(Ptr(a.Get()), layout.BoxValue), LoadF64(Ptr(b.Get()), layout.BoxValue)))
		}, nil)
		f.If(Eq32(ka.Get(), C32(1)), func() {
			f.Return(Call(rt.Fn("lc_int_float_cmp"), Call(rt.Fn("int_of"), a.Get()), LoadF64(Ptr(b.Get()), layout.BoxValue)))
		}, nil)
		f.Result(Sub32(C32(0), Call(rt.Fn("lc_int_float_cmp"), Call(rt.Fn("int_of"), b.Get()), LoadF64(Ptr(a.Get()), layout.BoxValue))))
	})

	// lc_seq_compare(a, b) orders two lists or vectors lexicographically.
	define("lc_seq_compare", i64x2, i32, func(rt *Runtime, f *Func) {
		a, b := f.Param(0), f.Param(1)
		na, nb, n, i, aList, bList, c := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32),
			f.NewLocal(I32), f.NewLocal(I32)
		ca, cb, x, y := f.NewLocal(I64), f.NewLocal(I64), f.NewLocal(I64), f.NewLocal(I64)
		f.Set(na, collCount(a.Get()))
		f.Set(nb, collCount(b.Get()))
		f.Set(n, lcMin32(na.Get(), nb.Get()))
		f.Set(aList, isType(a.Get(), layout.TypeList))
		f.Set(bList, isType(b.Get(), layout.TypeList))
		f.Set(ca, a.Get())
		f.Set(cb, b.Get())
		next := func(list, cell, v, out Local) {
			f.If(list.Get(), func() {
				f.Set(out, Load64(Ptr(cell.Get()), layout.ListFirst))
				f.Set(cell, Load64(Ptr(cell.Get()), layout.ListRest))
			}, func() {
				f.Set(out, Call(rt.Fn("vector_nth"), v.Get(), i.Get()))
			})
		}
		lcFor(f, i, C32(0), n.Get(), func() {
			next(aList, ca, a, x)
			next(bList, cb, b, y)
			f.Set(c, Call(rt.Fn("compare"), x.Get(), y.Get()))
			f.If(c.Get(), func() { f.Return(c.Get()) }, nil)
		})
		f.Result(lcCmp3U32(na.Get(), nb.Get()))
	})

	// lc_buf_compare(a, na, b, nb) orders two buffers of values lexicographically.
	define("lc_buf_compare", []ValType{I32, I32, I32, I32}, i32, func(rt *Runtime, f *Func) {
		a, na, b, nb := f.Param(0), f.Param(1), f.Param(2), f.Param(3)
		i, c := f.NewLocal(I32), f.NewLocal(I32)
		lcFor(f, i, C32(0), lcMin32(na.Get(), nb.Get()), func() {
			f.Set(c, Call(rt.Fn("compare"), lcLoad(a.Get(), i.Get()), lcLoad(b.Get(), i.Get())))
			f.If(c.Get(), func() { f.Return(c.Get()) }, nil)
		})
		f.Result(lcCmp3U32(na.Get(), nb.Get()))
	})

	// lc_hamt_compare(a, b, width) orders two sets (width 1) or maps (width 2) by their
	// sorted entries: key, then value, entry by entry, then by count.
	define("lc_hamt_compare", []ValType{I64, I64, I32}, i32, func(rt *Runtime, f *Func) {
		a, b, width := f.Param(0), f.Param(1), f.Param(2)
		ba, bb, na, nb := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		f.Set(na, Mul32(collCount(a.Get()), width.Get()))
		f.Set(nb, Mul32(collCount(b.Get()), width.Get()))
		f.Set(ba, Call(rt.Fn("lc_buf_new"), na.Get()))
		f.Set(bb, Call(rt.Fn("lc_buf_new"), nb.Get()))
		f.Exec(Call(rt.Fn("lc_sorted_into"), a.Get(), ba.Get(), width.Get()))
		f.Exec(Call(rt.Fn("lc_sorted_into"), b.Get(), bb.Get(), width.Get()))
		f.Result(Call(rt.Fn("lc_buf_compare"), ba.Get(), na.Get(), bb.Get(), nb.Get()))
	})

	// compare(a, b) -> -1, 0 or 1: the total order of rtfs-language.md §2 (value.Compare).
	define("compare", i64x2, i32, func(rt *Runtime, f *Func) {
		a, b := f.Param(0), f.Param(1)
		ra, rb := f.NewLocal(I32), f.NewLocal(I32)
		na, nb := f.NewLocal(I64), f.NewLocal(I64)
		f.If(Eq64(a.Get(), b.Get()), func() { f.Return(C32(0)) }, nil)
		f.If(And32(IsFixnum(a.Get()), IsFixnum(b.Get())), func() {
			f.Return(Sub32(Op(I64GtS, a.Get(), b.Get()), Op(I64LtS, a.Get(), b.Get())))
		}, nil)
		f.Set(ra, Call(rt.Fn("lc_rank"), a.Get()))
		f.Set(rb, Call(rt.Fn("lc_rank"), b.Get()))
		f.If(Ne32(ra.Get(), rb.Get()), func() { f.Return(lcCmp3U32(ra.Get(), rb.Get())) }, nil)
		f.If(Eq32(ra.Get(), C32(1)), func() { f.Return(Select(C32(1), C32(-1), Eq64(a.Get(), Const(layout.True)))) }, nil)
		f.If(Eq32(ra.Get(), C32(2)), func() { f.Return(Call(rt.Fn("lc_num_compare"), a.Get(), b.Get())) }, nil)
		f.If(LtU32(Sub32(ra.Get(), C32(3)), C32(3)), func() { f.Return(Call(rt.Fn("text_compare"), a.Get(), b.Get())) }, nil)
		f.If(Eq32(ra.Get(), C32(6)), func() { f.Return(Call(rt.Fn("lc_seq_compare"), a.Get(), b.Get())) }, nil)
		f.If(Eq32(ra.Get(), C32(7)), func() { f.Return(Call(rt.Fn("lc_hamt_compare"), a.Get(), b.Get(), C32(1))) }, nil)
		f.If(Eq32(ra.Get(), C32(8)), func() { f.Return(Call(rt.Fn("lc_hamt_compare"), a.Get(), b.Get(), C32(2))) }, nil)
		f.If(Eq32(ra.Get(), C32(9)), func() {
			// Functions, by name ("" when anonymous).
			empty := Const(rt.Data.Text(layout.TypeString, ""))
			f.Set(na, Load64(Ptr(a.Get()), layout.ClosureName))
			f.Set(nb, Load64(Ptr(b.Get()), layout.ClosureName))
			f.Return(Call(rt.Fn("text_compare"), Select(empty, na.Get(), Eq64(na.Get(), Const(layout.Nil))),
				Select(empty, nb.Get(), Eq64(nb.Get(), Const(layout.Nil)))))
		}, nil)
		f.Result(C32(0)) // both nil
	})
}
