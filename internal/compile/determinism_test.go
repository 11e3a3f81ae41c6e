package compile

import (
	"bytes"
	"testing"

	"github.com/rtfsvm/rtfsvm/resolve"
	"github.com/rtfsvm/rtfsvm/stdlib"
	"github.com/rtfsvm/rtfsvm/syntax"
)

// The same plan always compiles to the same module, byte for byte: the engine's cache,
// the disk cache and resuming a run find a module by its hash.
func TestCompileIsDeterministic(t *testing.T) {
	src := `(defn f [x] (if (> x 1) {:a [x "s" #{1 2}] :b (call :ccos.echo x)} (list x)))
(step "s" (map f (range 5)))`
	var first []byte
	for i := 0; i < 12; i++ {
		forms, err := syntax.Read("p.rtfs", src)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := resolve.ProgramWithPrelude("p.rtfs", forms, stdlib.PreludeForms(), stdlib.Lookup)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Compile(prog, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = p.Binary
		} else if !bytes.Equal(first, p.Binary) {
			t.Fatalf("compile %d gave another module (%d bytes, first %d)", i+1, len(p.Binary), len(first))
		}
	}
}
