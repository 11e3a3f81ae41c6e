package resolve

import (
	"strings"
	"unicode"

	"github.com/rtfsvm/rtfsvm/ir"
	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
)

type specialForm func(r *resolver, n *syntax.List, tail bool) ir.Expr

var specialForms map[string]specialForm

func init() {
	specialForms = map[string]specialForm{
		"quote": (*resolver).quote, "def": (*resolver).def, "defn": (*resolver).defn,
		"fn": (*resolver).fn_, "let": (*resolver).let, "if": (*resolver).if_,
		"do": (*resolver).do, "and": (*resolver).and, "or": (*resolver).or,
		"when": (*resolver).when, "when-not": (*resolver).when, "cond": (*resolver).cond,
		"if-let": (*resolver).ifLet, "when-let": (*resolver).ifLet,
		"loop": (*resolver).loop, "recur": (*resolver).recur,
		"->": (*resolver).thread, "->>": (*resolver).thread,
		"match": (*resolver).match, "try": (*resolver).try, "throw": (*resolver).throw,
		"call": (*resolver).call, "parallel": (*resolver).parallel,
		"step": (*resolver).step, "checkpoint": (*resolver).checkpoint, "plan": (*resolver).plan,
	}
}

func headName(n *syntax.List) string { return n.Elems[0].(*syntax.Symbol).Name }

// arity requires between lo and hi arguments (hi < 0: no upper bound).
func (r *resolver) arity(n *syntax.List, lo, hi int) []syntax.Node {
	args := n.Elems[1:]
	if len(args) < lo || (hi >= 0 && len(args) > hi) {
		want := ""
		switch {
		case lo == hi:
			want = plural(lo, "argument")
		case hi < 0:
			want = "at least " + plural(lo, "argument")
		default:
			want = plural(lo, "") + "to " + plural(hi, "arguments")
		}
		r.errorf(n.Pos, "%s takes %s, got %d", headName(n), strings.TrimSpace(want), len(args))
	}
	return args
}

func plural(n int, word string) string {
	s := string(rune('0'+n%10)) + " "
	if n >= 10 {
		s = "many "
	}
	if word != "" && n != 1 && !strings.HasSuffix(word, "s") {
		word += "s"
	}
	return s + word
}

func at(n syntax.Node) ir.At { return ir.At{Pos: n.Position()} }

func (r *resolver) quote(n *syntax.List, _ bool) ir.Expr {
	args := r.arity(n, 1, 1)
	return &ir.Const{At: at(n), Value: syntax.Datum(args[0])}
}

func (r *resolver) requireTop(n *syntax.List) {
	if !r.fn.top {
		r.errorf(n.Pos, "%s is only allowed at the top level, not inside a function", headName(n))
	}
}

func (r *resolver) globalName(n syntax.Node, form string) *syntax.Symbol {
	s, ok := n.(*syntax.Symbol)
	if !ok {
		r.errorf(n.Position(), "%s needs a symbol as its name, got %s", form, syntax.Print(n))
	}
	return s
}

func (r *resolver) def(n *syntax.List, _ bool) ir.Expr {
	r.requireTop(n)
	args := r.arity(n, 2, 3)
	name := r.globalName(args[0], "def")
	init := args[len(args)-1]
	if len(args) == 3 {
		if a, ok := args[1].(*syntax.Atom); !ok || a.Value.Kind() != value.KindString {
			r.errorf(args[1].Position(), "def takes a name, an optional docstring and a value")
		}
	}
	g := r.defineGlobal(name.Name, name.Pos)
	return &ir.Def{At: at(n), Global: g, Value: r.expr(init, false)}
}

func (r *resolver) defn(n *syntax.List, _ bool) ir.Expr {
	r.requireTop(n)
	args := r.arity(n, 2, -1)
	name := r.globalName(args[0], "defn")
	rest := args[1:]
	if isString(rest[0]) && len(rest) > 1 {
		rest = rest[1:] // docstring before the parameters
	}
	if _, ok := rest[0].(*syntax.Map); ok && len(rest) > 1 {
		rest = rest[1:] // attribute map
	}
	g := r.defineGlobal(name.Name, name.Pos)
	fn := r.function(n, name.Name, rest)
	return &ir.Def{At: at(n), Global: g, Value: fn}
}

func isString(n syntax.Node) bool {
	a, ok := n.(*syntax.Atom)
	return ok && a.Value.Kind() == value.KindString
}

func (r *resolver) fn_(n *syntax.List, _ bool) ir.Expr {
	args := r.arity(n, 1, -1)
	name := ""
	if s, ok := args[0].(*syntax.Symbol); ok {
		name = s.Name
		args = args[1:]
		if len(args) == 0 {
			r.errorf(n.Pos, "fn needs a parameter vector")
		}
	}
	return r.function(n, name, args)
}

// function resolves [params] ret? body* (what follows fn's name or defn's name).
func (r *resolver) function(n *syntax.List, name string, forms []syntax.Node) *ir.Fn {
	pv, ok := forms[0].(*syntax.Vector)
	if !ok {
		if _, multi := forms[0].(*syntax.List); multi {
			r.errorf(forms[0].Position(), "functions with several arities are not supported: write one parameter vector")
		}
		r.errorf(forms[0].Position(), "expected a parameter vector, got %s", syntax.Print(forms[0]))
	}
	body := forms[1:]
	if len(body) > 1 && isString(body[0]) {
		body = body[1:] // docstring after the parameters
	}
	var ret value.Value
	if len(body) > 1 {
		if a, ok := body[0].(*syntax.Atom); ok && a.Value.Kind() == value.KindKeyword {
			ret = r.typeExpr(body[0])
			body = body[1:]
		}
	}
	if len(body) > 1 {
		if _, ok := body[0].(*syntax.Colon); ok {
			ret = r.typeExpr(body[1])
			body = body[2:]
		}
	}
	params := r.params(pv)

	outerFn, outerBlock := r.fn, r.block
	fs := &fnScope{parent: outerFn, recurOK: true}
	fs.fn = &ir.Fn{At: at(n), Name: name, Rest: ir.NoRest, SelfSlot: -1, ReturnType: ret}
	r.fn = fs
	r.block = &blockScope{parent: outerBlock, fn: fs}
	// Parameters take the first slots, in order, so that an engine can lay the
	// arguments down where the frame starts; the rest parameter follows them, then the
	// function's own name. Patterns are destructured at the start of the body.
	type pending struct {
		p    param
		slot int
	}
	var todo []pending
	for _, p := range params.fixed {
		s := r.newSlot()
		fs.fn.Params = append(fs.fn.Params, s)
		todo = append(todo, pending{p, s})
	}
	if params.rest != nil {
		fs.fn.Rest = r.newSlot()
		todo = append(todo, pending{*params.rest, fs.fn.Rest})
	}
	var self *binding
	if name != "" {
		fs.fn.SelfSlot = r.bind(name)
		self = r.block.find(name)
	}
	r.push() // parameters shadow the function's own name
	for _, t := range todo {
		if s, ok := t.p.pat.(*syntax.Symbol); ok && s.Name != "_" {
			r.block.add(&binding{name: s.Name, slot: t.slot, fn: fs})
		}
	}
	fs.recurArity = len(todo)
	var build func(i int) ir.Expr
	build = func(i int) ir.Expr {
		if i == len(todo) {
			return r.body(n.Pos, body, true)
		}
		t := todo[i]
		local := &ir.Local{At: at(t.p.pat), Name: t.p.describe(), Slot: t.slot}
		if s, ok := t.p.pat.(*syntax.Symbol); ok {
			rest := build(i + 1)
			if t.p.typ == nil {
				return rest
			}
			return &ir.Do{At: local.At, Exprs: []ir.Expr{check(local, t.p.typ, "parameter "+s.Name), rest}}
		}
		return r.destructure(t.p.pat, check(local, t.p.typ, "parameter"), func() ir.Expr { return build(i + 1) })
	}
	fs.fn.Body = build(0)
	if self != nil && !self.used {
		fs.fn.SelfSlot = -1 // its slot stays, unused: nothing stores the closure there
	}
	fs.fn.NumLocals = fs.numLocals
	r.fn, r.block = outerFn, outerBlock
	return fs.fn
}

func (r *resolver) let(n *syntax.List, tail bool) ir.Expr {
	args := r.arity(n, 1, -1)
	bv, ok := args[0].(*syntax.Vector)
	if !ok {
		r.errorf(args[0].Position(), "let needs a binding vector, got %s", syntax.Print(args[0]))
	}
	specs := r.bindings(bv, "let")
	r.push()
	defer r.pop()
	var build func(i int) ir.Expr
	build = func(i int) ir.Expr {
		if i == len(specs) {
			return r.body(n.Pos, args[1:], tail)
		}
		// A maximal run of fn bindings forms one mutually recursive group.
		j := i
		for j < len(specs) && r.isFnBinding(specs[j]) {
			j++
		}
		if j > i {
			return r.fnGroup(specs[i:j], func() ir.Expr { return build(j) })
		}
		s := specs[i]
		init := check(r.expr(s.init, false), s.typ, "binding "+syntax.Print(s.pat))
		return r.destructure(s.pat, init, func() ir.Expr { return build(i + 1) })
	}
	return build(0)
}

// isFnBinding reports whether a binding's value is an fn form (one that still means fn:
// neither a local nor the binding itself renames it).
func (r *resolver) isFnBinding(s bindingSpec) bool {
	name, ok := s.pat.(*syntax.Symbol)
	if !ok || s.typ != nil || name.Name == "fn" || r.lookupLocal("fn") != nil {
		return false
	}
	l, ok := s.init.(*syntax.List)
	if !ok || len(l.Elems) == 0 {
		return false
	}
	h, ok := l.Elems[0].(*syntax.Symbol)
	return ok && h.Name == "fn"
}

func (r *resolver) fnGroup(specs []bindingSpec, rest func() ir.Expr) ir.Expr {
	g := &ir.LetFns{At: at(specs[0].pat)}
	for _, s := range specs {
		g.Slots = append(g.Slots, r.bind(s.pat.(*syntax.Symbol).Name))
	}
	for _, s := range specs {
		g.Fns = append(g.Fns, r.expr(s.init, false).(*ir.Fn))
	}
	g.Body = rest()
	return g
}

func (r *resolver) if_(n *syntax.List, tail bool) ir.Expr {
	args := r.arity(n, 2, 3)
	e := &ir.If{At: at(n), Cond: r.expr(args[0], false), Then: r.expr(args[1], tail)}
	if len(args) == 3 {
		e.Else = r.expr(args[2], tail)
	} else {
		e.Else = &ir.Const{At: at(n), Value: value.Nil}
	}
	return e
}

func (r *resolver) do(n *syntax.List, tail bool) ir.Expr { return r.body(n.Pos, n.Elems[1:], tail) }

func (r *resolver) and(n *syntax.List, tail bool) ir.Expr { return r.logic(n, n.Elems[1:], true, tail) }
func (r *resolver) or(n *syntax.List, tail bool) ir.Expr  { return r.logic(n, n.Elems[1:], false, tail) }

// logic lowers and/or to let and if so that they short-circuit and return the deciding
// value.
func (r *resolver) logic(n *syntax.List, args []syntax.Node, isAnd bool, tail bool) ir.Expr {
	switch len(args) {
	case 0:
		if isAnd {
			return &ir.Const{At: at(n), Value: value.True}
		}
		return &ir.Const{At: at(n), Value: value.Nil}
	case 1:
		return r.expr(args[0], tail)
	}
	first := r.expr(args[0], false)
	slot := r.newSlot()
	tmp := &ir.Local{At: at(args[0]), Slot: slot}
	rest := r.logic(n, args[1:], isAnd, tail)
	e := &ir.If{At: at(n), Cond: tmp, Then: tmp, Else: rest}
	if isAnd {
		e.Then, e.Else = rest, tmp
	}
	return &ir.Let{At: at(n), Slot: slot, Init: first, Body: e}
}

func (r *resolver) when(n *syntax.List, tail bool) ir.Expr {
	args := r.arity(n, 1, -1)
	body := r.body(n.Pos, args[1:], tail)
	nilExpr := &ir.Const{At: at(n), Value: value.Nil}
	if headName(n) == "when-not" {
		return &ir.If{At: at(n), Cond: r.expr(args[0], false), Then: nilExpr, Else: body}
	}
	return &ir.If{At: at(n), Cond: r.expr(args[0], false), Then: body, Else: nilExpr}
}

func (r *resolver) cond(n *syntax.List, tail bool) ir.Expr {
	args := n.Elems[1:]
	if len(args)%2 != 0 {
		r.errorf(n.Pos, "cond needs pairs of test and expression, got %d forms", len(args))
	}
	var build func(i int) ir.Expr
	build = func(i int) ir.Expr {
		if i == len(args) {
			return &ir.Const{At: at(n), Value: value.Nil}
		}
		return &ir.If{At: at(args[i]), Cond: r.expr(args[i], false), Then: r.expr(args[i+1], tail), Else: build(i + 2)}
	}
	return build(0)
}

// ifLet lowers (if-let [pat e] then else) to (let [t e] (if t (let [pat t] then) else)).
func (r *resolver) ifLet(n *syntax.List, tail bool) ir.Expr {
	isWhen := headName(n) == "when-let"
	var args []syntax.Node
	if isWhen {
		args = r.arity(n, 1, -1)
	} else {
		args = r.arity(n, 2, 3)
	}
	bv, ok := args[0].(*syntax.Vector)
	if !ok || len(bv.Elems) != 2 {
		r.errorf(args[0].Position(), "%s needs a binding vector of one pattern and one expression", headName(n))
	}
	slot := r.newSlot()
	tmp := &ir.Local{At: at(bv), Slot: slot}
	init := r.expr(bv.Elems[1], false)
	r.push()
	var then ir.Expr
	if isWhen {
		then = r.destructure(bv.Elems[0], tmp, func() ir.Expr { return r.body(n.Pos, args[1:], tail) })
	} else {
		then = r.destructure(bv.Elems[0], tmp, func() ir.Expr { return r.expr(args[1], tail) })
	}
	r.pop()
	var els ir.Expr = &ir.Const{At: at(n), Value: value.Nil}
	if !isWhen && len(args) == 3 {
		els = r.expr(args[2], tail)
	}
	return &ir.Let{At: at(n), Slot: slot, Init: init, Body: &ir.If{At: at(n), Cond: tmp, Then: then, Else: els}}
}

func (r *resolver) loop(n *syntax.List, _ bool) ir.Expr {
	args := r.arity(n, 1, -1)
	bv, ok := args[0].(*syntax.Vector)
	if !ok {
		r.errorf(args[0].Position(), "loop needs a binding vector, got %s", syntax.Print(args[0]))
	}
	specs := r.bindings(bv, "loop")
	lp := &ir.Loop{At: at(n)}
	r.push()
	defer r.pop()
	for _, s := range specs {
		init := r.expr(s.init, false)
		lp.Inits = append(lp.Inits, init)
		if sym, ok := s.pat.(*syntax.Symbol); ok && sym.Name != "_" {
			lp.Slots = append(lp.Slots, r.bind(sym.Name))
		} else {
			lp.Slots = append(lp.Slots, r.newSlot())
		}
	}
	saved := *r.fn
	r.fn.recur, r.fn.recurArity, r.fn.recurOK = lp, len(specs), true
	var build func(i int) ir.Expr
	build = func(i int) ir.Expr {
		if i == len(specs) {
			return r.body(n.Pos, args[1:], true)
		}
		s := specs[i]
		local := &ir.Local{At: at(s.pat), Slot: lp.Slots[i]}
		if sym, ok := s.pat.(*syntax.Symbol); ok {
			rest := build(i + 1)
			if s.typ == nil {
				return rest
			}
			return &ir.Do{At: local.At, Exprs: []ir.Expr{check(local, s.typ, "binding "+sym.Name), rest}}
		}
		return r.destructure(s.pat, check(local, s.typ, "binding"), func() ir.Expr { return build(i + 1) })
	}
	lp.Body = build(0)
	r.fn.recur, r.fn.recurArity, r.fn.recurOK = saved.recur, saved.recurArity, saved.recurOK
	return lp
}

func (r *resolver) recur(n *syntax.List, tail bool) ir.Expr {
	switch {
	case !r.fn.recurOK:
		r.errorf(n.Pos, "recur outside of a loop or function")
	case !tail:
		r.errorf(n.Pos, "recur must be in tail position")
	case len(n.Elems)-1 != r.fn.recurArity:
		r.errorf(n.Pos, "recur needs %d argument(s) here, got %d", r.fn.recurArity, len(n.Elems)-1)
	}
	return &ir.Recur{At: at(n), Loop: r.fn.recur, Args: r.exprs(n.Elems[1:])}
}

// thread rewrites (-> x f (g a)) into (g (f x) a), and ->> into (g a (f x)).
func (r *resolver) thread(n *syntax.List, tail bool) ir.Expr {
	args := r.arity(n, 1, -1)
	last := headName(n) == "->>"
	acc := args[0]
	for _, f := range args[1:] {
		if l, ok := f.(*syntax.List); ok && len(l.Elems) > 0 {
			elems := append([]syntax.Node(nil), l.Elems...)
			if last {
				elems = append(elems, acc)
			} else {
				elems = append(elems[:1], append([]syntax.Node{acc}, elems[1:]...)...)
			}
			acc = &syntax.List{Common: syntax.Common{Pos: l.Pos, Meta: l.Meta}, Elems: elems}
		} else {
			acc = &syntax.List{Common: syntax.Common{Pos: f.Position()}, Elems: []syntax.Node{f, acc}}
		}
	}
	return r.expr(acc, tail)
}

func (r *resolver) try(n *syntax.List, _ bool) ir.Expr {
	t := &ir.Try{At: at(n)}
	var body []syntax.Node
	for _, f := range n.Elems[1:] {
		l, ok := f.(*syntax.List)
		var head string
		if ok && len(l.Elems) > 0 {
			if s, ok := l.Elems[0].(*syntax.Symbol); ok {
				head = s.Name
			}
		}
		switch {
		case head == "catch":
			if t.Finally != nil {
				r.errorf(l.Pos, "catch must come before finally")
			}
			t.Catches = append(t.Catches, r.catch(l))
		case head == "finally":
			if t.Finally != nil {
				r.errorf(l.Pos, "try takes only one finally")
			}
			t.Finally = r.body(l.Pos, l.Elems[1:], false)
		default:
			if len(t.Catches) > 0 || t.Finally != nil {
				r.errorf(f.Position(), "the body of try must come before its catch and finally clauses")
			}
			body = append(body, f)
		}
	}
	t.Body = r.body(n.Pos, body, false)
	return t
}

// catch reads (catch e body...), (catch Kind e body...) or (catch :kind e body...).
func (r *resolver) catch(l *syntax.List) *ir.Catch {
	args := l.Elems[1:]
	c := &ir.Catch{}
	if len(args) == 0 {
		r.errorf(l.Pos, "catch needs a name for the error")
	}
	switch a := args[0].(type) {
	case *syntax.Atom:
		k, ok := a.Value.(value.Keyword)
		if !ok {
			r.errorf(a.Pos, "catch takes an error kind keyword, got %s", syntax.Print(a))
		}
		c.Kind = k
		args = args[1:]
	case *syntax.Symbol:
		if len(args) > 1 && unicode.IsUpper([]rune(a.Name)[0]) {
			if _, ok := args[1].(*syntax.Symbol); ok {
				args = args[1:] // a class name such as Exception: catches everything
			}
		}
	}
	if len(args) == 0 {
		r.errorf(l.Pos, "catch needs a name for the error")
	}
	name, ok := args[0].(*syntax.Symbol)
	if !ok {
		r.errorf(args[0].Position(), "catch needs a name for the error, got %s", syntax.Print(args[0]))
	}
	r.push()
	c.Slot = r.bind(name.Name)
	c.Body = r.body(l.Pos, args[1:], false)
	r.pop()
	return c
}

func (r *resolver) throw(n *syntax.List, _ bool) ir.Expr {
	args := r.arity(n, 1, 3)
	return &ir.Throw{At: at(n), Args: r.exprs(args)}
}

func (r *resolver) call(n *syntax.List, _ bool) ir.Expr {
	args := r.arity(n, 1, -1)
	hc := &ir.HostCall{At: at(n), Capability: r.expr(args[0], false), Args: r.exprs(args[1:])}
	if c, ok := hc.Capability.(*ir.Const); ok {
		switch id := c.Value.(type) {
		case value.Keyword:
			r.caps[string(id)] = true
		case value.String:
			r.caps[string(id)] = true
		default:
			r.errorf(args[0].Position(), "a capability id is a keyword or a string, got %s", value.Print(id))
		}
	}
	if n.Meta != nil {
		hc.Options = r.expr(n.Meta, false)
	}
	return hc
}

func (r *resolver) parallel(n *syntax.List, _ bool) ir.Expr {
	p := &ir.Parallel{At: at(n)}
	for _, a := range n.Elems[1:] {
		l, ok := a.(*syntax.List)
		if !ok || len(l.Elems) == 0 {
			r.errorf(a.Position(), "every argument of parallel must be a (call ...) form")
		}
		if h, ok := l.Elems[0].(*syntax.Symbol); !ok || h.Name != "call" || r.lookupLocal("call") != nil {
			r.errorf(a.Position(), "every argument of parallel must be a (call ...) form")
		}
		p.Calls = append(p.Calls, r.call(l, false).(*ir.HostCall))
	}
	return p
}

func (r *resolver) step(n *syntax.List, _ bool) ir.Expr {
	args := r.arity(n, 1, -1)
	return &ir.Step{At: at(n), Name: r.expr(args[0], false), Body: r.body(n.Pos, args[1:], false)}
}

func (r *resolver) checkpoint(n *syntax.List, _ bool) ir.Expr {
	args := r.arity(n, 0, 1)
	c := &ir.Checkpoint{At: at(n), Name: &ir.Const{At: at(n), Value: value.Nil}}
	if len(args) == 1 {
		c.Name = r.expr(args[0], false)
	}
	return c
}

// plan evaluates the :body of a plan document; its other keys are metadata.
func (r *resolver) plan(n *syntax.List, tail bool) ir.Expr {
	args := n.Elems[1:]
	if len(args) > 0 {
		if _, ok := args[0].(*syntax.Symbol); ok {
			args = args[1:] // a plan name written as a symbol
		}
	}
	if len(args)%2 != 0 {
		r.errorf(n.Pos, "plan takes keyword and value pairs")
	}
	for i := 0; i < len(args); i += 2 {
		if k, ok := args[i].(*syntax.Atom); ok && value.Equal(k.Value, value.Keyword("body")) {
			return r.expr(args[i+1], tail)
		}
	}
	r.errorf(n.Pos, "plan needs a :body")
	return nil
}
