package compile

import (
	"strings"

	"github.com/rtfsvm/rtfsvm/ir"
	"github.com/rtfsvm/rtfsvm/value"
)

// preludePrefix starts the names of the prelude's globals (resolve.PreludeNamespace).
const preludePrefix = "rtfs.core/"

// pruneUnusedPrelude drops the top-level definitions of prelude functions that the plan
// never reaches, directly or through other prelude functions: a module carries only the
// library it uses. It returns top, or a pruned copy of it.
func pruneUnusedPrelude(top *ir.Fn) *ir.Fn {
	body, ok := top.Body.(*ir.Do)
	if !ok {
		return top
	}
	isPreludeDef := func(e ir.Expr) (*ir.Def, bool) {
		d, ok := e.(*ir.Def)
		return d, ok && strings.HasPrefix(d.Global.Name, preludePrefix)
	}
	defs := map[*ir.Global]*ir.Def{}
	for _, e := range body.Exprs {
		if d, ok := isPreludeDef(e); ok {
			defs[d.Global] = d
		}
	}
	reached := map[*ir.Global]bool{}
	var work []*ir.Global
	visit := func(e ir.Expr) {
		ir.Walk(e, func(x ir.Expr) {
			if g, ok := x.(*ir.GlobalRef); ok && defs[g.Global] != nil && !reached[g.Global] {
				reached[g.Global] = true
				work = append(work, g.Global)
			}
		})
	}
	for _, e := range body.Exprs {
		if _, ok := isPreludeDef(e); !ok {
			visit(e)
		}
	}
	for len(work) > 0 {
		g := work[len(work)-1]
		work = work[:len(work)-1]
		visit(defs[g].Value)
	}
	kept := body.Exprs[:0:0]
	for _, e := range body.Exprs {
		if d, ok := isPreludeDef(e); ok && !reached[d.Global] {
			continue
		}
		kept = append(kept, e)
	}
	if _, isDef := isPreludeDef(body.Exprs[len(body.Exprs)-1]); isDef || len(kept) == 0 {
		kept = append(kept, &ir.Const{At: body.At, Value: value.Nil}) // an empty plan
	}
	pruned := *top
	pruned.Body = &ir.Do{At: body.At, Exprs: kept}
	return &pruned
}
