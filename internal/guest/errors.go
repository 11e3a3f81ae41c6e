package guest

import (
	"fmt"

	. "github.com/rtfsvm/rtfsvm/internal/wasm"
	"github.com/rtfsvm/rtfsvm/value"
)

// An ErrorCode names an error the runtime raises. The guest passes the code and the
// offending value to the host's raise import; the host builds the error map (kind and
// message) from this table, so that messages are written once, in Go.
type ErrorCode struct {
	Kind   value.Keyword
	Format string // one %s: the offending value described (value.Describe)
}

// ErrorCodes describes every code. Each file of routines registers its own codes in its
// own range (core 1-99, collections 100-199, strings 200-299, ...).
var ErrorCodes = map[int]ErrorCode{}

func errorCode(code int, kind value.Keyword, format string) int {
	if _, dup := ErrorCodes[code]; dup {
		panic(fmt.Sprintf("guest: error code %d registered twice", code))
	}
	ErrorCodes[code] = ErrorCode{kind, format}
	return code
}

// The core codes.
var (
	ErrNotNumber      = errorCode(1, value.ErrType, "expected a number, got %s")
	ErrNotFunction    = errorCode(2, value.ErrType, "%s is not a function")
	ErrArity          = errorCode(3, value.ErrArity, "wrong number of arguments (%s)") // the value is the count
	ErrOverflow       = errorCode(4, value.ErrOverflow, "integer overflow%.0s")
	ErrDivisionByZero = errorCode(5, value.ErrDivisionByZero, "division by zero%.0s")
	ErrUnbound        = errorCode(6, value.ErrUnbound, "%s is used before its definition has run") // the value is the name
	ErrNotImplemented = errorCode(7, value.ErrInvalidArg, "not supported by the wasm engine yet: %s")
	ErrThrowArgs      = errorCode(8, value.ErrType, "throw: expected an error map or a kind and a message, got %s")
	ErrNotCapability  = errorCode(9, value.ErrType, "call: expected a capability id (keyword or string), got %s")
	ErrNotOptions     = errorCode(10, value.ErrType, "call: expected a map of call options, got %s")
)

// Raise is an expression that raises error code about v and yields Err.
func (rt *Runtime) Raise(code int, v X) X { return Call(rt.RaiseImport, C32(int32(code)), v) }

func init() {
	// note_error records where the error in flight was raised (the site global), unless
	// a deeper function did. Unwinding for a snapshot is no error: nothing is noted.
	define("note_error", nil, nil, func(rt *Runtime, f *Func) {
		f.If(And32(Eqz32(rt.ErrAt.Get()), Eqz32(rt.Mode.Get())), func() { f.SetGlobal(rt.ErrAt, rt.Site.Get()) }, nil)
	})
}
