package guest

import (
	"github.com/rtfsvm/rtfsvm/internal/layout"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
	"github.com/rtfsvm/rtfsvm/value"
)

// Collections are persistent: a routine never changes an object it did not allocate
// itself, so an update copies the path from the root to the change and shares the rest.
// The routines of list.go, vector.go and hamt.go trust their callers about the types of
// their arguments (the compiler and the prelude check them); coll_count and vector_get
// are the checked entry points that raise.

// The collection codes.
var (
	ErrIndex         = errorCode(100, value.ErrIndex, "index out of range: %s") // the value is the index
	ErrNotCollection = errorCode(101, value.ErrType, "expected a collection, got %s")
	ErrNotIndex      = errorCode(102, value.ErrType, "expected an integer index, got %s")
)

// Payload words are numbered from 0, the first word after the header: an object's raw
// words come first, then its value slots.

// slot is payload word w (an i32) of the object at address p.
func slot(p, w X) X { return Load64(Add32(p, Shl32(w, C32(3))), layout.HeaderSize) }

// setSlot stores v in payload word w of the object at p.
func setSlot(f *Func, p, w, v X) { f.Store64(Add32(p, Shl32(w, C32(3))), layout.HeaderSize, v) }

// sizeOf is the payload size in words of the object at p.
func sizeOf(p X) X { return Load32(p, layout.HeaderSizeOffset) }

// popcnt counts the bits set in an i32.

// collCount is the count of a list, vector, map or set (an i32).
func collCount(v X) X { return Load32(Ptr(v), layout.CountOffset) }

// nop leaves nothing: with set2 it takes the rest of a multi-value result off the stack.
var nop X = func(*Func) {}

// set2 assigns the two results of call x: the first to a, the second to b.
func set2(f *Func, a, b Local, x X) { f.Set(b, x); f.Set(a, nop) }

func init() {
	// obj_splice(old, rm, rmN, ins, insN) -> a copy of the object at old (same type) whose
	// payload loses the rmN words at rm and then gains insN words at ins (an index into
	// the payload after the removal). The inserted words are zero, for the caller to fill.
	// Every update of a node is one splice: a copy (0, 0, 0, 0), an append, a removal,
	// or an entry moving to a child.
	define("obj_splice", []ValType{I32, I32, I32, I32, I32}, i32, func(rt *Runtime, f *Func) {
		old, rm, rmN, ins, insN := f.Param(0), f.Param(1), f.Param(2), f.Param(3), f.Param(4)
		size, c, src, dst := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		f.Set(size, sizeOf(old.Get()))
		f.Set(c, Call(rt.Fn("alloc"), Load8U(old.Get(), layout.HeaderTypeOffset),
			Add32(Sub32(size.Get(), rmN.Get()), insN.Get())))
		f.Set(src, Add32(old.Get(), C32(layout.HeaderSize)))
		f.Set(dst, Add32(c.Get(), C32(layout.HeaderSize)))
		w := func(base, i X) X { return Add32(base, Shl32(i, C32(3))) }
		copyWords := func(to, from, n X) { f.MemoryCopy(to, from, Shl32(n, C32(3))) }
		f.If(LeU32(ins.Get(), rm.Get()), func() {
			copyWords(dst.Get(), src.Get(), ins.Get())
			copyWords(w(dst.Get(), Add32(ins.Get(), insN.Get())), w(src.Get(), ins.Get()), Sub32(rm.Get(), ins.Get()))
			copyWords(w(dst.Get(), Add32(rm.Get(), insN.Get())), w(src.Get(), Add32(rm.Get(), rmN.Get())),
				Sub32(Sub32(size.Get(), rm.Get()), rmN.Get()))
		}, func() {
			copyWords(dst.Get(), src.Get(), rm.Get())
			copyWords(w(dst.Get(), rm.Get()), w(src.Get(), Add32(rm.Get(), rmN.Get())), Sub32(ins.Get(), rm.Get()))
			copyWords(w(dst.Get(), Add32(ins.Get(), insN.Get())), w(src.Get(), Add32(ins.Get(), rmN.Get())),
				Sub32(Sub32(size.Get(), ins.Get()), rmN.Get()))
		})
		f.Result(c.Get())
	})
	// coll_count(v) -> the count of nil, a collection or a string (in code points), as
	// a value; a type error for anything else.
	define("coll_count", i64, i64, func(rt *Runtime, f *Func) {
		v := f.Param(0)
		t := f.NewLocal(I32)
		f.If(Eq64(v.Get(), Const(layout.Nil)), func() { f.Return(Fixnum(0)) }, nil)
		f.If(Eqz32(IsPointer(v.Get())), func() { f.Return(rt.Raise(ErrNotCollection, v.Get())) }, nil)
		f.Set(t, TypeOf(v.Get()))
		f.If(Eq32(t.Get(), C32(layout.TypeString)), func() {
			f.Return(Tag(Load32U64(Ptr(v.Get()), layout.StringRunes)))
		}, nil)
		f.If(Or32(Eq32(t.Get(), C32(layout.TypeList)), Or32(Eq32(t.Get(), C32(layout.TypeVector)),
			Or32(Eq32(t.Get(), C32(layout.TypeMap)), Eq32(t.Get(), C32(layout.TypeSet))))), func() {
			f.Return(Tag(ExtendU(collCount(v.Get()))))
		}, nil)
		f.Result(rt.Raise(ErrNotCollection, v.Get()))
	})
	// vector_get(v, i) -> element i of vector v, where i is a value: an index error
	// when i is out of range, a type error when it is not an integer. (v i) and nth.
	define("vector_get", i64x2, i64, func(rt *Runtime, f *Func) {
		v, i := f.Param(0), f.Param(1)
		f.If(Eqz32(IsFixnum(i.Get())), func() {
			f.If(IsPointer(i.Get()), func() {
				f.If(Eq32(TypeOf(i.Get()), C32(layout.TypeBigInt)), func() { f.Return(rt.Raise(ErrIndex, i.Get())) }, nil)
			}, nil)
			f.Return(rt.Raise(ErrNotIndex, i.Get()))
		}, nil)
		// A negative index is huge as an unsigned number: one comparison checks both ends.
		f.If(GeU64(Untag(i.Get()), ExtendU(collCount(v.Get()))), func() { f.Return(rt.Raise(ErrIndex, i.Get())) }, nil)
		f.Result(Call(rt.Fn("vector_nth"), v.Get(), Wrap(Untag(i.Get()))))
	})
}

// geU64 is unsigned >= on i64.
