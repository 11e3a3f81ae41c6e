package compile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/rtfsvm/rtfsvm/internal/guest"
	"github.com/rtfsvm/rtfsvm/resolve"
	"github.com/rtfsvm/rtfsvm/stdlib"
	"github.com/rtfsvm/rtfsvm/syntax"
)

// A module is the same, byte for byte, whether its routines were written by the builder
// or copied from the templates that other modules left (guest/templates.go): each plan
// of the conformance corpus compiles to the same module in a process that has written
// no routine yet and in one that has written them all, in either GC mode.
func TestRoutinesFromTemplatesAreTheSame(t *testing.T) {
	files, err := filepath.Glob("../../testdata/conformance/*/*.rtfs")
	if err != nil || len(files) == 0 {
		t.Fatalf("no conformance cases: %v", err)
	}
	defer guest.ForgetTemplates()
	for _, stress := range []bool{false, true} {
		opts := Options{GCStress: stress}
		written := map[string][]byte{}
		for _, file := range files {
			guest.ForgetTemplates()
			if p := compileFile(t, file, opts); p != nil {
				written[file] = p.Binary
			}
		}
		for _, file := range files {
			p := compileFile(t, file, opts)
			if p == nil {
				continue
			}
			if !bytes.Equal(p.Binary, written[file]) {
				t.Errorf("%s (GCStress %v): the module differs when its routines come from templates", file, stress)
			}
		}
	}
}

// compileFile compiles a plan, or returns nil when it does not compile.
func compileFile(t *testing.T, file string, opts Options) *Program {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	forms, err := syntax.Read(file, string(src))
	if err != nil {
		return nil
	}
	prog, err := resolve.ProgramWithPrelude(file, forms, stdlib.PreludeForms(), stdlib.Lookup)
	if err != nil {
		return nil
	}
	p, err := Compile(prog, opts)
	if err != nil {
		return nil
	}
	return p
}
