package compile_test

import (
	"os"
	"testing"

	"github.com/rtfsvm/rtfsvm/internal/compile"
	"github.com/rtfsvm/rtfsvm/resolve"
	"github.com/rtfsvm/rtfsvm/stdlib"
	"github.com/rtfsvm/rtfsvm/syntax"
)

func TestZZDump(t *testing.T) {
	src, _ := os.ReadFile("/tmp/plan200.rtfs")
	f, err := syntax.Read("p.rtfs", string(src))
	if err != nil {
		t.Fatal(err)
	}
	prog, err := resolve.ProgramWith("p.rtfs", f, stdlib.ResolvedPrelude())
	if err != nil {
		t.Fatal(err)
	}
	p, err := compile.Compile(prog, compile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile("/tmp/p200i.wasm", p.ForInterpreter, 0o644)
	os.WriteFile("/tmp/p200c.wasm", p.Binary, 0o644)
}
