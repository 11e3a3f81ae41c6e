// Package rtfsvm runs plans written in RTFS 2.0. It ties the stages together: syntax
// reads a plan, resolve turns it into the IR, and an engine runs the IR against a host.
// The rtfsvm command (cmd/rtfsvm) is a thin layer over this package.
package rtfsvm

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/interp"
	"github.com/rtfsvm/rtfsvm/ir"
	"github.com/rtfsvm/rtfsvm/microvm"
	"github.com/rtfsvm/rtfsvm/resolve"
	"github.com/rtfsvm/rtfsvm/stdlib"
	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
)

// Engines.
const (
	EngineInterp = "interp" // the reference interpreter
	EngineWasm   = "wasm"   // RTFS compiled to WebAssembly, run in a MicroVM
	// EngineWasmGCStress is the MicroVM engine with the guest's garbage collector in its
	// stress mode (a collection at every safe point after an allocation): for tests.
	EngineWasmGCStress = "wasm-gcstress"
)

// Load reads and resolves a plan. Errors are *syntax.Error, with a position.
func Load(file, src string) (*ir.Program, error) {
	forms, err := syntax.Read(file, src)
	if err != nil {
		return nil, err
	}
	prog, err := resolve.Program(file, forms, stdlib.Lookup)
	if err != nil {
		return nil, err
	}
	prog.Source = forms
	return prog, nil
}

// loadFor is Load for an engine: the MicroVM's compiles the prelude with the plan, so
// its program is resolved with the prelude at once rather than once without it (Load)
// and again with it (Prepare).
func loadFor(engine, file, src string) (*ir.Program, error) {
	if engine == EngineInterp {
		return Load(file, src)
	}
	forms, err := syntax.Read(file, src)
	if err != nil {
		return nil, err
	}
	return resolve.ProgramWith(file, forms, stdlib.ResolvedPrelude())
}

// Options configure one run.
type Options struct {
	Engine  string     // EngineInterp or EngineWasm; "" means the default engine
	Env     *value.Map // the initial environment; nil is {}
	Host    host.Host  // nil: a local host with the built-in capabilities
	Fuel    int64      // 0: the default budget
	Memory  int64      // linear-memory limit in bytes; 0: the default
	Timeout time.Duration
	// From, when set, is a snapshot (host.Snapshot.Data) of an earlier run of the same
	// plan with the same limits: the run goes on from there (MicroVM only). Env is then
	// not used: the environment is in the snapshot.
	From []byte
}

// DefaultEngine is the engine used when Options.Engine is empty.
const DefaultEngine = EngineWasm

// Run runs a loaded plan to its value. Errors are *syntax.Error (an input left unbound),
// *value.Error (an uncaught RTFS error), *value.LimitError, or an error of the host.
func Run(ctx context.Context, prog *ir.Program, opts Options) (value.Value, error) {
	p, err := Prepare(ctx, prog, opts.Engine)
	if err != nil {
		return nil, err
	}
	return p.Run(ctx, opts)
}

// Prepared is a plan compiled for one engine, ready to run any number of times.
type Prepared struct {
	engine string
	caps   []string
	interp *interp.Program
	wasm   *microvm.Module
	eng    *microvm.Engine // the engine of wasm; nil: Engine()
}

// Prepare compiles a loaded plan for an engine ("" is the default engine).
func Prepare(ctx context.Context, prog *ir.Program, engine string) (*Prepared, error) {
	if engine == "" {
		engine = DefaultEngine
	}
	switch engine {
	case EngineInterp:
		return &Prepared{engine: EngineInterp, caps: prog.Capabilities, interp: interp.Compile(prog)}, nil
	case EngineWasm, EngineWasmGCStress:
		eng, err := Engine()
		if engine == EngineWasmGCStress {
			eng, err = gcStressEngine()
		}
		if err != nil {
			return nil, err
		}
		if prog.Source != nil {
			// The wasm engine runs the library's higher-order functions from the
			// prelude, compiled with the plan.
			if prog, err = resolve.ProgramWith(prog.File, prog.Source, stdlib.ResolvedPrelude()); err != nil {
				return nil, err
			}
		}
		mod, err := eng.Compile(ctx, prog)
		if err != nil {
			return nil, err
		}
		return &Prepared{engine: engine, caps: mod.Capabilities(), wasm: mod, eng: eng}, nil
	}
	return nil, fmt.Errorf("unknown engine %q: use %s or %s", engine, EngineWasm, EngineInterp)
}

// Run runs the prepared plan; opts.Engine is ignored.
func (p *Prepared) Run(ctx context.Context, opts Options) (value.Value, error) {
	if opts.Env == nil {
		opts.Env = value.EmptyMap
	}
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	if p.interp != nil {
		if opts.From != nil {
			return nil, errors.New("only a MicroVM run can go on from a snapshot")
		}
		return p.interp.Run(ctx, opts.Env, interp.Options{Host: opts.Host, Fuel: opts.Fuel, Memory: opts.Memory})
	}
	eng := p.eng
	if eng == nil {
		var err error
		if eng, err = Engine(); err != nil {
			return nil, err
		}
	}
	spawn := microvm.SpawnOptions{Env: opts.Env, Host: opts.Host, Limits: microvm.Limits{Fuel: opts.Fuel, Memory: opts.Memory}}
	var vm *microvm.VM
	var err error
	if opts.From != nil {
		vm, err = p.wasm.Restore(ctx, eng, spawn, opts.From)
	} else {
		vm, err = p.wasm.Spawn(ctx, eng, spawn)
	}
	if err != nil {
		return nil, err
	}
	defer vm.Close(ctx)
	return vm.Run(ctx)
}

var (
	stressOnce   sync.Once
	stressEngine *microvm.Engine
	stressErr    error
)

func gcStressEngine() (*microvm.Engine, error) {
	stressOnce.Do(func() {
		stressEngine, stressErr = microvm.NewEngine(context.Background(), microvm.Config{GCStress: true})
	})
	return stressEngine, stressErr
}

// The process's MicroVM engine, made on first use: compiled modules are cached in it.
var (
	wasmOnce   sync.Once
	wasmEngine *microvm.Engine
	wasmErr    error
)

// Engine returns the process's MicroVM engine. It compiles in tiers
// (microvm.Config.Tiered): a newly prepared plan runs at once on wazero's interpreter
// while its optimized machine code is compiled in the background; Prepared.WaitOptimized
// waits for that code.
func Engine() (*microvm.Engine, error) {
	wasmOnce.Do(func() {
		wasmEngine, wasmErr = microvm.NewEngine(context.Background(), microvm.Config{CacheDir: cacheDir, Tiered: true})
		if wasmErr != nil && cacheDir != "" {
			// A cache that cannot be used only costs time.
			wasmEngine, wasmErr = microvm.NewEngine(context.Background(), microvm.Config{Tiered: true})
		}
	})
	return wasmEngine, wasmErr
}

var cacheDir string

// UseStore keeps the machine code of compiled plans under the store directory, so that
// later processes skip compiling them. It must be called before the first plan is
// prepared for the wasm engine.
func UseStore(dir string) { cacheDir = filepath.Join(dir, "cache", "wazero") }

// WaitOptimized waits until the plan's optimized machine code is ready, so that the runs
// started afterwards get it rather than wazero's interpreter. Both run the plan the same
// way (same values, errors, fuel and limits); only speed differs. It returns nil at once
// for the interpreter engine and for a plan whose code was ready (compiled before, or
// found in the store's cache). A process that runs one CPU-heavy plan calls it before
// the run; a host starting many plans that mostly wait on host calls need not.
func (p *Prepared) WaitOptimized(ctx context.Context) error {
	if p.wasm == nil {
		return nil
	}
	return p.wasm.WaitOptimized(ctx)
}

// Engine is the engine the plan was prepared for.
func (p *Prepared) Engine() string { return p.engine }

// ModuleHash is the sha256 of the plan's Wasm module (what rtfsvm compile writes), or
// false for another engine.
func (p *Prepared) ModuleHash() ([32]byte, bool) {
	if p.wasm == nil {
		return [32]byte{}, false
	}
	return p.wasm.Hash(), true
}

// Binary is the Wasm module of a plan prepared for the wasm engine (what rtfsvm compile
// writes), or nil for another engine.
func (p *Prepared) Binary() []byte {
	if p.wasm == nil {
		return nil
	}
	return p.wasm.Binary()
}

// Inputs lists the names of the plan's inputs, which the environment must bind.
func (p *Prepared) Inputs() []string {
	if p.wasm == nil {
		return nil
	}
	var names []string
	for _, in := range p.wasm.Inputs() {
		names = append(names, in.Name)
	}
	return names
}

// LoadWasm prepares a module that rtfsvm compile wrote.
func LoadWasm(ctx context.Context, bin []byte) (*Prepared, error) {
	eng, err := Engine()
	if err != nil {
		return nil, err
	}
	mod, err := eng.Load(ctx, bin)
	if err != nil {
		return nil, err
	}
	return &Prepared{engine: EngineWasm, caps: mod.Capabilities(), wasm: mod}, nil
}

// The plans prepared from source, by engine, file name and text: the same plan is read,
// resolved and compiled once per process.
var (
	preparedMu sync.Mutex
	prepared   = map[[32]byte]*Prepared{}
)

const maxPrepared = 256

// PrepareSource loads and prepares a plan's source for an engine, or returns what an
// earlier call prepared from the same text.
func PrepareSource(ctx context.Context, file, src, engine string) (*Prepared, error) {
	if engine == "" {
		engine = DefaultEngine
	}
	key := sha256.Sum256([]byte(engine + "\x00" + file + "\x00" + src))
	preparedMu.Lock()
	p, ok := prepared[key]
	preparedMu.Unlock()
	if ok {
		return p, nil
	}
	prog, err := loadFor(engine, file, src)
	if err != nil {
		return nil, err
	}
	if p, err = Prepare(ctx, prog, engine); err != nil {
		return nil, err
	}
	preparedMu.Lock()
	if len(prepared) >= maxPrepared {
		clear(prepared) // a simple bound: a process rarely runs this many distinct plans
	}
	prepared[key] = p
	preparedMu.Unlock()
	return p, nil
}

// Capabilities lists the literal capability ids the plan calls, for checking it against
// a policy before it runs.
func (p *Prepared) Capabilities() []string { return p.caps }

// RTFSProvider serves a capability with an RTFS function (the :rtfs provider of the
// contract): source is a function expression, run on the arguments in a MicroVM of its
// own, with its own limits. Its errors reach the calling plan as capability errors; its
// resource limits as :error/capability too, since they stop that VM, not the caller.
func RTFSProvider(source string, opts Options) host.Provider {
	return func(ctx context.Context, call host.Call) (value.Value, error) {
		plan, err := PrepareSource(ctx, "capability "+call.Capability, "(apply "+source+" rtfs-capability-args)", EngineWasm)
		if err != nil {
			return nil, host.CapabilityError(call.Capability, "%v", err)
		}
		o := opts
		o.Env = value.EmptyMap.Assoc(value.Keyword("rtfs-capability-args"), value.NewVector(call.Args))
		v, err := plan.Run(ctx, o)
		var le *value.LimitError
		if errors.As(err, &le) {
			return nil, host.CapabilityError(call.Capability, "the capability's VM stopped: %s", value.Print(le.Limit))
		}
		if e, ok := err.(*value.Error); ok && e.Capability == "" {
			e.Capability = call.Capability
		}
		return v, err
	}
}
