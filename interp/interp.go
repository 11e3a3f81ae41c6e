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
	// Memory bounds each single value a library function builds, in bytes; 0:
	// DefaultMemory. (Live data in the Go heap is not measured: see RATIONALE.md.)
	Memory int64
}

const (
	DefaultFuel     = 1_000_000_000
	DefaultMaxDepth = 30_000
	DefaultMemory   = 64 << 20
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
	th := &thread{ctx: ctx, host: opts.Host, globals: globals, fuel: opts.Fuel, maxDepth: opts.MaxDepth, memory: opts.Memory}
	if th.memory <= 0 {
		th.memory = DefaultMemory
	}
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
	return th.enter(&closure{fn: p.top}, 0)
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
	memory     int64
	seq        int
	steps      []string
	// stack holds every frame's locals and the arguments being gathered for a call:
	// a call's arguments are pushed where the callee's frame starts, so they are
	// already in its parameter slots. Frames never outlive their call (closures copy
	// what they capture), so the stack is reused without allocation.
	stack  []value.Value
	sp     int
	frames []*frame // reused by depth
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

// Allocate implements value.Caller.
func (th *thread) Allocate(n int64) error {
	if n > th.memory {
		return &value.LimitError{Limit: value.LimitMemory}
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
	base := th.sp
	th.reserve(len(args))
	copy(th.stack[base:], args)
	th.sp += len(args)
	return th.invoke(fn, base)
}

// reserve makes room for n more values above sp. Frames below keep the slices of the
// old array they were given: each only ever reads and writes its own.
func (th *thread) reserve(n int) {
	if th.sp+n <= len(th.stack) {
		return
	}
	grown := make([]value.Value, 2*(th.sp+n)+256)
	copy(grown, th.stack[:th.sp])
	th.stack = grown
}

// push appends an argument for the call being gathered.
func (th *thread) push(v value.Value) {
	if th.sp == len(th.stack) {
		th.reserve(1)
	}
	th.stack[th.sp] = v
	th.sp++
}

// invoke calls fn on the arguments th.stack[base:th.sp], and pops them.
func (th *thread) invoke(fn value.Value, base int) (value.Value, error) {
	switch f := fn.(type) {
	case *closure:
		return th.enter(f, base)
	case *value.Builtin:
		args := th.stack[base:th.sp:th.sp]
		defer th.popTo(base)
		if !f.AcceptsArity(len(args)) {
			return nil, value.ArityError(f.Name, len(args))
		}
		if err := th.Charge(1); err != nil {
			return nil, err
		}
		return f.Fn(th, args)
	}
	v, err := callData(fn, th.stack[base:th.sp])
	th.popTo(base)
	return v, err
}

// popTo drops everything above base, clearing it so that the stack keeps nothing alive.
func (th *thread) popTo(base int) {
	clear(th.stack[base:th.sp])
	th.sp = base
}

// enter runs closure c; its arguments are th.stack[base:th.sp].
func (th *thread) enter(c *closure, base int) (value.Value, error) {
	f := c.fn.ir
	argc := th.sp - base
	if argc < len(f.Params) || (f.Rest == ir.NoRest && argc > len(f.Params)) {
		th.popTo(base)
		return nil, value.ArityError(f.Name, argc)
	}
	if err := th.Charge(1); err != nil {
		th.popTo(base)
		return nil, err
	}
	if th.depth >= th.maxDepth {
		th.popTo(base)
		return nil, &value.LimitError{Limit: value.LimitStack}
	}
	var rest value.Value
	if f.Rest != ir.NoRest {
		rest = value.Nil
		if argc > len(f.Params) {
			rest = value.NewList(th.stack[base+len(f.Params) : th.sp]...)
		}
		clear(th.stack[base+len(f.Params) : th.sp])
		th.sp = base + len(f.Params)
	}
	th.reserve(f.NumLocals - (th.sp - base))
	locals := th.stack[base : base+f.NumLocals : base+f.NumLocals]
	th.sp = base + f.NumLocals
	if f.Rest != ir.NoRest {
		locals[f.Rest] = rest
	}
	if f.SelfSlot >= 0 {
		locals[f.SelfSlot] = c
	}
	if th.depth == len(th.frames) {
		th.frames = append(th.frames, &frame{th: th})
	}
	fr := th.frames[th.depth]
	fr.locals, fr.free = locals, c.free
	th.depth++
	v, err := th.runBody(c.fn, fr)
	th.depth--
	fr.locals, fr.free = nil, nil
	th.popTo(base)
	return v, err
}

func (th *thread) runBody(fn *function, fr *frame) (value.Value, error) {
	for {
		v, err := fn.body(fr)
		if err == errRecur {
			if err := th.Charge(1); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if t := fn.ir.ReturnType; t != nil {
			if err := checkType(v, t, "return value of "+nameOr(fn.ir.Name)); err != nil {
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
