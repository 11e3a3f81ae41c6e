package value

import (
	"fmt"
)

// Error kinds of rtfs-language.md §6.
const (
	ErrType           Keyword = "error/type"
	ErrArity          Keyword = "error/arity"
	ErrDivisionByZero Keyword = "error/division-by-zero"
	ErrOverflow       Keyword = "error/overflow"
	ErrIndex          Keyword = "error/index"
	ErrMatch          Keyword = "error/match"
	ErrUnbound        Keyword = "error/unbound"
	ErrInvalidArg     Keyword = "error/invalid-argument"
	ErrCapability     Keyword = "error/capability"
	ErrDenied         Keyword = "error/denied"
)

// Keys of an error map.
const (
	KeyKind       Keyword = "error/kind"
	KeyMessage    Keyword = "error/message"
	KeyData       Keyword = "error/data"
	KeyCapability Keyword = "error/capability"
)

// Error is an RTFS error on its way up the stack. A plan sees it as a map (ToMap); the
// Go side keeps it as a struct so that the position where it was raised travels with it.
type Error struct {
	ErrKind    Keyword
	Message    string
	Data       Value  // nil when absent
	Capability string // the capability id, for host-call errors
	At         string // FILE:LINE:COL where it was raised; "" until an engine sets it
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", Print(e.ErrKind), e.Message) }

// Errorf makes an error of the given kind.
func Errorf(kind Keyword, format string, args ...any) *Error {
	return &Error{ErrKind: kind, Message: fmt.Sprintf(format, args...)}
}

// TypeError reports that want was expected where got arrived.
func TypeError(fn string, want string, got Value) *Error {
	return Errorf(ErrType, "%s: expected %s, got %s", fn, want, Describe(got))
}

// ArityError reports a call with the wrong number of arguments.
func ArityError(fn string, n int) *Error {
	if fn == "" {
		fn = "anonymous function"
	}
	return Errorf(ErrArity, "%s: wrong number of arguments (%d)", fn, n)
}

// Describe names a value's type for messages, with the value itself when it is short.
func Describe(v Value) string {
	s := Print(v)
	if r := []rune(s); len(r) > 40 {
		s = string(r[:37]) + "..." // whole characters: a message stays valid UTF-8
	}
	return v.Kind().String() + " " + s
}

// ToMap is the error as the plan sees it.
func (e *Error) ToMap() *Map {
	m := EmptyMap.Assoc(KeyKind, e.ErrKind).Assoc(KeyMessage, String(e.Message))
	if e.Data != nil {
		m = m.Assoc(KeyData, e.Data)
	}
	if e.Capability != "" {
		m = m.Assoc(KeyCapability, String(e.Capability))
	}
	return m
}

// ErrorFromValue is the error that (throw v) raises for a value v: an error map keeps its
// fields; anything else is a type error.
func ErrorFromValue(v Value) (*Error, bool) {
	m, ok := v.(*Map)
	if !ok {
		return nil, false
	}
	k, ok := m.Get(KeyKind)
	if !ok {
		return nil, false
	}
	kind, ok := k.(Keyword)
	if !ok {
		return nil, false
	}
	e := &Error{ErrKind: kind}
	if msg, ok := m.Get(KeyMessage); ok {
		if s, ok := msg.(String); ok {
			e.Message = string(s)
		} else {
			e.Message = Print(msg)
		}
	}
	if d, ok := m.Get(KeyData); ok {
		e.Data = d
	}
	if c, ok := m.Get(KeyCapability); ok {
		if s, ok := c.(String); ok {
			e.Capability = string(s)
		}
	}
	return e, true
}

// LimitError is a resource limit that stopped the run. Plans cannot catch it.
type LimitError struct {
	Limit Keyword // limit/fuel, limit/memory, limit/stack, limit/timeout
}

const (
	LimitFuel    Keyword = "limit/fuel"
	LimitMemory  Keyword = "limit/memory"
	LimitStack   Keyword = "limit/stack"
	LimitTimeout Keyword = "limit/timeout"
)

func (e *LimitError) Error() string { return Print(e.Limit) }

// IsLimit reports whether err is a resource limit.
func IsLimit(err error) bool { _, ok := err.(*LimitError); return ok }

// ThrowError is the error that (throw ...) raises for its evaluated arguments: one error
// map, or a kind, a message and optional data.
func ThrowError(args []Value) error {
	if len(args) == 1 {
		if e, ok := ErrorFromValue(args[0]); ok {
			return e
		}
		return TypeError("throw", "an error map or a kind and a message", args[0])
	}
	kind, ok := args[0].(Keyword)
	if !ok {
		return TypeError("throw", "an error kind keyword", args[0])
	}
	e := &Error{ErrKind: kind, Message: Str(args[1])}
	if len(args) == 3 {
		e.Data = args[2]
	}
	return e
}
