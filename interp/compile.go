package interp

import (
	"fmt"

	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/ir"
	"github.com/rtfsvm/rtfsvm/types"
	"github.com/rtfsvm/rtfsvm/value"
)

// compiler turns one function's IR into code. Recur needs the slots of its target.
type compiler struct {
	fn *ir.Fn
}

func compileFn(f *ir.Fn) *function {
	c := &compiler{fn: f}
	return &function{ir: f, body: c.expr(f.Body)}
}

// located gives an RTFS error the position of the expression that raised it, unless a
// deeper expression already did.
func located(err error, e ir.Expr) error {
	if re, ok := err.(*value.Error); ok && re.At == "" {
		re.At = e.Position().String()
	}
	return err
}

func (c *compiler) exprs(es []ir.Expr) []code {
	out := make([]code, len(es))
	for i, e := range es {
		out[i] = c.expr(e)
	}
	return out
}

// pushArgs evaluates arguments onto the stack, where the callee's frame will start, and
// returns that place.
func pushArgs(fr *frame, args []code) (int, error) {
	th := fr.th
	base := th.sp
	for _, a := range args {
		v, err := a(fr)
		if err != nil {
			th.popTo(base)
			return 0, err
		}
		th.push(v)
	}
	return base, nil
}

// evalAll evaluates argument code in order.
func evalAll(fr *frame, cs []code) ([]value.Value, error) {
	vals := make([]value.Value, len(cs))
	for i, a := range cs {
		v, err := a(fr)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	return vals, nil
}

func (c *compiler) expr(e ir.Expr) code {
	switch e := e.(type) {
	case *ir.Const:
		v := e.Value
		return func(*frame) (value.Value, error) { return v, nil }
	case *ir.Local:
		s := e.Slot
		return func(fr *frame) (value.Value, error) { return fr.locals[s], nil }
	case *ir.Free:
		i := e.Index
		return func(fr *frame) (value.Value, error) { return fr.free[i], nil }
	case *ir.GlobalRef:
		g := e.Global
		return func(fr *frame) (value.Value, error) {
			if v := fr.th.globals[g.Index]; v != nil {
				return v, nil
			}
			return nil, located(value.Errorf(value.ErrUnbound, "%s is used before its definition has run", g.Name), e)
		}
	case *ir.BuiltinRef:
		b := e.Builtin
		return func(*frame) (value.Value, error) { return b, nil }
	case *ir.If:
		cond, then, els := c.expr(e.Cond), c.expr(e.Then), c.expr(e.Else)
		return func(fr *frame) (value.Value, error) {
			v, err := cond(fr)
			if err != nil {
				return nil, err
			}
			if value.Truthy(v) {
				return then(fr)
			}
			return els(fr)
		}
	case *ir.Do:
		cs := c.exprs(e.Exprs)
		init, last := cs[:len(cs)-1], cs[len(cs)-1]
		return func(fr *frame) (value.Value, error) {
			for _, x := range init {
				if _, err := x(fr); err != nil {
					return nil, err
				}
			}
			return last(fr)
		}
	case *ir.Let:
		s, init, body := e.Slot, c.expr(e.Init), c.expr(e.Body)
		return func(fr *frame) (value.Value, error) {
			v, err := init(fr)
			if err != nil {
				return nil, err
			}
			fr.locals[s] = v
			return body(fr)
		}
	case *ir.LetFns:
		return c.letFns(e)
	case *ir.Fn:
		f := compileFn(e)
		f.captures = c.exprs(e.Captures)
		return func(fr *frame) (value.Value, error) { return makeClosure(fr, f) }
	case *ir.Call:
		fn, args := c.expr(e.Fn), c.exprs(e.Args)
		return func(fr *frame) (value.Value, error) {
			f, err := fn(fr)
			if err != nil {
				return nil, err
			}
			base, err := pushArgs(fr, args)
			if err != nil {
				return nil, err
			}
			v, err := fr.th.invoke(f, base)
			if err != nil {
				return nil, located(err, e)
			}
			return v, nil
		}
	case *ir.CallBuiltin:
		return c.callBuiltin(e)
	case *ir.Loop:
		return c.loop(e)
	case *ir.Recur:
		slots := c.recurSlots(e)
		args := c.exprs(e.Args)
		return func(fr *frame) (value.Value, error) {
			vals, err := evalAll(fr, args)
			if err != nil {
				return nil, err
			}
			for i, s := range slots {
				fr.locals[s] = vals[i]
			}
			return nil, errRecur
		}
	case *ir.Def:
		idx, val := e.Global.Index, c.expr(e.Value)
		return func(fr *frame) (value.Value, error) {
			v, err := val(fr)
			if err != nil {
				return nil, err
			}
			fr.th.globals[idx] = v
			return v, nil
		}
	case *ir.Try:
		return c.try(e)
	case *ir.Throw:
		args := c.exprs(e.Args)
		return func(fr *frame) (value.Value, error) {
			vals, err := evalAll(fr, args)
			if err != nil {
				return nil, err
			}
			return nil, located(value.ThrowError(vals), e)
		}
	case *ir.HostCall:
		return c.hostCall(e)
	case *ir.Parallel:
		return c.parallel(e)
	case *ir.Step:
		return c.step(e)
	case *ir.Checkpoint:
		name := c.expr(e.Name)
		return func(fr *frame) (value.Value, error) {
			n, err := name(fr)
			if err != nil {
				return nil, err
			}
			if err := fr.th.host.Checkpoint(fr.th.ctx, n); err != nil {
				return nil, located(err, e)
			}
			return value.Nil, nil
		}
	case *ir.MakeVector:
		elems := c.exprs(e.Elems)
		return func(fr *frame) (value.Value, error) {
			vals, err := evalAll(fr, elems)
			if err != nil {
				return nil, err
			}
			return value.NewVector(vals), nil
		}
	case *ir.MakeMap:
		elems := c.exprs(e.Elems)
		return func(fr *frame) (value.Value, error) {
			vals, err := evalAll(fr, elems)
			if err != nil {
				return nil, err
			}
			m := value.EmptyMap
			for i := 0; i < len(vals); i += 2 {
				m = m.Assoc(vals[i], vals[i+1])
			}
			return m, nil
		}
	case *ir.MakeSet:
		elems := c.exprs(e.Elems)
		return func(fr *frame) (value.Value, error) {
			vals, err := evalAll(fr, elems)
			if err != nil {
				return nil, err
			}
			return value.NewSet(vals...), nil
		}
	case *ir.Check:
		x, t, what := c.expr(e.Expr), e.Type, e.What
		return func(fr *frame) (value.Value, error) {
			v, err := x(fr)
			if err != nil {
				return nil, err
			}
			if err := checkType(v, t, what); err != nil {
				return nil, located(err, e)
			}
			return v, nil
		}
	}
	panic(fmt.Sprintf("interp: unexpected IR node %T", e))
}

func checkType(v, t value.Value, what string) error {
	if types.Check(t, v) {
		return nil
	}
	return value.Errorf(value.ErrType, "%s: expected %s, got %s", what, value.Print(t), value.Describe(v))
}

func makeClosure(fr *frame, f *function) (*closure, error) {
	free := make([]value.Value, len(f.captures))
	for i, cap := range f.captures {
		v, err := cap(fr)
		if err != nil {
			return nil, err
		}
		free[i] = v
	}
	return &closure{fn: f, free: free}, nil
}

// letFns makes a group of closures that may capture each other: they are made with the
// group's slots still empty, then every captured slot of the group is filled in.
func (c *compiler) letFns(e *ir.LetFns) code {
	fns := make([]*function, len(e.Fns))
	for i, f := range e.Fns {
		fns[i] = compileFn(f)
		fns[i].captures = c.exprs(f.Captures)
	}
	// patches[i] lists (capture index, group member) pairs of closure i.
	type patch struct{ capture, member int }
	patches := make([][]patch, len(e.Fns))
	for i, f := range e.Fns {
		for k, src := range f.Captures {
			if l, ok := src.(*ir.Local); ok {
				for m, s := range e.Slots {
					if l.Slot == s {
						patches[i] = append(patches[i], patch{k, m})
					}
				}
			}
		}
	}
	slots, body := e.Slots, c.expr(e.Body)
	return func(fr *frame) (value.Value, error) {
		made := make([]*closure, len(fns))
		for i, f := range fns {
			cl, err := makeClosure(fr, f)
			if err != nil {
				return nil, err
			}
			made[i] = cl
			fr.locals[slots[i]] = cl
		}
		for i, ps := range patches {
			for _, p := range ps {
				made[i].free[p.capture] = made[p.member]
			}
		}
		return body(fr)
	}
}

func (c *compiler) callBuiltin(e *ir.CallBuiltin) code {
	b, args := e.Builtin, c.exprs(e.Args)
	fn := b.Fn
	slow := func(fr *frame, base int) (value.Value, error) {
		th := fr.th
		if err := th.Charge(1); err != nil {
			th.popTo(base)
			return nil, err
		}
		v, err := fn(th, th.stack[base:th.sp:th.sp])
		th.popTo(base)
		if err != nil {
			return nil, located(err, e)
		}
		return v, nil
	}
	if fast := intFastPaths[b.Name]; fast != nil && len(args) == 2 {
		a0, a1 := args[0], args[1]
		return func(fr *frame) (value.Value, error) {
			x, err := a0(fr)
			if err != nil {
				return nil, err
			}
			y, err := a1(fr)
			if err != nil {
				return nil, err
			}
			if i, ok := x.(value.Int); ok {
				if j, ok := y.(value.Int); ok {
					if v, ok := fast(int64(i), int64(j)); ok {
						if err := fr.th.Charge(1); err != nil {
							return nil, err
						}
						return v, nil
					}
				}
			}
			base := fr.th.sp
			fr.th.push(x)
			fr.th.push(y)
			return slow(fr, base)
		}
	}
	return func(fr *frame) (value.Value, error) {
		base, err := pushArgs(fr, args)
		if err != nil {
			return nil, err
		}
		return slow(fr, base)
	}
}

// intFastPaths compute the commonest library calls on two integers without the
// general library path; they decline (false) when the result needs it, such as on
// overflow, which the library then reports.
var intFastPaths = map[string]func(a, b int64) (value.Value, bool){
	"+": func(a, b int64) (value.Value, bool) {
		s := a + b
		return value.Int(s), (s > a) == (b > 0)
	},
	"-": func(a, b int64) (value.Value, bool) {
		d := a - b
		return value.Int(d), (d < a) == (b > 0)
	},
	"<":  func(a, b int64) (value.Value, bool) { return value.FromBool(a < b), true },
	">":  func(a, b int64) (value.Value, bool) { return value.FromBool(a > b), true },
	"<=": func(a, b int64) (value.Value, bool) { return value.FromBool(a <= b), true },
	">=": func(a, b int64) (value.Value, bool) { return value.FromBool(a >= b), true },
	"=":  func(a, b int64) (value.Value, bool) { return value.FromBool(a == b), true },
}

func (c *compiler) recurSlots(e *ir.Recur) []int {
	if e.Loop != nil {
		return e.Loop.Slots
	}
	slots := append([]int(nil), c.fn.Params...)
	if c.fn.Rest != ir.NoRest {
		slots = append(slots, c.fn.Rest)
	}
	return slots
}

func (c *compiler) loop(e *ir.Loop) code {
	slots, inits, body := e.Slots, c.exprs(e.Inits), c.expr(e.Body)
	return func(fr *frame) (value.Value, error) {
		for i, init := range inits {
			v, err := init(fr)
			if err != nil {
				return nil, err
			}
			fr.locals[slots[i]] = v
		}
		for {
			v, err := body(fr)
			if err != errRecur {
				return v, err
			}
			if err := fr.th.Charge(1); err != nil {
				return nil, err
			}
		}
	}
}

func (c *compiler) try(e *ir.Try) code {
	body := c.expr(e.Body)
	type catch struct {
		kind value.Keyword
		slot int
		body code
	}
	catches := make([]catch, len(e.Catches))
	for i, k := range e.Catches {
		catches[i] = catch{k.Kind, k.Slot, c.expr(k.Body)}
	}
	var finally code
	if e.Finally != nil {
		finally = c.expr(e.Finally)
	}
	return func(fr *frame) (value.Value, error) {
		v, err := body(fr)
		if re, ok := err.(*value.Error); ok {
			for _, k := range catches {
				if k.kind == "" || k.kind == re.ErrKind {
					fr.locals[k.slot] = re.ToMap()
					v, err = k.body(fr)
					break
				}
			}
		}
		if finally != nil && !value.IsLimit(err) {
			if _, ferr := finally(fr); ferr != nil {
				return nil, ferr
			}
		}
		return v, err
	}
}

// request builds a host request from evaluated parts.
func (th *thread) request(capability value.Value, args []value.Value, options value.Value) (*host.Request, error) {
	var id string
	switch c := capability.(type) {
	case value.Keyword:
		id = string(c)
	case value.String:
		id = string(c)
	default:
		return nil, value.TypeError("call", "a capability id (keyword or string)", capability)
	}
	th.seq++
	req := &host.Request{Capability: id, Args: args, StepPath: append([]string(nil), th.steps...), Seq: th.seq}
	if options != nil {
		m, ok := options.(*value.Map)
		if !ok {
			return nil, value.TypeError("call", "a map of call options", options)
		}
		req.Options = m
	}
	return req, nil
}

// hostCallParts evaluates a host call's capability, arguments and options.
func (c *compiler) hostCallParts(e *ir.HostCall) func(fr *frame) (*host.Request, error) {
	cp, args := c.expr(e.Capability), c.exprs(e.Args)
	var opts code
	if e.Options != nil {
		opts = c.expr(e.Options)
	}
	return func(fr *frame) (*host.Request, error) {
		id, err := cp(fr)
		if err != nil {
			return nil, err
		}
		vals, err := evalAll(fr, args)
		if err != nil {
			return nil, err
		}
		var o value.Value
		if opts != nil {
			if o, err = opts(fr); err != nil {
				return nil, err
			}
		}
		return fr.th.request(id, vals, o)
	}
}

func (c *compiler) hostCall(e *ir.HostCall) code {
	parts := c.hostCallParts(e)
	return func(fr *frame) (value.Value, error) {
		req, err := parts(fr)
		if err != nil {
			return nil, located(err, e)
		}
		if err := fr.th.Charge(1); err != nil {
			return nil, err
		}
		v, err := fr.th.host.Call(fr.th.ctx, req)
		if err != nil {
			return nil, located(err, e)
		}
		return v, nil
	}
}

func (c *compiler) parallel(e *ir.Parallel) code {
	parts := make([]func(*frame) (*host.Request, error), len(e.Calls))
	for i, hc := range e.Calls {
		parts[i] = c.hostCallParts(hc)
	}
	return func(fr *frame) (value.Value, error) {
		reqs := make([]*host.Request, len(parts))
		for i, p := range parts {
			req, err := p(fr)
			if err != nil {
				return nil, located(err, e.Calls[i])
			}
			reqs[i] = req
		}
		if err := fr.th.Charge(len(reqs)); err != nil {
			return nil, err
		}
		outs := fr.th.host.Batch(fr.th.ctx, reqs)
		vals := make([]value.Value, len(outs))
		for i, o := range outs {
			if o.Err != nil {
				return nil, located(o.Err, e.Calls[i])
			}
			vals[i] = o.Value
		}
		return value.NewVector(vals), nil
	}
}

func (c *compiler) step(e *ir.Step) code {
	name, body := c.expr(e.Name), c.expr(e.Body)
	return func(fr *frame) (value.Value, error) {
		n, err := name(fr)
		if err != nil {
			return nil, err
		}
		th := fr.th
		th.steps = append(th.steps, value.Str(n))
		path := append([]string(nil), th.steps...)
		defer func() { th.steps = th.steps[:len(th.steps)-1] }()
		if err := th.host.Step(th.ctx, host.StepEvent{Path: path, Phase: host.StepStarted}); err != nil {
			return nil, located(err, e)
		}
		v, err := body(fr)
		if err != nil {
			if value.IsLimit(err) {
				return nil, err
			}
			if herr := th.host.Step(th.ctx, host.StepEvent{Path: path, Phase: host.StepFailed, Err: err}); herr != nil {
				return nil, herr
			}
			return nil, err
		}
		if err := th.host.Step(th.ctx, host.StepEvent{Path: path, Phase: host.StepCompleted, Result: v}); err != nil {
			return nil, err
		}
		return v, nil
	}
}
