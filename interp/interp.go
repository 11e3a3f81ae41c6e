// Package interp is the reference interpreter: it defines what every RTFS program means,
// and the Wasm engine is tested against it. It compiles the IR into a tree of Go closures
// once, then runs that.
package interp

import (
	"context"
	"errors"

	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/ir"
	"github.com/rtfsvm/rtfsvm/value"
)

// Options are the limits and the host of one run.
type Options struct {
	Host     host.Host
	Fuel     int64 // 0: DefaultFuel
	MaxDepth int   // nested calls before :limit/stack; 0: DefaultMaxDepth
}

const (
	DefaultFuel     = 1_000_000_000
	DefaultMaxDepth = 30_000
	// clockEvery is how much fuel passes between two looks at the context, so that the
	// wall clock is checked rarely rather than on every call.
	clockEvery = 1 << 14
)

// Program is a compiled plan, ready to run any number of times.
type Program struct {
	ir  *ir.Program
	top *function
}

// Compile prepares a resolved plan for running.
func Compile(p *ir.Program) *Program {
	return &Program{ir: p, top: compileFn(p.Top)}
}

// Run runs the plan with the initial environment env.
func (p *Program) Run(ctx context.Context, env *value.Map, opts Options) (value.Value, error) {
	globals, err := p.ir.BindInputs(env)
	if err != nil {
		return nil, err
	}
	th := &thread{ctx: ctx, host: opts.Host, globals: globals, fuel: opts.Fuel, maxDepth: opts.MaxDepth}
	if th.fuel <= 0 {
		th.fuel = DefaultFuel
	}
	if th.maxDepth <= 0 {
		th.maxDepth = DefaultMaxDepth
	}
	if th.host == nil {
		th.host = host.NewLocal(nil)
	}
	th.untilClock = clockEvery
	return th.callClosure(&closure{fn: p.top}, nil)
}

// thread is the state of one run.
type thread struct {
	ctx        context.Context
	host       host.Host
	globals    []value.Value
	fuel       int64
	untilClock int64
	depth      int
	maxDepth   int
	seq        int
	steps      []string
}

// Charge implements value.Caller.
func (th *thread) Charge(n int) error {
	th.fuel -= int64(n)
	if th.fuel < 0 {
		return &value.LimitError{Limit: value.LimitFuel}
	}
	th.untilClock -= int64(n)
	if th.untilClock <= 0 {
		th.untilClock = clockEvery
		if th.ctx.Err() != nil {
			return &value.LimitError{Limit: value.LimitTimeout}
		}
	}
	return nil
}

// errRecur is how recur reaches its loop or function: the new values are already in
// the frame's slots.
var errRecur = errors.New("recur")

type frame struct {
	locals []value.Value
	free   []value.Value
	th     *thread
}

type code func(fr *frame) (value.Value, error)

// function is a compiled ir.Fn.
type function struct {
	ir   *ir.Fn
	body code
	// captures make the closure's free variables from the enclosing frame.
	captures []code
}

// closure is a function value.
type closure struct {
	fn   *function
	free []value.Value
}

func (*closure) Kind() value.Kind   { return value.KindFunction }
func (c *closure) FuncName() string { return c.fn.ir.Name }

// Call implements value.Caller: it calls any callable value.
func (th *thread) Call(fn value.Value, args []value.Value) (value.Value, error) {
	switch f := fn.(type) {
	case *closure:
		return th.callClosure(f, args)
	case *value.Builtin:
		if !f.AcceptsArity(len(args)) {
			return nil, value.ArityError(f.Name, len(args))
		}
		if err := th.Charge(1); err != nil {
			return nil, err
		}
		return f.Fn(th, args)
	}
	return callData(fn, args)
}

func (th *thread) callClosure(c *closure, args []value.Value) (value.Value, error) {
	f := c.fn.ir
	if len(args) < len(f.Params) || (f.Rest == ir.NoRest && len(args) > len(f.Params)) {
		return nil, value.ArityError(f.Name, len(args))
	}
	if err := th.Charge(1); err != nil {
		return nil, err
	}
	if th.depth >= th.maxDepth {
		return nil, &value.LimitError{Limit: value.LimitStack}
	}
	th.depth++
	defer func() { th.depth-- }()
	fr := &frame{locals: make([]value.Value, f.NumLocals), free: c.free, th: th}
	for i, s := range f.Params {
		fr.locals[s] = args[i]
	}
	if f.Rest != ir.NoRest {
		if len(args) > len(f.Params) {
			fr.locals[f.Rest] = value.NewList(args[len(f.Params):]...)
		} else {
			fr.locals[f.Rest] = value.Nil
		}
	}
	if f.SelfSlot >= 0 {
		fr.locals[f.SelfSlot] = c
	}
	for {
		v, err := c.fn.body(fr)
		if err == errRecur {
			if err := th.Charge(1); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if f.ReturnType != nil {
			if err := checkType(v, f.ReturnType, "return value of "+nameOr(f.Name)); err != nil {
				return nil, err
			}
		}
		return v, nil
	}
}

func nameOr(name string) string {
	if name == "" {
		return "anonymous function"
	}
	return name
}

// callData calls a keyword, map, set or vector, as Clojure does.
func callData(fn value.Value, args []value.Value) (value.Value, error) {
	switch f := fn.(type) {
	case value.Keyword:
		if len(args) < 1 || len(args) > 2 {
			return nil, value.ArityError(value.Print(f), len(args))
		}
		if m, ok := args[0].(*value.Map); ok {
			if v, ok := m.Get(f); ok {
				return v, nil
			}
		}
		return orDefault(args, 1), nil
	case *value.Map:
		if len(args) < 1 || len(args) > 2 {
			return nil, value.ArityError("map", len(args))
		}
		if v, ok := f.Get(args[0]); ok {
			return v, nil
		}
		return orDefault(args, 1), nil
	case *value.Set:
		if len(args) != 1 {
			return nil, value.ArityError("set", len(args))
		}
		if f.Has(args[0]) {
			return args[0], nil
		}
		return value.Nil, nil
	case *value.Vector:
		if len(args) != 1 {
			return nil, value.ArityError("vector", len(args))
		}
		i, ok := args[0].(value.Int)
		if !ok {
			return nil, value.TypeError("vector", "an integer index", args[0])
		}
		if i < 0 || int(i) >= f.Len() {
			return nil, value.Errorf(value.ErrIndex, "index %d out of range for a vector of %d", i, f.Len())
		}
		return f.Index(int(i)), nil
	}
	return nil, value.Errorf(value.ErrType, "%s is not a function", value.Describe(fn))
}

func orDefault(args []value.Value, i int) value.Value {
	if i < len(args) {
		return args[i]
	}
	return value.Nil
}
