package bench

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/rtfsvm/rtfsvm"
	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/internal/startheap"
	"github.com/rtfsvm/rtfsvm/microvm"
	"github.com/rtfsvm/rtfsvm/resolve"
	"github.com/rtfsvm/rtfsvm/stdlib"
	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
)

// gcsSince counts the collections from its call to each call of what it returns.
func gcsSince() func() int {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	start := m.NumGC
	return func() int {
		runtime.ReadMemStats(&m)
		return int(m.NumGC - start)
	}
}

func newEngine(b *testing.B, cfg microvm.Config) *microvm.Engine {
	b.Helper()
	e, err := microvm.NewEngine(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	return e
}

// compileOn compiles src on e from its source, as PrepareSource does: read, resolved
// with the process's prelude, compiled.
func compileOn(b *testing.B, e *microvm.Engine, src string) *microvm.Module {
	b.Helper()
	forms, err := syntax.Read("bench.rtfs", src)
	if err != nil {
		b.Fatal(err)
	}
	prog, err := resolve.ProgramWith("bench.rtfs", forms, stdlib.ResolvedPrelude())
	if err != nil {
		b.Fatal(err)
	}
	m, err := e.Compile(context.Background(), prog)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// tierConfigs are the engines of the tier=0 and tier=1 sub-benchmarks: one that keeps
// modules on wazero's interpreter, one without tiering (the optimizing compiler only).
var tierConfigs = []struct {
	name string
	cfg  microvm.Config
}{
	{"tier=0", microvm.Config{Tier0Only: true}},
	{"tier=1", microvm.Config{}},
}

// BenchmarkSpawn: spawn a VM for an already compiled plan with a small initial
// environment, run it to its value, close it; on tier 0 (interpreter) and tier 1.
func BenchmarkSpawn(b *testing.B) {
	ctx := context.Background()
	for _, tc := range tierConfigs {
		b.Run(tc.name, func(b *testing.B) {
			e := newEngine(b, tc.cfg)
			defer e.Close(ctx)
			m := compileOn(b, e, `(step "double" (* 2 x))`)
			env := value.EmptyMap.Assoc(value.Keyword("x"), value.Int(21))
			opts := microvm.SpawnOptions{Env: env, Host: host.NewLocal(nil)}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				vm, err := m.Spawn(ctx, e, opts)
				if err != nil {
					b.Fatal(err)
				}
				v, err := vm.Run(ctx)
				if err != nil || v != value.Int(42) {
					b.Fatalf("%v, %v", v, err)
				}
				vm.Close(ctx)
			}
		})
	}
}

// BenchmarkFibTiers: fib 25 (the Fib25 workload) on each tier, for information.
// BenchmarkFib25/engine=wasm is tier 1.
func BenchmarkFibTiers(b *testing.B) {
	for _, tc := range tierConfigs {
		b.Run(tc.name, func(b *testing.B) {
			benchFib(b, tc.cfg)
		})
	}
}

// plan200 is a plan of 200 lines: 39 functions, each binding, branching and, past a
// threshold, making a host call inside a step; each calls the one before it, and the
// plan's last five lines call them. f<i> x y = (i+1)x + i(i+1)/2 + 2y.
func plan200() string {
	var s strings.Builder
	for i := 0; i < 39; i++ {
		b := "(* y 2)"
		if i > 0 {
			b = fmt.Sprintf("(f%d x y)", i-1)
		}
		fmt.Fprintf(&s, "(defn f%d [x y]\n  (let [a (+ x %d) b %s]\n    (if (> a 30)\n      (step \"s%d\" (+ b (call :ccos.echo a)))\n      (+ a b))))\n", i, i, b, i)
	}
	s.WriteString("(let [r (f38 1 2)\n      m {:r r :k (f10 3 4)}]\n  (if (> r 0)\n    (assoc m :ok true)\n    m))\n")
	return s.String()
}

// plan200Value is what plan200 computes.
var plan200Value = value.EmptyMap.
	Assoc(value.Keyword("r"), value.Int(39*1+38*39/2+2*2)).
	Assoc(value.Keyword("k"), value.Int(11*3+10*11/2+2*4)).
	Assoc(value.Keyword("ok"), value.True)

func TestPlan200(t *testing.T) {
	src := plan200()
	if n := strings.Count(src, "\n"); n != 200 {
		t.Fatalf("the plan has %d lines", n)
	}
	ctx := context.Background()
	for _, engine := range RTFSEngines {
		p, err := rtfsvm.PrepareSource(ctx, "plan200.rtfs", src, engine)
		if err != nil {
			t.Fatal(err)
		}
		v, err := p.Run(ctx, rtfsvm.Options{})
		if err != nil || !value.Equal(v, plan200Value) {
			t.Fatalf("%s: plan200 = %v, %v; want %s", engine, v, err, value.Print(plan200Value))
		}
	}
}

// BenchmarkCompile200 compiles a 200-line plan from source to a module ready to spawn:
// cold (a fresh tiered engine: ready on tier 0), cold-in-host (the same, in a process
// that holds 16 MB of its own), cold-command (the same, in a process
// set up as the rtfsvm command sets up its own), cold-optimized (a fresh tiered engine,
// until tier 1 is ready), cold-untiered (a fresh engine without tiering, as before
// tiering), disk (a fresh tiered engine on a cache directory that holds the plan's
// machine code: tier 1 at once) and warm (the process has prepared this source before).
func BenchmarkCompile200(b *testing.B) {
	src := plan200()
	if n := strings.Count(src, "\n"); n != 200 {
		b.Fatalf("the plan has %d lines", n)
	}
	ctx := context.Background()
	cold := func(cfg microvm.Config, wait, command bool) func(b *testing.B) {
		return func(b *testing.B) {
			// The collections per compile, those the benchmark forces left out: what
			// separates cold from cold-command.
			gcs, forced := gcsSince(), 0
			defer func() { b.ReportMetric(float64(gcs()-forced)/float64(b.N), "GCs/op") }()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				e := newEngine(b, cfg)
				if command {
					runtime.GC()
					forced++
					startheap.Set(startheap.Goal)
				}
				b.StartTimer()
				m := compileOn(b, e, src)
				if wait {
					if err := m.WaitOptimized(ctx); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				e.Close(ctx) // waits for a tier-1 compilation under way
				b.StartTimer()
			}
		}
	}
	b.Run("cache=cold", cold(microvm.Config{Tiered: true}, false, false))
	// As in a host that holds data of its own: 16 MB (pointer-free, so that the
	// collector has nothing more to mark), which puts the collector's goal at 32 MB
	// rather than Go's 4 MB minimum that cache=cold runs under.
	b.Run("cache=cold-in-host", func(b *testing.B) {
		held := make([]byte, 16<<20)
		for i := range held {
			held[i] = 1 // touched, as a host's data is
		}
		cold(microvm.Config{Tiered: true}, false, false)(b)
		runtime.KeepAlive(held)
	})
	// As the rtfsvm command compiles a plan: in a process whose heap is below the
	// command's starting goal, so that the collector does not run (internal/startheap).
	b.Run("cache=cold-command", cold(microvm.Config{Tiered: true}, false, true))
	startheap.Reset()
	b.Run("cache=cold-optimized", cold(microvm.Config{Tiered: true}, true, false))
	b.Run("cache=cold-untiered", cold(microvm.Config{}, false, false))
	b.Run("cache=disk", func(b *testing.B) {
		cfg := microvm.Config{Tiered: true, CacheDir: b.TempDir()}
		e := newEngine(b, cfg) // compiles the plan into the cache directory
		m := compileOn(b, e, src)
		if err := m.WaitOptimized(ctx); err != nil {
			b.Fatal(err)
		}
		bin := m.Binary()
		e.Close(ctx)
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			e := newEngine(b, cfg)
			b.StartTimer()
			// The module's bytes, as rtfsvm run loads a compiled module: the machine
			// code alone comes from the cache, not the front end's work.
			m, err := e.Load(ctx, bin)
			if err != nil || !m.Optimized() {
				b.Fatalf("not on tier 1 at once: %v", err)
			}
			b.StopTimer()
			e.Close(ctx)
			b.StartTimer()
		}
	})
	b.Run("cache=warm", func(b *testing.B) {
		// The process has prepared this source before: rtfsvm.PrepareSource finds it by
		// its text. (Its tier 1 is waited for, so that its background compilation does not
		// run during the measurement.)
		p, err := rtfsvm.PrepareSource(ctx, "plan200.rtfs", src, rtfsvm.EngineWasm)
		if err != nil {
			b.Fatal(err)
		}
		if err := p.WaitOptimized(ctx); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := rtfsvm.PrepareSource(ctx, "plan200.rtfs", src, rtfsvm.EngineWasm); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkFuel: fib 25 with fuel metering compiled in, and without.
func BenchmarkFuel(b *testing.B) {
	for _, metered := range []bool{true, false} {
		name := "fuel=on"
		if !metered {
			name = "fuel=off"
		}
		b.Run(name, func(b *testing.B) {
			benchFib(b, microvm.Config{Unmetered: !metered})
		})
	}
}

// BenchmarkIdleVMs holds 10,000 spawned VMs of a small plan and reports the memory
// each one takes.
func BenchmarkIdleVMs(b *testing.B) {
	ctx := context.Background()
	e := newEngine(b, microvm.Config{})
	defer e.Close(ctx)
	m := compileOn(b, e, `(+ x 1)`)
	env := value.EmptyMap.Assoc(value.Keyword("x"), value.Int(1))
	const n = 10_000
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		vms := make([]*microvm.VM, n)
		for k := range vms {
			vm, err := m.Spawn(ctx, e, microvm.SpawnOptions{Env: env})
			if err != nil {
				b.Fatal(err)
			}
			vms[k] = vm
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/n, "heap-bytes/VM")
		for _, vm := range vms {
			vm.Close(ctx)
		}
	}
}

// benchFib runs fib 25 in a fresh VM per iteration, on an engine with cfg.
func benchFib(b *testing.B, cfg microvm.Config) {
	ctx := context.Background()
	fib := Workloads[0]
	e := newEngine(b, cfg)
	defer e.Close(ctx)
	m := compileOn(b, e, fib.RTFS)
	opts := microvm.SpawnOptions{Limits: microvm.Limits{Fuel: 1 << 62}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		vm, err := m.Spawn(ctx, e, opts)
		if err != nil {
			b.Fatal(err)
		}
		if v, err := vm.Run(ctx); err != nil || v != value.Int(fib.Want) {
			b.Fatalf("%v, %v", v, err)
		}
		vm.Close(ctx)
	}
}
