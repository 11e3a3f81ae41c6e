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

// topLevelDefs lists the defs at the top level of the plan, which run once.
func topLevelDefs(top *ir.Fn) map[*ir.Def]bool {
	defs := map[*ir.Def]bool{}
	if do, ok := top.Body.(*ir.Do); ok {
		for _, e := range do.Exprs {
			if d, ok := e.(*ir.Def); ok {
				defs[d] = true
			}
		}
	} else if d, ok := top.Body.(*ir.Def); ok {
		defs[d] = true
	}
	return defs
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
