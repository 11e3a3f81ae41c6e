// Package microvm runs compiled plans in MicroVMs: wazero instances with no WASI and no
// ambient access, whose only imports are the host functions of this package, under a
// deterministic fuel budget, a memory limit, a stack limit and a wall-clock limit.
//
// Compile once, spawn many: an Engine compiles a plan to a Module (cached by the hash of
// its Wasm), and each Spawn instantiates a fresh VM from it in microseconds.
package microvm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/internal/compile"
	"github.com/rtfsvm/rtfsvm/internal/guest"
	"github.com/rtfsvm/rtfsvm/internal/heap"
	"github.com/rtfsvm/rtfsvm/internal/layout"
	"github.com/rtfsvm/rtfsvm/ir"
	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
)

// Defaults of the limits.
const (
	DefaultFuel       = 1_000_000_000
	DefaultMemory     = 64 << 20
	DefaultStackBytes = 512 << 10
	// fuelSlice is how much fuel the guest gets at a time: the wall clock is looked at
	// once a slice, in the fuel slow path, never in the hot path.
	fuelSlice = 1 << 20
)

// Config configures an Engine.
type Config struct {
	// CacheDir, when set, keeps wazero's compiled machine code there across processes.
	CacheDir string
	// Unmetered compiles plans without fuel charges at function entries and loops:
	// only to measure what metering costs.
	Unmetered bool
	// GCStress compiles plans whose garbage collector runs at every safe point after an
	// allocation: only to test the collector.
	GCStress bool
	// Tiered makes a new module ready at once: Compile and Load compile it for wazero's
	// interpreter (tier 0, a few times faster to compile), and wazero's optimizing
	// compiler (tier 1) compiles it in the background. Spawn uses tier 1 as soon as it is
	// ready; a VM keeps the tier it was spawned on. Module.WaitOptimized waits for tier 1.
	// A module whose machine code is already known (compiled by this engine, or by an
	// earlier process into CacheDir) is compiled for tier 1 at once.
	Tiered bool
	// Tier0Only keeps every module on tier 0 (wazero's interpreter) and never compiles
	// tier 1: to test and measure tier 0.
	Tier0Only bool

	// hold, when set, delays tier-1 compilations until it is closed (tests).
	hold chan struct{}
}

// Engine compiles plans and keeps what it compiled.
type Engine struct {
	cfg     Config
	runtime wazero.Runtime // tier 1: wazero's optimizing compiler
	interp  wazero.Runtime // tier 0: wazero's interpreter; nil unless tiered
	mu      sync.Mutex
	modules map[[32]byte]*Module
	order   [][32]byte // the keys of modules, oldest first
	bg      background
}

// NewEngine starts an engine. Close it to release its compiled code.
func NewEngine(ctx context.Context, cfg Config) (*Engine, error) {
	rc := wazero.NewRuntimeConfigCompiler().WithCoreFeatures(api.CoreFeaturesV2)
	if cfg.CacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, err
		}
		rc = rc.WithCompilationCache(cache)
	}
	e := &Engine{cfg: cfg, runtime: wazero.NewRuntimeWithConfig(ctx, rc), modules: map[[32]byte]*Module{}}
	if cfg.Tiered || cfg.Tier0Only {
		e.interp = wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(api.CoreFeaturesV2))
		e.bg.start()
	}
	for _, r := range e.runtimes() {
		if err := instantiateHost(ctx, r); err != nil {
			e.Close(ctx)
			return nil, err
		}
	}
	return e, nil
}

func (e *Engine) runtimes() []wazero.Runtime {
	if e.interp == nil {
		return []wazero.Runtime{e.runtime}
	}
	return []wazero.Runtime{e.runtime, e.interp}
}

// Close releases everything the engine compiled. It first cancels the background
// compilations that have not started and waits for those under way.
func (e *Engine) Close(ctx context.Context) error {
	e.bg.stop()
	e.bg.wait()
	var err error
	for _, r := range e.runtimes() {
		err = errors.Join(err, r.Close(ctx))
	}
	return err
}

// Module is a compiled plan, ready to spawn VMs.
type Module struct {
	plan *compile.Program
	*code
	engine *Engine
	// done is closed when tier 1 is settled: tier1 is set, or tier1Err says why not.
	// state is where tier 1 stands (tier1Idle, ...), under engine.bg.mu.
	done     chan struct{}
	state    int
	tier1Err error
	// image is the static data as instantiation writes it (from the first VM): a
	// snapshot keeps only how a VM's static data differs from it.
	imageOnce sync.Once
	image     []byte
}

// code is what a module holds outside the Go heap, or in wazero's keeping: its compiled
// code and its pool of linear memories. It refers to nothing of the Module, so that it
// can be released once the Module is unreachable (release).
type code struct {
	// tier0 is the module compiled for the interpreter: nil when tier 1 was compiled at
	// once, and released when tier 1 is ready (the interpreter's code takes some 300 KB
	// of Go heap a module; VMs spawned on it keep what they use). tier0Mu keeps it from
	// being released while a VM is instantiated from it.
	tier0Mu  sync.RWMutex
	tier0    wazero.CompiledModule
	tier1    wazero.CompiledModule // set under engine.bg.mu, with done
	memories memoryPool            // shared by both tiers: the linear memory is the same
}

// release closes a module's compiled code and unmaps its pooled memories, once the
// module is unreachable: its engine forgot it (maxModules) and no caller, VM or queue
// holds it.
func (c *code) release() {
	ctx := context.Background()
	if c.tier0 != nil {
		c.tier0.Close(ctx)
	}
	if c.tier1 != nil {
		c.tier1.Close(ctx)
	}
	c.memories.drain()
}

// maxModules bounds the modules an engine keeps by hash, for Compile and Load to find
// again: past it, the oldest is forgotten, and released once nothing holds it. Without a
// bound, a host that runs many distinct plans would keep the machine code and memories
// of every one (a test of 20,000 random plans ran out of memory mappings).
var maxModules = 512

// Inputs lists the plan's free symbols, which the initial environment must bind.
func (m *Module) Inputs() []compile.Input { return m.plan.Inputs }

// Capabilities lists the literal capability ids the plan calls.
func (m *Module) Capabilities() []string { return m.plan.Capabilities }

// Hash identifies the module's Wasm.
func (m *Module) Hash() [32]byte { return m.plan.Hash }

// Binary is the module's Wasm.
func (m *Module) Binary() []byte { return m.plan.Binary }

// Optimized reports whether tier 1 (wazero's optimizing compiler) is ready: VMs spawned
// from now on run its machine code.
func (m *Module) Optimized() bool {
	select {
	case <-m.done:
		return m.tier1 != nil
	default:
		return false
	}
}

// WaitOptimized waits until tier 1 is ready, so that the VMs spawned afterwards run
// optimized machine code. It returns at once for a module of an engine without tiering.
// An error means tier 1 will not come (the engine was closed, or the compiler failed);
// the module still spawns VMs on tier 0.
func (m *Module) WaitOptimized(ctx context.Context) error {
	if !m.Optimized() {
		m.engine.wantTier1(m) // it may have dropped out of the queue
	}
	select {
	case <-m.done:
		return m.tier1Err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Compile compiles a resolved plan, or returns the module compiled before for the same
// Wasm.
func (e *Engine) Compile(ctx context.Context, prog *ir.Program) (*Module, error) {
	plan, err := compile.Compile(prog, compile.Options{Unmetered: e.cfg.Unmetered, GCStress: e.cfg.GCStress})
	if err != nil {
		return nil, err
	}
	return e.add(ctx, plan)
}

// Load prepares a module written by Module.Binary (rtfsvm compile).
func (e *Engine) Load(ctx context.Context, wasm []byte) (*Module, error) {
	plan, err := compile.Load(wasm)
	if err != nil {
		return nil, err
	}
	return e.add(ctx, plan)
}

func (e *Engine) add(ctx context.Context, plan *compile.Program) (*Module, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if m, ok := e.modules[plan.Hash]; ok {
		return m, nil
	}
	m := &Module{plan: plan, code: &code{}, engine: e, done: make(chan struct{})}
	runtime.AddCleanup(m, (*code).release, m.code)
	tiered := e.interp != nil && (e.cfg.Tier0Only || !e.knownOptimized(plan.Hash))
	if !tiered {
		compiled, err := compileModule(ctx, e.runtime, plan.Binary)
		if err != nil {
			return nil, err
		}
		m.settle(compiled, nil)
		e.remember(m)
		return m, nil
	}
	bin := plan.Binary
	if plan.ForInterpreter != nil {
		bin = plan.ForInterpreter
	}
	compiled, err := compileModule(ctx, e.interp, bin)
	if err != nil {
		return nil, err
	}
	m.tier0 = compiled
	if e.cfg.Tier0Only {
		m.settle(nil, errTier0Only)
	} else {
		e.wantTier1(m)
	}
	e.remember(m)
	return m, nil
}

// remember keeps a newly compiled module by its hash, forgetting the oldest past
// maxModules; the caller holds e.mu.
func (e *Engine) remember(m *Module) {
	e.modules[m.plan.Hash] = m
	e.order = append(e.order, m.plan.Hash)
	for len(e.modules) > maxModules {
		delete(e.modules, e.order[0])
		e.order = append(e.order[:0], e.order[1:]...)
	}
}

// compileModule is r.CompileModule, with a panic of wazero's compiler (which it raises
// when the system refuses it executable memory) as an error: it runs for a host that
// must outlive any plan.
func compileModule(ctx context.Context, r wazero.Runtime, bin []byte) (c wazero.CompiledModule, err error) {
	defer func() {
		if p := recover(); p != nil {
			c, err = nil, fmt.Errorf("microvm: wazero could not compile the plan: %v", p)
		}
	}()
	if c, err = r.CompileModule(ctx, bin); err != nil {
		return nil, fmt.Errorf("microvm: the compiled plan does not validate: %w", err)
	}
	return c, nil
}

// Limits bound one VM.
type Limits struct {
	Fuel       int64         // 0: DefaultFuel
	Memory     int64         // bytes of linear memory; 0: DefaultMemory
	Timeout    time.Duration // 0: none beyond the context's
	StackBytes uint32        // the shadow stack; 0: DefaultStackBytes
}

// SpawnOptions are a VM's initial environment, limits and host.
type SpawnOptions struct {
	Env    *value.Map
	Limits Limits
	Host   host.Host // nil: a local host with the built-in capabilities
}

// VM is one running instance of a module.
type VM struct {
	module  *Module
	engine  *Engine
	inst    api.Module
	host    host.Host
	ctx     context.Context
	limits  Limits
	granted int64 // fuel handed to the guest so far
	seq     int
	steps   []string
	stopped error // the limit or host failure that stopped the VM
	memory  experimental.LinearMemory
	// optimized: the VM runs tier 1's machine code, not the interpreter.
	optimized  bool
	stackBytes uint32
	// Snapshots (snapshot.go): the host that keeps them, or nil; the guest's mode
	// global; set while the guest goes back down to its host call, or unwinds.
	snapshots host.Snapshots
	mode      api.MutableGlobal
	collect   api.Function // the guest's collector, exported
	compacted struct {     // the heap after the collection of the last snapshot
		gcCount uint64
		heap    uint32
	}
	rewinding bool
	unwinding *unwinding

	heap struct { // the writer's instance, for ctx (writer)
		in  heap.Instance
		ctx context.Context
	}
	capabilities map[string]value.Value // the keyword ids of host calls so far (callArgs)
}

// Optimized reports whether the VM runs tier 1 (optimized machine code) rather than
// wazero's interpreter. It is fixed when the VM is spawned.
func (vm *VM) Optimized() bool { return vm.optimized }

type vmKey struct{}

// Spawn instantiates a VM with its initial environment bound.
func (m *Module) Spawn(ctx context.Context, e *Engine, opts SpawnOptions) (*VM, error) {
	return m.spawn(ctx, e, opts, true)
}

// spawn makes a VM, with its environment bound when bindEnv; otherwise it is to be
// restored from a snapshot, which only tier 1 can rewind into.
func (m *Module) spawn(ctx context.Context, e *Engine, opts SpawnOptions, bindEnv bool) (*VM, error) {
	lim := opts.Limits
	if lim.Fuel <= 0 {
		lim.Fuel = DefaultFuel
	}
	if lim.Memory <= 0 {
		lim.Memory = DefaultMemory
	}
	if lim.StackBytes == 0 {
		lim.StackBytes = DefaultStackBytes
	}
	if lim.Memory > 1<<32-layout.PageSize {
		lim.Memory = 1<<32 - layout.PageSize
	}
	if int64(m.plan.StaticEnd)+layout.PageSize > lim.Memory {
		// The plan's literals alone exceed the memory limit.
		return nil, &value.LimitError{Limit: value.LimitMemory}
	}
	vm := &VM{module: m, engine: e, host: opts.Host, limits: lim}
	if vm.host == nil {
		vm.host = host.NewLocal(nil)
	}
	ictx := experimental.WithMemoryAllocator(ctx, experimental.MemoryAllocatorFunc(func(_, _ uint64) experimental.LinearMemory {
		size := guest.MemoryReserve(uint64(lim.Memory)) // the collector's room above the limit
		if mem := m.memories.get(size); mem != nil {
			vm.memory = mem
		} else {
			vm.memory = reserve(size)
		}
		return vm.memory
	}))
	inst, err := m.instantiate(ictx, e, vm, min(lim.StackBytes, uint32(lim.Memory/4)), !bindEnv)
	if err != nil {
		return nil, err
	}
	vm.inst = inst
	m.imageOnce.Do(func() {
		b, _ := inst.Memory().Read(0, m.plan.StaticEnd)
		m.image = bytes.Clone(b)
	})
	vm.stackBytes = min(lim.StackBytes, uint32(lim.Memory/4))
	if err := guest.Setup(inst, vm.stackBytes, uint32(lim.Memory)); err != nil {
		inst.Close(ctx)
		return nil, &value.LimitError{Limit: value.LimitMemory}
	}
	// A module compiled before snapshots has no mode: it takes none. Nor does a VM on
	// tier 0, whose code has no resume points: a run resumed from before its end replays
	// its history (RATIONALE.md).
	if s, ok := vm.host.(host.Snapshots); ok && vm.optimized && vm.bindMode() {
		vm.snapshots = s
	}
	if !bindEnv {
		vm.ctx = context.WithValue(ctx, vmKey{}, vm)
		return vm, nil
	}
	env := opts.Env
	if env == nil {
		env = value.EmptyMap
	}
	vm.ctx = context.WithValue(ctx, vmKey{}, vm)
	w := vm.writer()
	for _, in := range m.plan.Inputs {
		v, ok := env.Get(value.Keyword(in.Name))
		if !ok {
			inst.Close(ctx)
			return nil, &syntax.Error{Pos: in.Pos, Msg: fmt.Sprintf("%s is not defined: it is neither a local, a definition nor a library function, and the environment does not bind it", in.Name)}
		}
		gv, err := w.Write(v)
		if err != nil {
			inst.Close(ctx)
			return nil, vm.failure(err)
		}
		inst.Memory().WriteUint64Le(m.plan.GlobalsAddr+uint32(8*in.Global), gv)
	}
	return vm, nil
}

// instanceConfig configures every VM's instance. It is made once: each With clones it.
var instanceConfig = wazero.NewModuleConfig().WithName("").WithStartFunctions().WithRandSource(noRandomness{})

// instantiate makes the VM's instance on tier 1 when it is ready, else on tier 0 unless
// the VM is to rewind (restored from a snapshot).
func (m *Module) instantiate(ctx context.Context, e *Engine, vm *VM, stack uint32, rewinds bool) (api.Module, error) {
	cfg := instanceConfig
	if !m.Optimized() {
		if !rewinds && (e.cfg.Tier0Only || tier0Fits(stack)) {
			m.tier0Mu.RLock()
			if m.tier0 != nil {
				defer m.tier0Mu.RUnlock()
				if !e.cfg.Tier0Only {
					e.wantTier1(m) // it may have dropped out of the queue
				}
				return e.interp.InstantiateModule(ctx, m.tier0, cfg)
			}
			m.tier0Mu.RUnlock() // released: tier 1 is ready
		}
		// A shadow stack this deep could take the interpreter past its call depth: the
		// VM waits for tier 1, which has no such bound.
		if err := m.WaitOptimized(ctx); err != nil {
			return nil, err
		}
	}
	vm.optimized = true
	return e.runtime.InstantiateModule(ctx, m.tier1, cfg)
}

// Close releases the VM. Its memory goes back to the module's pool when it can be reused.
func (vm *VM) Close(ctx context.Context) error {
	if r, ok := vm.memory.(recyclable); ok && vm.stopped == nil {
		r.recycle(&vm.module.memories, uint32(vm.global(guest.GlobalStackLimit)), uint32(vm.global(guest.GlobalHP)))
	}
	return vm.inst.Close(ctx)
}

// Run runs the plan to its value. Errors are *value.Error (uncaught RTFS error, with
// At), *value.LimitError, or a host failure.
func (vm *VM) Run(ctx context.Context) (value.Value, error) {
	if vm.limits.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, vm.limits.Timeout)
		defer cancel()
	}
	vm.ctx = context.WithValue(ctx, vmKey{}, vm)
	run := vm.inst.ExportedFunction("run")
	for {
		out, err := run.Call(vm.ctx)
		if vm.stopped != nil {
			return nil, vm.stopped
		}
		if err != nil {
			return nil, fmt.Errorf("microvm: the VM failed: %w", err)
		}
		if out[0] == layout.Err && vm.unwinding != nil {
			// Unwound for a snapshot: keep it, then go back down to the host call
			// (unless the run stops there).
			if err := vm.snapshotted(); err != nil {
				return nil, err
			}
			vm.rewinding = true
			vm.mode.Set(guest.ModeRewinding)
			continue
		}
		if out[0] == layout.Err {
			return nil, vm.uncaught()
		}
		return vm.read(out[0])
	}
}

// uncaught converts the error in the guest's err global.
func (vm *VM) uncaught() error {
	ev, err := vm.read(vm.global(guest.GlobalErr))
	if err != nil {
		return err
	}
	e, ok := value.ErrorFromValue(ev)
	if !ok {
		return fmt.Errorf("microvm: the guest raised %s, which is not an error map", value.Print(ev))
	}
	if at := int(vm.global(guest.GlobalErrAt)); at > 0 && at < len(vm.module.plan.Positions) {
		e.At = vm.module.plan.Positions[at]
	}
	return e
}

func (vm *VM) global(name string) uint64 { return vm.inst.ExportedGlobal(name).Get() }

func (vm *VM) setGlobal(name string, v uint64) {
	vm.inst.ExportedGlobal(name).(api.MutableGlobal).Set(v)
}

// failure records what stops the VM; a limit stays a limit.
func (vm *VM) failure(err error) error {
	var le *value.LimitError
	if errors.As(err, &le) {
		return le
	}
	return err
}

// noRandomness is the random source of every VM's system context, which no guest can
// reach (there is no WASI): it saves wazero seeding a generator for each instance.
type noRandomness struct{}

func (noRandomness) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
