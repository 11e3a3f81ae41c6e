package compile

import (
	"fmt"

	"github.com/rtfsvm/rtfsvm/internal/guest"
	"github.com/rtfsvm/rtfsvm/internal/layout"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
	"github.com/rtfsvm/rtfsvm/ir"
	"github.com/rtfsvm/rtfsvm/stdlib"
	"github.com/rtfsvm/rtfsvm/value"
)

var i64 = []ValType{I64}

// fnGen writes the code of one function. The frame holds the IR's locals in slots
// [0, NumLocals) and temporaries above them; top is the first free slot, where the next
// call lays its arguments (the callee's frame starts there).
type fnGen struct {
	c            *compiler
	ir           *ir.Fn
	f            *Func
	fp, argc     Local
	clo          Local
	cloSlot      int // the frame slot that holds the closure, or -1: see compile
	top, maxTop  int
	r            Local   // the value being checked for Err
	library      bool    // a function of the prelude: its errors take its caller's site
	callerSite   Local   // in a library function, the site its caller noted
	handlers     []Label // where an error goes: the function's exit, or a try or step
	loops        map[*ir.Loop]Label
	self         Label // the loop around the body, target of recur to the function
	scratch      []Local
	scratchInUse int
	usesGlobals  bool
	globals      Local // the address of the globals area (globalsBase)
	maxGlobal    int   // the highest index of a global the function reads or sets

	// Resume points (resume.go): set when the function has sites.
	resumable bool
	rpSlot    int   // the frame slot holding the number of the site being called
	rp        Local // when rewinding, the site to go down to
	sites     int   // sites emitted so far
	pinned    int   // > 0 inside a catch or finally clause, whose sites are pinned
	onPath    bool  // the expression being emitted has sites
	counts    map[ir.Expr]int
}

func (g *fnGen) compile() {
	f := g.f
	g.r = f.NewLocal(I64)
	g.loops = map[*ir.Loop]Label{}
	if g.library = g.ir.Pos.File == stdlib.PreludeFile; g.library {
		g.callerSite = f.NewLocal(I32)
	}
	f.Anchor(g.fp)
	if g.resumable = g.c.yielding[g.ir]; g.resumable {
		g.counts = map[ir.Expr]int{}
		g.rpSlot = g.reserve()
		g.rp = f.NewLocal(I32)
	}
	// A function that reads captured values keeps its closure in a frame slot and reads
	// them through it: the collector may move the closure at any call.
	g.cloSlot = -1
	if len(g.ir.Captures) > 0 {
		if g.ir.SelfSlot >= 0 {
			g.cloSlot = g.ir.SelfSlot
		} else {
			g.cloSlot = g.reserve() // set by the prologue
		}
	}
	// The body returns its value; an error branches out of the block, to the exit that
	// notes its site and returns Err. No value goes with the branches, so that each
	// check is a compare and a conditional branch to one place.
	f.Block(func(failed Label) {
		g.handlers = []Label{failed}
		body := func() {
			g.expr(g.ir.Body)
			if t := g.ir.ReturnType; t != nil {
				g.check(g.ir, t, "return value of "+nameOr(g.ir.Name))
			}
		}
		if recursToSelf(g.ir) {
			// recur to the function itself jumps back to the top of the body.
			f.Emit(LoopX(i64, func(f *Func, again Label) {
				g.self = again
				body()
			}))
		} else {
			body()
		}
		f.Return()
	})
	g.noteError()
	f.Result(guest.Const(layout.Err))
	f.Prepend(g.prologue)
}

func nameOr(s string) string {
	if s == "" {
		return "anonymous function"
	}
	return s
}

// globalsBase is the address of the globals area, for an access to global gl. It is
// kept in a local (set by the prologue) so that, as for the frame (see Func.Anchor),
// wazero checks the bounds of the globals area once per function rather than at every
// access.
func (g *fnGen) globalsBase(gl *ir.Global) X {
	if !g.usesGlobals {
		g.usesGlobals = true
		g.globals = g.f.NewLocal(I32)
		g.f.Anchor(g.globals)
	}
	g.maxGlobal = max(g.maxGlobal, gl.Index)
	return g.globals.Get()
}

func (g *fnGen) slot(i int) X { return Load64(g.fp.Get(), uint32(8*i)) }

func (g *fnGen) setSlot(i int, v X) { g.f.Store64(g.fp.Get(), uint32(8*i), v) }

// slotAddr is the address of slot i, as an i32.
func (g *fnGen) slotAddr(i int) X { return Add32(g.fp.Get(), C32(int32(8*i))) }

func (g *fnGen) prologue() {
	f := g.f
	if g.resumable {
		// Rewinding, the frame holds what the function had done: it only learns which
		// site to go down to.
		f.Emit(CompiledIfX(nil, g.rewinding(), func(*Func) { f.Set(g.rp, Wrap(guest.Untag(g.slot(g.rpSlot)))) }, func(*Func) { g.entry() }))
	} else {
		g.entry()
	}
	if g.ir.SelfSlot >= 0 {
		g.setSlot(g.ir.SelfSlot, g.clo.Get())
	}
	if g.cloSlot >= 0 && g.cloSlot != g.ir.SelfSlot {
		g.setSlot(g.cloSlot, g.clo.Get())
	}
	if g.library {
		f.Set(g.callerSite, g.c.rt.Site.Get())
	}
	if g.usesGlobals {
		// One access to the last global the function uses: its bounds check covers
		// every other access.
		f.Set(g.globals, C32(int32(g.c.globals)))
		f.Do(Load64(g.globals.Get(), uint32(8*g.maxGlobal)))
	}
}

// entry is the work of a call's entry: fuel, stack and a collection's safe point, the
// argument count, the rest list, clearing the frame.
func (g *fnGen) entry() {
	f, rt := g.f, g.c.rt
	frame := g.maxTop
	nparams := len(g.ir.Params)
	// The arguments are the roots of this frame at a collection on entry.
	argsEnd := Add32(g.fp.Get(), Shl32(g.argc.Get(), C32(3)))
	// One test on entry for both the stack and the fuel, each rarely failing.
	check := rt.EntryCheck
	if g.c.opts.Unmetered {
		check = rt.StackCheck
	}
	arityError := func() { f.Return(rt.Raise(guest.ErrArity, guest.Tag(ExtendU(g.argc.Get())))) }
	if g.ir.Rest == ir.NoRest {
		enter := "enter"
		if g.c.opts.Unmetered {
			enter = "enter_unmetered"
		}
		f.Tiered(func() {
			check(f, g.slotAddr(frame), argsEnd, g.clo)
			f.If(Ne32(g.argc.Get(), C32(int32(nparams))), arityError, nil)
			g.zero(nparams, frame)
		}, func() {
			f.Emit(Call(rt.Fn(enter), g.fp.Get(), g.argc.Get(), g.clo.Get(), C32(int32(nparams)), C32(int32(frame))))
			f.ReturnIf(Call(rt.Fn("failed"), Stack))
			f.Set(g.clo, Stack)
		})
	} else {
		check(f, g.slotAddr(frame), argsEnd, g.clo)
		// The rest arguments become a list (nil when there are none), built before the
		// slots they occupy are cleared.
		f.If(LtU32(g.argc.Get(), C32(int32(nparams))), arityError, nil)
		list, i := f.NewLocal(I64), f.NewLocal(I32)
		f.Set(list, guest.Const(layout.Nil))
		f.If(GtU32(g.argc.Get(), C32(int32(nparams))), func() {
			f.Set(list, guest.Const(rt.EmptyList))
			f.Set(i, g.argc.Get())
			f.Loop(func(again Label) {
				f.Set(i, Sub32(i.Get(), C32(1)))
				f.Set(list, Call(rt.Fn("list_cons"), Load64(Add32(g.fp.Get(), Shl32(i.Get(), C32(3))), 0), list.Get()))
				f.BrIf(again, GtU32(i.Get(), C32(int32(nparams))))
			})
		}, nil)
		f.MemoryFill(g.slotAddr(nparams), C32(0), Shl32(Sub32(g.argc.Get(), C32(int32(nparams))), C32(3)))
		g.zero(nparams, frame)
		g.setSlot(g.ir.Rest, list.Get())
	}
}

// zero clears slots [from, to): a collector must never find a stale value in a frame.
func (g *fnGen) zero(from, to int) {
	if to-from <= 32 {
		// wazero runs memory.fill out of line, and compiles it to a loop around a call:
		// stores are faster to run and to compile. The last slot goes first, so that
		// its bounds check covers the whole frame (see Func.Anchor).
		for i := to - 1; i >= from; i-- {
			g.setSlot(i, C64(0))
		}
		return
	}
	g.f.MemoryFill(g.slotAddr(from), C32(0), C32(int32(8*(to-from))))
}

// temp reserves the next frame slot, and clears it: a collection scans the frame up to
// top, and the slot may hold a value of an earlier use that the collector did not see
// (and so did not update) when it lay above top.
func (g *fnGen) temp() int {
	s := g.reserve()
	g.setSlot(s, C64(0))
	return s
}

// push evaluates e with the current top, then reserves the next slot for its value: the
// slot lies above top while e runs, so it needs no clearing. Rewinding past e, the slot
// already holds its value.
func (g *fnGen) push(e ir.Expr) int {
	s := g.top
	g.unlessPastStore(e, func() {
		g.f.Store64(g.fp.Get(), uint32(8*s), func(f *Func) { g.expr(e) })
	})
	g.reserve()
	return s
}

// reserve reserves the next frame slot, as it is.
func (g *fnGen) reserve() int {
	s := g.top
	g.top++
	if g.top > g.maxTop {
		g.maxTop = g.top
	}
	return s
}

// scratchLocal lends an i64 Wasm local; release returns the most recent one.
func (g *fnGen) scratchLocal() Local {
	if g.scratchInUse == len(g.scratch) {
		g.scratch = append(g.scratch, g.f.NewLocal(I64))
	}
	l := g.scratch[g.scratchInUse]
	g.scratchInUse++
	return l
}

func (g *fnGen) release(n int) { g.scratchInUse -= n }

// constantDef reports whether e is a def whose value is a constant: a closure that
// captures nothing, made once.
func (g *fnGen) constantDef(e ir.Expr) (*ir.Def, X, bool) {
	d, ok := e.(*ir.Def)
	if !ok {
		return nil, nil, false
	}
	if fn, ok := d.Value.(*ir.Fn); ok && g.c.runsOnce[d] > 0 && len(fn.Captures) == 0 {
		return d, guest.Const(g.c.staticFn(fn)), true
	}
	return nil, nil, false
}

// x wraps the code of an expression as an X.
func (g *fnGen) x(e ir.Expr) X { return func(*Func) { g.expr(e) } }

// noteSite sets the runtime's site global, before a call that can raise, to the
// position of the expression making it: if an error comes back, the handler that
// receives it records the site (noteError), unless a deeper function did. A store
// before the call, rather than a value carried by the error's branch, keeps each check
// after a call to a compare and a conditional branch.
//
// A library function has no positions of its own: its errors take the site of the
// plan's call, which it restores before each of its calls (a function the library
// called back may have noted sites of its own).
func (g *fnGen) noteSite(at ir.Expr) {
	if site := g.siteOf(at); site != nil {
		g.f.SetGlobal(g.c.rt.Site, site)
	}
}

// noteError records the site of the error now in flight, unless a deeper function did.
func (g *fnGen) noteError() {
	g.f.Exec(Call(g.c.rt.Fn("note_error")))
}

// siteOf is the site noteSite notes for at, or nil when it notes none.
func (g *fnGen) siteOf(at ir.Expr) X {
	if pos := g.c.position(at); pos != 0 {
		return C32(pos)
	} else if g.library {
		return g.callerSite.Get()
	}
	return nil
}

// checkedAt calls a routine of the interpreted side of tiered code (guest/tier0.go)
// with args and the site that the compiled side notes before its own call, which the
// routine notes when it makes that call; it leaves the value or sends Err to the
// handler, as checked does.
func (g *fnGen) checkedAt(at ir.Expr, routine string, args ...X) {
	g.f.Emit(Call(g.c.rt.Fn(routine), append(args, g.siteNoted(at))...))
	g.test()
}

// siteNoted is the site for a routine of tier 0 to note where the compiled code notes
// the site of at: noteSite's, or the site global as it is when noteSite notes none.
func (g *fnGen) siteNoted(at ir.Expr) X {
	if site := g.siteOf(at); site != nil {
		return site
	}
	return g.c.rt.Site.Get()
}

// chargeFuel charges n units of fuel.
func (g *fnGen) chargeFuel(n int64) {
	f, rt := g.f, g.c.rt
	f.Tiered(func() { rt.ChargeFuel(f, C64(n)) }, func() { f.Exec(Call(rt.Fn("charge_fuel"), C64(n))) })
}

// checked evaluates x, a call that may yield Err, and leaves its value, or sends the
// error to the innermost handler. The site is noted before x runs, so x's operands
// must not raise themselves (see checkedCall).
func (g *fnGen) checked(at ir.Expr, x X) {
	g.noteSite(at)
	g.f.Emit(x)
	g.test()
}

// checkedCall calls callee, with the site noted after its operands, which may raise
// (a global read before its def ran), and before the call.
func (g *fnGen) checkedCall(at ir.Expr, callee *Func, args ...X) {
	g.f.Emit(args...)
	g.checked(at, Call(callee))
}

// test sends the value on the stack to the innermost handler if it is Err, and leaves
// it otherwise.
func (g *fnGen) test() {
	f, handler := g.f, g.handlers[len(g.handlers)-1]
	f.Tiered(func() {
		f.Emit(Tee(g.r, Stack))
		f.BrIf(handler, Eq64(g.r.Get(), guest.Const(layout.Err)))
	}, func() {
		f.BrIf(handler, Call(g.c.rt.Fn("failed"), Stack))
	})
}

// raise raises an error code of the runtime about v, and sends it to the handler.
func (g *fnGen) raise(at ir.Expr, code int, v X) {
	g.noteSite(at)
	g.f.Do(g.c.rt.Raise(code, v))
	g.rethrow()
}

// simple expressions cannot call anything (a global may raise :error/unbound, which
// leaves nothing behind): they can be evaluated when their value is needed.
func simple(e ir.Expr) bool {
	switch e.(type) {
	case *ir.Const, *ir.Local, *ir.Free, *ir.GlobalRef:
		return true
	}
	return false
}

// mayCollect reports whether evaluating e may reach a safe point of the collector: the
// entry of a compiled function (a call, or apply), a loop's back edge, a checkpoint. It
// errs on the side of yes (it looks into the bodies of nested functions too).
func mayCollect(e ir.Expr) bool {
	found := false
	ir.Walk(e, func(x ir.Expr) {
		switch x := x.(type) {
		case *ir.Call, *ir.Loop, *ir.Recur, *ir.Checkpoint, *ir.HostCall, *ir.Parallel:
			// A host call is also a site where the VM may be unwound for a snapshot,
			// and collected then.
			found = true
		case *ir.CallBuiltin:
			_, inline := builtins[x.Builtin.Name]
			_, lib := libFn(x.Builtin)
			if x.Builtin.Name == "apply" || !inline && !lib {
				found = true
			}
		}
	})
	return found
}

func allSimple(es []ir.Expr) bool {
	for _, e := range es {
		if !simple(e) {
			return false
		}
	}
	return true
}

// operands evaluates expressions in order and returns code that pushes their values: a
// simple one is read when pushed, any other is kept in a frame slot meanwhile (a call in
// a later operand may collect garbage, so no value may wait on the Wasm stack).
func (g *fnGen) operands(es []ir.Expr) []X {
	xs := make([]X, len(es))
	for i, e := range es {
		if simple(e) || allSimple(es[i+1:]) && (i == 0 || !mayCollect(e)) {
			// Nothing after it can call: it may be evaluated where it is used (once),
			// unless the values of the operands before it wait on the Wasm stack
			// meanwhile and it may reach a safe point of the collector.
			xs[i] = g.x(e)
			continue
		}
		s := g.push(e)
		xs[i] = g.slot(s)
	}
	return xs
}

func (g *fnGen) expr(e ir.Expr) {
	if g.resumable {
		before, onPath := g.sites, g.onPath
		g.onPath = g.siteCount(e) > 0
		defer func() { g.onPath = onPath; g.checkSites(e, before) }()
	}
	f, rt := g.f, g.c.rt
	switch e := e.(type) {
	case *ir.Const:
		f.Emit(g.c.constant(e, e.Value))
	case *ir.Local:
		f.Emit(g.slot(e.Slot))
	case *ir.Free:
		f.Emit(Load64(Wrap(g.slot(g.cloSlot)), uint32(layout.ClosureCapture+8*e.Index)))
	case *ir.GlobalRef:
		f.Set(g.r, Load64(g.globalsBase(e.Global), uint32(8*e.Global.Index)))
		f.If(Eq64(g.r.Get(), guest.Const(layout.Unbound)), func() {
			g.raise(e, guest.ErrUnbound, guest.Const(g.c.rt.Data.Text(layout.TypeSymbol, e.Global.Name)))
		}, nil)
		f.Emit(g.r.Get())
	case *ir.If:
		cond := g.cond(e.Cond)
		if g.onPath {
			// Rewinding to a site of a branch, the condition is not evaluated again:
			// the site's number says which branch holds it.
			thenEnd := g.sites + g.siteCount(e.Cond) + g.siteCount(e.Then)
			var toBranch X = g.rewinding()
			if n := g.siteCount(e.Cond); n > 0 {
				toBranch = And32(toBranch, GeU32(g.rp.Get(), C32(int32(g.sites+n))))
			}
			evaluate := cond
			cond = CompiledIfX([]ValType{I32}, toBranch, func(f *Func) { f.Emit(LtU32(g.rp.Get(), C32(int32(thenEnd)))) }, func(f *Func) { f.Emit(evaluate) })
		}
		f.Emit(IfX(i64, cond, func(*Func) { g.expr(e.Then) }, func(*Func) { g.expr(e.Else) }))
	case *ir.Do:
		for _, x := range e.Exprs[:len(e.Exprs)-1] {
			if d, v, ok := g.constantDef(x); ok && len(g.c.defs[d.Global]) == 1 {
				// The only def of its global, of a constant: storing it again while
				// rewinding stores what is there, and is less code than the test
				// that would skip it (see unlessPastStore).
				f.Store64(g.globalsBase(d.Global), uint32(8*d.Global.Index), v)
				continue
			}
			g.unlessPastExpr(x, func() { f.Do(g.x(x)) })
		}
		g.expr(e.Exprs[len(e.Exprs)-1])
	case *ir.Let:
		g.unlessPastStore(e.Init, func() { g.setSlot(e.Slot, g.x(e.Init)) })
		g.expr(e.Body)
	case *ir.LetFns:
		g.unlessPast(g.sites, func() {
			for i, fn := range e.Fns {
				g.setSlot(e.Slots[i], g.x(fn))
			}
			// Each closure of the group that captures a member gets it now.
			for i, fn := range e.Fns {
				for k, src := range fn.Captures {
					l, ok := src.(*ir.Local)
					if !ok {
						continue
					}
					for _, s := range e.Slots {
						if l.Slot == s {
							f.Store64(Wrap(g.slot(e.Slots[i])), uint32(layout.ClosureCapture+8*k), g.slot(s))
						}
					}
				}
			}
		})
		g.expr(e.Body)
	case *ir.Fn:
		g.closure(e)
	case *ir.Call:
		g.call(e)
	case *ir.CallBuiltin:
		if gen, ok := builtins[e.Builtin.Name]; ok {
			gen(g, e)
		} else if lf, ok := libFn(e.Builtin); ok {
			g.libCall(e, lf)
		} else {
			unsupported(e, "the library function "+e.Builtin.Name)
		}
	case *ir.BuiltinRef:
		if e.Builtin.Name == "apply" {
			f.Emit(guest.Const(g.c.staticClosure("apply", g.c.rt.Fn("apply_fn"))))
			break
		}
		lf, ok := libFn(e.Builtin)
		if !ok {
			unsupported(e, "the library function "+e.Builtin.Name+" as a value")
		}
		f.Emit(guest.Const(g.c.libClosure(e.Builtin.Name, lf)))
	case *ir.Loop:
		for i, init := range e.Inits {
			g.unlessPastExpr(init, func() { g.setSlot(e.Slots[i], g.x(init)) })
		}
		f.Emit(LoopX(i64, func(f *Func, again Label) {
			g.loops[e] = again
			g.expr(e.Body)
		}))
	case *ir.Recur:
		g.recur(e)
	case *ir.Def:
		if _, v, ok := g.constantDef(e); ok {
			f.Store64(g.globalsBase(e.Global), uint32(8*e.Global.Index), v)
			f.Emit(v)
			break
		}
		v := g.scratchLocal()
		f.Set(v, g.x(e.Value))
		f.Store64(g.globalsBase(e.Global), uint32(8*e.Global.Index), v.Get())
		f.Emit(v.Get())
		g.release(1)
	case *ir.HostCall:
		g.hostCall(e)
	case *ir.Step:
		g.step(e)
	case *ir.Checkpoint:
		// The heap is compacted first, so that a snapshot taken at the checkpoint holds
		// live data only: every live value is in the frame, below top.
		saved := g.top
		name := g.push(e.Name)
		g.unlessPast(g.sites, func() { f.Do(Call(rt.Fn("gc_collect"), g.slotAddr(g.top), guest.Const(layout.Nil))) })
		g.site(e, Call(rt.Checkpoint, g.slot(name), g.slotAddr(g.top)))
		g.top = saved
	case *ir.Try:
		g.try(e)
	case *ir.Throw:
		g.throw(e)
	case *ir.Check:
		g.expr(e.Expr)
		g.check(e, e.Type, e.What)
	case *ir.Parallel:
		g.parallel(e)
	case *ir.MakeVector:
		g.build(e, "vector_of", e.Elems)
	case *ir.MakeMap:
		g.build(e, "map_of", e.Elems)
	case *ir.MakeSet:
		g.build(e, "set_of", e.Elems)
	default:
		unsupported(e, fmt.Sprintf("%T", e))
	}
}

// build makes a collection of the values of elems with a routine of the variadic
// convention.
func (g *fnGen) build(at ir.Expr, routine string, elems []ir.Expr) {
	saved := g.top
	out := g.layArgs(elems)
	call := Call(g.c.rt.Fn(routine), g.slotAddr(out), C32(int32(len(elems))))
	if routine == "map_of" && len(elems)%2 != 0 {
		g.checked(at, call)
	} else {
		g.f.Emit(call) // building a collection from values raises nothing
	}
	g.top = saved
}

// closureHeader is the raw word of fn's closures (its table slot, parameter count and
// flags), and their name.
func (c *compiler) closureHeader(fn *ir.Fn) (word, name uint64) {
	c.function(fn)
	flags := uint64(0)
	if fn.Rest != ir.NoRest {
		flags = layout.ClosureHasRest
	}
	name = layout.Nil
	if fn.Name != "" {
		name = c.rt.Data.Text(layout.TypeString, fn.Name)
	}
	return uint64(c.tableSlot[fn]) | uint64(len(fn.Params))<<32 | flags<<48, name
}

// staticFn is the closure of fn, which captures nothing, in the static region: one
// object, since closures are equal only to themselves.
func (c *compiler) staticFn(fn *ir.Fn) uint64 {
	if v, ok := c.staticFns[fn]; ok {
		return v
	}
	word, name := c.closureHeader(fn)
	v := c.rt.Data.Object(layout.TypeClosure, []uint64{word}, []uint64{name})
	c.staticFns[fn] = v
	return v
}

// closure makes a closure of fn, capturing the values its Captures name.
func (g *fnGen) closure(fn *ir.Fn) {
	f, rt := g.f, g.c.rt
	word, name := g.c.closureHeader(fn)
	p := f.NewLocal(I32)
	f.Set(p, Call(rt.Fn("alloc"), C32(layout.TypeClosure), C32(int32(2+len(fn.Captures)))))
	f.Store64(p.Get(), layout.ClosureIndex, C64(int64(word)))
	f.Store64(p.Get(), layout.ClosureName, guest.Const(name))
	for k, src := range fn.Captures {
		f.Store64(p.Get(), uint32(layout.ClosureCapture+8*k), g.x(src))
	}
	f.Emit(ExtendU(p.Get()))
}

// call calls a function value: a closure directly through the table, anything else
// (keywords, maps, sets, vectors) through the runtime.
func (g *fnGen) call(e *ir.Call) {
	f, rt := g.f, g.c.rt
	saved := g.top
	fn := g.x(e.Fn)
	v, constant := g.c.boundClosure(g.ir, e.Fn)
	if constant {
		fn = guest.Const(v)
	} else if !simple(e.Fn) && (!allSimple(e.Args) || g.onPath) {
		// Rewinding to this call, the callee is not computed again.
		fn = g.slot(g.push(e.Fn))
	}
	out := g.layArgs(e.Args)
	argc := C32(int32(len(e.Args)))
	checked := g.checked
	if g.isSite(e) {
		checked = g.site
	}
	target := g.c.knownFunction(g, e.Fn)
	if target != nil && constant {
		// The callee and its closure are known at compile time: a direct call.
		checked(e, Call(target, g.slotAddr(out), argc, fn))
		g.top = saved
		return
	}
	cl := g.scratchLocal()
	f.Set(cl, fn)
	if target != nil {
		// The callee is known at compile time: a direct call, with no closure test and
		// no table look-up.
		checked(e, Call(target, g.slotAddr(out), argc, cl.Get()))
		g.release(1)
		g.top = saved
		return
	}
	checked(e, IfX(i64, guest.HasType(cl.Get(), layout.TypeClosure),
		func(f *Func) {
			f.Emit(CallIndirect(guest.FnSig, Load32(Wrap(cl.Get()), layout.ClosureIndex), g.slotAddr(out), argc, cl.Get()))
		},
		func(f *Func) { f.Emit(Call(rt.Fn("apply_data"), g.slotAddr(out), argc, cl.Get())) }))
	g.release(1)
	g.top = saved
}

func (g *fnGen) recur(e *ir.Recur) {
	f := g.f
	saved := g.top
	vals := g.operands(e.Args)
	var slots []int
	target := g.self
	if e.Loop != nil {
		target, slots = g.loops[e.Loop], e.Loop.Slots
	} else {
		slots = append([]int(nil), g.ir.Params...)
		if g.ir.Rest != ir.NoRest {
			slots = append(slots, g.ir.Rest)
		}
	}
	// All values are computed before any slot changes: (recur b a) swaps.
	tmps := make([]Local, len(vals))
	for i, v := range vals {
		tmps[i] = g.scratchLocal()
		f.Set(tmps[i], v)
	}
	for i, s := range slots {
		g.setSlot(s, tmps[i].Get())
	}
	g.release(len(vals))
	// A safe point of the collector: every live value is in the frame, below top.
	g.c.rt.LoopCheck(f, g.slotAddr(g.top), !g.c.opts.Unmetered)
	f.Br(target)
	g.top = saved
}

func (g *fnGen) hostCall(e *ir.HostCall) {
	rt := g.c.rt
	saved := g.top
	parts := append([]ir.Expr{e.Capability}, e.Args...)
	out := g.layArgs(parts)
	opts := guest.Const(layout.Nil)
	if e.Options != nil {
		opts = g.slot(g.push(e.Options))
	}
	g.unlessPast(g.sites, func() { g.chargeFuel(1) })
	g.site(e, Call(rt.HostCall, g.slotAddr(out), C32(int32(len(parts))), opts))
	g.top = saved
}

// intercept runs body with errors sent to a local handler; onError runs when one was
// raised (the error is in the err global) and must leave a value or branch to done with
// one. The result is body's value or onError's.
func (g *fnGen) intercept(body func(), onError func(done Label)) {
	g.f.Emit(BlockX(i64, func(f *Func, done Label) {
		f.Block(func(caught Label) {
			g.handlers = append(g.handlers, caught)
			body()
			g.handlers = g.handlers[:len(g.handlers)-1]
			f.Br(done)
		})
		g.passUnwinding()
		g.noteError()
		onError(done)
	}))
}

// rethrow sends the error in the err global on to the innermost handler.
func (g *fnGen) rethrow() { g.f.Br(g.handlers[len(g.handlers)-1]) }

func (g *fnGen) step(e *ir.Step) {
	f, rt := g.f, g.c.rt
	saved := g.top
	name := g.push(e.Name)
	result := g.reserve()
	// The routines of tier 0 (guest/tier0.go) take both slots in one i32.
	slots := C32(int32(name | result<<16))
	tiered := f.Tiered
	if result >= 1<<16 {
		tiered = func(compiled, _ func()) { compiled() }
	}
	g.unlessPast(g.sites, func() {
		tiered(func() {
			g.checked(e, Call(rt.Step, C32(0), g.slot(name), guest.Const(layout.Nil)))
			f.Do(Stack)
			g.setSlot(result, C64(0)) // see temp
		}, func() {
			f.Emit(Call(rt.Fn("step_enter"), g.fp.Get(), slots, g.siteNoted(e)))
			g.test()
			f.Do(Stack)
		})
	})
	g.intercept(func() { g.expr(e.Body) }, func(Label) {
		f.Do(Call(rt.Step, C32(2), g.slot(name), rt.ErrValue.Get()))
		g.rethrow()
	})
	tiered(func() {
		v := g.scratchLocal()
		f.Set(v, Stack)
		g.setSlot(result, v.Get())
		g.release(1)
		g.checked(e, Call(rt.Step, C32(1), g.slot(name), g.slot(result)))
		f.Do(Stack)
		f.Emit(g.slot(result))
	}, func() {
		f.Emit(Call(rt.Fn("step_exit"), Stack, g.fp.Get(), slots, g.siteNoted(e)))
		g.test()
	})
	g.top = saved
}

// try: the body's value, or that of the first catch whose kind matches; finally runs
// after either, and an error it raises replaces the outcome.
func (g *fnGen) try(e *ir.Try) {
	f, rt := g.f, g.c.rt
	saved := g.top
	tryPart := func() {
		g.intercept(func() { g.expr(e.Body) }, func(done Label) {
			for _, c := range e.Catches {
				c := c
				match := C32(1)
				if c.Kind != "" {
					match = Call(rt.Fn("error_kind_is"), rt.ErrValue.Get(), guest.Const(rt.Data.Text(layout.TypeKeyword, string(c.Kind))))
				}
				f.If(match, func() {
					g.setSlot(c.Slot, rt.ErrValue.Get())
					f.SetGlobal(rt.ErrAt, C32(0))
					// A handler's calls are not rewound: the VM takes no
					// snapshot while they run.
					g.pinned++
					g.expr(c.Body)
					g.pinned--
					f.Br(done)
				}, nil)
			}
			f.Emit(guest.Const(layout.Err)) // no catch matched: the error goes on
		})
	}
	if e.Finally == nil {
		tryPart()
		g.test() // an error no catch took (intercept noted its site)
		g.top = saved
		return
	}
	outcome, errSlot := g.reserve(), g.reserve()
	g.unlessPast(g.sites, func() { g.setSlot(outcome, C64(0)); g.setSlot(errSlot, C64(0)) })
	g.intercept(tryPart, func(Label) { f.Emit(guest.Const(layout.Err)) })
	v := g.scratchLocal()
	f.Set(v, Stack)
	g.setSlot(outcome, v.Get())
	g.release(1)
	g.setSlot(errSlot, rt.ErrValue.Get())
	at := f.NewLocal(I32)
	f.Set(at, rt.ErrAt.Get())
	g.pinned++
	f.Do(g.x(e.Finally))
	g.pinned--
	f.If(Eq64(g.slot(outcome), guest.Const(layout.Err)), func() {
		f.SetGlobal(rt.ErrValue, g.slot(errSlot))
		f.SetGlobal(rt.ErrAt, at.Get())
		g.rethrow()
	}, nil)
	f.Emit(g.slot(outcome))
	g.top = saved
}

func (g *fnGen) throw(e *ir.Throw) {
	f, rt := g.f, g.c.rt
	saved := g.top
	out := g.layArgs(e.Args)
	g.noteSite(e)
	f.Do(Call(rt.Throw, g.slotAddr(out), C32(int32(len(e.Args)))))
	g.rethrow()
	f.Emit(guest.Const(layout.Err)) // unreachable, but keeps the expression typed
	g.top = saved
}

// check raises :error/type unless the value on the stack has type t: the host checks it
// against the type expression, which it knows by its index.
func (g *fnGen) check(at ir.Expr, t value.Value, what string) {
	i := g.c.typeIndex(t, what)
	g.checked(at, Call(g.c.rt.CheckType, Stack, C32(int32(i))))
}

// layArgs evaluates arguments into consecutive frame slots from the current top, where
// a callee (or a variadic routine) reads them; it returns the first slot.
func (g *fnGen) layArgs(args []ir.Expr) int {
	out := g.top
	for _, a := range args {
		g.push(a)
	}
	g.top = out + len(args)
	if g.top > g.maxTop {
		g.maxTop = g.top
	}
	return out
}

// libFn says how a library function runs: a guest routine, or a host helper.
func libFn(b *value.Builtin) (libFunction, bool) {
	if lf, ok := guest.Library[b.Name]; ok {
		return libFunction{lf, -1}, true
	}
	if id := guest.HelperID(b.Name); id >= 0 {
		return libFunction{guest.LibFn{Fixed: guest.Variadic, Min: b.MinArgs, Max: b.MaxArgs}, id}, true
	}
	return libFunction{}, false
}

type libFunction struct {
	guest.LibFn
	Helper int // the host helper's id, or -1
}

// libCall calls the guest routine (or host helper) of a library function.
func (g *fnGen) libCall(e *ir.CallBuiltin, lf libFunction) {
	rt := g.c.rt
	saved := g.top
	switch {
	case lf.Helper >= 0:
		out := g.layArgs(e.Args)
		g.checked(e, Call(rt.Helper, C32(int32(lf.Helper)), g.slotAddr(out), C32(int32(len(e.Args)))))
	case lf.Fixed == guest.Variadic:
		out := g.layArgs(e.Args)
		g.checked(e, Call(rt.Fn(lf.Routine), g.slotAddr(out), C32(int32(len(e.Args)))))
	default:
		g.checkedCall(e, rt.Fn(lf.Routine), g.operands(e.Args)...)
	}
	g.top = saved
}

// parallel sends its host calls as one batch: each call is a vector [capability args...
// options], and the host answers with the vector of results, or the error of the first
// call (in argument order) that failed.
func (g *fnGen) parallel(e *ir.Parallel) {
	f, rt := g.f, g.c.rt
	saved := g.top
	calls := g.top // first of len(e.Calls) consecutive slots
	for range e.Calls {
		g.reserve()
	}
	g.unlessPast(g.sites, func() {
		for i := range e.Calls {
			g.setSlot(calls+i, C64(0)) // see temp
		}
	})
	for i, hc := range e.Calls {
		parts := append([]ir.Expr{hc.Capability}, hc.Args...)
		if hc.Options != nil {
			parts = append(parts, hc.Options)
		} else {
			parts = append(parts, &ir.Const{At: hc.At, Value: value.Nil})
		}
		end := g.sites
		for _, p := range parts {
			end += g.siteCount(p)
		}
		g.unlessPast(end, func() {
			inner := g.top
			g.build(hc, "vector_of", parts)
			v := g.scratchLocal()
			f.Set(v, Stack)
			g.setSlot(calls+i, v.Get())
			g.release(1)
			g.top = inner
		})
	}
	g.unlessPast(g.sites, func() { g.chargeFuel(int64(len(e.Calls))) })
	g.site(e, Call(rt.HostBatch, g.slotAddr(calls), C32(int32(len(e.Calls)))))
	g.top = saved
}
