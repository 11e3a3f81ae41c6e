package resolve

import (
	"slices"
	"sort"
	"strings"

	"github.com/rtfsvm/rtfsvm/ir"
	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
)

// PreludeNamespace prefixes the names of the prelude's globals in the IR
// (rtfs.core/map). The plan cannot reach them by these names: a prelude global is found
// only through the prelude's own scope, so no plan definition can collide with one.
const PreludeNamespace = "rtfs.core"

// preludeHelperPrefix starts the names of the prelude's helpers, which plans do not see.
const preludeHelperPrefix = "prelude-"

// A preludeScope holds the definitions of a prelude: library functions written in RTFS.
type preludeScope struct {
	defs map[string]*preludeFn // by the name the prelude gives them, helpers included
	// inside is true while the prelude itself is resolved: then every definition of the
	// prelude is visible and nothing of the plan is.
	inside bool
}

// A preludeFn is one definition of the prelude.
type preludeFn struct {
	name   string
	global *ir.Global
	// min and max bound the arguments of a defn for the static arity check (max < 0:
	// no bound); min < 0 when unknown (a def).
	min, max int
}

// ProgramWithPrelude resolves a plan together with a prelude. Every definition of the
// prelude becomes a hidden global (rtfs.core/NAME), and the prelude's top-level forms run
// before the plan's. In the plan, a name that the prelude defines (other than its
// prelude-* helpers) resolves to the prelude's global instead of the library function
// of that name, unless a local or a definition of the plan shadows it; direct calls are
// checked against the defn's parameter vector, bounded by ^{:max-args n} on its name
// when it has a & rest parameter. The prelude sees only its own definitions and the
// library: the plan can neither redefine what the prelude uses nor feed it inputs.
func ProgramWithPrelude(file string, forms, prelude []syntax.Node, lib Library) (*ir.Program, error) {
	p, err := ResolvePrelude(prelude, lib)
	if err != nil {
		return nil, err
	}
	return ProgramWith(file, forms, p)
}

// A Prelude is a prelude resolved once, for any number of plans (ProgramWith). They
// share its IR, which no later stage modifies, and its globals, which take the first
// indices of every program: resolving the standard prelude (400 lines) took longer
// than reading and resolving a 200-line plan.
type Prelude struct {
	lib       Library
	exprs     []ir.Expr    // its top-level forms, which run before the plan's
	globals   []*ir.Global // its definitions, indexed from 0
	defs      map[string]*preludeFn
	numLocals int             // the slots of the top level it uses
	caps      map[string]bool // the capabilities it calls
}

// ResolvePrelude resolves a prelude for plans that call lib's functions.
func ResolvePrelude(prelude []syntax.Node, lib Library) (p *Prelude, err error) {
	r, top := newResolver(lib)
	defer recoverSyntaxError(&err)
	scope := &preludeScope{defs: map[string]*preludeFn{}, inside: true}
	for _, f := range prelude {
		r.collectDefs(f)
	}
	for _, g := range r.order {
		scope.defs[g.Name] = &preludeFn{name: g.Name, global: g, min: -1, max: -1}
		g.Name = PreludeNamespace + "/" + g.Name
	}
	for _, f := range prelude {
		r.preludeArity(f, scope)
	}
	r.prelude = scope
	var exprs []ir.Expr
	for _, f := range prelude {
		exprs = append(exprs, r.expr(f, false))
	}
	for i, g := range r.order {
		if g.Input {
			r.errorf(g.Pos, "prelude: %s is not defined", g.Name)
		}
		g.Index = i
	}
	return &Prelude{lib: lib, exprs: exprs, globals: r.order, defs: scope.defs, numLocals: top.numLocals, caps: r.caps}, nil
}

// ProgramWith resolves a plan with a resolved prelude.
func ProgramWith(file string, forms []syntax.Node, p *Prelude) (prog *ir.Program, err error) {
	r, top := newResolver(p.lib)
	defer recoverSyntaxError(&err)
	r.prelude = &preludeScope{defs: p.defs}
	r.order = append([]*ir.Global(nil), p.globals...)
	top.numLocals = p.numLocals
	for c := range p.caps {
		r.caps[c] = true
	}
	for _, f := range forms {
		r.collectDefs(f)
	}
	pos := syntax.Pos{File: file, Line: 1, Col: 1}
	if len(forms) > 0 {
		pos = forms[0].Position()
	}
	body := r.body(pos, forms, true)
	if len(p.exprs) > 0 {
		body = &ir.Do{At: ir.At{Pos: pos}, Exprs: append(slices.Clip(p.exprs), body)}
	}
	top.fn.Body = body
	top.fn.NumLocals = top.numLocals
	top.fn.Pos = pos

	prog = &ir.Program{File: file, Top: top.fn}
	prog.Globals = append(prog.Globals, p.globals...) // indexed already
	plan := r.order[len(p.globals):]
	for _, g := range plan {
		if !g.Input {
			g.Index = len(prog.Globals)
			prog.Globals = append(prog.Globals, g)
		}
	}
	for _, g := range plan {
		if g.Input {
			g.Index = len(prog.Globals)
			prog.Globals = append(prog.Globals, g)
			prog.Inputs = append(prog.Inputs, g)
		}
	}
	for c := range r.caps {
		prog.Capabilities = append(prog.Capabilities, c)
	}
	sort.Strings(prog.Capabilities)
	return prog, nil
}

// newResolver starts resolving at the top level.
func newResolver(lib Library) (*resolver, *fnScope) {
	r := &resolver{lib: lib, globals: map[string]*ir.Global{}, caps: map[string]bool{}}
	top := &fnScope{fn: &ir.Fn{Name: "", Rest: ir.NoRest, SelfSlot: -1}, top: true}
	r.fn = top
	r.block = &blockScope{fn: top}
	return r, top
}

// recoverSyntaxError turns the panic of a *syntax.Error (errorf) into *err.
func recoverSyntaxError(err *error) {
	if e := recover(); e != nil {
		se, ok := e.(*syntax.Error)
		if !ok {
			panic(e)
		}
		*err = se
	}
}

// lookupPrelude is the prelude definition that name refers to here, where no local binds
// it, or nil.
func (r *resolver) lookupPrelude(name string) *preludeFn {
	if r.prelude == nil {
		return nil
	}
	p := r.prelude.defs[name]
	if p == nil || r.prelude.inside {
		return p
	}
	if _, shadowed := r.globals[name]; shadowed || strings.HasPrefix(name, preludeHelperPrefix) {
		return nil
	}
	return p
}

// preludeCall is a direct call of a prelude function, its arity checked as a library
// call's is.
func (r *resolver) preludeCall(n *syntax.List, p *preludeFn) ir.Expr {
	args := n.Elems[1:]
	if p.min >= 0 && (len(args) < p.min || p.max >= 0 && len(args) > p.max) {
		r.errorf(n.Pos, "%s: wrong number of arguments (%d)", p.name, len(args))
	}
	return &ir.Call{At: at(n), Fn: &ir.GlobalRef{At: at(n.Elems[0]), Global: p.global}, Args: r.exprs(args)}
}

// preludeArity records the arity of a top-level defn of the prelude, before any of it is
// resolved, so that calls of functions defined further down are checked too.
func (r *resolver) preludeArity(n syntax.Node, scope *preludeScope) {
	l, ok := n.(*syntax.List)
	if !ok || len(l.Elems) < 3 {
		return
	}
	head, _ := l.Elems[0].(*syntax.Symbol)
	name, _ := l.Elems[1].(*syntax.Symbol)
	if head == nil || head.Name != "defn" || name == nil {
		return
	}
	rest := l.Elems[2:]
	if isString(rest[0]) && len(rest) > 1 {
		rest = rest[1:]
	}
	if _, ok := rest[0].(*syntax.Map); ok && len(rest) > 1 {
		rest = rest[1:]
	}
	pv, ok := rest[0].(*syntax.Vector)
	if !ok {
		return // resolving the defn reports it
	}
	params := r.params(pv)
	p := scope.defs[name.Name]
	p.min, p.max = len(params.fixed), len(params.fixed)
	if params.rest != nil {
		p.max = -1
	}
	if name.Meta == nil {
		return
	}
	for i := 0; i+1 < len(name.Meta.Elems); i += 2 {
		k, _ := name.Meta.Elems[i].(*syntax.Atom)
		if k == nil || !value.Equal(k.Value, value.Keyword("max-args")) {
			continue
		}
		v, _ := name.Meta.Elems[i+1].(*syntax.Atom)
		var limit value.Int
		if v != nil {
			limit, _ = v.Value.(value.Int)
		}
		if params.rest == nil || int(limit) < p.min {
			r.errorf(name.Meta.Elems[i+1].Position(), ":max-args needs a & rest parameter and an integer of at least %d", p.min)
		}
		p.max = int(limit)
	}
}
