package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/rtfsvm/rtfsvm/microvm"
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
	{"StrLoop100k", `(loop [i 0 n 0]
  (if (< i 100000) (recur (inc i) (+ n (count (str "item-" i "-" (* i i))))) n))`, strLen(100000, true)},
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
			m := compileOn(b, e, w.src)
			opts := microvm.SpawnOptions{Limits: microvm.Limits{Fuel: 1 << 62}}
			var st microvm.MemoryStats
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				vm, err := m.Spawn(ctx, e, opts)
				if err != nil {
					b.Fatal(err)
				}
				v, err := vm.Run(ctx)
				if err != nil || (w.want != 0 && v != value.Int(w.want)) {
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
