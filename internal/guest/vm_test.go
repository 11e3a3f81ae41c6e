package guest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/rtfsvm/rtfsvm/internal/guest"
	"github.com/rtfsvm/rtfsvm/internal/heap"
	"github.com/rtfsvm/rtfsvm/internal/layout"
	"github.com/rtfsvm/rtfsvm/value"
)

// testVM is a module holding the named routines (exported under their names), run with
// a stub host: raise records the error code, abort panics.
type testVM struct {
	t      *testing.T
	ctx    context.Context
	mod    api.Module
	raised []int // error codes raised, in order
}

func newTestVM(t *testing.T, routines ...string) *testVM {
	t.Helper()
	rt := guest.New()
	for _, name := range routines {
		rt.Export(name)
	}
	rt.Finish()
	bin, err := rt.M.Encode()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	t.Cleanup(func() { r.Close(ctx) })
	vm := &testVM{t: t, ctx: ctx}
	_, err = r.NewHostModuleBuilder(guest.HostModule).
		NewFunctionBuilder().WithFunc(func(kind int32) { panic(fmt.Sprintf("abort %d", kind)) }).Export("abort").
		NewFunctionBuilder().WithFunc(func() int64 { return 1 << 40 }).Export("refuel").
		NewFunctionBuilder().WithFunc(func(int32, int32, int64) int64 { return int64(layout.Err) }).Export("host_call").
		NewFunctionBuilder().WithFunc(func(int32, int32) int64 { return int64(layout.Err) }).Export("host_batch").
		NewFunctionBuilder().WithFunc(func(int32, int64, int64) int64 { return int64(layout.Nil) }).Export("step").
		NewFunctionBuilder().WithFunc(func(int64, int32) int64 { return int64(layout.Nil) }).Export("checkpoint_at").
		NewFunctionBuilder().WithFunc(func(code int32, _ int64) int64 {
		vm.raised = append(vm.raised, int(code))
		return int64(layout.Err)
	}).Export("raise").
		NewFunctionBuilder().WithFunc(func(int32, int32) int64 { return int64(layout.Err) }).Export("throw").
		NewFunctionBuilder().WithFunc(func(v int64, _ int32) int64 { return v }).Export("check_type").
		NewFunctionBuilder().WithFunc(func(int32, int32, int32) int64 { return int64(layout.Err) }).Export("helper").
		Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	vm.mod, err = r.Instantiate(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := guest.Setup(vm.mod, 1<<20, 64<<20); err != nil {
		t.Fatal(err)
	}
	return vm
}

// call runs a routine and returns its first result.
func (vm *testVM) call(name string, args ...uint64) uint64 {
	vm.t.Helper()
	out, err := vm.mod.ExportedFunction(name).Call(vm.ctx, args...)
	if err != nil {
		vm.t.Fatalf("%s: %v", name, err)
	}
	if len(out) == 0 {
		return 0
	}
	return out[0]
}

// read converts a guest value.
func (vm *testVM) read(v uint64) value.Value {
	vm.t.Helper()
	x, err := heap.Reader{Mem: vm.mod.Memory()}.Read(v)
	if err != nil {
		vm.t.Fatal(err)
	}
	return x
}

func TestIntegerArithmetic(t *testing.T) {
	vm := newTestVM(t, "num_add", "num_sub", "num_mul", "num_lt", "box_int")
	big := vm.call("box_int", uint64(1<<62)) // just past the fixnums: boxed
	if got := value.Print(vm.read(big)); got != "4611686018427387904" {
		t.Fatalf("box_int(2^62) reads as %s", got)
	}
	tests := []struct {
		op   string
		a, b int64
		want string
	}{
		{"num_add", 2, 3, "5"},
		{"num_add", 1<<62 - 1, 1, "4611686018427387904"},
		{"num_sub", -(1 << 62), 1, "-4611686018427387905"},
		{"num_mul", 1 << 31, 1 << 31, "4611686018427387904"},
		{"num_lt", 2, 3, "true"},
		{"num_lt", 3, 3, "false"},
	}
	for _, tt := range tests {
		a := vm.call("box_int", uint64(tt.a))
		b := vm.call("box_int", uint64(tt.b))
		if got := value.Print(vm.read(vm.call(tt.op, a, b))); got != tt.want {
			t.Errorf("%s(%d, %d) = %s, want %s", tt.op, tt.a, tt.b, got, tt.want)
		}
	}
	// Overflow of i64 raises.
	maxInt := vm.call("box_int", uint64(1<<63-1))
	if r := vm.call("num_add", maxInt, layout.Fixnum(1)); r != layout.Err || len(vm.raised) != 1 || vm.raised[0] != guest.ErrOverflow {
		t.Fatalf("max+1 = %#x, raised %v; want Err and an overflow", r, vm.raised)
	}
	if r := vm.call("num_add", layout.True, layout.Fixnum(1)); r != layout.Err || vm.raised[1] != guest.ErrNotNumber {
		t.Fatalf("true+1 = %#x, raised %v", r, vm.raised)
	}
}
