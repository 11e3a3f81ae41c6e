package bench

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/rtfsvm/rtfsvm"
	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/microvm"
	"github.com/rtfsvm/rtfsvm/value"
)

func newEngine(b *testing.B, cfg microvm.Config) *microvm.Engine {
	b.Helper()
	e, err := microvm.NewEngine(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	return e
}

func compileOn(b *testing.B, e *microvm.Engine, src string) *microvm.Module {
	b.Helper()
	prog, err := rtfsvm.Load("bench.rtfs", src)
	if err != nil {
		b.Fatal(err)
	}
	m, err := e.Compile(context.Background(), prog)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkSpawn: spawn a VM for an already compiled plan with a small initial
// environment, run it to its value, close it.
func BenchmarkSpawn(b *testing.B) {
	ctx := context.Background()
	e := newEngine(b, microvm.Config{})
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
}

// plan200 is a plan of 200 lines: definitions, bindings, branches and host calls.
func plan200() string {
	var s strings.Builder
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&s, "(defn f%d [x y]\n  (let [a (+ x %d) b (* y 2)]\n    (if (> a b)\n      (step \"s%d\" (call :ccos.echo [a b]))\n      {:a a :b b :n %d})))\n", i, i, i, i)
	}
	return s.String()
}

// BenchmarkCompile200 compiles a 200-line plan from source to a ready module: cold
// (a fresh engine: nothing cached) and cached (the engine has compiled it before).
func BenchmarkCompile200(b *testing.B) {
	src := plan200()
	if n := strings.Count(src, "\n"); n != 200 {
		b.Fatalf("the plan has %d lines", n)
	}
	ctx := context.Background()
	b.Run("cache=cold", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			e := newEngine(b, microvm.Config{})
			b.StartTimer()
			compileOn(b, e, src)
			b.StopTimer()
			e.Close(ctx)
			b.StartTimer()
		}
	})
	b.Run("cache=warm", func(b *testing.B) {
		// The process has prepared this source before: rtfsvm.PrepareSource finds it by
		// its text.
		if _, err := rtfsvm.PrepareSource(ctx, "plan200.rtfs", src, rtfsvm.EngineWasm); err != nil {
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
	ctx := context.Background()
	fib := Workloads[0]
	for _, metered := range []bool{true, false} {
		name := "fuel=on"
		if !metered {
			name = "fuel=off"
		}
		b.Run(name, func(b *testing.B) {
			e := newEngine(b, microvm.Config{Unmetered: !metered})
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
