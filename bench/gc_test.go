package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/rtfsvm/rtfsvm"
	"github.com/rtfsvm/rtfsvm/microvm"
	"github.com/rtfsvm/rtfsvm/resolve"
	"github.com/rtfsvm/rtfsvm/stdlib"
	"github.com/rtfsvm/rtfsvm/value"
)

// gcWorkloads are the allocation-heavy workloads of BenchmarkGC, and fib (which
// allocates nothing) as the control.
var gcWorkloads = []struct {
	name string
	src  string
	want int64
}{
	{"Fib25", Workloads[0].RTFS, Workloads[0].Want},
	{"Reduce1M", workload("Reduce1M").RTFS, workload("Reduce1M").Want},
	{"MapAssoc10k", workload("MapAssoc10k").RTFS, workload("MapAssoc10k").Want},
	// A string built from parts in each iteration, kept only for its length.
	{"StrLoop20k", `(loop [i 0 n 0]
  (if (< i 20000) (recur (inc i) (+ n (count (str "item-" i "-" (* i i))))) n))`, strLen(20000, true)},
	// A temporary string and a small map each iteration.
	{"StrMapLoop1M", `(loop [i 0 acc 0]
  (if (< i 1000000)
    (let [s (str "item-" i) m {:name s :n i}]
      (recur (inc i) (+ acc (count (get m :name)))))
    acc))`, strLen(1000000, false)},
}

// strLen is the total length of the strings the loops build.
func strLen(n int, square bool) int64 {
	total := 0
	for i := 0; i < n; i++ {
		if square {
			total += len(fmt.Sprintf("item-%d-%d", i, i*i))
		} else {
			total += len(fmt.Sprintf("item-%d", i))
		}
	}
	return int64(total)
}

// compileWithPrelude compiles src with the library's RTFS prelude, as rtfsvm.Prepare does.
func compileWithPrelude(b *testing.B, e *microvm.Engine, src string) *microvm.Module {
	b.Helper()
	prog, err := rtfsvm.Load("bench.rtfs", src)
	if err != nil {
		b.Fatal(err)
	}
	if prog, err = resolve.ProgramWith(prog.File, prog.Source, stdlib.ResolvedPrelude()); err != nil {
		b.Fatal(err)
	}
	m, err := e.Compile(context.Background(), prog)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func workload(name string) Workload {
	for _, w := range Workloads {
		if w.Name == name {
			return w
		}
	}
	panic("no workload " + name)
}

// BenchmarkGC runs allocation-heavy workloads under the default memory limit and reports
// their time, the peak guest memory (the linear memory's size at the end: it never
// shrinks) and the number of collections.
func BenchmarkGC(b *testing.B) {
	ctx := context.Background()
	e := newEngine(b, microvm.Config{})
	defer e.Close(ctx)
	for _, w := range gcWorkloads {
		b.Run(w.name, func(b *testing.B) {
			m := compileWithPrelude(b, e, w.src)
			opts := microvm.SpawnOptions{Limits: microvm.Limits{Fuel: 1 << 62}}
			var st microvm.MemoryStats
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				vm, err := m.Spawn(ctx, e, opts)
				if err != nil {
					b.Fatal(err)
				}
				v, err := vm.Run(ctx)
				var lim *value.LimitError
				if errors.As(err, &lim) && lim.Limit == value.LimitMemory {
					// Without a collector, the garbage exhausts the memory.
					b.ReportMetric(1, "out-of-memory")
				} else if err != nil || v != value.Int(w.want) {
					b.Fatalf("%v, %v", v, err)
				}
				st = vm.MemoryStats()
				vm.Close(ctx)
			}
			b.ReportMetric(float64(st.Memory)/(1<<20), "peak-MB")
			b.ReportMetric(float64(st.Collections), "GCs")
		})
	}
}

// TestGCLoop10M is the collector's acceptance test: 10,000,000 iterations that each
// build a temporary string and a small map finish under the default 64 MB limit. It
// takes minutes (the str helper dominates), so it runs only with RTFSVM_GC_LONG=1.
func TestGCLoop10M(t *testing.T) {
	if os.Getenv("RTFSVM_GC_LONG") == "" {
		t.Skip("set RTFSVM_GC_LONG=1 to run")
	}
	ctx := context.Background()
	e, err := microvm.NewEngine(ctx, microvm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	prog, err := rtfsvm.Load("loop.rtfs", `(loop [i 0 acc 0]
  (if (< i 10000000)
    (let [s (str "item-" i) m {:name s :n i}]
      (recur (inc i) (+ acc (count (get m :name)))))
    acc))`)
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.Compile(ctx, prog)
	if err != nil {
		t.Fatal(err)
	}
	vm, err := m.Spawn(ctx, e, microvm.SpawnOptions{Limits: microvm.Limits{Fuel: 1 << 62}})
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close(ctx)
	start := time.Now()
	v, err := vm.Run(ctx)
	st := vm.MemoryStats()
	if err != nil || v != value.Int(strLen(10_000_000, false)) {
		t.Fatalf("%v, %v (%+v)", v, err, st)
	}
	t.Logf("%v in %v: %+v", v, time.Since(start), st)
}
