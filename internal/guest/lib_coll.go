package guest

import (
	"github.com/rtfsvm/rtfsvm/internal/layout"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
)

// The collection and sequence functions of the library (rtfs-language.md §8), with the
// semantics and error kinds of the Go library (stdlib/coll.go, stdlib/seq.go): every
// function that returns a sequence returns a vector, maps and sets are seen in the total
// order, strings as sequences of one-character strings.

// lcArg is variadic argument i (the arguments are at args).
func lcArg(args Local, i X) X { return Load64(lcWord(args.Get(), i), 0) }

// lcIsInt tests for an integer value (fixnum or boxed).
func lcIsInt(rt *Runtime, v X) X { return Eq32(Call(rt.Fn("num_kind"), v), C32(1)) }

// lcLtU64 is unsigned < on i64.
func lcLtU64(a, b X) X { return Op(I64LtU, a, b) }

// lcIsSeqType tests a type byte for a list or vector.
func lcIsSeqType(t X) X { return LtU32(Sub32(t, C32(layout.TypeList)), C32(2)) }

// lcIsCollType tests a type byte for a list, vector, map or set.
func lcIsCollType(t X) X { return LtU32(Sub32(t, C32(layout.TypeList)), C32(5)) } // 6..10

func init() {
	vs := VariadicSig

	// count
	define("lib_count", i64, i64, func(rt *Runtime, f *Func) {
		f.Result(Call(rt.Fn("coll_count"), f.Param(0).Get()))
	})
	libFixed("count", "lib_count", 1)

	// (get coll k default?): a map key, a set element, a vector or string index; never
	// an error.
	define("lib_get", vs.Params, vs.Results, func(rt *Runtime, f *Func) {
		args, argc := f.Param(0), f.Param(1)
		coll, k, d, r := f.NewLocal(I64), f.NewLocal(I64), f.NewLocal(I64), f.NewLocal(I64)
		t := f.NewLocal(I32)
		f.Set(coll, lcArg(args, C32(0)))
		f.Set(k, lcArg(args, C32(1)))
		f.Set(d, Const(layout.Nil))
		f.If(Eq32(argc.Get(), C32(3)), func() { f.Set(d, lcArg(args, C32(2))) }, nil)
		f.Set(t, lcTypeOf(coll.Get()))
		f.If(Eq32(t.Get(), C32(layout.TypeMap)), func() { f.Return(Call(rt.Fn("map_get"), coll.Get(), k.Get(), d.Get())) }, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeSet)), func() {
			f.Return(Select(k.Get(), d.Get(), Call(rt.Fn("map_contains"), coll.Get(), k.Get())))
		}, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeVector)), func() {
			f.If(And32(IsFixnum(k.Get()), lcLtU64(Untag(k.Get()), ExtendU(collCount(coll.Get())))), func() {
				f.Return(Call(rt.Fn("vector_nth"), coll.Get(), Wrap(Untag(k.Get()))))
			}, nil)
		}, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeString)), func() {
			f.If(IsFixnum(k.Get()), func() {
				f.Set(r, Call(rt.Fn("lc_string_nth"), coll.Get(), Untag(k.Get())))
				f.If(Ne64(r.Get(), Const(lcAbsent)), func() { f.Return(r.Get()) }, nil)
			}, nil)
		}, nil)
		f.Result(d.Get())
	})
	libVariadic("get", "lib_get", 2, 3)

	// (contains? coll k): a key of a map, an element of a set, an index of a vector or
	// string; nil contains nothing.
	define("lib_contains", i64x2, i64, func(rt *Runtime, f *Func) {
		coll, k := f.Param(0), f.Param(1)
		t := f.NewLocal(I32)
		f.If(Eq64(coll.Get(), Const(layout.Nil)), func() { f.Return(Const(layout.False)) }, nil)
		f.Set(t, lcTypeOf(coll.Get()))
		f.If(Or32(Eq32(t.Get(), C32(layout.TypeMap)), Eq32(t.Get(), C32(layout.TypeSet))), func() {
			f.Return(Bool(Call(rt.Fn("map_contains"), coll.Get(), k.Get())))
		}, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeVector)), func() {
			f.Return(Bool(And32(IsFixnum(k.Get()), lcLtU64(Untag(k.Get()), ExtendU(collCount(coll.Get()))))))
		}, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeString)), func() {
			f.Return(Bool(And32(IsFixnum(k.Get()), lcLtU64(Untag(k.Get()), Load32U64(Ptr(coll.Get()), layout.StringRunes)))))
		}, nil)
		f.Result(rt.Raise(ErrCollNotLookup, coll.Get()))
	})
	libFixed("contains?", "lib_contains", 2)

	// (find coll k) -> [k v] of a map key or vector index, or nil.
	define("lib_find", i64x2, i64, func(rt *Runtime, f *Func) {
		coll, k := f.Param(0), f.Param(1)
		t := f.NewLocal(I32)
		r := f.NewLocal(I64)
		f.If(Eq64(coll.Get(), Const(layout.Nil)), func() { f.Return(Const(layout.Nil)) }, nil)
		f.Set(t, lcTypeOf(coll.Get()))
		f.If(Eq32(t.Get(), C32(layout.TypeMap)), func() {
			f.Set(r, Call(rt.Fn("hamt_find"), Load64(Ptr(coll.Get()), layout.MapRoot), k.Get(), Call(rt.Fn("hash"), k.Get())))
			f.If(Eq64(r.Get(), Const(layout.Err)), func() { f.Return(Const(layout.Nil)) }, nil)
			f.Return(Call(rt.Fn("vector_pair"), k.Get(), r.Get()))
		}, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeVector)), func() {
			f.If(And32(IsFixnum(k.Get()), lcLtU64(Untag(k.Get()), ExtendU(collCount(coll.Get())))), func() {
				f.Return(Call(rt.Fn("vector_pair"), k.Get(), Call(rt.Fn("vector_nth"), coll.Get(), Wrap(Untag(k.Get())))))
			}, nil)
			f.Return(Const(layout.Nil))
		}, nil)
		f.Result(rt.Raise(ErrCollNotMapOrVec, coll.Get()))
	})
	libFixed("find", "lib_find", 2)

	// lc_nth(v, i) -> element i of seqable v, lcAbsent when out of range, or Err after a
	// type error (stdlib nth: vectors, lists and strings are read in place).
	define("lc_nth", i64x2, i64, func(rt *Runtime, f *Func) {
		v, i := f.Param(0), f.Param(1)
		t, buf, n := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		cell := f.NewLocal(I64)
		f.If(Eq64(v.Get(), Const(layout.Nil)), func() { f.Return(Const(lcAbsent)) }, nil)
		f.Set(t, lcTypeOf(v.Get()))
		f.If(Eq32(t.Get(), C32(layout.TypeVector)), func() {
			f.If(lcLtU64(i.Get(), ExtendU(collCount(v.Get()))), func() {
				f.Return(Call(rt.Fn("vector_nth"), v.Get(), Wrap(i.Get())))
			}, nil)
			f.Return(Const(lcAbsent))
		}, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeList)), func() {
			f.If(Eqz32(lcLtU64(i.Get(), ExtendU(collCount(v.Get())))), func() { f.Return(Const(lcAbsent)) }, nil)
			rt.ChargeFuel(f, i.Get())
			f.Set(cell, v.Get())
			f.Block(func(done Label) {
				f.Loop(func(again Label) {
					f.BrIf(done, Eqz64(i.Get()))
					f.Set(cell, Load64(Ptr(cell.Get()), layout.ListRest))
					f.Set(i, Sub64(i.Get(), C64(1)))
					f.Br(again)
				})
			})
			f.Return(Load64(Ptr(cell.Get()), layout.ListFirst))
		}, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeString)), func() { f.Return(Call(rt.Fn("lc_string_nth"), v.Get(), i.Get())) }, nil)
		set2(f, buf, n, Call(rt.Fn("lc_seq_buf"), v.Get(), C32(0)))
		f.If(LtS32(n.Get(), C32(0)), func() { f.Return(Const(layout.Err)) }, nil)
		f.If(lcLtU64(i.Get(), ExtendU(n.Get())), func() { f.Return(lcLoad(buf.Get(), Wrap(i.Get()))) }, nil)
		f.Result(Const(lcAbsent))
	})
	for _, e := range []struct {
		name string
		i    int64
	}{{"first", 0}, {"second", 1}} {
		e := e
		define("lib_"+e.name, i64, i64, func(rt *Runtime, f *Func) {
			r := f.NewLocal(I64)
			f.Set(r, Call(rt.Fn("lc_nth"), f.Param(0).Get(), C64(e.i)))
			f.Result(Select(Const(layout.Nil), r.Get(), Eq64(r.Get(), Const(lcAbsent))))
		})
		libFixed(e.name, "lib_"+e.name, 1)
	}

	// (nth coll i default?): vectors, lists, strings and nil; out of range is an index
	// error unless a default is given.
	define("lib_nth", vs.Params, vs.Results, func(rt *Runtime, f *Func) {
		args, argc := f.Param(0), f.Param(1)
		coll, i, r := f.NewLocal(I64), f.NewLocal(I64), f.NewLocal(I64)
		t := f.NewLocal(I32)
		f.Set(coll, lcArg(args, C32(0)))
		f.Set(i, lcArg(args, C32(1)))
		f.If(Eqz32(lcIsInt(rt, i.Get())), func() { f.Return(rt.Raise(ErrCollNotInteger, i.Get())) }, nil)
		f.Set(t, lcTypeOf(coll.Get()))
		f.If(Eqz32(Or32(Eq64(coll.Get(), Const(layout.Nil)), Or32(lcIsSeqType(t.Get()), Eq32(t.Get(), C32(layout.TypeString))))), func() {
			f.Return(rt.Raise(ErrCollNotNthable, coll.Get()))
		}, nil)
		f.Set(r, Call(rt.Fn("lc_nth"), coll.Get(), Call(rt.Fn("int_of"), i.Get())))
		f.If(Ne64(r.Get(), Const(lcAbsent)), func() { f.Return(r.Get()) }, nil)
		f.If(Eq32(argc.Get(), C32(3)), func() { f.Return(lcArg(args, C32(2))) }, nil)
		f.Result(rt.Raise(ErrCollNthIndex, i.Get()))
	})
	libVariadic("nth", "lib_nth", 2, 3)

	// (last coll)
	define("lib_last", i64, i64, func(rt *Runtime, f *Func) {
		v := f.Param(0)
		t, buf, n := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		last := f.NewLocal(I64)
		f.Set(t, lcTypeOf(v.Get()))
		f.If(Eq32(t.Get(), C32(layout.TypeVector)), func() {
			f.Set(n, collCount(v.Get()))
			f.If(Eqz32(n.Get()), func() { f.Return(Const(layout.Nil)) }, nil)
			f.Return(Call(rt.Fn("vector_nth"), v.Get(), Sub32(n.Get(), C32(1))))
		}, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeString)), func() {
			f.Set(n, Load32(Ptr(v.Get()), layout.StringRunes))
			f.If(Eqz32(n.Get()), func() { f.Return(Const(layout.Nil)) }, nil)
			f.Return(Call(rt.Fn("lc_string_nth"), v.Get(), ExtendU(Sub32(n.Get(), C32(1)))))
		}, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeList)), func() {
			rt.ChargeFuel(f, ExtendU(collCount(v.Get())))
			eachList(f, v.Get(), func(x Local) { f.Set(last, x.Get()) })
			f.Return(last.Get())
		}, nil)
		set2(f, buf, n, Call(rt.Fn("lc_seq_buf"), v.Get(), C32(0)))
		f.If(LtS32(n.Get(), C32(0)), func() { f.Return(Const(layout.Err)) }, nil)
		f.If(Eqz32(n.Get()), func() { f.Return(Const(layout.Nil)) }, nil)
		f.Result(lcLoad(buf.Get(), Sub32(n.Get(), C32(1))))
	})
	libFixed("last", "lib_last", 1)

	// (rest coll) -> a vector, [] when nothing is left; (next coll) -> nil then.
	for _, name := range []string{"rest", "next"} {
		name := name
		define("lib_"+name, i64, i64, func(rt *Runtime, f *Func) {
			buf, n := f.NewLocal(I32), f.NewLocal(I32)
			empty := Const(rt.EmptyVector)
			if name == "next" {
				empty = Const(layout.Nil)
			}
			set2(f, buf, n, Call(rt.Fn("lc_seq_buf"), f.Param(0).Get(), C32(0)))
			f.If(LtS32(n.Get(), C32(0)), func() { f.Return(Const(layout.Err)) }, nil)
			f.If(LtU32(n.Get(), C32(2)), func() { f.Return(empty) }, nil)
			f.Result(Call(rt.Fn("lc_vector_from_buf"), Add32(buf.Get(), C32(8)), Sub32(n.Get(), C32(1))))
		})
		libFixed(name, "lib_"+name, 1)
	}

	// (seq coll) -> a vector of the elements, nil when there are none.
	define("lib_seq", i64, i64, func(rt *Runtime, f *Func) {
		v := f.Param(0)
		buf, n := f.NewLocal(I32), f.NewLocal(I32)
		f.If(Eq32(lcTypeOf(v.Get()), C32(layout.TypeVector)), func() {
			f.If(collCount(v.Get()), func() { f.Return(v.Get()) }, nil)
		}, nil)
		set2(f, buf, n, Call(rt.Fn("lc_seq_buf"), v.Get(), C32(0)))
		f.If(LtS32(n.Get(), C32(0)), func() { f.Return(Const(layout.Err)) }, nil)
		f.If(Eqz32(n.Get()), func() { f.Return(Const(layout.Nil)) }, nil)
		f.Result(Call(rt.Fn("lc_vector_from_buf"), buf.Get(), n.Get()))
	})
	libFixed("seq", "lib_seq", 1)

	// (empty? coll)
	define("lib_empty_p", i64, i64, func(rt *Runtime, f *Func) {
		r := f.NewLocal(I64)
		f.Set(r, Call(rt.Fn("coll_count"), f.Param(0).Get()))
		f.If(Eq64(r.Get(), Const(layout.Err)), func() { f.Return(r.Get()) }, nil)
		f.Result(Bool(Eq64(r.Get(), Fixnum(0))))
	})
	libFixed("empty?", "lib_empty_p", 1)

	// (keys m), (vals m): vectors in the total order of the keys; nil gives [].
	for _, e := range []struct {
		name string
		off  int32
	}{{"keys", 0}, {"vals", 1}} {
		e := e
		define("lib_"+e.name, i64, i64, func(rt *Runtime, f *Func) {
			m := f.Param(0)
			n, buf, i := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
			f.If(Eq64(m.Get(), Const(layout.Nil)), func() { f.Return(Const(rt.EmptyVector)) }, nil)
			f.If(Ne32(lcTypeOf(m.Get()), C32(layout.TypeMap)), func() { f.Return(rt.Raise(ErrCollNotMap, m.Get())) }, nil)
			f.Set(n, collCount(m.Get()))
			rt.ChargeFuel(f, lcSortCost(n.Get()))
			f.Set(buf, Call(rt.Fn("lc_buf_new"), Shl32(n.Get(), C32(1))))
			f.Exec(Call(rt.Fn("lc_sorted_into"), m.Get(), buf.Get(), C32(2)))
			lcFor(f, i, C32(0), n.Get(), func() {
				lcStore(f, buf.Get(), i.Get(), lcLoad(buf.Get(), Add32(Shl32(i.Get(), C32(1)), C32(e.off))))
			})
			f.Result(Call(rt.Fn("lc_vector_from_buf"), buf.Get(), n.Get()))
		})
		libFixed(e.name, "lib_"+e.name, 1)
	}

	// (cons x coll) -> a vector of x and the elements of coll.
	define("lib_cons", i64x2, i64, func(rt *Runtime, f *Func) {
		buf, n := f.NewLocal(I32), f.NewLocal(I32)
		set2(f, buf, n, Call(rt.Fn("lc_seq_buf"), f.Param(1).Get(), C32(1)))
		f.If(LtS32(n.Get(), C32(0)), func() { f.Return(Const(layout.Err)) }, nil)
		lcStore(f, buf.Get(), C32(0), f.Param(0).Get())
		f.Result(Call(rt.Fn("lc_vector_from_buf"), buf.Get(), Add32(n.Get(), C32(1))))
	})
	libFixed("cons", "lib_cons", 2)

	// lc_map_merge(m, node) -> map m with every entry under map node node.
	define("lc_map_merge", i64x2, i64, func(rt *Runtime, f *Func) {
		m, node := f.Param(0), f.Param(1)
		p := f.NewLocal(I32)
		f.If(Eq64(node.Get(), Const(layout.Nil)), func() { f.Return(m.Get()) }, nil)
		f.Set(p, Ptr(node.Get()))
		eachNodeEntry(f, p, func(k, v Local) {
			f.Set(m, Call(rt.Fn("map_assoc"), m.Get(), k.Get(), v.Get()))
		}, func(c Local) {
			f.Set(m, Call(rt.Fn("lc_map_merge"), m.Get(), c.Get()))
		})
		f.Result(m.Get())
	})

	// lc_conj1(coll, x) adds x the way coll grows (stdlib conj1): a list (or nil) in
	// front, a vector at the end, a set an element, a map an entry: a [k v] vector or
	// every entry of a map (nil adds nothing).
	define("lc_conj1", i64x2, i64, func(rt *Runtime, f *Func) {
		coll, x := f.Param(0), f.Param(1)
		t, tx := f.NewLocal(I32), f.NewLocal(I32)
		f.If(Eq64(coll.Get(), Const(layout.Nil)), func() { f.Return(Call(rt.Fn("list_cons"), x.Get(), Const(rt.EmptyList))) }, nil)
		f.Set(t, TypeOf(coll.Get()))
		f.If(Eq32(t.Get(), C32(layout.TypeList)), func() { f.Return(Call(rt.Fn("list_cons"), x.Get(), coll.Get())) }, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeVector)), func() { f.Return(Call(rt.Fn("vector_conj"), coll.Get(), x.Get())) }, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeSet)), func() { f.Return(Call(rt.Fn("set_conj"), coll.Get(), x.Get())) }, nil)
		// A map.
		f.If(Eq64(x.Get(), Const(layout.Nil)), func() { f.Return(coll.Get()) }, nil)
		f.Set(tx, lcTypeOf(x.Get()))
		f.If(Eq32(tx.Get(), C32(layout.TypeVector)), func() {
			f.If(Ne32(collCount(x.Get()), C32(2)), func() { f.Return(rt.Raise(ErrCollMapEntry, x.Get())) }, nil)
			f.Return(Call(rt.Fn("map_assoc"), coll.Get(), Call(rt.Fn("vector_nth"), x.Get(), C32(0)),
				Call(rt.Fn("vector_nth"), x.Get(), C32(1))))
		}, nil)
		f.If(Eq32(tx.Get(), C32(layout.TypeMap)), func() {
			rt.ChargeFuel(f, ExtendU(collCount(x.Get())))
			f.Return(Call(rt.Fn("lc_map_merge"), coll.Get(), Load64(Ptr(x.Get()), layout.MapRoot)))
		}, nil)
		f.Result(rt.Raise(ErrCollNotEntry, x.Get()))
	})

	// lc_conj_all(coll, xs, n) -> coll with the n values at xs conjoined in order.
	define("lc_conj_all", []ValType{I64, I32, I32}, i64, func(rt *Runtime, f *Func) {
		coll, xs, n := f.Param(0), f.Param(1), f.Param(2)
		i := f.NewLocal(I32)
		f.If(Ne64(coll.Get(), Const(layout.Nil)), func() {
			f.If(Eqz32(lcIsCollType(lcTypeOf(coll.Get()))), func() { f.Return(rt.Raise(ErrCollNotColl, coll.Get())) }, nil)
		}, nil)
		rt.ChargeFuel(f, ExtendU(n.Get()))
		lcFor(f, i, C32(0), n.Get(), func() {
			f.Set(coll, Call(rt.Fn("lc_conj1"), coll.Get(), lcLoad(xs.Get(), i.Get())))
			f.If(Eq64(coll.Get(), Const(layout.Err)), func() { f.Return(coll.Get()) }, nil)
		})
		f.Result(coll.Get())
	})

	// (conj coll x*); (conj) is [].
	define("lib_conj", vs.Params, vs.Results, func(rt *Runtime, f *Func) {
		args, argc := f.Param(0), f.Param(1)
		f.If(Eqz32(argc.Get()), func() { f.Return(Const(rt.EmptyVector)) }, nil)
		f.Result(Call(rt.Fn("lc_conj_all"), lcArg(args, C32(0)), Add32(args.Get(), C32(8)), Sub32(argc.Get(), C32(1))))
	})
	libVariadic("conj", "lib_conj", 0, -1)

	// (into to from): conj every element of from; (into) is [], (into to) is to.
	define("lib_into", vs.Params, vs.Results, func(rt *Runtime, f *Func) {
		args, argc := f.Param(0), f.Param(1)
		buf, n := f.NewLocal(I32), f.NewLocal(I32)
		f.If(Eqz32(argc.Get()), func() { f.Return(Const(rt.EmptyVector)) }, nil)
		f.If(Eq32(argc.Get(), C32(1)), func() { f.Return(Call(rt.Fn("lc_conj_all"), lcArg(args, C32(0)), C32(0), C32(0))) }, nil)
		set2(f, buf, n, Call(rt.Fn("lc_seq_buf"), lcArg(args, C32(1)), C32(0)))
		f.If(LtS32(n.Get(), C32(0)), func() { f.Return(Const(layout.Err)) }, nil)
		f.Result(Call(rt.Fn("lc_conj_all"), lcArg(args, C32(0)), buf.Get(), n.Get()))
	})
	libVariadic("into", "lib_into", 0, 2)

	// lc_seq_len(v) -> the element count of a value lc_seq_count accepted.
	define("lc_seq_len", i64, i32, func(rt *Runtime, f *Func) {
		v := f.Param(0)
		f.If(Eq64(v.Get(), Const(layout.Nil)), func() { f.Return(C32(0)) }, nil)
		f.If(isType(v.Get(), layout.TypeString), func() { f.Return(Load32(Ptr(v.Get()), layout.StringRunes)) }, nil)
		f.Result(collCount(v.Get()))
	})

	// (concat coll*) -> a vector of the elements of every argument.
	define("lib_concat", vs.Params, vs.Results, func(rt *Runtime, f *Func) {
		args, argc := f.Param(0), f.Param(1)
		i, n, buf, at := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		total := f.NewLocal(I64)
		lcFor(f, i, C32(0), argc.Get(), func() {
			f.Set(n, Call(rt.Fn("lc_seq_count"), lcArg(args, i.Get())))
			f.If(LtS32(n.Get(), C32(0)), func() { f.Return(Const(layout.Err)) }, nil)
			// The same big collection many times over cannot fit: no wrapping around.
			f.Set(total, Add64(total.Get(), ExtendU(n.Get())))
			f.If(Op(I64GtU, total.Get(), C64(lcMaxBufWord)), func() { lcAbortMemory(rt, f) }, nil)
		})
		f.Set(buf, Call(rt.Fn("lc_buf_new"), Wrap(total.Get())))
		f.Set(at, buf.Get())
		lcFor(f, i, C32(0), argc.Get(), func() {
			f.Exec(Call(rt.Fn("lc_seq_into"), lcArg(args, i.Get()), at.Get()))
			f.Set(at, lcWord(at.Get(), Call(rt.Fn("lc_seq_len"), lcArg(args, i.Get()))))
		})
		f.Result(Call(rt.Fn("lc_vector_from_buf"), buf.Get(), Wrap(total.Get())))
	})
	libVariadic("concat", "lib_concat", 0, -1)

	// (take n coll): a vector is read only as far as needed.
	define("lib_take", i64x2, i64, func(rt *Runtime, f *Func) {
		nv, coll := f.Param(0), f.Param(1)
		k := f.NewLocal(I64)
		buf, n, m := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		f.If(Eqz32(lcIsInt(rt, nv.Get())), func() { f.Return(rt.Raise(ErrCollNotInteger, nv.Get())) }, nil)
		f.Set(k, Call(rt.Fn("int_of"), nv.Get()))
		f.If(LtS64(k.Get(), C64(0)), func() { f.Set(k, C64(0)) }, nil)
		f.If(Eq32(lcTypeOf(coll.Get()), C32(layout.TypeVector)), func() {
			f.Set(n, collCount(coll.Get()))
			f.If(Eqz32(lcLtU64(k.Get(), ExtendU(n.Get()))), func() { f.Return(coll.Get()) }, nil)
			f.Set(m, Wrap(k.Get()))
			rt.ChargeFuel(f, ExtendU(m.Get()))
			f.Set(buf, Call(rt.Fn("lc_buf_new"), m.Get()))
			f.Exec(Call(rt.Fn("lc_vector_into"), coll.Get(), buf.Get(), C32(0), m.Get()))
			f.Return(Call(rt.Fn("lc_vector_from_buf"), buf.Get(), m.Get()))
		}, nil)
		set2(f, buf, n, Call(rt.Fn("lc_seq_buf"), coll.Get(), C32(0)))
		f.If(LtS32(n.Get(), C32(0)), func() { f.Return(Const(layout.Err)) }, nil)
		f.If(lcLtU64(k.Get(), ExtendU(n.Get())), func() { f.Set(n, Wrap(k.Get())) }, nil)
		f.Result(Call(rt.Fn("lc_vector_from_buf"), buf.Get(), n.Get()))
	})
	libFixed("take", "lib_take", 2)

	// (drop n coll)
	define("lib_drop", i64x2, i64, func(rt *Runtime, f *Func) {
		nv, coll := f.Param(0), f.Param(1)
		k := f.NewLocal(I64)
		buf, n := f.NewLocal(I32), f.NewLocal(I32)
		f.If(Eqz32(lcIsInt(rt, nv.Get())), func() { f.Return(rt.Raise(ErrCollNotInteger, nv.Get())) }, nil)
		f.Set(k, Call(rt.Fn("int_of"), nv.Get()))
		f.If(LtS64(k.Get(), C64(0)), func() { f.Set(k, C64(0)) }, nil)
		set2(f, buf, n, Call(rt.Fn("lc_seq_buf"), coll.Get(), C32(0)))
		f.If(LtS32(n.Get(), C32(0)), func() { f.Return(Const(layout.Err)) }, nil)
		f.If(Eqz32(lcLtU64(k.Get(), ExtendU(n.Get()))), func() { f.Return(Const(rt.EmptyVector)) }, nil)
		f.Result(Call(rt.Fn("lc_vector_from_buf"), lcWord(buf.Get(), Wrap(k.Get())), Sub32(n.Get(), Wrap(k.Get()))))
	})
	libFixed("drop", "lib_drop", 2)

	// (reverse coll)
	define("lib_reverse", i64, i64, func(rt *Runtime, f *Func) {
		buf, n, i, j := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		x := f.NewLocal(I64)
		set2(f, buf, n, Call(rt.Fn("lc_seq_buf"), f.Param(0).Get(), C32(0)))
		f.If(LtS32(n.Get(), C32(0)), func() { f.Return(Const(layout.Err)) }, nil)
		f.Set(j, n.Get())
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.Set(j, Sub32(j.Get(), C32(1)))
				f.BrIf(done, GeS32(i.Get(), j.Get()))
				f.Set(x, lcLoad(buf.Get(), i.Get()))
				lcStore(f, buf.Get(), i.Get(), lcLoad(buf.Get(), j.Get()))
				lcStore(f, buf.Get(), j.Get(), x.Get())
				f.Set(i, Add32(i.Get(), C32(1)))
				f.Br(again)
			})
		})
		f.Result(Call(rt.Fn("lc_vector_from_buf"), buf.Get(), n.Get()))
	})
	libFixed("reverse", "lib_reverse", 1)

	// (distinct coll): the first of each group of equal elements, in order. The elements
	// seen so far are in a scratch hash table (open addressing, linear probing) of
	// indices into the buffer, stored as fixnums i+1 (0 is a free slot): no garbage per
	// element, unlike a persistent set.
	define("lib_distinct", i64, i64, func(rt *Runtime, f *Func) {
		buf, n, i, k, table, mask, h := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32),
			f.NewLocal(I32), f.NewLocal(I32)
		x, e := f.NewLocal(I64), f.NewLocal(I64)
		set2(f, buf, n, Call(rt.Fn("lc_seq_buf"), f.Param(0).Get(), C32(0)))
		f.If(LtS32(n.Get(), C32(0)), func() { f.Return(Const(layout.Err)) }, nil)
		// A power of two at least twice n.
		f.Set(mask, C32(7))
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, GtU32(mask.Get(), Shl32(n.Get(), C32(1))))
				f.Set(mask, Or32(Shl32(mask.Get(), C32(1)), C32(1)))
				f.Br(again)
			})
		})
		f.Set(table, Call(rt.Fn("lc_buf_new"), Add32(mask.Get(), C32(1))))
		lcFor(f, i, C32(0), n.Get(), func() {
			f.Set(x, lcLoad(buf.Get(), i.Get()))
			f.Set(h, And32(Wrap(Call(rt.Fn("hash"), x.Get())), mask.Get()))
			f.Block(func(dup Label) {
				f.Loop(func(probe Label) {
					f.Set(e, lcLoad(table.Get(), h.Get()))
					f.If(Eqz64(e.Get()), func() {
						// New: kept at k, which is at most i (earlier slots are final).
						lcStore(f, table.Get(), h.Get(), Tag(ExtendU(Add32(k.Get(), C32(1)))))
						lcStore(f, buf.Get(), k.Get(), x.Get())
						f.Set(k, Add32(k.Get(), C32(1)))
						f.Br(dup)
					}, nil)
					f.BrIf(dup, Call(rt.Fn("equal"), lcLoad(buf.Get(), Sub32(Wrap(Untag(e.Get())), C32(1))), x.Get()))
					f.Set(h, And32(Add32(h.Get(), C32(1)), mask.Get()))
					f.Br(probe)
				})
			})
		})
		f.Result(Call(rt.Fn("lc_vector_from_buf"), buf.Get(), k.Get()))
	})
	libFixed("distinct", "lib_distinct", 1)

	// lc_int_range(start, end, step) -> the vector of integers from start while below
	// (above, for a negative step) end.
	define("lc_int_range", []ValType{I64, I64, I64}, i64, func(rt *Runtime, f *Func) {
		s, e, st := f.Param(0), f.Param(1), f.Param(2)
		n := f.NewLocal(I64)
		buf, i := f.NewLocal(I32), f.NewLocal(I32)
		f.If(Eqz64(st.Get()), func() { f.Return(rt.Raise(ErrCollRangeStep, Fixnum(0))) }, nil)
		// The count, in unsigned arithmetic so that no difference overflows.
		f.If(And32(GtS64(st.Get(), C64(0)), GtS64(e.Get(), s.Get())), func() {
			f.Set(n, Add64(Op(I64DivU, Sub64(Sub64(e.Get(), s.Get()), C64(1)), st.Get()), C64(1)))
		}, nil)
		f.If(And32(LtS64(st.Get(), C64(0)), LtS64(e.Get(), s.Get())), func() {
			f.Set(n, Add64(Op(I64DivU, Sub64(Sub64(s.Get(), e.Get()), C64(1)), Sub64(C64(0), st.Get())), C64(1)))
		}, nil)
		f.If(Op(I64GtU, n.Get(), C64(lcMaxElems)), func() { lcAbortMemory(rt, f) }, nil)
		rt.ChargeFuel(f, n.Get())
		f.Set(buf, Call(rt.Fn("lc_buf_new"), Wrap(n.Get())))
		lcFor(f, i, C32(0), Wrap(n.Get()), func() {
			lcStore(f, buf.Get(), i.Get(), Call(rt.Fn("box_int"), s.Get()))
			f.Set(s, Add64(s.Get(), st.Get()))
		})
		f.Result(Call(rt.Fn("lc_vector_from_buf"), buf.Get(), Wrap(n.Get())))
	})

	// lc_float_range(start, end, step, stepValue) -> the floats from start, adding the
	// step repeatedly (as Clojure does) while below (above) end.
	define("lc_float_range", []ValType{F64, F64, F64, I64}, i64, func(rt *Runtime, f *Func) {
		s, e, st, stv := f.Param(0), f.Param(1), f.Param(2), f.Param(3)
		est, next := f.NewLocal(F64), f.NewLocal(F64)
		buf, nbuf, capa, k := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		isNaN := func(x Local) X { return Op(F64Ne, x.Get(), x.Get()) }
		f.If(Or32(Op(F64Eq, st.Get(), CF64(0)), Or32(isNaN(s), Or32(isNaN(e), isNaN(st)))), func() {
			f.Return(rt.Raise(ErrCollRangeStep, stv.Get()))
		}, nil)
		inRange := func(x X) X {
			return Or32(And32(Op(F64Gt, st.Get(), CF64(0)), Op(F64Lt, x, e.Get())),
				And32(Op(F64Lt, st.Get(), CF64(0)), Op(F64Gt, x, e.Get())))
		}
		f.If(Eqz32(inRange(s.Get())), func() { f.Return(Const(rt.EmptyVector)) }, nil)
		// The estimate can be off by a few (rounding of the additions): the buffer grows.
		f.Set(est, Op(F64Ceil, Op(F64Div, Op(F64Sub, e.Get(), s.Get()), st.Get())))
		f.If(Op(F64Gt, est.Get(), CF64(lcMaxElems)), func() { lcAbortMemory(rt, f) }, nil)
		f.If(Op(F64Ge, est.Get(), CF64(1)), func() { f.Set(capa, Wrap(Op(I64TruncF64S, est.Get()))) }, nil)
		rt.ChargeFuel(f, ExtendU(capa.Get()))
		f.Set(capa, Add32(capa.Get(), C32(1)))
		f.Set(buf, Call(rt.Fn("lc_buf_new"), capa.Get()))
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, Eqz32(inRange(s.Get())))
				f.If(Eq32(k.Get(), capa.Get()), func() {
					f.Set(nbuf, Call(rt.Fn("lc_buf_new"), Shl32(capa.Get(), C32(1))))
					f.MemoryCopy(nbuf.Get(), buf.Get(), Shl32(k.Get(), C32(3)))
					f.Set(buf, nbuf.Get())
					f.Set(capa, Shl32(capa.Get(), C32(1)))
				}, nil)
				rt.ChargeFuel(f, C64(1))
				lcStore(f, buf.Get(), k.Get(), Call(rt.Fn("box_float"), s.Get()))
				f.Set(k, Add32(k.Get(), C32(1)))
				f.Set(next, Op(F64Add, s.Get(), st.Get()))
				f.If(Op(F64Eq, next.Get(), s.Get()), func() {
					f.Return(rt.Raise(ErrCollRangeStuck, Call(rt.Fn("box_float"), s.Get())))
				}, nil)
				f.Set(s, next.Get())
				f.Br(again)
			})
		})
		f.Result(Call(rt.Fn("lc_vector_from_buf"), buf.Get(), k.Get()))
	})

	// (range end), (range start end), (range start end step): integers when all are
	// integers, else floats; (range) is an error (sequences are not lazy).
	define("lib_range", vs.Params, vs.Results, func(rt *Runtime, f *Func) {
		args, argc := f.Param(0), f.Param(1)
		s, e, st := f.NewLocal(I64), f.NewLocal(I64), f.NewLocal(I64)
		f.If(Eqz32(argc.Get()), func() { f.Return(rt.Raise(ErrCollRangeEndless, Const(layout.Nil))) }, nil)
		f.Set(s, Fixnum(0))
		f.Set(st, Fixnum(1))
		f.If(Eq32(argc.Get(), C32(1)), func() { f.Set(e, lcArg(args, C32(0))) }, func() {
			f.Set(s, lcArg(args, C32(0)))
			f.Set(e, lcArg(args, C32(1)))
			f.If(Eq32(argc.Get(), C32(3)), func() { f.Set(st, lcArg(args, C32(2))) }, nil)
		})
		f.If(And32(lcIsInt(rt, s.Get()), And32(lcIsInt(rt, e.Get()), lcIsInt(rt, st.Get()))), func() {
			f.Return(Call(rt.Fn("lc_int_range"), Call(rt.Fn("int_of"), s.Get()), Call(rt.Fn("int_of"), e.Get()),
				Call(rt.Fn("int_of"), st.Get())))
		}, nil)
		for _, v := range []Local{s, e, st} {
			f.If(Eqz32(Call(rt.Fn("num_kind"), v.Get())), func() { f.Return(rt.Raise(ErrNotNumber, v.Get())) }, nil)
		}
		f.Result(Call(rt.Fn("lc_float_range"), Call(rt.Fn("float_of"), s.Get()), Call(rt.Fn("float_of"), e.Get()),
			Call(rt.Fn("float_of"), st.Get()), st.Get()))
	})
	libVariadic("range", "lib_range", 0, 3)

	// (repeat n x)
	define("lib_repeat", i64x2, i64, func(rt *Runtime, f *Func) {
		nv, x := f.Param(0), f.Param(1)
		k := f.NewLocal(I64)
		buf, i := f.NewLocal(I32), f.NewLocal(I32)
		f.If(Eqz32(lcIsInt(rt, nv.Get())), func() { f.Return(rt.Raise(ErrCollNotInteger, nv.Get())) }, nil)
		f.Set(k, Call(rt.Fn("int_of"), nv.Get()))
		f.If(LtS64(k.Get(), C64(0)), func() { f.Set(k, C64(0)) }, nil)
		f.If(GtS64(k.Get(), C64(lcMaxElems)), func() { lcAbortMemory(rt, f) }, nil)
		rt.ChargeFuel(f, k.Get())
		f.Set(buf, Call(rt.Fn("lc_buf_new"), Wrap(k.Get())))
		lcFor(f, i, C32(0), Wrap(k.Get()), func() { lcStore(f, buf.Get(), i.Get(), x.Get()) })
		f.Result(Call(rt.Fn("lc_vector_from_buf"), buf.Get(), Wrap(k.Get())))
	})
	libFixed("repeat", "lib_repeat", 2)

	// (subvec v start end?)
	define("lib_subvec", vs.Params, vs.Results, func(rt *Runtime, f *Func) {
		args, argc := f.Param(0), f.Param(1)
		v, sv, ev, s, e := f.NewLocal(I64), f.NewLocal(I64), f.NewLocal(I64), f.NewLocal(I64), f.NewLocal(I64)
		buf, m := f.NewLocal(I32), f.NewLocal(I32)
		f.Set(v, lcArg(args, C32(0)))
		f.If(Ne32(lcTypeOf(v.Get()), C32(layout.TypeVector)), func() { f.Return(rt.Raise(ErrCollNotVector, v.Get())) }, nil)
		f.Set(sv, lcArg(args, C32(1)))
		f.If(Eqz32(lcIsInt(rt, sv.Get())), func() { f.Return(rt.Raise(ErrCollNotInteger, sv.Get())) }, nil)
		f.Set(s, Call(rt.Fn("int_of"), sv.Get()))
		f.Set(e, ExtendU(collCount(v.Get())))
		f.If(Eq32(argc.Get(), C32(3)), func() {
			f.Set(ev, lcArg(args, C32(2)))
			f.If(Eqz32(lcIsInt(rt, ev.Get())), func() { f.Return(rt.Raise(ErrCollNotInteger, ev.Get())) }, nil)
			f.Set(e, Call(rt.Fn("int_of"), ev.Get()))
		}, nil)
		f.If(Or32(LtS64(s.Get(), C64(0)), Or32(GtS64(e.Get(), ExtendU(collCount(v.Get()))), GtS64(s.Get(), e.Get()))), func() {
			f.Return(rt.Raise(ErrCollSubvecRange, sv.Get()))
		}, nil)
		f.Set(m, Wrap(Sub64(e.Get(), s.Get())))
		rt.ChargeFuel(f, ExtendU(m.Get()))
		f.Set(buf, Call(rt.Fn("lc_buf_new"), m.Get()))
		f.Exec(Call(rt.Fn("lc_vector_into"), v.Get(), buf.Get(), Wrap(s.Get()), Wrap(e.Get())))
		f.Result(Call(rt.Fn("lc_vector_from_buf"), buf.Get(), m.Get()))
	})
	libVariadic("subvec", "lib_subvec", 2, 3)

	// lc_assoc1(coll, k, v): one key of a map (nil is the empty map) or one index of a
	// vector (its count appends).
	define("lc_assoc1", []ValType{I64, I64, I64}, i64, func(rt *Runtime, f *Func) {
		coll, k, v := f.Param(0), f.Param(1), f.Param(2)
		t := f.NewLocal(I32)
		f.If(Eq64(coll.Get(), Const(layout.Nil)), func() { f.Return(Call(rt.Fn("map_assoc"), Const(rt.EmptyMap), k.Get(), v.Get())) }, nil)
		f.Set(t, lcTypeOf(coll.Get()))
		f.If(Eq32(t.Get(), C32(layout.TypeMap)), func() { f.Return(Call(rt.Fn("map_assoc"), coll.Get(), k.Get(), v.Get())) }, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeVector)), func() {
			f.If(Eqz32(lcIsInt(rt, k.Get())), func() { f.Return(rt.Raise(ErrCollAssocNotIdx, k.Get())) }, nil)
			f.If(Or32(Eqz32(IsFixnum(k.Get())), Op(I64GtU, Untag(k.Get()), ExtendU(collCount(coll.Get())))), func() {
				f.Return(rt.Raise(ErrCollAssocIndex, k.Get()))
			}, nil)
			f.Return(Call(rt.Fn("vector_assoc"), coll.Get(), Wrap(Untag(k.Get())), v.Get()))
		}, nil)
		f.Result(rt.Raise(ErrCollNotMapOrVec, coll.Get()))
	})

	// (assoc coll k v & kvs)
	define("lib_assoc", vs.Params, vs.Results, func(rt *Runtime, f *Func) {
		args, argc := f.Param(0), f.Param(1)
		m := f.NewLocal(I64)
		i := f.NewLocal(I32)
		f.If(Eqz32(And32(argc.Get(), C32(1))), func() { f.Return(rt.Raise(ErrCollOddAssoc, Tag(ExtendU(argc.Get())))) }, nil)
		rt.ChargeFuel(f, ExtendU(ShrU32(argc.Get(), C32(1))))
		f.Set(m, lcArg(args, C32(0)))
		f.Set(i, C32(1))
		f.Block(func(done Label) {
			f.Loop(func(again Label) {
				f.BrIf(done, GeU32(i.Get(), argc.Get()))
				f.Set(m, Call(rt.Fn("lc_assoc1"), m.Get(), lcArg(args, i.Get()), lcArg(args, Add32(i.Get(), C32(1)))))
				f.If(Eq64(m.Get(), Const(layout.Err)), func() { f.Return(m.Get()) }, nil)
				f.Set(i, Add32(i.Get(), C32(2)))
				f.Br(again)
			})
		})
		f.Result(m.Get())
	})
	libVariadic("assoc", "lib_assoc", 3, -1)

	// (dissoc m k*)
	define("lib_dissoc", vs.Params, vs.Results, func(rt *Runtime, f *Func) {
		args, argc := f.Param(0), f.Param(1)
		m := f.NewLocal(I64)
		i := f.NewLocal(I32)
		f.Set(m, lcArg(args, C32(0)))
		f.If(Eq64(m.Get(), Const(layout.Nil)), func() { f.Return(m.Get()) }, nil)
		f.If(Ne32(lcTypeOf(m.Get()), C32(layout.TypeMap)), func() { f.Return(rt.Raise(ErrCollNotMap, m.Get())) }, nil)
		rt.ChargeFuel(f, ExtendU(Sub32(argc.Get(), C32(1))))
		lcFor(f, i, C32(1), argc.Get(), func() {
			f.Set(m, Call(rt.Fn("map_dissoc"), m.Get(), lcArg(args, i.Get())))
		})
		f.Result(m.Get())
	})
	libVariadic("dissoc", "lib_dissoc", 1, -1)

	// (empty coll): the empty collection of the same type, nil for anything else.
	define("lib_empty", i64, i64, func(rt *Runtime, f *Func) {
		t := f.NewLocal(I32)
		f.Set(t, lcTypeOf(f.Param(0).Get()))
		f.If(Eq32(t.Get(), C32(layout.TypeList)), func() { f.Return(Const(rt.EmptyList)) }, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeVector)), func() { f.Return(Const(rt.EmptyVector)) }, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeMap)), func() { f.Return(Const(rt.EmptyMap)) }, nil)
		f.If(Eq32(t.Get(), C32(layout.TypeSet)), func() { f.Return(Const(rt.EmptySet)) }, nil)
		f.Result(Const(layout.Nil))
	})
	libFixed("empty", "lib_empty", 1)

	// (vec coll)
	define("lib_vec", i64, i64, func(rt *Runtime, f *Func) {
		v := f.Param(0)
		buf, n := f.NewLocal(I32), f.NewLocal(I32)
		f.If(Eq32(lcTypeOf(v.Get()), C32(layout.TypeVector)), func() { f.Return(v.Get()) }, nil)
		set2(f, buf, n, Call(rt.Fn("lc_seq_buf"), v.Get(), C32(0)))
		f.If(LtS32(n.Get(), C32(0)), func() { f.Return(Const(layout.Err)) }, nil)
		f.Result(Call(rt.Fn("lc_vector_from_buf"), buf.Get(), n.Get()))
	})
	libFixed("vec", "lib_vec", 1)

	// (set coll)
	define("lib_set", i64, i64, func(rt *Runtime, f *Func) {
		v := f.Param(0)
		buf, n, i := f.NewLocal(I32), f.NewLocal(I32), f.NewLocal(I32)
		s := f.NewLocal(I64)
		f.If(Eq32(lcTypeOf(v.Get()), C32(layout.TypeSet)), func() { f.Return(v.Get()) }, nil)
		set2(f, buf, n, Call(rt.Fn("lc_seq_buf"), v.Get(), C32(0)))
		f.If(LtS32(n.Get(), C32(0)), func() { f.Return(Const(layout.Err)) }, nil)
		f.Set(s, Const(rt.EmptySet))
		lcFor(f, i, C32(0), n.Get(), func() { f.Set(s, Call(rt.Fn("set_conj"), s.Get(), lcLoad(buf.Get(), i.Get()))) })
		f.Result(s.Get())
	})
	libFixed("set", "lib_set", 1)

	// lc_flatten_count(s) -> the number of leaves under list or vector s (charged); more
	// than fit in memory (shared subvectors can hold many) stop the VM with the memory
	// limit.
	define("lc_flatten_count", i64, i32, func(rt *Runtime, f *Func) {
		s := f.Param(0)
		n := f.NewLocal(I32)
		rt.ChargeFuel(f, ExtendU(collCount(s.Get())))
		each := func(x Local) {
			f.If(lcIsSeqType(lcTypeOf(x.Get())), func() {
				f.Set(n, Add32(n.Get(), Call(rt.Fn("lc_flatten_count"), x.Get())))
			}, func() { f.Set(n, Add32(n.Get(), C32(1))) })
			f.If(GtU32(n.Get(), C32(lcMaxBufWord)), func() { lcAbortMemory(rt, f) }, nil)
		}
		f.If(isType(s.Get(), layout.TypeList), func() { eachList(f, s.Get(), each) }, func() { eachVector(rt, f, s.Get(), each) })
		f.Result(n.Get())
	})
	// lc_flatten_into(s, at) -> the address after the leaves under s, written at at.
	define("lc_flatten_into", []ValType{I64, I32}, i32, func(rt *Runtime, f *Func) {
		s, at := f.Param(0), f.Param(1)
		each := func(x Local) {
			f.If(lcIsSeqType(lcTypeOf(x.Get())), func() {
				f.Set(at, Call(rt.Fn("lc_flatten_into"), x.Get(), at.Get()))
			}, func() {
				f.Store64(at.Get(), 0, x.Get())
				f.Set(at, Add32(at.Get(), C32(8)))
			})
		}
		f.If(isType(s.Get(), layout.TypeList), func() { eachList(f, s.Get(), each) }, func() { eachVector(rt, f, s.Get(), each) })
		f.Result(at.Get())
	})
	// (flatten x): lists and vectors opened at any depth; anything else gives [].
	define("lib_flatten", i64, i64, func(rt *Runtime, f *Func) {
		v := f.Param(0)
		n, buf := f.NewLocal(I32), f.NewLocal(I32)
		f.If(Eqz32(lcIsSeqType(lcTypeOf(v.Get()))), func() { f.Return(Const(rt.EmptyVector)) }, nil)
		f.Set(n, Call(rt.Fn("lc_flatten_count"), v.Get()))
		f.Set(buf, Call(rt.Fn("lc_buf_new"), n.Get()))
		f.Do(Call(rt.Fn("lc_flatten_into"), v.Get(), buf.Get()))
		f.Result(Call(rt.Fn("lc_vector_from_buf"), buf.Get(), n.Get()))
	})
	libFixed("flatten", "lib_flatten", 1)

	// (sort coll) in the total order, stably. (sort with a comparator is written in RTFS.)
	define("lib_sort", i64, i64, func(rt *Runtime, f *Func) {
		buf, n := f.NewLocal(I32), f.NewLocal(I32)
		set2(f, buf, n, Call(rt.Fn("lc_seq_buf"), f.Param(0).Get(), C32(0)))
		f.If(LtS32(n.Get(), C32(0)), func() { f.Return(Const(layout.Err)) }, nil)
		rt.ChargeFuel(f, lcSortCost(n.Get()))
		f.Exec(Call(rt.Fn("lc_sort"), buf.Get(), n.Get(), C32(1)))
		f.Result(Call(rt.Fn("lc_vector_from_buf"), buf.Get(), n.Get()))
	})
	libFixed("sort", "lib_sort", 1)

	// (compare a b) -> -1, 0 or 1 in the total order.
	define("lib_compare", i64x2, i64, func(rt *Runtime, f *Func) {
		a, b := f.Param(0), f.Param(1)
		f.If(And32(lcIsCollType(lcTypeOf(a.Get())), lcIsCollType(lcTypeOf(b.Get()))), func() {
			rt.ChargeFuel(f, ExtendU(lcMin32(collCount(a.Get()), collCount(b.Get()))))
		}, nil)
		f.Result(Tag(ExtendS(Call(rt.Fn("compare"), a.Get(), b.Get()))))
	})
	libFixed("compare", "lib_compare", 2)
}
