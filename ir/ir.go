// Package ir is the intermediate representation that every engine runs: the resolved,
// lowered form of a plan. The resolver has already bound every name to a local slot, a
// captured variable, a global or a library function, expanded the derived forms (when,
// cond, ->, and, or, if-let, destructuring, match, plan) into the core ones below, and
// checked what can be checked before running.
//
// Locals live in a frame of slots numbered per function; closures capture by value (RTFS
// has no mutation), so a function's free variables are copied into it when it is made.
package ir

import (
	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
)

// Program is a resolved plan.
type Program struct {
	File    string
	Globals []*Global // every top-level name: definitions, then inputs
	Inputs  []*Global // the plan's free symbols, bound from the initial environment
	// Capabilities lists the literal capability ids of the plan's host calls, sorted.
	Capabilities []string
	// Top is the top level as a function of no parameters: its body evaluates the
	// top-level forms in order.
	Top *Fn
	// Source is the forms the program was resolved from, for an engine that resolves
	// them again with its own prelude (the wasm engine, whose higher-order library
	// functions are written in RTFS).
	Source []syntax.Node
}

// Global is a top-level variable.
type Global struct {
	Name  string
	Index int
	Input bool       // bound from the initial environment, not by def
	Pos   syntax.Pos // where it is defined, or first used for an input
}

// Expr is an expression.
type Expr interface{ Position() syntax.Pos }

// At is the position every expression carries.
type At struct{ Pos syntax.Pos }

func (a *At) Position() syntax.Pos { return a.Pos }

type (
	// Const is a literal value.
	Const struct {
		At
		Value value.Value
	}
	// Local reads a slot of the current frame.
	Local struct {
		At
		Name string
		Slot int
	}
	// Free reads a variable captured by the current closure.
	Free struct {
		At
		Name  string
		Index int
	}
	// GlobalRef reads a global; reading one whose def has not run is :error/unbound.
	GlobalRef struct {
		At
		Global *Global
	}
	// BuiltinRef is a library function used as a value.
	BuiltinRef struct {
		At
		Builtin *value.Builtin
	}
	If struct {
		At
		Cond, Then, Else Expr
	}
	Do struct {
		At
		Exprs []Expr // at least one
	}
	// Let binds one slot, then evaluates Body.
	Let struct {
		At
		Slot int
		Name string
		Init Expr
		Body Expr
	}
	// LetFns binds a group of functions that may refer to each other (and themselves):
	// the closures are made first, then their captured slots are filled in.
	LetFns struct {
		At
		Slots []int
		Fns   []*Fn
		Body  Expr
	}
	// Fn makes a closure.
	Fn struct {
		At
		Name      string
		Params    []int // slots of the positional parameters, in order
		Rest      int   // slot of the & rest parameter, or -1
		NumLocals int   // size of the frame, parameters included
		// SelfSlot holds the closure itself, for a named fn that refers to its own
		// name, or -1.
		SelfSlot int
		// ReturnType, when not nil, is checked on the value the body returns.
		ReturnType value.Value
		// Captures lists, for each free variable of the function, the expression (a
		// Local or Free of the enclosing function) that supplies it when the closure is
		// made.
		Captures []Expr
		Body     Expr
	}
	// Call calls a function value (or callable data: keyword, map, set, vector).
	Call struct {
		At
		Fn   Expr
		Args []Expr
	}
	// CallBuiltin calls a known library function; its arity was checked at compile time.
	CallBuiltin struct {
		At
		Builtin *value.Builtin
		Args    []Expr
	}
	// Loop binds Slots to Inits, then evaluates Body; a Recur to it rebinds and repeats.
	Loop struct {
		At
		Slots []int
		Inits []Expr
		Body  Expr
	}
	// Recur re-enters the nearest Loop or Fn with new values for its slots. It only
	// stands in tail position.
	Recur struct {
		At
		Loop *Loop // nil when the target is the enclosing function
		Args []Expr
	}
	// Def sets a global and yields its value.
	Def struct {
		At
		Global *Global
		Value  Expr
	}
	Try struct {
		At
		Body    Expr
		Catches []*Catch
		Finally Expr // nil when absent
	}
	// Throw raises an error: with one argument an error map, with two or three a kind,
	// a message and optional data.
	Throw struct {
		At
		Args []Expr
	}
	// HostCall is (call cap args...): the VM yields to the host.
	HostCall struct {
		At
		Capability Expr
		Args       []Expr
		Options    Expr // a map expression from the form's metadata, or nil
	}
	// Parallel is a batch of host calls that leave the VM together.
	Parallel struct {
		At
		Calls []*HostCall
	}
	Step struct {
		At
		Name Expr
		Body Expr
	}
	Checkpoint struct {
		At
		Name Expr
	}
	// MakeVector, MakeMap and MakeSet build a collection literal whose parts are not
	// all constant. MakeMap's Elems alternate keys and values; later keys win.
	MakeVector struct {
		At
		Elems []Expr
	}
	MakeMap struct {
		At
		Elems []Expr
	}
	MakeSet struct {
		At
		Elems []Expr
	}
	// Check raises :error/type unless the value of Expr has type Type (a validated type
	// expression, see package types); What names the checked thing in the message.
	Check struct {
		At
		Expr Expr
		Type value.Value
		What string
	}
)

// Catch is one catch clause.
type Catch struct {
	Kind value.Keyword // "" catches every error
	Slot int
	Body Expr
}

// NoRest marks a function without an & parameter.
const NoRest = -1
