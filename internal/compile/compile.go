// Package compile turns the IR of a plan into a WebAssembly module that runs on the
// guest runtime. RTFS functions become Wasm functions; locals and temporaries live in a
// frame on the shadow stack in linear memory, where a collector can find them; errors
// travel as the Err value, checked after every call that can raise one.
package compile

import (
	"crypto/sha256"
	"fmt"
	"math"

	"github.com/rtfsvm/rtfsvm/internal/guest"
	"github.com/rtfsvm/rtfsvm/internal/layout"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
	"github.com/rtfsvm/rtfsvm/ir"
	"github.com/rtfsvm/rtfsvm/stdlib"
	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
)

// Program is a compiled plan: the Wasm binary and what the host needs to run it.
type Program struct {
	Binary []byte
	Hash   [32]byte // of Binary: the module's identity
	// ForInterpreter is what wazero's interpreter runs: Binary without the anchors' code
	// (wasm.Func.Anchor), which only a compiler gains from, and with the interpreted
	// side of tiered code (wasm.Func.Tiered). Nil for a loaded module.
	ForInterpreter []byte
	Inputs         []Input
	Capabilities   []string
	GlobalsAddr    uint32   // address of the globals area (one word a global)
	StaticEnd      uint32   // end of the static data: the least memory an instance needs
	Positions      []string // FILE:LINE:COL of each error site, indexed by err_at
	Types          []TypeCheck
}

// TypeCheck is a run-time type annotation, checked by the host (check_type) by index.
type TypeCheck struct {
	Type value.Value
	What string
}

// Input is a free symbol of the plan, bound from the initial environment.
type Input struct {
	Name   string
	Global int // its index in the globals area
	Pos    syntax.Pos
}

// UnsupportedError reports a construct the wasm engine cannot compile yet.
type UnsupportedError struct {
	What string
	Pos  string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s: the wasm engine does not support %s yet (use --engine interp)", e.Pos, e.What)
}

// Options tune compilation.
type Options struct {
	// Unmetered leaves out the fuel charges of function entries and loops: only for
	// measuring what metering costs (BenchmarkFuel); a plan always runs metered.
	Unmetered bool
	// GCStress runs the garbage collector at every safe point that follows an
	// allocation: a debug mode for tests of the collector.
	GCStress bool
}

// Compile compiles a resolved plan.
func Compile(prog *ir.Program, opts Options) (mod *Program, err error) {
	defer func() {
		if e := recover(); e != nil {
			u, ok := e.(*UnsupportedError)
			if !ok {
				panic(e)
			}
			mod, err = nil, u
		}
	}()
	c := &compiler{
		opts:      opts,
		rt:        guest.New(),
		prog:      prog,
		fns:       map[*ir.Fn]*Func{},
		tableSlot: map[*ir.Fn]int{},
		positions: map[syntax.Pos]int32{},
	}
	c.rt.GCStress = opts.GCStress
	c.globals = c.rt.Data.Reserve(len(prog.Globals))
	c.rt.AddRoots(c.globals, len(prog.Globals))
	for _, g := range prog.Globals {
		c.rt.Data.SetWord(c.globals+uint32(8*g.Index), layout.Unbound)
	}
	c.positionsList = []string{""} // index 0: no position
	c.defs = map[*ir.Global][]*ir.Def{}
	// The prelude's unused definitions go first: they are most of the program, and
	// nothing the plan reaches refers to them.
	pruned := pruneUnusedPrelude(prog.Top)
	collectDefs(pruned.Body, c.defs)
	c.runsOnce = topLevelDefs(pruned)
	c.definedIn = definedIn(c.runsOnce)
	c.staticFns = map[*ir.Fn]uint64{}
	c.findYielding(pruned)
	top := c.function(pruned)
	init := c.buildConstants()
	// run builds the literals (unless it is rewinding: they are built), then runs the
	// plan's top level.
	run := c.rt.M.NewFunc("run", nil, []ValType{I64})
	run.CompiledIf(Eqz32(c.rt.Mode.Get()), func() { run.Exec(Call(init)) })
	run.Result(Call(top, c.rt.SP.Get(), C32(0), guest.Const(layout.Nil)))
	c.rt.M.Exports = append(c.rt.M.Exports, Export{Name: "run", Kind: ExportFunc, Index: run.Index})
	for _, name := range hostExports {
		c.rt.Export(name)
	}
	c.rt.Finish()
	mod = &Program{Capabilities: prog.Capabilities, GlobalsAddr: c.globals, StaticEnd: c.rt.Data.End(),
		Positions: c.positionsList, Types: c.types}
	for _, in := range prog.Inputs {
		mod.Inputs = append(mod.Inputs, Input{Name: in.Name, Global: in.Index, Pos: in.Pos})
	}
	c.rt.M.CustomName, c.rt.M.CustomData = ManifestSection, mod.manifest()
	if mod.Binary, err = c.rt.M.Encode(); err != nil {
		return nil, err
	}
	if mod.ForInterpreter, err = c.rt.M.EncodeForInterpreter(); err != nil {
		return nil, err
	}
	mod.Hash = sha256.Sum256(mod.Binary)
	return mod, nil
}

// hostExports are the routines the host's writer of guest values calls.
var hostExports = []string{"alloc", "box_int", "box_float", "list_cons", "vector_conj", "map_assoc", "set_conj",
	"gc_collect"} // and the collector, which compacts the heap before a snapshot

type compiler struct {
	opts          Options
	rt            *guest.Runtime
	prog          *ir.Program
	globals       uint32
	fns           map[*ir.Fn]*Func
	tableSlot     map[*ir.Fn]int
	positions     map[syntax.Pos]int32
	positionsList []string
	types         []TypeCheck
	defs          map[*ir.Global][]*ir.Def
	runsOnce      map[*ir.Def]int // the defs at the plan's top level, by place
	definedIn     map[*ir.Fn]int  // the functions those defs make, by the def's place
	staticFns     map[*ir.Fn]uint64
	libClosures   map[string]uint64
	consts        []constCell
	yielding      map[*ir.Fn]bool // the functions that may reach the host (findYielding)
}

// libClosure is a static closure for a library function used as a value: its function
// checks the argument count and calls the routine.
func (c *compiler) libClosure(name string, lf libFunction) uint64 {
	if v, ok := c.libClosures[name]; ok {
		return v
	}
	rt := c.rt
	f := rt.M.NewFunc("lib:"+name, guest.FnSig.Params, guest.FnSig.Results)
	fp, argc := f.Param(0), f.Param(1)
	tooFew := LtU32(argc.Get(), C32(int32(lf.Min)))
	if lf.Max >= 0 {
		tooFew = Or32(tooFew, GtU32(argc.Get(), C32(int32(lf.Max))))
	}
	f.If(tooFew, func() { f.Return(rt.Raise(guest.ErrArity, guest.Tag(ExtendU(argc.Get())))) }, nil)
	if lf.Helper >= 0 {
		f.Result(Call(rt.Helper, C32(int32(lf.Helper)), fp.Get(), argc.Get()))
	} else if lf.Fixed == guest.Variadic {
		f.Result(Call(rt.Fn(lf.Routine), fp.Get(), argc.Get()))
	} else {
		args := make([]X, lf.Fixed)
		for i := range args {
			args[i] = Load64(fp.Get(), uint32(8*i))
		}
		f.Result(Call(rt.Fn(lf.Routine), args...))
	}
	return c.staticClosure(name, f)
}

// staticClosure is a closure object in the static region for a function of the
// compiled-function signature, named name.
func (c *compiler) staticClosure(name string, f *Func) uint64 {
	if v, ok := c.libClosures[name]; ok {
		return v
	}
	rt := c.rt
	slot := len(rt.M.Table)
	rt.M.Table = append(rt.M.Table, f.Index)
	v := rt.Data.Object(layout.TypeClosure, []uint64{uint64(slot)}, []uint64{rt.Data.Text(layout.TypeString, name)})
	if c.libClosures == nil {
		c.libClosures = map[string]uint64{}
	}
	c.libClosures[name] = v
	return v
}

// knownFunction is the function a callee expression always denotes, when the compiler
// can tell: the current function's own name, or a global that one defn defines and
// nothing redefines.
func (c *compiler) knownFunction(g *fnGen, callee ir.Expr) *Func {
	switch e := callee.(type) {
	case *ir.Local:
		if e.Slot == g.ir.SelfSlot {
			return g.f
		}
	case *ir.GlobalRef:
		defs := c.defs[e.Global]
		if len(defs) != 1 {
			return nil
		}
		if fn, ok := defs[0].Value.(*ir.Fn); ok && len(fn.Captures) == 0 {
			return c.function(fn)
		}
	}
	return nil
}

// boundClosure is the closure a call to a global in function in passes without reading
// the global, when the compiler knows it: a static closure that a top-level def before
// the def of in stored. in runs only once its own def has run, so the global is bound
// then: reading it could neither fail nor give another value.
func (c *compiler) boundClosure(in *ir.Fn, callee ir.Expr) (uint64, bool) {
	ref, ok := callee.(*ir.GlobalRef)
	if !ok {
		return 0, false
	}
	defs := c.defs[ref.Global]
	if len(defs) != 1 || c.runsOnce[defs[0]] == 0 || c.definedIn[in] <= c.runsOnce[defs[0]] {
		return 0, false
	}
	fn, ok := defs[0].Value.(*ir.Fn)
	if !ok || len(fn.Captures) > 0 {
		return 0, false
	}
	return c.staticFn(fn), true
}

func (c *compiler) typeIndex(t value.Value, what string) int {
	c.types = append(c.types, TypeCheck{t, what})
	return len(c.types) - 1
}

func unsupported(e ir.Expr, what string) {
	panic(&UnsupportedError{What: what, Pos: e.Position().String()})
}

// position is the index of an error site in the module's position table.
func (c *compiler) position(e ir.Expr) int32 {
	if e.Position().File == stdlib.PreludeFile {
		// Inside the library: the error takes the position of the plan's call.
		return 0
	}
	p := e.Position()
	if i, ok := c.positions[p]; ok {
		return i
	}
	i := int32(len(c.positionsList))
	c.positionsList = append(c.positionsList, p.String())
	c.positions[p] = i
	return i
}

// function compiles an ir.Fn (once) into a Wasm function of signature guest.FnSig, and
// gives it a slot in the table for indirect calls.
func (c *compiler) function(fn *ir.Fn) *Func {
	if f := c.fns[fn]; f != nil {
		return f
	}
	name := fn.Name
	if name == "" {
		name = "fn@" + fn.Pos.String()
	}
	f := c.rt.M.NewFunc(name, guest.FnSig.Params, guest.FnSig.Results)
	f.Grow(1024) // about what a function of a few lines takes, both tiers' code together
	c.fns[fn] = f
	c.tableSlot[fn] = len(c.rt.M.Table)
	c.rt.M.Table = append(c.rt.M.Table, f.Index)
	g := &fnGen{c: c, ir: fn, f: f, fp: f.Param(0), argc: f.Param(1), clo: f.Param(2), top: fn.NumLocals, maxTop: fn.NumLocals}
	g.compile()
	return f
}

// staticValue is the value of a scalar constant.
func (c *compiler) staticValue(e ir.Expr, v value.Value) uint64 {
	switch v := v.(type) {
	case value.NilType:
		return layout.Nil
	case value.Bool:
		if v {
			return layout.True
		}
		return layout.False
	case value.Int:
		if layout.FitsFixnum(int64(v)) {
			return layout.Fixnum(int64(v))
		}
		return c.rt.Data.Box(layout.TypeBigInt, uint64(v))
	case value.Float:
		return c.rt.Data.Box(layout.TypeFloat, math.Float64bits(float64(v)))
	case value.String:
		return c.rt.Data.Text(layout.TypeString, string(v))
	case value.Keyword:
		return c.rt.Data.Text(layout.TypeKeyword, string(v))
	case value.Symbol:
		return c.rt.Data.Text(layout.TypeSymbol, string(v))
	}
	panic("compile: staticValue of a collection")
}

// constant is the code of a literal: a scalar is an immediate or a static object; a
// collection is built once, when the VM starts (by the init function), into a cell of
// the static region that the code reads.
func (c *compiler) constant(e ir.Expr, v value.Value) X {
	switch v := v.(type) {
	case *value.List:
		if v.Len() == 0 {
			return guest.Const(c.rt.EmptyList)
		}
	case *value.Vector:
		if v.Len() == 0 {
			return guest.Const(c.rt.EmptyVector)
		}
	case *value.Map:
		if v.Len() == 0 {
			return guest.Const(c.rt.EmptyMap)
		}
	case *value.Set:
		if v.Len() == 0 {
			return guest.Const(c.rt.EmptySet)
		}
	default:
		return guest.Const(c.staticValue(e, v))
	}
	cell := c.rt.Data.Reserve(1)
	c.consts = append(c.consts, constCell{cell, v})
	return Load64(C32(int32(cell)), 0)
}

type constCell struct {
	addr uint32
	v    value.Value
}

// buildConstants writes the init function, which builds every collection literal.
func (c *compiler) buildConstants() *Func {
	init := c.rt.M.NewFunc("init", nil, nil)
	for _, k := range c.consts {
		c.rt.AddRoots(k.addr, 1)
		init.Store64(C32(int32(k.addr)), 0, c.buildConstant(init, k.v))
	}
	return init
}

// buildConstant is the code that builds one literal collection. Its elements go into a
// static array: scalars at compile time, nested collections by code before the call.
func (c *compiler) buildConstant(f *Func, v value.Value) X {
	var elems []value.Value
	routine := ""
	switch v := v.(type) {
	case *value.List:
		elems, routine = v.Slice(), "list_of"
	case *value.Vector:
		elems, routine = v.Slice(), "vector_of"
	case *value.Set:
		elems, routine = v.Elems(), "set_of"
	case *value.Map:
		for _, e := range v.Entries() {
			elems = append(elems, e.Key, e.Val)
		}
		routine = "map_of"
	default:
		return guest.Const(c.staticValue(nil, v))
	}
	if len(elems) == 0 {
		return c.constant(nil, v)
	}
	arr := c.rt.Data.Reserve(len(elems))
	for i, x := range elems {
		switch x.(type) {
		case *value.List, *value.Vector, *value.Set, *value.Map:
			f.Store64(C32(int32(arr)), uint32(8*i), c.buildConstant(f, x))
		default:
			c.rt.Data.SetWord(arr+uint32(8*i), c.staticValue(nil, x))
		}
	}
	return Call(c.rt.Fn(routine), C32(int32(arr)), C32(int32(len(elems))))
}
