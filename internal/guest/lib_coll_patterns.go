package guest

import (
	"github.com/rtfsvm/rtfsvm/internal/layout"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
)

// The primitives that destructuring and match are lowered to (package patterns). The
// compiler passes indices and lengths as integer literals.

// lcMatchMessage is what match-message returns: the message of :error/match.
const lcMatchMessage = "no match clause applies"

func init() {
	// (destructure-nth v i): element i of nil, a vector, a list or a string; nil past
	// the end.
	define("lib_destructure_nth", i64x2, i64, func(rt *Runtime, f *Func) {
		v, i := f.Param(0), f.Param(1)
		t := f.NewLocal(I32)
		r := f.NewLocal(I64)
		f.If(Eq64(v.Get(), Const(layout.Nil)), func() { f.Return(Const(layout.Nil)) }, nil)
		f.Set(t, lcTypeOf(v.Get()))
		f.If(Eqz32(Or32(lcIsSeqType(t.Get()), Eq32(t.Get(), C32(layout.TypeString)))), func() {
			f.Return(rt.Raise(ErrCollNotSeqPat, v.Get()))
		}, nil)
		f.Set(r, Call(rt.Fn("lc_nth"), v.Get(), Call(rt.Fn("int_of"), i.Get())))
		f.Result(Select(Const(layout.Nil), r.Get(), Eq64(r.Get(), Const(lcAbsent))))
	})
	libFixed("destructure-nth", "lib_destructure_nth", 2)

	// (destructure-rest v i): the list of the elements from i on, nil when there are
	// none; a list's own tail when v is a list.
	define("lib_destructure_rest", i64x2, i64, func(rt *Runtime, f *Func) {
		v, iv := f.Param(0), f.Param(1)
		t, buf, n, from := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		i := f.NewLocal(I64)
		f.If(Eq64(v.Get(), Const(layout.Nil)), func() { f.Return(Const(layout.Nil)) }, nil)
		f.Set(i, Call(rt.Fn("int_of"), iv.Get()))
		f.Set(t, lcTypeOf(v.Get()))
		f.If(Eq32(t.Get(), C32(layout.TypeList)), func() {
			rt.ChargeFuel(f, ExtendU(lcMin32(collCount(v.Get()), Wrap(Select(i.Get(), C64(0), GtS64(i.Get(), C64(0)))))))
			f.Block(func(done Label) {
				f.Loop(func(again Label) {
					f.BrIf(done, Or32(LeS64(i.Get(), C64(0)), Eqz32(collCount(v.Get()))))
					f.Set(v, Load64(Ptr(v.Get()), layout.ListRest))
					f.Set(i, Sub64(i.Get(), C64(1)))
					f.Br(again)
				})
			})
			f.Return(Select(v.Get(), Const(layout.Nil), collCount(v.Get())))
		}, nil)
		f.If(Eqz32(Or32(Eq32(t.Get(), C32(layout.TypeVector)), Eq32(t.Get(), C32(layout.TypeString)))), func() {
			f.Return(rt.Raise(ErrCollNotSeqPat, v.Get()))
		}, nil)
		f.If(LeS64(i.Get(), C64(0)), func() { f.Set(i, C64(0)) }, nil)
		f.If(Eqz32(lcLtU64(i.Get(), ExtendU(Call(rt.Fn("lc_seq_len"), v.Get())))), func() { f.Return(Const(layout.Nil)) }, nil)
		f.Set(from, Wrap(i.Get()))
		f.If(Eq32(t.Get(), C32(layout.TypeVector)), func() {
			f.Set(n, Sub32(collCount(v.Get()), from.Get()))
			rt.ChargeFuel(f, ExtendU(n.Get()))
			f.Set(buf, Call(rt.Fn("lc_buf_new"), n.Get()))
			f.Exec(Call(rt.Fn("lc_vector_into"), v.Get(), buf.Get(), from.Get(), collCount(v.Get())))
			f.Return(Call(rt.Fn("lc_list_from_buf"), buf.Get(), n.Get()))
		}, nil)
		set2(f, buf, n, Call(rt.Fn("lc_seq_buf"), v.Get(), C32(0)))
		f.Result(Call(rt.Fn("lc_list_from_buf"), lcWord(buf.Get(), from.Get()), Sub32(n.Get(), from.Get())))
	})
	libFixed("destructure-rest", "lib_destructure_rest", 2)

	// (destructure-get m k default): the value of key k in map m, or the default;
	// nil gives the default.
	define("lib_destructure_get", []ValType{I64, I64, I64}, i64, func(rt *Runtime, f *Func) {
		m, k, d := f.Param(0), f.Param(1), f.Param(2)
		f.If(Eq64(m.Get(), Const(layout.Nil)), func() { f.Return(d.Get()) }, nil)
		f.If(Ne32(lcTypeOf(m.Get()), C32(layout.TypeMap)), func() { f.Return(rt.Raise(ErrCollNotMapPat, m.Get())) }, nil)
		f.Result(Call(rt.Fn("map_get"), m.Get(), k.Get(), d.Get()))
	})
	libFixed("destructure-get", "lib_destructure_get", 3)

	// (match-length v n), (match-min-length v n): a list or vector of exactly (at least)
	// n elements.
	for _, e := range []struct {
		name, routine string
		op            byte
	}{{"match-length", "lib_match_length", I64Eq}, {"match-min-length", "lib_match_min_length", I64GeS}} {
		e := e
		define(e.routine, i64x2, i64, func(rt *Runtime, f *Func) {
			v, n := f.Param(0), f.Param(1)
			f.If(Eqz32(lcIsSeqType(lcTypeOf(v.Get()))), func() { f.Return(Const(layout.False)) }, nil)
			f.Result(Bool(Op(e.op, ExtendU(collCount(v.Get())), Call(rt.Fn("int_of"), n.Get()))))
		})
		libFixed(e.name, e.routine, 2)
	}

	// (match-key m k): a map that has key k.
	define("lib_match_key", i64x2, i64, func(rt *Runtime, f *Func) {
		m, k := f.Param(0), f.Param(1)
		f.If(Ne32(lcTypeOf(m.Get()), C32(layout.TypeMap)), func() { f.Return(Const(layout.False)) }, nil)
		f.Result(Bool(Call(rt.Fn("map_contains"), m.Get(), k.Get())))
	})
	libFixed("match-key", "lib_match_key", 2)

	// (match-equal a b): a literal pattern, by =.
	define("lib_match_equal", i64x2, i64, func(rt *Runtime, f *Func) {
		f.Result(Bool(Call(rt.Fn("equal"), f.Param(0).Get(), f.Param(1).Get())))
	})
	libFixed("match-equal", "lib_match_equal", 2)

	// (match-message v): the message of the :error/match a failed match raises.
	define("lib_match_message", i64, i64, func(rt *Runtime, f *Func) {
		f.Result(Const(rt.Data.Text(layout.TypeString, lcMatchMessage)))
	})
	libFixed("match-message", "lib_match_message", 1)
}
