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

	"github.com/tetratelabs/wazero"
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

// background compiles an engine's modules for tier 1, newest first, on at most half the
// processors (the rest is for the VMs). At most maxPending modules wait: when more
// come, the oldest waiting one drops out and stays on tier 0 until it is spawned again
// or waited for, which queues it anew. A burst of new plans then does not leave a long
// backlog of compilations, mostly of plans that ran once, eating a processor long after.
type background struct {
	mu      sync.Mutex
	queue   []*Module // waiting, oldest first
	workers int
	closed  bool
	closing chan struct{}
	wg      sync.WaitGroup
}

const maxPending = 32

// Tier-1 states of a module, guarded by its engine's background.mu.
const (
	tier1Idle      = iota // not asked for, or dropped from the queue
	tier1Queued           // waiting in the queue
	tier1Compiling        // a worker compiles it
	tier1Settled          // m.done is closed
)

func (b *background) start() { b.closing = make(chan struct{}) }

// wantTier1 queues m for tier 1 unless it is queued, being compiled, or settled.
func (e *Engine) wantTier1(m *Module) {
	b := &e.bg
	b.mu.Lock()
	defer b.mu.Unlock()
	if m.state != tier1Idle {
		return
	}
	if b.closed {
		m.settle(nil, ErrClosed)
		return
	}
	m.state = tier1Queued
	b.queue = append(b.queue, m)
	if len(b.queue) > maxPending {
		b.queue[0].state = tier1Idle
		b.queue = append(b.queue[:0], b.queue[1:]...)
	}
	if b.workers < max(1, runtime.GOMAXPROCS(0)/2) {
		b.workers++
		b.wg.Add(1)
		go e.worker()
	}
}

// settle records how tier 1 ended for m; the caller holds the background's lock.
func (m *Module) settle(compiled wazero.CompiledModule, err error) {
	m.tier1, m.tier1Err, m.state = compiled, err, tier1Settled
	close(m.done)
}

func (e *Engine) worker() {
	b := &e.bg
	defer b.wg.Done()
	for {
		b.mu.Lock()
		if len(b.queue) == 0 || b.closed {
			b.workers--
			b.mu.Unlock()
			return
		}
		m := b.queue[len(b.queue)-1]
		b.queue = b.queue[:len(b.queue)-1]
		m.state = tier1Compiling
		b.mu.Unlock()

		compiled, err := e.compileTier1(m)
		b.mu.Lock()
		m.settle(compiled, err)
		b.mu.Unlock()
		if err == nil {
			e.rememberOptimized(m.plan.Hash)
			m.releaseTier0()
		}
	}
}

func (e *Engine) compileTier1(m *Module) (wazero.CompiledModule, error) {
	if e.cfg.hold != nil {
		select {
		case <-e.cfg.hold:
		case <-e.bg.closing:
			return nil, ErrClosed
		}
	}
	// wazero's compiler does not look at the context: Close waits for it to finish.
	compiled, err := compileModule(context.Background(), e.runtime, m.plan.Binary)
	if err != nil {
		return nil, fmt.Errorf("microvm: tier 1: %w", err)
	}
	return compiled, nil
}

// stop settles the modules still queued and lets no new compilation start; wait then
// waits for those under way.
func (b *background) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closing == nil || b.closed {
		return
	}
	b.closed = true
	close(b.closing)
	for _, m := range b.queue {
		m.settle(nil, ErrClosed)
	}
	b.queue = nil
}

func (b *background) wait() { b.wg.Wait() }

// releaseTier0 drops the interpreter's code once tier 1 is ready.
func (m *Module) releaseTier0() {
	m.tier0Mu.Lock()
	tier0 := m.tier0
	m.tier0 = nil
	m.tier0Mu.Unlock()
	if tier0 != nil {
		tier0.Close(context.Background())
	}
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
