package guest

import (
	"github.com/rtfsvm/rtfsvm/internal/layout"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
)

// A list is a chain of cells ending with the empty list (count 0), never with nil, so
// that every list, empty or not, is an object with a count.

func init() {
	// list_cons(x, l) -> the list of x followed by list l.
	define("list_cons", i64x2, i64, func(rt *Runtime, f *Func) {
		x, l := f.Param(0), f.Param(1)
		p := f.NewLocal(I32)
		f.Set(p, Call(rt.Fn("alloc"), C32(layout.TypeList), C32(3)))
		f.Store64(p.Get(), layout.CountOffset, ExtendU(Add32(collCount(l.Get()), C32(1))))
		f.Store64(p.Get(), layout.ListFirst, x.Get())
		f.Store64(p.Get(), layout.ListRest, l.Get())
		f.Result(ExtendU(p.Get()))
	})
	// list_first(l) -> the head of list l, nil when it is empty.
	define("list_first", i64, i64, func(rt *Runtime, f *Func) {
		l := f.Param(0)
		f.Result(Select(Load64(Ptr(l.Get()), layout.ListFirst), Const(layout.Nil), collCount(l.Get())))
	})
	// list_rest(l) -> list l without its head; the empty list stays empty.
	define("list_rest", i64, i64, func(rt *Runtime, f *Func) {
		l := f.Param(0)
		f.Result(Select(Load64(Ptr(l.Get()), layout.ListRest), Const(rt.EmptyList), collCount(l.Get())))
	})
}
