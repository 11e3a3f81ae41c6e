package microvm

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	_ "unsafe" // go:linkname, for the interpreter's call depth
)

// Tiered compilation (Config.Tiered). A module is compiled twice, by two wazero
// runtimes with the same host module, the same memory allocator and the same Wasm: tier 0
// is wazero's interpreter, quick to compile and slow to run; tier 1 is wazero's
// optimizing compiler, compiled in the background. Everything a plan can observe is in
// the Wasm we emit (fuel, limits, errors, the layout of memory), so a VM behaves the same
// on both tiers; only its speed differs.

// ErrClosed is why a module has no tier 1 when its engine was closed before the
// background compilation ran.
var ErrClosed = errors.New("microvm: the engine is closed")

var errTier0Only = errors.New("microvm: the engine keeps modules on tier 0")

// background runs an engine's tier-1 compilations: at most half the processors' worth
// at a time (the rest is for the VMs), none once the engine closes.
type background struct {
	sem     chan struct{}
	closing chan struct{}
	closed  bool
	wg      sync.WaitGroup
}

func (b *background) start() {
	b.sem = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))
	b.closing = make(chan struct{})
}

// run starts f in a goroutine, or reports false when the engine is closed. The caller
// holds the engine's lock.
func (b *background) run(f func(stop <-chan struct{})) bool {
	if b.closing == nil || b.closed {
		return false
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		f(b.closing)
	}()
	return true
}

// stop cancels the compilations that have not started; the caller holds the engine's
// lock. wait then waits for those under way.
func (b *background) stop() {
	if b.closing != nil && !b.closed {
		b.closed = true
		close(b.closing)
	}
}

func (b *background) wait() { b.wg.Wait() }

// optimize compiles m for tier 1, then settles m.done.
func (e *Engine) optimize(m *Module, stop <-chan struct{}) {
	defer close(m.done)
	select {
	case e.bg.sem <- struct{}{}:
		defer func() { <-e.bg.sem }()
	case <-stop:
		m.tier1Err = ErrClosed
		return
	}
	if e.cfg.hold != nil {
		select {
		case <-e.cfg.hold:
		case <-stop:
		}
	}
	select {
	case <-stop:
		m.tier1Err = ErrClosed
		return
	default:
	}
	// wazero's compiler does not look at the context: Close waits for it to finish.
	compiled, err := e.runtime.CompileModule(context.Background(), m.plan.Binary)
	if err != nil {
		m.tier1Err = fmt.Errorf("microvm: tier 1 could not compile the plan: %w", err)
		return
	}
	m.tier1 = compiled
	e.rememberOptimized(m.plan.Hash)
}

// The machine code of a module compiled into CacheDir is found again by wazero, not by
// us: wazero's key includes CPU features we cannot see. So when tier 1 has compiled a
// module with a CacheDir, we leave an empty marker file named after the module's hash,
// and a later engine that finds it compiles that module for tier 1 at once (wazero then
// loads the machine code from its cache). A marker whose machine code is gone only costs
// one compilation in the foreground.

func (e *Engine) markerPath(hash [32]byte) string {
	return filepath.Join(e.cfg.CacheDir, "rtfsvm-tier1-"+wazeroVersion, hex.EncodeToString(hash[:]))
}

func (e *Engine) knownOptimized(hash [32]byte) bool {
	if e.cfg.CacheDir == "" {
		return false
	}
	_, err := os.Stat(e.markerPath(hash))
	return err == nil
}

func (e *Engine) rememberOptimized(hash [32]byte) {
	if e.cfg.CacheDir == "" {
		return
	}
	p := e.markerPath(hash)
	if os.MkdirAll(filepath.Dir(p), 0o755) == nil {
		os.WriteFile(p, nil, 0o644) // a marker that cannot be written only costs time later
	}
}

// wazeroVersion names the markers' directory, so that a new wazero (a new cache) does
// not trust the markers of the old one.
var wazeroVersion = func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/tetratelabs/wazero" {
				return d.Version
			}
		}
	}
	return "unknown"
}()

// The call depth of wazero's interpreter. Our limit on recursion is the shadow stack
// (Limits.StackBytes, :limit/stack), checked by our code on both tiers; the Wasm call
// stack must not run out first. wazero's optimizing compiler allows millions of frames,
// but its interpreter stops at 2,000 (a variable of its own, which we raise here), and it
// recurses in Go for every Wasm call, about 4.3 KB of goroutine stack a frame: 100,000
// frames take some 425 MB of stack, below the 512 MB that Go's 1 GB limit lets a
// goroutine's stack double to. This is a process-wide setting of wazero's interpreter.
//
//go:linkname interpreterCallStackCeiling github.com/tetratelabs/wazero/internal/engine/interpreter.callStackCeiling
var interpreterCallStackCeiling int

const tier0CallDepth = 100_000

func init() { interpreterCallStackCeiling = tier0CallDepth }

// maxTier0Stack is the largest shadow stack a VM may have on tier 0. A compiled function's
// frame takes at least 8 bytes of shadow stack (its name slot), so 640 KB holds at most
// 81,920 frames of RTFS functions, which leaves 18,000 Wasm frames of guest routines
// under tier0CallDepth. A VM with a larger shadow stack waits for tier 1.
const maxTier0Stack = 640 << 10

func tier0Fits(stackBytes uint32) bool { return stackBytes <= maxTier0Stack }
