// Package value is the RTFS value model: the types every engine and the host agree on,
// with structural equality, the total order, hashing and the canonical printed form.
//
// Values are immutable. Collections are persistent: updating one shares structure with
// the original instead of copying it.
package value

import "fmt"

// Value is an RTFS value. The concrete types are exactly those of this package.
type Value interface {
	// Kind names the value's type for error messages and type predicates.
	Kind() Kind
}

// Kind is the type of a value. The order of the constants is the rank of the type in
// the total order (rtfs-language.md §2); list and vector share a rank.
type Kind uint8

const (
	KindNil Kind = iota
	KindBool
	KindInt
	KindFloat
	KindString
	KindKeyword
	KindSymbol
	KindList
	KindVector
	KindSet
	KindMap
	KindFunction
)

var kindNames = [...]string{"nil", "boolean", "integer", "float", "string", "keyword", "symbol", "list", "vector", "set", "map", "function"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// rank is the position of a kind in the total order: numbers share one rank, and so
// do lists and vectors.
func (k Kind) rank() int {
	switch k {
	case KindNil:
		return 0
	case KindBool:
		return 1
	case KindInt, KindFloat:
		return 2
	case KindString:
		return 3
	case KindKeyword:
		return 4
	case KindSymbol:
		return 5
	case KindList, KindVector:
		return 6
	case KindSet:
		return 7
	case KindMap:
		return 8
	default:
		return 9
	}
}

// NilType is the type of Nil; it has a single value.
type NilType struct{}

// Nil is the RTFS nil. The Go nil interface is never an RTFS value.
var Nil Value = NilType{}

type (
	Bool    bool
	Int     int64
	Float   float64
	String  string
	Keyword string // the name without its colon: Keyword("ns/k") is :ns/k
	Symbol  string
)

// True and False are the booleans as Values.
var (
	True  Value = Bool(true)
	False Value = Bool(false)
)

func (NilType) Kind() Kind { return KindNil }
func (Bool) Kind() Kind    { return KindBool }
func (Int) Kind() Kind     { return KindInt }
func (Float) Kind() Kind   { return KindFloat }
func (String) Kind() Kind  { return KindString }
func (Keyword) Kind() Kind { return KindKeyword }
func (Symbol) Kind() Kind  { return KindSymbol }

// Truthy reports whether v counts as true: everything but nil and false.
func Truthy(v Value) bool {
	switch v := v.(type) {
	case NilType:
		return false
	case Bool:
		return bool(v)
	}
	return true
}

// FromBool converts a Go bool.
func FromBool(b bool) Value {
	if b {
		return True
	}
	return False
}

// IsNil reports whether v is the RTFS nil.
func IsNil(v Value) bool { _, ok := v.(NilType); return ok }

// Function is a callable value: a closure of an engine or a library builtin. How it is
// called is the engine's business; the value model only needs its name and identity.
type Function interface {
	Value
	FuncName() string // "" when anonymous
}

// Caller is what library functions need from the engine running them: a way to call
// function values they were given, and the fuel meter.
type Caller interface {
	// Call calls fn; it does not keep args, which the caller may reuse.
	Call(fn Value, args []Value) (Value, error)
	// Charge consumes n units of fuel; it fails with a *LimitError when the budget is spent.
	Charge(n int) error
	// Allocate announces a new value of about n bytes, before it is built; it fails
	// with the memory limit when the engine cannot hold it.
	Allocate(n int64) error
}

// Builtin is a library function implemented in Go.
type Builtin struct {
	Name    string
	MinArgs int
	MaxArgs int // -1: variadic
	Fn      func(c Caller, args []Value) (Value, error)
}

func (*Builtin) Kind() Kind         { return KindFunction }
func (b *Builtin) FuncName() string { return b.Name }
func (b *Builtin) AcceptsArity(n int) bool {
	return n >= b.MinArgs && (b.MaxArgs < 0 || n <= b.MaxArgs)
}
