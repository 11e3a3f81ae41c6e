// Package bench compares rtfsvm's engines with native Go and with two embeddable
// interpreters for Go, Starlark (go.starlark.net) and JavaScript (goja), on the same
// small workloads. It is a module of its own so that the product module never depends
// on the competitors.
//
// The workloads live here, in a non-test file, so that the benchmarks (bench_test.go)
// and the ratio table (cmd/ratios) run exactly the same code.
package bench

import (
	"context"
	"math"
	"testing"

	"github.com/dop251/goja"
	"github.com/rtfsvm/rtfsvm"
	"github.com/rtfsvm/rtfsvm/value"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// RTFSEngines are the rtfsvm engines benchmarked, each as a sub-benchmark
// "engine=<name>". A new engine (wasm) only needs adding here.
var RTFSEngines = []string{rtfsvm.EngineWasm, rtfsvm.EngineInterp}

// A Workload is one computation written for every engine. Each program computes Want.
type Workload struct {
	Name     string // the benchmark is Benchmark<Name>
	Want     int64
	RTFS     string       // a plan whose value is the result
	Native   func() int64 // the same computation in plain Go
	Starlark string       // defines run(), which returns the result
	JS       string       // defines run(), which returns the result
}

// An Engine is one way of running a workload, as a benchmark function.
type Engine struct {
	Name  string // "interp", "native-go", "starlark", "goja"
	Bench func(b *testing.B)
}

// Engines lists the ways to run w: the rtfsvm engines first, then native Go,
// Starlark and goja.
func (w Workload) Engines() []Engine {
	var es []Engine
	for _, e := range RTFSEngines {
		es = append(es, Engine{e, w.benchRTFS(e)})
	}
	return append(es,
		Engine{"native-go", w.benchNative},
		Engine{"starlark", w.benchStarlark},
		Engine{"goja", w.benchGoja})
}

// Each benchmark prepares its program outside the timed loop, runs it b.N times, and
// checks the last result: checking after the loop verifies the answer without
// running the workload once more.

func (w Workload) benchRTFS(engine string) func(b *testing.B) {
	return func(b *testing.B) {
		prog, err := rtfsvm.Load(w.Name+".rtfs", w.RTFS)
		if err != nil {
			b.Fatal(err)
		}
		// The workloads are long loops: give them all the fuel they need, so that the
		// benchmark measures the engine and not the budget.
		opts := rtfsvm.Options{Fuel: 1 << 62}
		ctx := context.Background()
		plan, err := rtfsvm.Prepare(ctx, prog, engine)
		if err != nil {
			b.Skip(err) // an engine that cannot run this workload yet
		}
		// The process engine is tiered: measure the optimized code (tier 1), not the
		// interpreter that runs a plan while it is compiled.
		if err := plan.WaitOptimized(ctx); err != nil {
			b.Fatal(err)
		}
		var v value.Value
		b.ResetTimer()
		// Each run spawns a fresh VM (wasm) or thread (interp): that is part of the cost.
		for i := 0; i < b.N; i++ {
			if v, err = plan.Run(ctx, opts); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if n, ok := v.(value.Int); !ok || int64(n) != w.Want {
			b.Fatalf("%s = %s, want %d", w.Name, value.Print(v), w.Want)
		}
	}
}

func (w Workload) benchNative(b *testing.B) {
	var got int64
	for i := 0; i < b.N; i++ {
		got = w.Native()
	}
	b.StopTimer()
	if got != w.Want {
		b.Fatalf("%s = %d, want %d", w.Name, got, w.Want)
	}
}

func (w Workload) benchStarlark(b *testing.B) {
	thread := &starlark.Thread{Name: w.Name}
	// Starlark forbids recursion unless the file allows it; fib needs it.
	opts := &syntax.FileOptions{Recursion: true}
	globals, err := starlark.ExecFileOptions(opts, thread, w.Name+".star", w.Starlark, nil)
	if err != nil {
		b.Fatal(err)
	}
	run := globals["run"]
	var v starlark.Value
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if v, err = starlark.Call(thread, run, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n, ok := v.(starlark.Int); !ok || !equalInt64(n, w.Want) {
		b.Fatalf("%s = %v, want %d", w.Name, v, w.Want)
	}
}

func equalInt64(n starlark.Int, want int64) bool {
	got, ok := n.Int64()
	return ok && got == want
}

func (w Workload) benchGoja(b *testing.B) {
	prog, err := goja.Compile(w.Name+".js", w.JS, true)
	if err != nil {
		b.Fatal(err)
	}
	vm := goja.New()
	if _, err := vm.RunProgram(prog); err != nil {
		b.Fatal(err)
	}
	run, ok := goja.AssertFunction(vm.Get("run"))
	if !ok {
		b.Fatal("run is not a function")
	}
	var v goja.Value
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if v, err = run(goja.Undefined()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if !jsClose(v.ToFloat(), w.Want) {
		b.Fatalf("%s = %v, want %d", w.Name, v, w.Want)
	}
}

// jsClose reports whether a JS number is the wanted integer. JS numbers are doubles:
// past 2^53 a sum of doubles rounds (Reduce1M gives 166666166666505600), so there the
// answer only has to be within a relative 1e-9.
func jsClose(got float64, want int64) bool {
	if want < 1<<53 && want > -1<<53 {
		return got == float64(want)
	}
	return math.Abs(got-float64(want)) <= 1e-9*math.Abs(float64(want))
}

// Workloads is every workload, in the order of the report.
var Workloads = []Workload{
	{
		Name: "Fib25",
		Want: 75025,
		RTFS: `(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
(fib 25)`,
		Native: func() int64 { return fib(25) },
		Starlark: `
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)

def run():
    return fib(25)
`,
		JS: `
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
function run() { return fib(25); }
`,
	},
	{
		Name:   "Reduce1M",
		Want:   166666166667000000,
		RTFS:   `(reduce + 0 (map (fn [x] (* x x)) (filter even? (range 1000000))))`,
		Native: reduce1M,
		// Starlark has no sum(): the last step is a loop.
		Starlark: `
def run():
    xs = list(range(1000000))
    evens = [x for x in xs if x % 2 == 0]
    squares = [x * x for x in evens]
    total = 0
    for s in squares:
        total += s
    return total
`,
		JS: `
function run() {
  return Array.from({length: 1e6}, (_, i) => i)
    .filter(x => x % 2 == 0).map(x => x * x).reduce((a, b) => a + b, 0);
}
`,
	},
	{
		Name:   "MapAssoc10k",
		Want:   99990000,
		RTFS:   `(let [m (reduce (fn [m i] (assoc m i (* 2 i))) {} (range 10000))] (reduce (fn [s i] (+ s (get m i))) 0 (range 10000)))`,
		Native: mapAssoc10k,
		Starlark: `
def run():
    m = {}
    for i in range(10000):
        m[i] = 2 * i
    s = 0
    for i in range(10000):
        s += m[i]
    return s
`,
		// A Map, not an object: its keys are numbers, as in the other versions.
		JS: `
function run() {
  const m = new Map();
  for (let i = 0; i < 10000; i++) m.set(i, 2 * i);
  let s = 0;
  for (let i = 0; i < 10000; i++) s += m.get(i);
  return s;
}
`,
	},
}

// Lookup returns the workload called name; it panics if there is none.
func Lookup(name string) Workload {
	for _, w := range Workloads {
		if w.Name == name {
			return w
		}
	}
	panic("no workload " + name)
}

func fib(n int64) int64 {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

// reduce1M builds each intermediate slice, as the other engines build each
// intermediate collection.
func reduce1M() int64 {
	xs := make([]int64, 1000000)
	for i := range xs {
		xs[i] = int64(i)
	}
	var evens []int64
	for _, x := range xs {
		if x%2 == 0 {
			evens = append(evens, x)
		}
	}
	squares := make([]int64, len(evens))
	for i, x := range evens {
		squares[i] = x * x
	}
	var sum int64
	for _, x := range squares {
		sum += x
	}
	return sum
}

func mapAssoc10k() int64 {
	m := map[int64]int64{}
	for i := int64(0); i < 10000; i++ {
		m[i] = 2 * i
	}
	var sum int64
	for i := int64(0); i < 10000; i++ {
		sum += m[i]
	}
	return sum
}
