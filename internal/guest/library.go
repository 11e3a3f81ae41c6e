package guest

import (
	"fmt"

	. "github.com/rtfsvm/rtfsvm/internal/wasm"
)

// LibFn says how the wasm engine runs one library function (rtfs-language.md §8) that
// the compiler does not inline: the guest routine that implements it and its calling
// convention.
type LibFn struct {
	Routine string
	// Fixed is the number of arguments of a routine that takes them as i64 parameters;
	// Variadic marks a routine of signature (args i32, argc i32) -> i64, whose arguments
	// are laid out in memory, argc of them, Min <= argc <= Max (Max < 0: no bound).
	Fixed    int
	Min, Max int
}

// Variadic is LibFn.Fixed for routines that take their arguments from memory.
const Variadic = -1

// Library maps library function names to their routines. Files of routines register
// their functions from init with libFixed and libVariadic.
var Library = map[string]LibFn{}

func register(name string, fn LibFn) {
	if _, dup := Library[name]; dup {
		panic(fmt.Sprintf("guest: library function %s registered twice", name))
	}
	Library[name] = fn
}

// libFixed registers a library function of exactly n arguments, implemented by a
// routine of n i64 parameters.
func libFixed(name, routine string, n int) {
	register(name, LibFn{Routine: routine, Fixed: n, Min: n, Max: n})
}

// libVariadic registers a library function taking min to max arguments (max < 0: any
// number), implemented by a routine of signature (args i32, argc i32) -> i64.
func libVariadic(name, routine string, min, max int) {
	register(name, LibFn{Routine: routine, Fixed: Variadic, Min: min, Max: max})
}

// VariadicSig is the signature of variadic library routines.
var VariadicSig = Sig{Params: []ValType{I32, I32}, Results: []ValType{I64}}
