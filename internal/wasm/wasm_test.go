package wasm

import (
	"bytes"
	"context"
	"maps"
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

// An anchored local is re-assigned after an end only where paths meet, and not before a
// return; a local.get right after a local.set of the same local becomes a local.tee.
func TestAnchorsWherePathsMeet(t *testing.T) {
	m := &Module{}
	f := m.NewFunc("f", []ValType{I32}, []ValType{I32})
	p := f.Param(0)
	f.Anchor(p)
	anchor := []byte{opLocalGet, 0, opLocalSet, 0}
	count := func() int { return bytes.Count(f.body.Bytes(), anchor) }
	// One path after the end: the then part returns.
	f.If(p.Get(), func() { f.Return(C32(1)) }, nil)
	if n := count(); n != 0 {
		t.Fatalf("%d anchors after an if whose then part returns", n)
	}
	// Two paths: the then part falls through, and the condition may be false.
	f.If(p.Get(), func() { f.Set(p, C32(2)) }, nil)
	f.Set(p, Add32(p.Get(), C32(1)))
	if n := count(); n != 1 {
		t.Fatalf("%d anchors after an if whose then part falls through; want 1", n)
	}
	// A block that only a branch leaves, and a loop: one path each.
	f.Block(func(done Label) {
		f.Loop(func(again Label) {
			f.BrIf(done, p.Get())
			f.Br(again)
		})
	})
	if n := count(); n != 1 {
		t.Fatalf("%d anchors after a loop and a block with one way out; want 1", n)
	}
	// Paths meet, but the function returns at once.
	f.Emit(IfX([]ValType{I32}, p.Get(), func(f *Func) { f.Emit(C32(3)) }, func(f *Func) { f.Emit(C32(4)) }))
	f.Return()
	if n := count(); n != 1 {
		t.Fatalf("%d anchors before a return; want 1", n)
	}
	g := m.NewFunc("g", []ValType{I32}, []ValType{I32})
	g.Set(g.Param(0), C32(5))
	g.Result(g.Param(0).Get())
	if want := []byte{opI32Const, 5, opLocalTee, 0}; !bytes.Equal(g.body.Bytes(), want) {
		t.Fatalf("set and get: % x, want % x", g.body.Bytes(), want)
	}
	if _, err := m.Encode(); err != nil {
		t.Fatal(err)
	}
}

// The encoding for an interpreter leaves out exactly the anchors' code, including
// anchors written by a prologue prepended afterwards, and computes the same.
func TestEncodeForInterpreter(t *testing.T) {
	m := &Module{}
	f := m.NewFunc("f", []ValType{I32}, []ValType{I32})
	p, q := f.Param(0), f.NewLocal(I32)
	f.Anchor(q)
	f.If(p.Get(), func() { f.Set(p, Add32(p.Get(), C32(10))) }, nil)
	f.Do(q.Get()) // a read of the anchored local right after its anchor
	f.If(GtU32(p.Get(), C32(20)), func() { f.Set(p, Sub32(p.Get(), C32(3))) }, nil)
	f.Result(Add32(p.Get(), q.Get()))
	f.Prepend(func() {
		f.Set(q, C32(100))
		f.If(Eqz32(p.Get()), func() { f.Set(q, C32(200)) }, nil) // paths meet before the body
	})
	m.Exports = append(m.Exports, Export{"f", ExportFunc, f.Index})
	anchored, bare := encodeBoth(t, m)
	anchor := []byte{opLocalGet, 1, opLocalSet, 1}
	if n := bytes.Count(anchored, anchor); n != 3 {
		t.Fatalf("%d anchors in the module; want 3", n)
	}
	if n := bytes.Count(bare, anchor); n != 0 || len(bare) != len(anchored)-3*len(anchor) {
		t.Fatalf("the encoding for an interpreter has %d anchors and %d bytes (the module %d)", n, len(bare), len(anchored))
	}
	want := map[uint64]uint64{0: 200, 5: 100 + 15, 15: 100 + 22}
	for i, bin := range [][]byte{anchored, bare} {
		if got := callF(t, bin, 0, 5, 15); !maps.Equal(got, want) {
			t.Fatalf("encoding %d: f = %v; want %v", i, got, want)
		}
	}
}

// callF instantiates bin on wazero's interpreter and calls its export f with each of
// args: the results by argument.
func callF(t *testing.T, bin []byte, args ...uint64) map[uint64]uint64 {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	inst, err := r.Instantiate(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	results := map[uint64]uint64{}
	for _, arg := range args {
		out, err := inst.ExportedFunction("f").Call(ctx, arg)
		if err != nil {
			t.Fatalf("f(%d): %v", arg, err)
		}
		results[arg] = out[0]
	}
	return results
}

// encodeBoth encodes m for the compiler and for the interpreter.
func encodeBoth(t *testing.T, m *Module) (compiled, interpreted []byte) {
	t.Helper()
	compiled, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if interpreted, err = m.EncodeForInterpreter(); err != nil {
		t.Fatal(err)
	}
	return compiled, interpreted
}

// Tiered code: each encoding holds one side of it, in the body and in a prologue
// prepended afterwards; anchors inside the compiled side and after it stay in the
// compiler's encoding only; a branch out of either side reaches its label; both
// encodings compute the same.
func TestTiered(t *testing.T) {
	m := &Module{}
	triple := m.NewFunc("triple", []ValType{I32}, []ValType{I32})
	triple.Result(Mul32(triple.Param(0).Get(), C32(3)))
	f := m.NewFunc("f", []ValType{I32}, []ValType{I32})
	p, q := f.Param(0), f.NewLocal(I32)
	f.Anchor(q)
	f.Block(func(out Label) {
		f.If(p.Get(), func() { f.Set(p, Add32(p.Get(), C32(1))) }, nil) // anchors due
		f.Tiered(func() {
			f.BrIf(out, Eq32(p.Get(), C32(8))) // 7 leaves early
			f.If(GtU32(p.Get(), C32(100)), func() { f.Set(p, C32(100)) }, nil)
			f.Set(p, Add32(p.Get(), Add32(p.Get(), p.Get())))
		}, func() {
			f.BrIf(out, Eq32(p.Get(), C32(8)))
			f.Set(p, Call(triple, Select(C32(100), p.Get(), GtU32(p.Get(), C32(100)))))
		})
		f.Set(p, Add32(p.Get(), q.Get()))
	})
	f.Result(p.Get())
	f.Prepend(func() {
		f.Tiered(func() { f.Set(q, Add32(C32(1), C32(2))) }, func() { f.Set(q, Call(triple, C32(1))) })
	})
	m.Exports = append(m.Exports, Export{"f", ExportFunc, f.Index})
	compiled, interpreted := encodeBoth(t, m)
	call := []byte{opCall, byte(triple.Index)}
	anchor := []byte{opLocalGet, 1, opLocalSet, 1}
	if n := bytes.Count(compiled, call); n != 0 {
		t.Errorf("%d calls of the interpreted side in the compiler's encoding", n)
	}
	if n := bytes.Count(interpreted, call); n != 2 {
		t.Errorf("%d calls of the interpreted side in the interpreter's; want 2", n)
	}
	if n := bytes.Count(compiled, anchor); n < 2 {
		t.Errorf("%d anchors in the compiler's encoding; want 2 or more", n)
	}
	if n := bytes.Count(interpreted, anchor); n != 0 {
		t.Errorf("%d anchors in the interpreter's encoding", n)
	}
	results := callF(t, compiled, 0, 5, 7, 200)
	if got := callF(t, interpreted, 0, 5, 7, 200); !maps.Equal(got, results) {
		t.Errorf("f = %v for the interpreter, %v for the compiler", got, results)
	}
	if want := map[uint64]uint64{0: 0 + 3, 5: 18 + 3, 7: 8, 200: 300 + 3}; !maps.Equal(results, want) {
		t.Errorf("f = %v; want %v", results, want)
	}
}

// A compiled if: the compiler's encoding tests its condition, the interpreter's always
// runs the shared part, in a block that keeps the depths of the branches in it (to a
// label outside, and to the if's own), in the body and in a prologue.
func TestCompiledIf(t *testing.T) {
	m := &Module{}
	f := m.NewFunc("f", []ValType{I32}, []ValType{I32})
	p, q := f.Param(0), f.NewLocal(I32)
	f.Anchor(q)
	f.Block(func(out Label) {
		f.CompiledIf(GtU32(p.Get(), C32(5)), func() {
			f.BrIf(out, Eq32(p.Get(), C32(3))) // the interpreter's only: 3 leaves early
			f.Set(p, Add32(p.Get(), C32(10)))
		})
		// Either arm for the compiler; the else arm for the interpreter, whose branch
		// to the if's own label skips the increment.
		f.Set(p, CompiledIfX([]ValType{I32}, Eq32(p.Get(), C32(16)), func(f *Func) { f.Emit(C32(1000)) }, func(f *Func) {
			f.Emit(BlockX([]ValType{I32}, func(f *Func, done Label) {
				f.Emit(p.Get())
				f.BrIf(done, Eq32(p.Get(), C32(11)))
				f.Emit(Add32(Stack, C32(1)))
			}))
		}))
		f.Set(p, Add32(p.Get(), q.Get()))
	})
	f.Result(p.Get())
	f.Prepend(func() {
		f.CompiledIf(Eqz32(p.Get()), func() { f.Set(q, C32(100)) })
	})
	m.Exports = append(m.Exports, Export{"f", ExportFunc, f.Index})
	compiled, interpreted := encodeBoth(t, m)
	want := [2]map[uint64]uint64{
		// compiler: q = 100 when p is 0; p > 5 adds 10; 16 gives 1000; else p+1
		{0: 1 + 100, 1: 2, 3: 4, 6: 1000, 7: 18},
		// interpreter: q = 100 always; 3 leaves at once; +10; 11 stays; else p+1
		{0: 11 + 100, 1: 11 + 100, 3: 3, 6: 17 + 100, 7: 18 + 100},
	}
	for i, bin := range [][]byte{compiled, interpreted} {
		if got := callF(t, bin, 0, 1, 3, 6, 7); !maps.Equal(got, want[i]) {
			t.Errorf("encoding %d: f = %v; want %v", i, got, want[i])
		}
	}
}

// The data section is written with its size worked out beforehand: the size must be
// exact for every length of the offsets' and lengths' encodings.
func TestDataSectionSize(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	for _, offset := range []uint32{0, 63, 64, 8191, 8192, 1 << 20, 1 << 31} {
		for _, n := range []int{0, 1, 127, 128, 20000} {
			m := &Module{MinPages: 1}
			m.Datas = append(m.Datas, Data{Offset: offset, Bytes: make([]byte, n)}, Data{Offset: 5, Bytes: []byte("x")})
			for _, encode := range []func() ([]byte, error){m.Encode, m.EncodeForInterpreter} {
				bin, err := encode()
				if err != nil {
					t.Fatal(err)
				}
				if _, err := r.CompileModule(ctx, bin); err != nil {
					t.Errorf("offset %d, %d bytes: %v", offset, n, err)
				}
			}
		}
	}
}
