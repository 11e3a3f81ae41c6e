package microvm

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/internal/guest"
	"github.com/rtfsvm/rtfsvm/internal/heap"
	"github.com/rtfsvm/rtfsvm/internal/layout"
	"github.com/rtfsvm/rtfsvm/stdlib"
	"github.com/rtfsvm/rtfsvm/types"
	"github.com/rtfsvm/rtfsvm/value"
)

// stopSignal unwinds the guest when the host stops a VM (a limit, a host failure); the
// reason is in VM.stopped.
type stopSignal struct{}

const (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// instantiateHost defines the module every guest imports from in the runtime r (each
// tier's runtime has its own instance of the same functions). Each function finds its
// VM in the context of the call.
func instantiateHost(ctx context.Context, r wazero.Runtime) error {
	b := r.NewHostModuleBuilder(guest.HostModule)
	fn := func(name string, params, results []api.ValueType, f func(vm *VM, stack []uint64)) {
		b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
			f(ctx.Value(vmKey{}).(*VM), stack)
		}), params, results).Export(name)
	}
	fn("abort", []api.ValueType{i32}, nil, func(vm *VM, s []uint64) {
		limits := map[uint64]value.Keyword{guest.AbortFuel: value.LimitFuel, guest.AbortMemory: value.LimitMemory,
			guest.AbortStack: value.LimitStack, guest.AbortTimeout: value.LimitTimeout}
		vm.stop(&value.LimitError{Limit: limits[uint64(uint32(s[0]))]})
	})
	fn("refuel", nil, []api.ValueType{i64}, func(vm *VM, s []uint64) { s[0] = uint64(vm.refuel()) })
	fn("host_call", []api.ValueType{i32, i32, i64}, []api.ValueType{i64}, func(vm *VM, s []uint64) {
		s[0] = vm.hostCall(uint32(s[0]), uint32(s[1]), s[2])
	})
	fn("host_batch", []api.ValueType{i32, i32}, []api.ValueType{i64}, func(vm *VM, s []uint64) {
		s[0] = vm.hostBatch(uint32(s[0]), uint32(s[1]))
	})
	fn("step", []api.ValueType{i32, i64, i64}, []api.ValueType{i64}, func(vm *VM, s []uint64) {
		s[0] = vm.step(uint32(s[0]), s[1], s[2])
	})
	fn("checkpoint_at", []api.ValueType{i64, i32}, []api.ValueType{i64}, func(vm *VM, s []uint64) {
		name := vm.mustRead(s[0])
		if vm.arrive(uint32(s[1]), name) {
			s[0] = layout.Err
			return
		}
		s[0] = vm.checkpoint(name)
	})
	// The import of modules compiled before snapshots, which take none.
	fn("checkpoint", []api.ValueType{i64}, []api.ValueType{i64}, func(vm *VM, s []uint64) {
		s[0] = vm.checkpoint(vm.mustRead(s[0]))
	})
	fn("raise", []api.ValueType{i32, i64}, []api.ValueType{i64}, func(vm *VM, s []uint64) {
		code, ok := guest.ErrorCodes[int(uint32(s[0]))]
		if !ok {
			vm.stop(fmt.Errorf("microvm: the guest raised unknown error code %d", uint32(s[0])))
		}
		v := vm.mustRead(s[1])
		s[0] = vm.raise(value.Errorf(code.Kind, code.Format, value.Describe(v)))
	})
	fn("throw", []api.ValueType{i32, i32}, []api.ValueType{i64}, func(vm *VM, s []uint64) {
		s[0] = vm.raise(value.ThrowError(vm.readArgs(uint32(s[0]), uint32(s[1]))))
	})
	fn("check_type", []api.ValueType{i64, i32}, []api.ValueType{i64}, func(vm *VM, s []uint64) {
		tc := vm.module.plan.Types[uint32(s[1])]
		v := vm.mustRead(s[0])
		if !types.Check(tc.Type, v) {
			s[0] = vm.raise(value.Errorf(value.ErrType, "%s: expected %s, got %s", tc.What, value.Print(tc.Type), value.Describe(v)))
		}
	})
	fn("helper", []api.ValueType{i32, i32, i32}, []api.ValueType{i64}, func(vm *VM, s []uint64) {
		id := int(uint32(s[0]))
		if id >= len(guest.HelperNames) {
			vm.stop(fmt.Errorf("microvm: the guest asked for unknown helper %d", id))
		}
		b, _ := stdlib.Lookup(guest.HelperNames[id])
		args := vm.readArgs(uint32(s[1]), uint32(s[2]))
		if !b.AcceptsArity(len(args)) {
			s[0] = vm.raise(value.ArityError(b.Name, len(args)))
			return
		}
		v, err := b.Fn(helperCaller{vm}, args)
		if err != nil {
			s[0] = vm.raise(err)
			return
		}
		s[0] = vm.write(v)
	})
	_, err := b.Instantiate(ctx)
	return err
}

func (vm *VM) checkpoint(name value.Value) uint64 {
	if err := vm.host.Checkpoint(vm.ctx, name); err != nil {
		return vm.raise(err)
	}
	return layout.Nil
}

// helperCaller is what a host helper sees of its VM: its fuel and memory limits.
// Helpers never call functions (those library functions run in the guest).
type helperCaller struct{ vm *VM }

func (c helperCaller) Call(value.Value, []value.Value) (value.Value, error) {
	return nil, fmt.Errorf("microvm: a host helper cannot call a function")
}

// Charge takes fuel from the guest's current slice, refilling it as the guest would.
func (c helperCaller) Charge(n int) error {
	vm := c.vm
	left := int64(vm.global(guest.GlobalFuel)) - int64(n)
	vm.setGlobal(guest.GlobalFuel, uint64(left))
	if left < 0 {
		vm.setGlobal(guest.GlobalFuel, uint64(vm.refuel()))
	}
	return nil
}

func (c helperCaller) Allocate(n int64) error {
	if n > c.vm.limits.Memory {
		return &value.LimitError{Limit: value.LimitMemory}
	}
	return nil
}

// stop ends the VM: the guest unwinds and Run returns err.
func (vm *VM) stop(err error) {
	if vm.stopped == nil {
		vm.stopped = err
	}
	panic(stopSignal{})
}

func (vm *VM) refuel() int64 {
	if vm.ctx.Err() != nil {
		vm.stop(&value.LimitError{Limit: value.LimitTimeout})
	}
	left := int64(vm.global(guest.GlobalFuel)) // at most 0: what the guest overspent
	used := vm.granted - left
	remaining := vm.limits.Fuel - used
	if remaining < 0 {
		vm.stop(&value.LimitError{Limit: value.LimitFuel})
	}
	grant := min(int64(fuelSlice), remaining)
	vm.granted += grant
	return left + grant
}

func (vm *VM) reader() heap.Reader { return heap.Reader{Mem: vm.inst.Memory()} }

func (vm *VM) read(v uint64) (value.Value, error) { return vm.reader().Read(v) }

func (vm *VM) mustRead(v uint64) value.Value {
	x, err := vm.read(v)
	if err != nil {
		vm.stop(err)
	}
	return x
}

func (vm *VM) readArgs(addr, n uint32) []value.Value {
	out := make([]value.Value, n)
	vm.readWords(out, addr)
	return out
}

// readWords reads len(out) values laid out at addr.
func (vm *VM) readWords(out []value.Value, addr uint32) {
	for i := range out {
		w, _ := vm.inst.Memory().ReadUint64Le(addr + uint32(8*i))
		out[i] = vm.mustRead(w)
	}
}

// writer writes values into the guest; its instance is made once for the VM's context.
func (vm *VM) writer() heap.Writer {
	if vm.heap.ctx != vm.ctx {
		vm.heap.in, vm.heap.ctx = heap.Module(vm.ctx, vm.inst), vm.ctx
	}
	return heap.Writer{In: vm.heap.in}
}

// callArgs reads a host call's capability id and arguments. An id that is a keyword, as
// nearly all are, is looked up among those the VM met before rather than read again:
// most plans call a few capabilities many times.
func (vm *VM) callArgs(addr, n uint32) []value.Value {
	out := make([]value.Value, n)
	w, _ := vm.inst.Memory().ReadUint64Le(addr)
	name, ok := vm.reader().KeywordBytes(w)
	if !ok {
		vm.readWords(out, addr)
		return out
	}
	id, known := vm.capabilities[string(name)]
	if !known {
		id = value.Keyword(name)
		if len(vm.capabilities) < maxCapabilityIDs {
			if vm.capabilities == nil {
				vm.capabilities = map[string]value.Value{}
			}
			vm.capabilities[string(name)] = id
		}
	}
	out[0] = id
	vm.readWords(out[1:], addr+8)
	return out
}

// maxCapabilityIDs bounds the ids a VM remembers (a plan may compute them).
const maxCapabilityIDs = 64

func (vm *VM) write(v value.Value) uint64 {
	g, err := vm.writer().Write(v)
	if err != nil {
		vm.stop(vm.failure(err))
	}
	return g
}

// raise hands an RTFS error to the guest: the error map goes into the err global and the
// guest gets Err. Anything else stops the VM.
func (vm *VM) raise(err error) uint64 {
	e, ok := err.(*value.Error)
	if !ok {
		vm.stop(vm.failure(err))
	}
	vm.setGlobal(guest.GlobalErr, vm.write(e.ToMap()))
	return layout.Err
}

func (vm *VM) hostCall(addr, n uint32, opts uint64) uint64 {
	// The frame ends after the arguments, and the options when the call has any.
	scanEnd := addr + 8*n
	if opts != layout.Nil {
		scanEnd += 8
	}
	if vm.arrive(scanEnd, nil) {
		return layout.Err
	}
	req, err := vm.request(vm.callArgs(addr, n), vm.mustRead(opts))
	if err != nil {
		return vm.raise(err)
	}
	v, err := vm.host.Call(vm.ctx, req)
	if err != nil {
		if vm.suspend(err, scanEnd) {
			return layout.Err
		}
		return vm.raise(err)
	}
	return vm.write(v)
}

// hostBatch carries out the calls of a parallel form: n vectors [capability args...
// options] laid out at addr.
func (vm *VM) hostBatch(addr, n uint32) uint64 {
	if vm.arrive(addr+8*n, nil) {
		return layout.Err
	}
	reqs := make([]*host.Request, n)
	for i, c := range vm.readArgs(addr, n) {
		parts := c.(*value.Vector).Slice()
		req, err := vm.request(parts[:len(parts)-1], parts[len(parts)-1])
		if err != nil {
			return vm.raise(err)
		}
		reqs[i] = req
	}
	outs := vm.host.Batch(vm.ctx, reqs)
	vals := make([]value.Value, len(outs))
	for i, o := range outs {
		if o.Err != nil {
			return vm.raise(o.Err)
		}
		vals[i] = o.Value
	}
	return vm.write(value.NewVector(vals))
}

// request makes the host request of a call: its capability id and arguments, and its
// options (nil or a map).
func (vm *VM) request(parts []value.Value, opts value.Value) (*host.Request, error) {
	var id string
	switch c := parts[0].(type) {
	case value.Keyword:
		id = string(c)
	case value.String:
		id = string(c)
	default:
		return nil, value.TypeError("call", "a capability id (keyword or string)", parts[0])
	}
	vm.seq++
	req := &host.Request{Capability: id, Args: parts[1:], StepPath: append([]string(nil), vm.steps...), Seq: vm.seq}
	if !value.IsNil(opts) {
		m, ok := opts.(*value.Map)
		if !ok {
			return nil, value.TypeError("call", "a map of call options", opts)
		}
		req.Options = m
	}
	return req, nil
}

// step reports a step starting (phase 0), completing (1) or failing (2).
func (vm *VM) step(phase uint32, name, v uint64) uint64 {
	var ev host.StepEvent
	switch phase {
	case 0:
		vm.steps = append(vm.steps, value.Str(vm.mustRead(name)))
		ev = host.StepEvent{Path: append([]string(nil), vm.steps...), Phase: host.StepStarted}
	case 1:
		ev = host.StepEvent{Path: append([]string(nil), vm.steps...), Phase: host.StepCompleted, Result: vm.mustRead(v)}
		vm.steps = vm.steps[:len(vm.steps)-1]
	default:
		errMap := vm.mustRead(v)
		e, _ := value.ErrorFromValue(errMap)
		ev = host.StepEvent{Path: append([]string(nil), vm.steps...), Phase: host.StepFailed, Err: e}
		vm.steps = vm.steps[:len(vm.steps)-1]
	}
	if err := vm.host.Step(vm.ctx, ev); err != nil {
		return vm.raise(err)
	}
	return layout.Nil
}
