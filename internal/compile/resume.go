package compile

import (
	"fmt"

	"github.com/rtfsvm/rtfsvm/internal/guest"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
	"github.com/rtfsvm/rtfsvm/ir"
)

// Resume points: how compiled code unwinds and rewinds for a snapshot (see
// guest/snapshot.go and RATIONALE.md).
//
// A site is a call that may reach the host: a host call, a parallel form, a checkpoint,
// or a call of a function that may make one. A function with sites numbers them in the
// order it emits them, stores the number of the site it calls in its frame (rpSlot)
// before the call, and, when rewinding, enters its body again going only where that
// site lies: a part of an expression that precedes the site is skipped (its value is
// already in its frame slot), a branch not holding the site is not taken. Emission and
// siteCount must agree on the number of sites of every expression: emission checks it.
//
// All of this is in the compiler's encoding only (wasm.Func.CompiledIf, Tiered): a VM on
// tier 0 takes no snapshots, and runs every part.

// eachChild calls visit for each expression e evaluates directly, in order: not the
// bodies of functions it makes.
func eachChild(e ir.Expr, visit func(ir.Expr)) {
	all := func(es []ir.Expr) {
		for _, x := range es {
			visit(x)
		}
	}
	switch e := e.(type) {
	case *ir.If:
		visit(e.Cond)
		visit(e.Then)
		visit(e.Else)
	case *ir.Do:
		all(e.Exprs)
	case *ir.Let:
		visit(e.Init)
		visit(e.Body)
	case *ir.LetFns:
		visit(e.Body)
	case *ir.Call:
		visit(e.Fn)
		all(e.Args)
	case *ir.CallBuiltin:
		all(e.Args)
	case *ir.Loop:
		all(e.Inits)
		visit(e.Body)
	case *ir.Recur:
		all(e.Args)
	case *ir.Def:
		visit(e.Value)
	case *ir.Try:
		visit(e.Body)
		for _, c := range e.Catches {
			visit(c.Body)
		}
		if e.Finally != nil {
			visit(e.Finally)
		}
	case *ir.Throw:
		all(e.Args)
	case *ir.HostCall:
		visit(e.Capability)
		all(e.Args)
		if e.Options != nil {
			visit(e.Options)
		}
	case *ir.Parallel:
		for _, c := range e.Calls {
			eachChild(c, visit) // one site for the batch, not one a call
		}
	case *ir.Step:
		visit(e.Name)
		visit(e.Body)
	case *ir.Checkpoint:
		visit(e.Name)
	case *ir.MakeVector:
		all(e.Elems)
	case *ir.MakeMap:
		all(e.Elems)
	case *ir.MakeSet:
		all(e.Elems)
	case *ir.Check:
		visit(e.Expr)
	}
}

// calleeFn is the function a call always calls, when the compiler can tell (see
// knownFunction), inside function in.
func (c *compiler) calleeFn(in *ir.Fn, callee ir.Expr) *ir.Fn {
	switch e := callee.(type) {
	case *ir.Local:
		if e.Slot == in.SelfSlot {
			return in
		}
	case *ir.GlobalRef:
		if defs := c.defs[e.Global]; len(defs) == 1 {
			if fn, ok := defs[0].Value.(*ir.Fn); ok && len(fn.Captures) == 0 {
				return fn
			}
		}
	}
	return nil
}

// findYielding works out which functions may reach the host: those that make a host
// call, a parallel form or a checkpoint, call a function the compiler cannot name, or
// call one that may. Only their calls are sites; a function that never reaches the host
// (fib) pays nothing for snapshots.
func (c *compiler) findYielding(top *ir.Fn) {
	c.yielding = map[*ir.Fn]bool{}
	calls := map[*ir.Fn][]*ir.Fn{}
	var fns []*ir.Fn
	var scan func(in *ir.Fn, e ir.Expr)
	scan = func(in *ir.Fn, e ir.Expr) {
		switch e := e.(type) {
		case nil:
			return
		case *ir.Fn:
			fns = append(fns, e)
			scan(e, e.Body)
			return
		case *ir.LetFns:
			for _, fn := range e.Fns {
				scan(in, fn)
			}
		case *ir.HostCall, *ir.Parallel, *ir.Checkpoint:
			c.yielding[in] = true
		case *ir.Call:
			if fn := c.calleeFn(in, e.Fn); fn != nil {
				calls[in] = append(calls[in], fn)
			} else {
				c.yielding[in] = true
			}
		}
		eachChild(e, func(x ir.Expr) { scan(in, x) })
	}
	fns = append(fns, top)
	scan(top, top.Body)
	for changed := true; changed; {
		changed = false
		for _, fn := range fns {
			if c.yielding[fn] {
				continue
			}
			for _, callee := range calls[fn] {
				if c.yielding[callee] {
					c.yielding[fn], changed = true, true
					break
				}
			}
		}
	}
}

// isSite reports whether a call may reach the host.
func (g *fnGen) isSite(e *ir.Call) bool {
	fn := g.c.calleeFn(g.ir, e.Fn)
	return fn == nil || g.c.yielding[fn]
}

// siteCount is the number of sites in e, as emission numbers them.
func (g *fnGen) siteCount(e ir.Expr) int {
	switch e.(type) {
	case nil, *ir.Const, *ir.Local, *ir.Free, *ir.GlobalRef:
		return 0 // leaves, not kept in counts
	}
	if !g.resumable {
		return 0
	}
	if n, ok := g.counts[e]; ok {
		return n
	}
	n := 0
	switch e := e.(type) {
	case *ir.HostCall, *ir.Parallel, *ir.Checkpoint:
		n = 1
	case *ir.Call:
		if g.isSite(e) {
			n = 1
		}
	}
	eachChild(e, func(x ir.Expr) { n += g.siteCount(x) })
	g.counts[e] = n
	return n
}

// rewinding is true while the guest rewinds: only then is rp set.
func (g *fnGen) rewinding() X { return g.c.rt.Mode.Get() }

// unlessPast emits part so that it runs except when rewinding to a site numbered hi or
// more: part is work done before that site, whose results are in the frame. Outside the
// path to a site (onPath false) there is nothing to skip.
func (g *fnGen) unlessPast(hi int, part func()) {
	if !g.onPath {
		part()
		return
	}
	if hi <= g.sites {
		// No site in part: rewinding, the site is further on (rp >= g.sites).
		g.f.CompiledIf(Eqz32(g.rewinding()), part)
		return
	}
	g.f.CompiledIf(Or32(Eqz32(g.rewinding()), LtU32(g.rp.Get(), C32(int32(hi)))), part)
}

// unlessPastExpr is unlessPast for the evaluation of e, which comes next.
func (g *fnGen) unlessPastExpr(e ir.Expr, part func()) {
	g.unlessPast(g.sites+g.siteCount(e), part)
}

// unlessPastStore is unlessPastExpr for part storing the value of e in a frame slot that
// nothing else writes before the site: when e is a constant or reads a slot or a
// captured value, storing it again while rewinding stores what is there, and is less
// code than the test that would skip it.
func (g *fnGen) unlessPastStore(e ir.Expr, part func()) {
	switch e.(type) {
	case *ir.Const, *ir.Local, *ir.Free:
		part()
	default:
		g.unlessPastExpr(e, part)
	}
}

// site emits call, a site, so that it can be unwound (the frame notes which site it is)
// and rewound; in a catch or finally clause it is pinned instead. It leaves the call's
// value, or sends Err to the handler.
func (g *fnGen) site(at ir.Expr, call X) {
	k := g.sites
	g.sites++
	if g.pinned > 0 {
		g.c.rt.Pin(g.f, 1)
		g.noteSite(at)
		g.f.Emit(call)
		g.c.rt.Pin(g.f, -1)
		g.test()
		return
	}
	g.f.Tiered(func() { g.setSlot(g.rpSlot, guest.Fixnum(int64(k))) }, func() {})
	g.checked(at, call)
}

// passUnwinding sends an unwinding on to the next handler, before a handler's own work.
func (g *fnGen) passUnwinding() {
	if g.resumable {
		g.f.Tiered(func() { g.f.BrIf(g.handlers[len(g.handlers)-1], g.rewinding()) }, func() {})
	}
}

// checkSites panics when emission and siteCount disagree: rewinding would go astray.
func (g *fnGen) checkSites(e ir.Expr, before int) {
	if n := g.siteCount(e); g.resumable && g.sites-before != n {
		panic(fmt.Sprintf("compile: %T at %s has %d sites, emitted %d", e, e.Position(), n, g.sites-before))
	}
}
