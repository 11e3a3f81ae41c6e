package resolve

import (
	"github.com/rtfsvm/rtfsvm/ir"
	"github.com/rtfsvm/rtfsvm/patterns"
	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
)

// param is one parameter: a binding pattern and its optional type.
type param struct {
	pat syntax.Node
	typ value.Value
}

func (p param) describe() string {
	if s, ok := p.pat.(*syntax.Symbol); ok {
		return s.Name
	}
	return ""
}

type paramList struct {
	fixed []param
	rest  *param
}

// params reads [p1 T1? p2 ... & rest]; a keyword or ": type" after a name is its type.
func (r *resolver) params(v *syntax.Vector) paramList {
	var out paramList
	elems := v.Elems
	for i := 0; i < len(elems); {
		e := elems[i]
		if s, ok := e.(*syntax.Symbol); ok && s.Name == "&" {
			if out.rest != nil {
				r.errorf(s.Pos, "only one & in a parameter vector")
			}
			if i+1 >= len(elems) {
				r.errorf(s.Pos, "& must be followed by a name for the rest")
			}
			p, next := r.oneParam(elems, i+1)
			out.rest = &p
			i = next
			if i < len(elems) {
				r.errorf(elems[i].Position(), "nothing may follow the & rest parameter")
			}
			break
		}
		p, next := r.oneParam(elems, i)
		out.fixed = append(out.fixed, p)
		i = next
	}
	return out
}

func (r *resolver) oneParam(elems []syntax.Node, i int) (param, int) {
	p := param{pat: elems[i]}
	if !isPattern(p.pat) {
		r.errorf(p.pat.Position(), "expected a parameter name or pattern, got %s", syntax.Print(p.pat))
	}
	i++
	if i < len(elems) {
		switch t := elems[i].(type) {
		case *syntax.Colon:
			if i+1 >= len(elems) {
				r.errorf(t.Pos, "a : must be followed by a type")
			}
			p.typ = r.typeExpr(elems[i+1])
			i += 2
		case *syntax.Atom:
			if t.Value.Kind() == value.KindKeyword {
				p.typ = r.typeExpr(t)
				i++
			}
		}
	}
	return p, i
}

func isPattern(n syntax.Node) bool {
	switch n := n.(type) {
	case *syntax.Symbol:
		return n.Name != "&"
	case *syntax.Vector, *syntax.Map:
		return true
	}
	return false
}

type bindingSpec struct {
	pat  syntax.Node
	typ  value.Value
	init syntax.Node
}

// bindings reads a let or loop binding vector. A keyword right after a name is a value
// unless reading it so leaves something that cannot be a binding pattern; then it is a
// type (rtfs-language.md §1).
func (r *resolver) bindings(v *syntax.Vector, form string) []bindingSpec {
	elems := v.Elems
	failed := map[int]bool{}
	var parse func(i int) ([]bindingSpec, bool)
	parse = func(i int) ([]bindingSpec, bool) {
		if i == len(elems) {
			return nil, true
		}
		if failed[i] || i+1 >= len(elems) || !isPattern(elems[i]) {
			return nil, false
		}
		pat, next := elems[i], elems[i+1]
		try := func(s bindingSpec, j int) ([]bindingSpec, bool) {
			rest, ok := parse(j)
			if !ok {
				return nil, false
			}
			return append([]bindingSpec{s}, rest...), true
		}
		if _, ok := next.(*syntax.Colon); ok {
			if i+3 < len(elems) {
				if out, ok := try(bindingSpec{pat, r.typeExpr(elems[i+2]), elems[i+3]}, i+4); ok {
					return out, true
				}
			}
			failed[i] = true
			return nil, false
		}
		if out, ok := try(bindingSpec{pat: pat, init: next}, i+2); ok {
			return out, true
		}
		if a, ok := next.(*syntax.Atom); ok && a.Value.Kind() == value.KindKeyword && i+2 < len(elems) {
			if out, ok := try(bindingSpec{pat, r.typeExpr(next), elems[i+2]}, i+3); ok {
				return out, true
			}
		}
		failed[i] = true
		return nil, false
	}
	specs, ok := parse(0)
	if !ok {
		for i := 0; i < len(elems); i += 2 {
			if !isPattern(elems[i]) {
				r.errorf(elems[i].Position(), "%s: expected a name or pattern to bind, got %s", form, syntax.Print(elems[i]))
			}
		}
		r.errorf(v.Pos, "%s needs pairs of pattern and value", form)
	}
	return specs
}

// destructure binds the names of pat to the value of init, then resolves the rest with
// those names in scope.
func (r *resolver) destructure(pat syntax.Node, init ir.Expr, rest func() ir.Expr) ir.Expr {
	a := at(pat)
	switch p := pat.(type) {
	case *syntax.Symbol:
		if p.Name == "_" {
			return &ir.Let{At: a, Slot: r.newSlot(), Init: init, Body: rest()}
		}
		// The init is resolved already, so a name may shadow one it uses.
		return &ir.Let{At: a, Slot: r.bind(p.Name), Name: p.Name, Init: init, Body: rest()}
	case *syntax.Vector:
		slot := r.newSlot()
		whole := &ir.Local{At: a, Slot: slot}
		return &ir.Let{At: a, Slot: slot, Init: init, Body: r.seqPattern(p, whole, 0, rest)}
	case *syntax.Map:
		slot := r.newSlot()
		whole := &ir.Local{At: a, Slot: slot}
		return &ir.Let{At: a, Slot: slot, Init: init, Body: r.mapPattern(p, whole, rest)}
	}
	r.errorf(pat.Position(), "expected a name or pattern to bind, got %s", syntax.Print(pat))
	return nil
}

func builtinCall(a ir.At, b *value.Builtin, args ...ir.Expr) ir.Expr {
	return &ir.CallBuiltin{At: a, Builtin: b, Args: args}
}

func constant(a ir.At, v value.Value) ir.Expr { return &ir.Const{At: a, Value: v} }

// seqPattern destructures [a b & rest :as all] from element i of whole on.
func (r *resolver) seqPattern(p *syntax.Vector, whole ir.Expr, i int, rest func() ir.Expr) ir.Expr {
	elems := p.Elems
	var build func(k, idx int) ir.Expr
	build = func(k, idx int) ir.Expr {
		if k == len(elems) {
			return rest()
		}
		e := elems[k]
		a := at(e)
		if s, ok := e.(*syntax.Symbol); ok && s.Name == "&" {
			if k+1 >= len(elems) {
				r.errorf(s.Pos, "& must be followed by a pattern for the rest")
			}
			return r.destructure(elems[k+1], builtinCall(a, patterns.Rest, whole, constant(a, value.Int(idx))),
				func() ir.Expr { return build(k+2, idx) })
		}
		if kw, ok := e.(*syntax.Atom); ok && value.Equal(kw.Value, value.Keyword("as")) {
			if k+1 >= len(elems) {
				r.errorf(kw.Pos, ":as must be followed by a name")
			}
			return r.destructure(elems[k+1], whole, func() ir.Expr { return build(k+2, idx) })
		}
		return r.destructure(e, builtinCall(a, patterns.Nth, whole, constant(a, value.Int(idx))),
			func() ir.Expr { return build(k+1, idx+1) })
	}
	return build(0, i)
}

// mapPattern destructures {:keys [a] :strs [b] x :k :or {a 0} :as m}.
func (r *resolver) mapPattern(p *syntax.Map, whole ir.Expr, rest func() ir.Expr) ir.Expr {
	var defaults *syntax.Map
	for i := 0; i < len(p.Elems); i += 2 {
		if k, ok := p.Elems[i].(*syntax.Atom); ok && value.Equal(k.Value, value.Keyword("or")) {
			m, ok := p.Elems[i+1].(*syntax.Map)
			if !ok {
				r.errorf(p.Elems[i+1].Position(), ":or needs a map of defaults")
			}
			defaults = m
		}
	}
	defaultFor := func(name string) syntax.Node {
		if defaults == nil {
			return nil
		}
		for i := 0; i < len(defaults.Elems); i += 2 {
			if s, ok := defaults.Elems[i].(*syntax.Symbol); ok && s.Name == name {
				return defaults.Elems[i+1]
			}
		}
		return nil
	}
	type entry struct {
		pat syntax.Node
		key value.Value
	}
	var entries []entry
	var as syntax.Node
	for i := 0; i < len(p.Elems); i += 2 {
		k, v := p.Elems[i], p.Elems[i+1]
		if kw, ok := k.(*syntax.Atom); ok {
			switch {
			case value.Equal(kw.Value, value.Keyword("keys")), value.Equal(kw.Value, value.Keyword("strs")):
				names, ok := v.(*syntax.Vector)
				if !ok {
					r.errorf(v.Position(), "%s needs a vector of names", syntax.Print(k))
				}
				for _, n := range names.Elems {
					s, ok := n.(*syntax.Symbol)
					if !ok {
						r.errorf(n.Position(), "%s needs names, got %s", syntax.Print(k), syntax.Print(n))
					}
					var key value.Value = value.Keyword(s.Name)
					if value.Equal(kw.Value, value.Keyword("strs")) {
						key = value.String(s.Name)
					}
					entries = append(entries, entry{s, key})
				}
				continue
			case value.Equal(kw.Value, value.Keyword("as")):
				as = v
				continue
			case value.Equal(kw.Value, value.Keyword("or")):
				continue
			}
		}
		if !isPattern(k) {
			r.errorf(k.Position(), "in a map pattern, expected a pattern before the key, got %s", syntax.Print(k))
		}
		entries = append(entries, entry{k, syntax.Datum(v)})
	}
	var build func(i int) ir.Expr
	build = func(i int) ir.Expr {
		if i == len(entries) {
			if as != nil {
				return r.destructure(as, whole, rest)
			}
			return rest()
		}
		e := entries[i]
		a := at(e.pat)
		var def ir.Expr = constant(a, value.Nil)
		if s, ok := e.pat.(*syntax.Symbol); ok {
			if d := defaultFor(s.Name); d != nil {
				def = r.expr(d, false)
			}
		}
		return r.destructure(e.pat, builtinCall(a, patterns.Get, whole, constant(a, e.key), def),
			func() ir.Expr { return build(i + 1) })
	}
	return build(0)
}

// match lowers (match e pat [when guard] body ...) to a chain of ifs. Each clause's test
// binds the pattern's names to evaluate the guard; the body binds them again (the
// bindings are pure), so no code is duplicated.
func (r *resolver) match(n *syntax.List, tail bool) ir.Expr {
	args := r.arity(n, 1, -1)
	slot := r.newSlot()
	subject := &ir.Local{At: at(args[0]), Slot: slot}
	type clause struct {
		pat, guard, body syntax.Node
	}
	var clauses []clause
	for i := 1; i < len(args); {
		c := clause{pat: args[i]}
		i++
		if i+1 < len(args) {
			if s, ok := args[i].(*syntax.Symbol); ok && s.Name == "when" {
				c.guard = args[i+1]
				i += 2
			}
		}
		if i >= len(args) {
			r.errorf(c.pat.Position(), "match clause %s has no body", syntax.Print(c.pat))
		}
		c.body = args[i]
		i++
		clauses = append(clauses, c)
	}
	var build func(k int) ir.Expr
	build = func(k int) ir.Expr {
		if k == len(clauses) {
			return &ir.Throw{At: at(n), Args: []ir.Expr{
				constant(at(n), value.ErrMatch),
				builtinCall(at(n), matchMessage, subject),
			}}
		}
		c := clauses[k]
		steps := r.compilePattern(c.pat, subject, nil)
		r.push()
		test := r.lowerSteps(steps, true, func() ir.Expr {
			if c.guard == nil {
				return constant(at(c.pat), value.True)
			}
			return r.expr(c.guard, false)
		})
		r.pop()
		r.push()
		body := r.lowerSteps(steps, false, func() ir.Expr { return r.expr(c.body, tail) })
		r.pop()
		return &ir.If{At: at(c.pat), Cond: test, Then: body, Else: build(k + 1)}
	}
	return &ir.Let{At: at(n), Slot: slot, Init: r.expr(args[0], false), Body: build(0)}
}

var matchMessage = &value.Builtin{Name: "match-message", MinArgs: 1, MaxArgs: 1,
	Fn: func(_ value.Caller, args []value.Value) (value.Value, error) {
		return value.String("no match clause applies to " + value.Describe(args[0])), nil
	}}

// A matchStep is a test on a value or the binding of a name (or a temporary) to one.
type matchStep struct {
	test ir.Expr        // when non-nil, a condition
	pat  *syntax.Symbol // when test is nil: bind this name (nil: a temporary)
	tmp  *int           // the temporary's slot, filled when lowered
	val  func() ir.Expr // the value to bind
}

// compilePattern lists the tests and bindings that match pat against the value of v.
func (r *resolver) compilePattern(pat syntax.Node, v ir.Expr, out []matchStep) []matchStep {
	a := at(pat)
	switch p := pat.(type) {
	case *syntax.Atom:
		return append(out, matchStep{test: builtinCall(a, patterns.Equal, v, constant(a, p.Value))})
	case *syntax.Symbol:
		if p.Name == "_" {
			return out
		}
		return append(out, matchStep{pat: p, val: func() ir.Expr { return v }})
	case *syntax.Vector:
		elems := p.Elems
		n, rest, as := 0, syntax.Node(nil), syntax.Node(nil)
		for k := 0; k < len(elems); k++ {
			if s, ok := elems[k].(*syntax.Symbol); ok && s.Name == "&" && k+1 == len(elems) {
				r.errorf(s.Pos, "& must be followed by a pattern for the rest")
			}
			if kw, ok := elems[k].(*syntax.Atom); ok && value.Equal(kw.Value, value.Keyword("as")) && k+1 == len(elems) {
				r.errorf(kw.Pos, ":as must be followed by a name")
			}
			if s, ok := elems[k].(*syntax.Symbol); ok && s.Name == "&" && k+1 < len(elems) {
				rest = elems[k+1]
				k++
				continue
			}
			if kw, ok := elems[k].(*syntax.Atom); ok && value.Equal(kw.Value, value.Keyword("as")) && k+1 < len(elems) {
				as = elems[k+1]
				k++
				continue
			}
			n++
		}
		if rest == nil {
			out = append(out, matchStep{test: builtinCall(a, patterns.SeqLen, v, constant(a, value.Int(n)))})
		} else {
			out = append(out, matchStep{test: builtinCall(a, patterns.SeqMin, v, constant(a, value.Int(n)))})
		}
		if as != nil {
			out = r.compilePattern(as, v, out)
		}
		idx := 0
		for k := 0; k < len(elems); k++ {
			if s, ok := elems[k].(*syntax.Symbol); ok && s.Name == "&" {
				i := idx
				out = r.subPattern(elems[k+1], func() ir.Expr { return builtinCall(a, patterns.Rest, v, constant(a, value.Int(i))) }, out)
				k++
				continue
			}
			if kw, ok := elems[k].(*syntax.Atom); ok && value.Equal(kw.Value, value.Keyword("as")) {
				k++
				continue
			}
			i := idx
			out = r.subPattern(elems[k], func() ir.Expr { return builtinCall(a, patterns.Nth, v, constant(a, value.Int(i))) }, out)
			idx++
		}
		return out
	case *syntax.Map:
		for k := 0; k < len(p.Elems); k += 2 {
			key := syntax.Datum(p.Elems[k])
			out = append(out, matchStep{test: builtinCall(a, patterns.MapHas, v, constant(a, key))})
			out = r.subPattern(p.Elems[k+1], func() ir.Expr {
				return builtinCall(a, patterns.Get, v, constant(a, key), constant(a, value.Nil))
			}, out)
		}
		return out
	case *syntax.List:
		if len(p.Elems) == 3 {
			if kw, ok := p.Elems[0].(*syntax.Atom); ok && value.Equal(kw.Value, value.Keyword("as")) {
				out = r.compilePattern(p.Elems[1], v, out)
				return r.compilePattern(p.Elems[2], v, out)
			}
		}
	}
	r.errorf(pat.Position(), "not a match pattern: %s", syntax.Print(pat))
	return nil
}

// subPattern matches pat against a part of a value: a plain name binds it directly;
// anything else first binds the part to a temporary.
func (r *resolver) subPattern(pat syntax.Node, part func() ir.Expr, out []matchStep) []matchStep {
	if s, ok := pat.(*syntax.Symbol); ok {
		if s.Name == "_" {
			return out
		}
		return append(out, matchStep{pat: s, val: part})
	}
	tmp := new(int)
	out = append(out, matchStep{tmp: tmp, val: part})
	return r.compilePattern(pat, &tmpRef{slot: tmp, pos: pat.Position()}, out)
}

// tmpRef is a Local whose slot is known only when the steps are lowered; it is replaced
// by an ir.Local then.
type tmpRef struct {
	slot *int
	pos  syntax.Pos
}

func (t *tmpRef) Position() syntax.Pos { return t.pos }

// lowerSteps turns the steps into nested lets and ifs around end. With tests false it
// only binds (the clause's body, once the test has passed).
func (r *resolver) lowerSteps(steps []matchStep, tests bool, end func() ir.Expr) ir.Expr {
	if len(steps) == 0 {
		return end()
	}
	s := steps[0]
	if s.test != nil {
		if !tests {
			return r.lowerSteps(steps[1:], tests, end)
		}
		test := resolveTmps(s.test)
		return &ir.If{At: ir.At{Pos: test.Position()}, Cond: test, Then: r.lowerSteps(steps[1:], tests, end), Else: constant(ir.At{Pos: test.Position()}, value.False)}
	}
	val := resolveTmps(s.val())
	a := ir.At{Pos: val.Position()}
	if s.pat == nil {
		*s.tmp = r.newSlot()
		return &ir.Let{At: a, Slot: *s.tmp, Init: val, Body: r.lowerSteps(steps[1:], tests, end)}
	}
	return &ir.Let{At: a, Slot: r.bind(s.pat.Name), Name: s.pat.Name, Init: val, Body: r.lowerSteps(steps[1:], tests, end)}
}

// resolveTmps replaces temporaries by locals in the argument lists the pattern compiler
// builds (they are only ever direct arguments of a builtin call).
func resolveTmps(e ir.Expr) ir.Expr {
	switch e := e.(type) {
	case *tmpRef:
		return &ir.Local{At: ir.At{Pos: e.pos}, Slot: *e.slot}
	case *ir.CallBuiltin:
		args := make([]ir.Expr, len(e.Args))
		for i, a := range e.Args {
			args[i] = resolveTmps(a)
		}
		return &ir.CallBuiltin{At: e.At, Builtin: e.Builtin, Args: args}
	}
	return e
}
