// Package resolve turns forms into the IR: it binds every name, expands the derived forms
// into the core ones, lowers destructuring and match, and rejects at compile time what
// can be rejected there (unknown special-form shapes, recur outside tail position, wrong
// arity of library calls, malformed types).
package resolve

import (
	"fmt"

	"github.com/rtfsvm/rtfsvm/ir"
	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/types"
	"github.com/rtfsvm/rtfsvm/value"
)

// Library looks up a standard-library function by name.
type Library func(name string) (*value.Builtin, bool)

// Program resolves the top-level forms of one file, without a prelude.
func Program(file string, forms []syntax.Node, lib Library) (*ir.Program, error) {
	return ProgramWith(file, forms, &Prelude{lib: lib})
}

type resolver struct {
	lib     Library
	globals map[string]*ir.Global
	order   []*ir.Global // in order of appearance, for stable indices
	caps    map[string]bool
	fn      *fnScope
	block   *blockScope
	prelude *preludeScope // the library functions written in RTFS (prelude.go), or nil
}

// fnScope is the function being resolved: its frame and what it captures.
type fnScope struct {
	parent    *fnScope
	fn        *ir.Fn
	numLocals int
	freeIndex map[*binding]int
	top       bool
	// recur is the innermost loop of this function that recur targets, or nil for the
	// function itself; recurArity is how many values recur must supply.
	recur      *ir.Loop
	recurArity int
	recurOK    bool // false at top level outside any loop
}

// blockScope is a run of names bound together (let, fn params, loop, catch, match).
type blockScope struct {
	parent *blockScope
	fn     *fnScope
	// Most blocks bind a few names, found by a scan; a block of many (a let of
	// thousands) indexes them. A later binding of a name shadows an earlier one.
	names []*binding
	index map[string]*binding
}

const blockScanned = 8 // names a block finds by a scan

// add binds bd in the block.
func (b *blockScope) add(bd *binding) {
	b.names = append(b.names, bd)
	switch {
	case b.index != nil:
		b.index[bd.name] = bd
	case len(b.names) > blockScanned:
		b.index = make(map[string]*binding, 2*len(b.names))
		for _, x := range b.names {
			b.index[x.name] = x
		}
	}
}

// find is the block's binding of name, or nil.
func (b *blockScope) find(name string) *binding {
	if b.index != nil {
		return b.index[name]
	}
	for i := len(b.names) - 1; i >= 0; i-- {
		if b.names[i].name == name {
			return b.names[i]
		}
	}
	return nil
}

type binding struct {
	name string
	slot int
	fn   *fnScope
	used bool // read by the code (a function's own name is stored only then)
}

func (r *resolver) errorf(p syntax.Pos, format string, args ...any) {
	panic(&syntax.Error{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

func (r *resolver) newSlot() int {
	s := r.fn.numLocals
	r.fn.numLocals++
	return s
}

func (r *resolver) push() {
	r.block = &blockScope{parent: r.block, fn: r.fn}
}
func (r *resolver) pop() { r.block = r.block.parent }

// bind declares name in the current block and returns its slot.
func (r *resolver) bind(name string) int {
	s := r.newSlot()
	r.block.add(&binding{name: name, slot: s, fn: r.fn})
	return s
}

func (r *resolver) lookupLocal(name string) *binding {
	for b := r.block; b != nil; b = b.parent {
		if bd := b.find(name); bd != nil {
			return bd
		}
	}
	return nil
}

// localRef reads a binding from the current function, capturing it through every
// function in between.
func (r *resolver) localRef(p syntax.Pos, b *binding) ir.Expr {
	return capture(r.fn, b, p)
}

func capture(fs *fnScope, b *binding, p syntax.Pos) ir.Expr {
	if b.fn == fs {
		return &ir.Local{At: ir.At{Pos: p}, Name: b.name, Slot: b.slot}
	}
	if i, ok := fs.freeIndex[b]; ok {
		return &ir.Free{At: ir.At{Pos: p}, Name: b.name, Index: i}
	}
	src := capture(fs.parent, b, p)
	i := len(fs.fn.Captures)
	fs.fn.Captures = append(fs.fn.Captures, src)
	if fs.freeIndex == nil {
		fs.freeIndex = map[*binding]int{} // most functions capture nothing
	}
	fs.freeIndex[b] = i
	return &ir.Free{At: ir.At{Pos: p}, Name: b.name, Index: i}
}

// collectDefs finds every def outside functions, so that globals are known before any
// function refers to them (late binding).
func (r *resolver) collectDefs(n syntax.Node) {
	l, ok := n.(*syntax.List)
	if !ok || len(l.Elems) == 0 {
		return
	}
	head, _ := l.Elems[0].(*syntax.Symbol)
	if head != nil {
		switch head.Name {
		case "def", "defn":
			if len(l.Elems) >= 2 {
				if s, ok := l.Elems[1].(*syntax.Symbol); ok {
					r.defineGlobal(s.Name, s.Pos)
				}
			}
			if head.Name == "def" && len(l.Elems) > 2 {
				for _, e := range l.Elems[2:] {
					r.collectDefs(e)
				}
			}
			return
		case "fn", "quote":
			return
		}
	}
	for _, e := range l.Elems {
		r.collectDefs(e)
	}
}

func (r *resolver) defineGlobal(name string, p syntax.Pos) *ir.Global {
	if g, ok := r.globals[name]; ok {
		return g
	}
	g := &ir.Global{Name: name, Pos: p}
	r.globals[name] = g
	r.order = append(r.order, g)
	return g
}

// symbol resolves a name used as a value.
func (r *resolver) symbol(s *syntax.Symbol) ir.Expr {
	at := ir.At{Pos: s.Pos}
	if b := r.lookupLocal(s.Name); b != nil {
		b.used = true
		return r.localRef(s.Pos, b)
	}
	if p := r.lookupPrelude(s.Name); p != nil {
		return &ir.GlobalRef{At: at, Global: p.global}
	}
	if g, ok := r.globals[s.Name]; ok {
		return &ir.GlobalRef{At: at, Global: g}
	}
	if b, ok := r.lib(s.Name); ok {
		return &ir.BuiltinRef{At: at, Builtin: b}
	}
	if _, special := specialForms[s.Name]; special {
		r.errorf(s.Pos, "%s is a special form and cannot be used as a value", s.Name)
	}
	if s.Name == "&" {
		r.errorf(s.Pos, "& is only allowed in a parameter vector or binding pattern")
	}
	g := &ir.Global{Name: s.Name, Input: true, Pos: s.Pos}
	r.globals[s.Name] = g
	r.order = append(r.order, g)
	return &ir.GlobalRef{At: at, Global: g}
}

// expr resolves one form. tail says whether it stands in tail position of the current
// recur target.
func (r *resolver) expr(n syntax.Node, tail bool) ir.Expr {
	at := ir.At{Pos: n.Position()}
	switch n := n.(type) {
	case *syntax.Atom:
		return &ir.Const{At: at, Value: n.Value}
	case *syntax.Symbol:
		return r.symbol(n)
	case *syntax.Colon:
		r.errorf(n.Pos, "a lone : is only allowed after a name, before its type")
	case *syntax.Vector:
		elems := r.exprs(n.Elems)
		if vals, ok := constValues(elems); ok {
			return &ir.Const{At: at, Value: value.NewVector(vals)}
		}
		return &ir.MakeVector{At: at, Elems: elems}
	case *syntax.Set:
		elems := r.exprs(n.Elems)
		if vals, ok := constValues(elems); ok {
			return &ir.Const{At: at, Value: value.NewSet(vals...)}
		}
		return &ir.MakeSet{At: at, Elems: elems}
	case *syntax.Map:
		elems := r.exprs(n.Elems)
		if vals, ok := constValues(elems); ok {
			m := value.EmptyMap
			for i := 0; i < len(vals); i += 2 {
				m = m.Assoc(vals[i], vals[i+1])
			}
			return &ir.Const{At: at, Value: m}
		}
		return &ir.MakeMap{At: at, Elems: elems}
	case *syntax.List:
		if len(n.Elems) == 0 {
			return &ir.Const{At: at, Value: value.EmptyList}
		}
		if head, ok := n.Elems[0].(*syntax.Symbol); ok {
			if sf, ok := specialForms[head.Name]; ok && r.lookupLocal(head.Name) == nil {
				return sf(r, n, tail)
			}
			if r.lookupLocal(head.Name) == nil {
				if p := r.lookupPrelude(head.Name); p != nil {
					return r.preludeCall(n, p)
				}
				if _, isGlobal := r.globals[head.Name]; !isGlobal {
					if b, ok := r.lib(head.Name); ok {
						args := n.Elems[1:]
						if !b.AcceptsArity(len(args)) {
							r.errorf(n.Pos, "%s: wrong number of arguments (%d)", b.Name, len(args))
						}
						return &ir.CallBuiltin{At: at, Builtin: b, Args: r.exprs(args)}
					}
				}
			}
		}
		return &ir.Call{At: at, Fn: r.expr(n.Elems[0], false), Args: r.exprs(n.Elems[1:])}
	}
	panic(fmt.Sprintf("resolve: unexpected node %T", n))
}

func (r *resolver) exprs(ns []syntax.Node) []ir.Expr {
	out := make([]ir.Expr, len(ns))
	for i, n := range ns {
		out[i] = r.expr(n, false)
	}
	return out
}

// constValues returns the values of expressions that are all constants.
func constValues(es []ir.Expr) ([]value.Value, bool) {
	vals := make([]value.Value, len(es))
	for i, e := range es {
		c, ok := e.(*ir.Const)
		if !ok {
			return nil, false
		}
		vals[i] = c.Value
	}
	return vals, true
}

// body resolves a sequence of forms evaluated for the value of the last; an empty one is
// nil.
func (r *resolver) body(p syntax.Pos, forms []syntax.Node, tail bool) ir.Expr {
	switch len(forms) {
	case 0:
		return &ir.Const{At: ir.At{Pos: p}, Value: value.Nil}
	case 1:
		return r.expr(forms[0], tail)
	}
	es := make([]ir.Expr, len(forms))
	for i, f := range forms {
		es[i] = r.expr(f, tail && i == len(forms)-1)
	}
	return &ir.Do{At: ir.At{Pos: p}, Exprs: es}
}

// typeExpr validates a type annotation.
func (r *resolver) typeExpr(n syntax.Node) value.Value {
	t := syntax.Datum(n)
	if err := types.Validate(t); err != nil {
		r.errorf(n.Position(), "%v", err)
	}
	return t
}

func check(e ir.Expr, t value.Value, what string) ir.Expr {
	if t == nil {
		return e
	}
	return &ir.Check{At: ir.At{Pos: e.Position()}, Expr: e, Type: t, What: what}
}
