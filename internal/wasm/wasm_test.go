package wasm

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"
)

// A small module written with the builder runs on wazero: the encoder's output
// validates and computes what the code says.
func TestBuilderModuleRuns(t *testing.T) {
	m := &Module{MinPages: 1}
	// sum(n) = 0 + 1 + ... + n-1, with a loop and memory traffic.
	f := m.NewFunc("sum", []ValType{I64}, []ValType{I64})
	n := f.Param(0)
	acc, i := f.NewLocal(I64), f.NewLocal(I64)
	f.Block(func(done Label) {
		f.Loop(func(again Label) {
			f.BrIf(done, GeS64(i.Get(), n.Get()))
			f.Store64(C32(64), 0, Add64(acc.Get(), i.Get()))
			f.Set(acc, Load64(C32(64), 0))
			f.Set(i, Add64(i.Get(), C64(1)))
			f.Br(again)
		})
	})
	f.Result(acc.Get())
	abs := m.NewFunc("abs", []ValType{I64}, []ValType{I64})
	x := abs.Param(0)
	abs.Result(IfX([]ValType{I64}, LtS64(x.Get(), C64(0)),
		func(f *Func) { f.Emit(Sub64(C64(0), x.Get())) },
		func(f *Func) { f.Emit(x.Get()) }))
	m.Exports = append(m.Exports, Export{"sum", ExportFunc, f.Index}, Export{"abs", ExportFunc, abs.Index})
	bin, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	inst, err := r.Instantiate(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	out, err := inst.ExportedFunction("sum").Call(ctx, 10)
	if err != nil || out[0] != 45 {
		t.Fatalf("sum(10) = %v, %v; want 45", out, err)
	}
	neg := int64(-7)
	out, err = inst.ExportedFunction("abs").Call(ctx, uint64(neg))
	if err != nil || out[0] != 7 {
		t.Fatalf("abs(-7) = %v, %v; want 7", out, err)
	}
}
