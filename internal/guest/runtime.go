// Package guest emits the runtime that compiled plans run on inside a MicroVM: the
// allocator, the representation of values (see package layout), errors, fuel, and the
// library routines. Routines are Wasm functions written with the structured builder of
// package wasm; each is emitted only when a module uses it.
package guest

import (
	"fmt"

	"github.com/rtfsvm/rtfsvm/internal/layout"
	. "github.com/rtfsvm/rtfsvm/internal/wasm"
)

// HostModule is the module name of every import: the guest sees nothing else.
const HostModule = "rtfsvm"

// Limits the guest reports through the abort import.
const (
	AbortFuel    = 1
	AbortMemory  = 2
	AbortStack   = 3
	AbortTimeout = 4
)

// Runtime emits the runtime into one module.
type Runtime struct {
	M *Module
	// Imports.
	Abort, Refuel, HostCall, HostBatch, Step, Checkpoint, RaiseImport, Throw, CheckType, Helper *Func
	// Globals (exported under these names, so that the host can read and set them).
	SP, StackLimit, HP, HeapEnd, HeapLimit, MemLimit, Fuel, ErrValue, ErrAt GlobalRef
	// Site is the position (an index into the module's table of positions) of the call
	// that compiled code is making: where an error raised now comes from.
	Site GlobalRef
	// Mode is what the guest is doing besides running (ModeRewinding, ModeUnwinding);
	// Pins counts the calls under way that cannot be unwound (snapshot.go).
	Mode, Pins GlobalRef
	funcs      map[string]*Func
	Data       *Static
	// fuelLocals holds, for each function that charges fuel, the local of its test.
	fuelLocals map[*Func]Local
	// The empty collections, static objects every module has.
	EmptyList, EmptyVector, EmptyMap, EmptySet uint64

	// The collector (gc.go).
	HeapBase, GCTrigger, AllocEnd, GCCount, GCPending GlobalRef
	gcFromEnd, gcDelta                                GlobalRef
	rawTable                                          uint32
	roots                                             [][2]uint32
	staticRootsFn                                     *Func
	// GCStress makes the collector run at every safe point after an allocation (set
	// before the first routine is emitted).
	GCStress bool
	// writing is the routine whose body is being written, nestedUses what the routines
	// it added did with the static data (templates.go).
	writing    *Func
	nestedUses int
}

// Exported global names.
const (
	GlobalSP         = "sp"
	GlobalStackLimit = "stack_limit"
	GlobalHP         = "hp"
	GlobalHeapEnd    = "heap_end"
	GlobalHeapLimit  = "heap_limit" // the memory limit in bytes: live data never grows past it
	GlobalMemLimit   = "mem_limit"  // the memory's hard end (MemoryReserve): the collector's copy may reach it
	GlobalFuel       = "fuel"
	GlobalErr        = "err"
	GlobalErrAt      = "err_at"
	GlobalMode       = "mode"
	GlobalPins       = "pins"
)

// Sig is a function signature.
type Sig struct{ Params, Results []ValType }

var (
	// FnSig is the signature of every compiled RTFS function: the frame pointer (where
	// the caller laid the arguments), the argument count, and the closure.
	FnSig = FuncType{Params: []ValType{I32, I32, I64}, Results: []ValType{I64}}
)

// New starts a module with the runtime's imports and globals.
func New() *Runtime {
	m := &Module{}
	rt := &Runtime{M: m, funcs: map[string]*Func{}, fuelLocals: map[*Func]Local{}}
	i32, i64 := []ValType{I32}, []ValType{I64}
	rt.Abort = m.ImportFunc(HostModule, "abort", i32, nil)
	rt.Refuel = m.ImportFunc(HostModule, "refuel", nil, i64)
	// host_call(args, argc, options) -> value: args[0] is the capability id.
	rt.HostCall = m.ImportFunc(HostModule, "host_call", []ValType{I32, I32, I64}, i64)
	// host_batch(calls, n) -> value: calls is n vectors [cap args... options].
	rt.HostBatch = m.ImportFunc(HostModule, "host_batch", []ValType{I32, I32}, i64)
	// step(phase, name, value) -> value (Err when the host refuses)
	rt.Step = m.ImportFunc(HostModule, "step", []ValType{I32, I64, I64}, i64)
	// checkpoint_at(name, frame_end) -> nil or Err: frame_end ends the caller's frame.
	// (Modules compiled before snapshots import checkpoint(name), which the host keeps.)
	rt.Checkpoint = m.ImportFunc(HostModule, "checkpoint_at", []ValType{I64, I32}, i64)
	// raise(code, value) -> Err: the host builds the error map for an error code of
	// the runtime (see errors.go) about a value, stores it in err and returns Err.
	rt.RaiseImport = m.ImportFunc(HostModule, "raise", []ValType{I32, I64}, i64)
	// throw(args, argc) -> Err: the error of (throw ...) with these arguments.
	rt.Throw = m.ImportFunc(HostModule, "throw", []ValType{I32, I32}, i64)
	// check_type(v, type) -> v, or Err (:error/type) when v does not have the type the
	// module's type table holds at that index.
	rt.CheckType = m.ImportFunc(HostModule, "check_type", []ValType{I64, I32}, i64)
	// helper(id, args, argc) -> value or Err: a host helper (helpers.go).
	rt.Helper = m.ImportFunc(HostModule, "helper", []ValType{I32, I32, I32}, i64)
	rt.SP = rt.exportGlobal(GlobalSP, I32, 0)
	rt.StackLimit = rt.exportGlobal(GlobalStackLimit, I32, 0)
	rt.HP = rt.exportGlobal(GlobalHP, I32, 0)
	rt.HeapEnd = rt.exportGlobal(GlobalHeapEnd, I32, 0)
	rt.HeapLimit = rt.exportGlobal(GlobalHeapLimit, I32, 0)
	rt.MemLimit = rt.exportGlobal(GlobalMemLimit, I32, 0)
	rt.Fuel = rt.exportGlobal(GlobalFuel, I64, 0)
	rt.ErrValue = rt.exportGlobal(GlobalErr, I64, 0)
	rt.ErrAt = rt.exportGlobal(GlobalErrAt, I32, 0)
	rt.Site = m.AddGlobal(I32, true, 0)
	rt.Mode = rt.exportGlobal(GlobalMode, I32, 0)
	rt.Pins = rt.exportGlobal(GlobalPins, I32, 0)
	rt.Data = newData()
	rt.Data.Reserve(2) // layout.StaticEndWord and layout.GCMinHeapWord, set by Finish
	rt.initGC()
	emptyNode := rt.Data.Object(layout.TypeVNode, nil, nil)
	rt.EmptyList = rt.Data.Object(layout.TypeList, []uint64{0}, []uint64{layout.Nil, layout.Nil})
	rt.EmptyVector = rt.Data.Object(layout.TypeVector, []uint64{uint64(layout.VectorBits) << 32}, []uint64{emptyNode, emptyNode})
	rt.EmptyMap = rt.Data.Object(layout.TypeMap, []uint64{0}, []uint64{layout.Nil})
	rt.EmptySet = rt.Data.Object(layout.TypeSet, []uint64{0}, []uint64{layout.Nil})
	if rt.EmptyList != layout.EmptyList || rt.EmptyVector != layout.EmptyVector || rt.EmptyMap != layout.EmptyMap || rt.EmptySet != layout.EmptySet {
		panic("guest: the empty collections are not where package layout says")
	}
	return rt
}

func (rt *Runtime) exportGlobal(name string, t ValType, init int64) GlobalRef {
	g := rt.M.AddGlobal(t, true, init)
	rt.M.Exports = append(rt.M.Exports, Export{Name: name, Kind: ExportGlobal, Index: g.Index})
	return g
}

// A routine is a runtime function: its signature and the code that writes its body.
type routine struct {
	sig  Sig
	body func(rt *Runtime, f *Func)
}

var routines = map[string]routine{}

// define registers a routine; files of this package call it from init.
func define(name string, params, results []ValType, body func(rt *Runtime, f *Func)) {
	if _, dup := routines[name]; dup {
		panic("guest: routine defined twice: " + name)
	}
	routines[name] = routine{Sig{params, results}, body}
}

// Fn returns the routine name, emitting it (and what it uses) on first use.
func (rt *Runtime) Fn(name string) *Func {
	if parent := rt.writing; parent != nil {
		parent.Need(name)
	}
	if f := rt.funcs[name]; f != nil {
		return f
	}
	r, ok := routines[name]
	if !ok {
		panic(fmt.Sprintf("guest: no routine %q", name))
	}
	return rt.emit(name, r)
}

// Has reports whether a routine exists.
func Has(name string) bool { _, ok := routines[name]; return ok }

// Export exports a routine under its name (for the host's writer).
func (rt *Runtime) Export(name string) {
	rt.M.Exports = append(rt.M.Exports, Export{Name: name, Kind: ExportFunc, Index: rt.Fn(name).Index})
}

// Value helpers used by routines and by the compiler.

// Fixnum is the i64 constant of a small integer.
func Fixnum(n int64) X { return C64(int64(layout.Fixnum(n))) }

// Const is a value constant.
func Const(v uint64) X { return C64(int64(v)) }

// IsFixnum tests the tag of a value.
func IsFixnum(v X) X { return Wrap(And64(v, C64(1))) }

// Untag is the integer of a fixnum.
func Untag(v X) X { return ShrS64(v, C64(1)) }

// Tag makes a fixnum of an integer known to fit.
func Tag(n X) X { return Or64(Shl64(n, C64(1)), C64(1)) }

// Ptr is the address of an object.
func Ptr(v X) X { return Wrap(v) }

// IsPointer tests for an object (not nil, low bits clear).
func IsPointer(v X) X {
	return And32(Ne64(v, Const(layout.Nil)), Eqz64(And64(v, C64(layout.TagMask))))
}

// HasType tests for an object of type t; v must be cheap (it is used twice), and its
// memory is read only when it is a pointer.
func HasType(v X, t int) X {
	return IfX([]ValType{I32}, IsPointer(v), func(f *Func) { f.Emit(isType(v, t)) }, func(f *Func) { f.Emit(C32(0)) })
}

// TypeOf is the type byte of an object (the caller knows v is a pointer).
func TypeOf(v X) X { return Load8U(Ptr(v), layout.HeaderTypeOffset) }

// Truthy is non-zero unless v is nil (0) or false (2): the only values whose bits other
// than bit 1 are all clear.
func Truthy(v X) X { return Ne64(And64(v, C64(^int64(2))), C64(0)) }
