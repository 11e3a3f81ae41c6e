package microvm

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/klauspost/compress/s2"

	"github.com/tetratelabs/wazero/api"

	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/internal/guest"
	"github.com/rtfsvm/rtfsvm/internal/layout"
	"github.com/rtfsvm/rtfsvm/value"
)

// A snapshot is taken with the guest unwound (see guest/snapshot.go): its Wasm stack is
// empty, every value is in linear memory, and the heap has just been compacted. It holds
// the static data and the shadow stack up to the innermost frame, the heap, the globals
// of guest.SnapshotGlobals, and what the VM keeps on the host side (its host calls so
// far, its open steps, the fuel granted).

// unwinding is why the guest is unwinding, and from where.
type unwinding struct {
	scanEnd    uint32 // the end of the innermost frame: the collector's roots end there
	suspended  error  // the suspension that stops the run once the snapshot is kept
	checkpoint value.Value
}

// arrive is the start of every import that is a site (host calls, batches,
// checkpoints). It reports true when the guest must unwind now for a snapshot, the
// import then returning Err; rewinding, it is where the guest has come back down to.
func (vm *VM) arrive(scanEnd uint32, checkpoint value.Value) bool {
	if vm.rewinding {
		vm.rewinding = false
		vm.mode.Set(0)
		return false
	}
	if vm.snapshots == nil || !vm.snapshots.SnapshotDue(vm.seq+1, checkpoint) || vm.pinned() {
		return false
	}
	vm.unwind(&unwinding{scanEnd: scanEnd, checkpoint: checkpoint})
	return true
}

// suspend unwinds the guest for a snapshot before the run stops for err, a suspension,
// when it can: the host call that suspended is made again when the run resumes.
func (vm *VM) suspend(err error, scanEnd uint32) bool {
	var s host.Suspension
	if vm.snapshots == nil || !errors.As(err, &s) || vm.pinned() {
		return false
	}
	vm.seq--
	vm.unwind(&unwinding{scanEnd: scanEnd, suspended: err})
	return true
}

func (vm *VM) unwind(u *unwinding) {
	vm.unwinding = u
	vm.mode.Set(guest.ModeUnwinding)
}

func (vm *VM) pinned() bool { return vm.inst.ExportedGlobal(guest.GlobalPins).Get() != 0 }

// snapshotted takes the snapshot of an unwound guest and gives it to the host; it
// returns the suspension that ends the run, if that was why.
func (vm *VM) snapshotted() error {
	u := vm.unwinding
	vm.unwinding = nil
	vm.mode.Set(0)
	data, err := vm.capture(u.scanEnd)
	if err != nil {
		return err
	}
	s := &host.Snapshot{Seq: vm.seq, Steps: append([]string(nil), vm.steps...), Checkpoint: u.checkpoint,
		Suspended: u.suspended != nil, Data: data}
	if err := vm.snapshots.Snapshot(vm.ctx, s); err != nil {
		return err
	}
	return u.suspended
}

const snapshotMagic = "rtfsvm-snapshot\x02"

// Snapshots are compressed with S2 (Snappy's successor): a typical VM's few kilobytes
// in microseconds, with no setup (flate's writer alone takes a megabyte, zstd's entropy
// tables cost more than the data at these sizes).
var rawBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// diffChunk is the grain at which the static data is compared with the module's image.
const diffChunk = 64

// capture compacts the heap and encodes the state. The collection is not charged: a
// snapshot must not change how much fuel the plan uses. The static data is kept as its
// differences from the module's image (the globals area and the literals change; the
// rest never does), the shadow stack up to the innermost frame, and the heap.
func (vm *VM) capture(scanEnd uint32) ([]byte, error) {
	heapBase, hp := uint32(vm.global(guest.GlobalHeapBase)), uint32(vm.global(guest.GlobalHP))
	// A heap that grew by less than a quarter since the last snapshot compacted it is
	// kept as it is: a plan that holds much and allocates little between snapshots does
	// not copy its data at each one. (The choice depends on the heap alone: a replay
	// makes the same.)
	gcCount := vm.global(guest.GlobalGCCount)
	if gcCount != vm.compacted.gcCount || hp-heapBase >= vm.compacted.heap+vm.compacted.heap/4+1 {
		fuel := vm.global(guest.GlobalFuel)
		if vm.collect == nil {
			vm.collect = vm.inst.ExportedFunction("gc_collect")
		}
		if _, err := vm.collect.Call(vm.ctx, uint64(scanEnd), layout.Nil); err != nil {
			return nil, fmt.Errorf("microvm: compacting the heap for a snapshot: %w", err)
		}
		vm.setGlobal(guest.GlobalFuel, fuel)
		hp = uint32(vm.global(guest.GlobalHP))
		vm.compacted.gcCount, vm.compacted.heap = vm.global(guest.GlobalGCCount), hp-heapBase
	}
	mem := vm.inst.Memory()
	stackBase := heapBase - vm.stackBytes
	var regions [][2]uint32
	image := vm.module.image
	static, _ := mem.Read(0, uint32(len(image)))
	for at := 0; at < len(image); at += diffChunk {
		end := min(at+diffChunk, len(image))
		if bytes.Equal(static[at:end], image[at:end]) {
			continue
		}
		if n := len(regions); n > 0 && regions[n-1][1] == uint32(at) {
			regions[n-1][1] = uint32(end)
		} else {
			regions = append(regions, [2]uint32{uint32(at), uint32(end)})
		}
	}
	regions = append(regions, [2]uint32{stackBase, scanEnd}, [2]uint32{heapBase, hp})
	raw := rawBuffers.Get().(*bytes.Buffer)
	defer rawBuffers.Put(raw)
	raw.Reset()
	w := func(vs ...any) {
		for _, v := range vs {
			binary.Write(raw, binary.LittleEndian, v)
		}
	}
	h := vm.module.Hash()
	raw.Write(h[:])
	w(uint64(vm.limits.Memory), vm.stackBytes, uint64(vm.seq), vm.granted, uint32(len(vm.steps)))
	for _, s := range vm.steps {
		w(uint32(len(s)))
		raw.WriteString(s)
	}
	for _, name := range guest.SnapshotGlobals {
		w(vm.global(name))
	}
	w(uint32(len(regions)))
	for _, r := range regions {
		b, ok := mem.Read(r[0], r[1]-r[0])
		if !ok || r[1] < r[0] {
			return nil, fmt.Errorf("microvm: snapshot region [%d, %d) is outside the memory", r[0], r[1])
		}
		w(r[0], r[1]-r[0])
		raw.Write(b)
	}
	out := make([]byte, len(snapshotMagic), len(snapshotMagic)+s2.MaxEncodedLen(raw.Len()))
	copy(out, snapshotMagic)
	return append(out, s2.Encode(out[len(snapshotMagic):cap(out)], raw.Bytes())...), nil
}

// ErrSnapshot is the error of a snapshot that cannot be restored.
var ErrSnapshot = errors.New("the snapshot cannot be restored")

// Restore spawns a VM in the state of a snapshot taken from a VM of the same module
// and limits; run, it makes the host call the snapshot was taken before, and goes on.
// The environment is in the snapshot: opts.Env is not used.
func (m *Module) Restore(ctx context.Context, e *Engine, opts SpawnOptions, data []byte) (*VM, error) {
	vm, err := m.spawn(ctx, e, opts, false)
	if err != nil {
		return nil, err
	}
	if err := vm.restore(data); err != nil {
		vm.inst.Close(ctx)
		return nil, err
	}
	return vm, nil
}

func (vm *VM) restore(data []byte) error {
	bad := func(why string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrSnapshot, fmt.Sprintf(why, args...))
	}
	if !bytes.HasPrefix(data, []byte(snapshotMagic)) {
		return bad("it is not a snapshot of this version")
	}
	body := data[len(snapshotMagic):]
	if n, err := s2.DecodedLen(body); err != nil || int64(n) > 2*vm.limits.Memory+1<<20 {
		return bad("its length is damaged")
	}
	raw, err := s2.Decode(nil, body)
	if err != nil {
		return bad("%v", err)
	}
	r := bytes.NewReader(raw)
	var fail error
	rd := func(vs ...any) {
		for _, v := range vs {
			if err := binary.Read(r, binary.LittleEndian, v); err != nil && fail == nil {
				fail = bad("it is truncated")
			}
		}
	}
	var hash [32]byte
	var memLimit, seq uint64
	var stackBytes, nsteps uint32
	rd(&hash, &memLimit, &stackBytes, &seq, &vm.granted, &nsteps)
	if fail != nil {
		return fail
	}
	if hash != vm.module.Hash() {
		return bad("it was taken of another module")
	}
	if int64(memLimit) != vm.limits.Memory || stackBytes != vm.stackBytes {
		return bad("it was taken with other limits (memory %d, stack %d; now %d, %d)", memLimit, stackBytes, vm.limits.Memory, vm.stackBytes)
	}
	vm.seq = int(seq)
	vm.steps = nil
	for i := uint32(0); i < nsteps && fail == nil; i++ {
		var n uint32
		rd(&n)
		if int(n) > r.Len() {
			return bad("it is truncated")
		}
		s := make([]byte, n)
		r.Read(s)
		vm.steps = append(vm.steps, string(s))
	}
	globals := make([]uint64, len(guest.SnapshotGlobals))
	rd(globals)
	if fail != nil {
		return fail
	}
	mem := vm.inst.Memory()
	// Memory above the heap pointer must be zero (the allocator relies on it): clear
	// what binding the environment at spawn allocated.
	heapBase := uint32(vm.global(guest.GlobalHeapBase))
	if hp := uint32(vm.global(guest.GlobalHP)); hp > heapBase {
		b, _ := mem.Read(heapBase, hp-heapBase)
		clear(b)
	}
	for i, name := range guest.SnapshotGlobals {
		if name == guest.GlobalHeapEnd {
			if have := uint64(mem.Size()); globals[i] > have {
				if _, ok := mem.Grow(uint32((globals[i] - have + layout.PageSize - 1) / layout.PageSize)); !ok {
					return bad("its memory does not fit the limit")
				}
			}
			globals[i] = uint64(mem.Size())
		}
	}
	var regions uint32
	rd(&regions)
	for range regions {
		var addr, n uint32
		rd(&addr, &n)
		if fail != nil || int(n) > r.Len() {
			return bad("it is truncated")
		}
		b := make([]byte, n)
		r.Read(b)
		if !mem.Write(addr, b) {
			return bad("a region lies outside the memory")
		}
	}
	for i, name := range guest.SnapshotGlobals {
		vm.setGlobal(name, globals[i])
	}
	if vm.mode == nil && !vm.bindMode() {
		return bad("its module takes no snapshots")
	}
	vm.rewinding = true
	vm.mode.Set(guest.ModeRewinding)
	return nil
}

// bindMode finds the guest's mode global; false: the module predates snapshots.
func (vm *VM) bindMode() bool {
	vm.mode, _ = vm.inst.ExportedGlobal(guest.GlobalMode).(api.MutableGlobal)
	return vm.mode != nil
}
