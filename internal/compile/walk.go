package compile

import "github.com/rtfsvm/rtfsvm/ir"

// collectDefs lists every def of each global in the program.
func collectDefs(e ir.Expr, defs map[*ir.Global][]*ir.Def) {
	ir.Walk(e, func(x ir.Expr) {
		if d, ok := x.(*ir.Def); ok {
			defs[d.Global] = append(defs[d.Global], d)
		}
	})
}

// topLevelDefs lists the defs at the top level of the plan, which run once, each with
// its place there (from 1).
// (The plan's forms are a do inside the top level's, after the prelude's defs.)
func topLevelDefs(top *ir.Fn) map[*ir.Def]int {
	defs := map[*ir.Def]int{}
	var visit func(e ir.Expr)
	visit = func(e ir.Expr) {
		switch e := e.(type) {
		case *ir.Do:
			for _, x := range e.Exprs {
				visit(x)
			}
		case *ir.Def:
			defs[e] = len(defs) + 1
		}
	}
	visit(top.Body)
	return defs
}

// definedIn maps each function made by the value of a top-level def (at any depth) to
// that def's place in the top level (topLevelDefs).
func definedIn(order map[*ir.Def]int) map[*ir.Fn]int {
	in := map[*ir.Fn]int{}
	for d, i := range order {
		ir.Walk(d.Value, func(x ir.Expr) {
			if fn, ok := x.(*ir.Fn); ok {
				in[fn] = i
			}
		})
	}
	return in
}

// recursToSelf reports whether fn's body has a recur that targets fn itself (not a loop,
// and not in a nested function).
func recursToSelf(fn *ir.Fn) bool {
	all, nested := map[*ir.Recur]bool{}, map[*ir.Recur]bool{}
	ir.Walk(fn.Body, func(x ir.Expr) {
		switch x := x.(type) {
		case *ir.Recur:
			if x.Loop == nil {
				all[x] = true
			}
		case *ir.Fn:
			// A recur in a nested function targets that function.
			ir.Walk(x.Body, func(y ir.Expr) {
				if r, ok := y.(*ir.Recur); ok {
					nested[r] = true
				}
			})
		}
	})
	for r := range all {
		if !nested[r] {
			return true
		}
	}
	return false
}
