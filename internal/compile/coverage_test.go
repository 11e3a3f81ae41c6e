package compile

import (
	"slices"
	"testing"

	"github.com/rtfsvm/rtfsvm/internal/guest"
	"github.com/rtfsvm/rtfsvm/stdlib"
)

// Every library function runs on the wasm engine: as a guest routine, a host helper, or
// a function of the prelude (compiled with the plan). apply is compiled specially.
func TestEveryLibraryFunctionHasAnImplementation(t *testing.T) {
	for _, name := range stdlib.Names() {
		_, routine := guest.Library[name]
		switch {
		case routine, guest.IsHelper(name), slices.Contains(stdlib.PreludeNames, name), name == "apply":
		default:
			t.Errorf("%s has no implementation on the wasm engine", name)
		}
	}
}
