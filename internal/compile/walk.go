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
