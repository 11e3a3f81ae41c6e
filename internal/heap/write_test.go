package heap_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/rtfsvm/rtfsvm/internal/guest"
	"github.com/rtfsvm/rtfsvm/internal/heap"
	"github.com/rtfsvm/rtfsvm/internal/layout"
	"github.com/rtfsvm/rtfsvm/internal/wasm"
	"github.com/rtfsvm/rtfsvm/value"
)

// instance is a guest module exporting the given routines, with a host that refuses
// everything.
func instance(t *testing.T, routines ...string) api.Module {
	t.Helper()
	rt := guest.New()
	for _, r := range routines {
		rt.Export(r)
	}
	rt.Finish()
	bin, err := rt.M.Encode()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	t.Cleanup(func() { r.Close(ctx) })
	// Stub every import, whatever the runtime imports: abort fails the call, the
	// others return Err (or nothing).
	compiled, err := r.CompileModule(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	host := r.NewHostModuleBuilder(guest.HostModule)
	for _, imp := range compiled.ImportedFunctions() {
		_, name, _ := imp.Import()
		results := imp.ResultTypes()
		host.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, _ api.Module, stack []uint64) {
			if name == "abort" {
				panic("abort")
			}
			if len(results) > 0 {
				stack[0] = layout.Err
			}
		}), imp.ParamTypes(), results).Export(name)
	}
	if _, err := host.Instantiate(ctx); err != nil {
		t.Fatal(err)
	}
	mod, err := r.Instantiate(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := guest.Setup(mod, 1<<16, 64<<20); err != nil {
		t.Fatal(err)
	}
	return mod
}

func TestWriteRead(t *testing.T) {
	mod := instance(t, "alloc", "box_int", "box_float", "list_cons", "vector_conj", "map_assoc", "set_conj")
	w := heap.Writer{In: heap.Module(context.Background(), mod)}
	r := heap.Reader{Mem: mod.Memory()}
	elems := make([]value.Value, 100)
	for i := range elems {
		elems[i] = value.Int(i * i)
	}
	for _, v := range []value.Value{
		value.Nil, value.True, value.False, value.Int(0), value.Int(-7), value.Int(layout.FixnumMax + 1),
		value.Int(math.MinInt64), value.Float(2.5), value.Float(math.Inf(-1)), value.String(""),
		value.String("héllo, wörld — longer than a word"), value.Keyword("ns/k"), value.Symbol("sym"),
		value.NewList(), value.NewList(value.Int(1), value.String("two"), value.NewList()),
		value.NewVector(elems), value.NewSet(elems...),
		value.EmptyMap.Assoc(value.Keyword("a"), value.NewVector(elems)).Assoc(value.NewList(value.Int(1)), value.Nil),
	} {
		g, err := w.Write(v)
		if err != nil {
			t.Fatalf("write %s: %v", value.Print(v), err)
		}
		back, err := r.Read(g)
		if err != nil {
			t.Fatalf("read %s: %v", value.Print(v), err)
		}
		if value.Print(back) != value.Print(v) || back.Kind() != v.Kind() {
			t.Errorf("%s reads back as %s", value.Print(v), value.Print(back))
		}
	}
	// A guest function goes back as the reference it came from.
	if g, err := w.Write(&heap.GuestFunction{Name: "f", Ref: 0x1230}); err != nil || g != 0x1230 {
		t.Errorf("a guest function writes as %#x, %v", g, err)
	}
	// A Go builtin has no guest form.
	if _, err := w.Write(&value.Builtin{Name: "inc"}); err == nil {
		t.Error("writing a Go builtin must fail")
	}
}

// A module without the routines a value needs is reported, not crashed on.
func TestWriteMissingExport(t *testing.T) {
	mod := instance(t, "alloc")
	w := heap.Writer{In: heap.Module(context.Background(), mod)}
	if _, err := w.Write(value.String("ok")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(value.NewVector([]value.Value{value.Int(1)})); err == nil || !strings.Contains(err.Error(), "vector_conj") {
		t.Fatalf("writing a vector without vector_conj: %v", err)
	}
}

// A guest function that reaches the host, which calls the same function again, gets a
// call of its own: the writer's kept function is not entered twice.
func TestModuleCallReentered(t *testing.T) {
	m := &wasm.Module{MinPages: 1}
	hType := m.Type(wasm.FuncType{Params: []wasm.ValType{wasm.I64}, Results: []wasm.ValType{wasm.I64}})
	m.Imports = append(m.Imports, wasm.Import{Module: "env", Name: "h", Type: hType})
	h := &wasm.Func{Name: "env.h", Index: 0}
	// f(x) = x == 0 ? 0 : h(x-1) + 1, where the host's h is f again.
	f := m.NewFunc("f", []wasm.ValType{wasm.I64}, []wasm.ValType{wasm.I64})
	x := f.Param(0)
	f.Result(wasm.IfX([]wasm.ValType{wasm.I64}, wasm.Eqz64(x.Get()),
		func(f *wasm.Func) { f.Emit(wasm.C64(0)) },
		func(f *wasm.Func) { f.Emit(wasm.Add64(wasm.Call(h, wasm.Sub64(x.Get(), wasm.C64(1))), wasm.C64(1))) }))
	m.Exports = append(m.Exports, wasm.Export{Name: "f", Kind: wasm.ExportFunc, Index: f.Index})
	bin, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	var in heap.Instance
	_, err = r.NewHostModuleBuilder("env").NewFunctionBuilder().
		WithFunc(func(ctx context.Context, x uint64) uint64 {
			v, err := in.Call("f", x)
			if err != nil {
				t.Error(err)
			}
			return v
		}).Export("h").Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := r.Instantiate(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	in = heap.Module(ctx, mod)
	for _, n := range []uint64{0, 1, 5, 40} {
		if v, err := in.Call("f", n); err != nil || v != n {
			t.Fatalf("f(%d) = %d, %v", n, v, err)
		}
	}
}
