package microvm_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/microvm"
	"github.com/rtfsvm/rtfsvm/resolve"
	"github.com/rtfsvm/rtfsvm/stdlib"
	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
)

// runGC runs src on an engine with cfg under the limits and returns its value, its error
// and its memory statistics.
func runGC(t *testing.T, cfg microvm.Config, lim microvm.Limits, src string) (value.Value, error, microvm.MemoryStats) {
	t.Helper()
	ctx := context.Background()
	e, err := microvm.NewEngine(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	forms, err := syntax.Read("gc.rtfs", src)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := resolve.ProgramWithPrelude("gc.rtfs", forms, stdlib.PreludeForms(), stdlib.Lookup)
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.Compile(ctx, prog)
	if err != nil {
		t.Fatal(err)
	}
	vm, err := m.Spawn(ctx, e, microvm.SpawnOptions{Limits: lim, Host: host.NewLocal(nil)})
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close(ctx)
	v, err := vm.Run(ctx)
	return v, err, vm.MemoryStats()
}

// A loop that allocates far more than it keeps runs in a memory limit smaller than all
// it allocates: the collector frees the garbage.
func TestGCLoopGarbage(t *testing.T) {
	const loop = `(loop [i 0 acc 0]
  (if (< i %d)
    (let [s (str "item-" i) m {:name s :n i :v [i i]}]
      (recur (inc i) (+ acc (count (get m :name)))))
    acc))`
	for _, c := range []struct {
		stress bool
		n      int
		want   int64
	}{{false, 300000, 3188890}, {true, 20000, 188890}} {
		stress := c.stress
		src := fmt.Sprintf(loop, c.n)
		v, err, st := runGC(t, microvm.Config{GCStress: stress}, microvm.Limits{Memory: 8 << 20, Fuel: 1 << 40}, src)
		if err != nil {
			t.Fatalf("stress %v: %v (%+v)", stress, err, st)
		}
		if v != value.Int(c.want) {
			t.Fatalf("stress %v: got %v", stress, v)
		}
		if st.Collections == 0 || st.Memory > 8<<20 {
			t.Fatalf("stress %v: %+v", stress, st)
		}
		t.Logf("stress %v: %+v", stress, st)
	}
}

// Live data past the limit still stops the plan with :limit/memory.
func TestGCLiveDataPastLimit(t *testing.T) {
	const src = `(loop [i 0 acc []]
  (if (< i 2000000) (recur (inc i) (conj acc (str "x" i))) (count acc)))`
	_, err, st := runGC(t, microvm.Config{}, microvm.Limits{Memory: 8 << 20, Fuel: 1 << 40}, src)
	var lim *value.LimitError
	if !errors.As(err, &lim) || lim.Limit != value.LimitMemory {
		t.Fatalf("want :limit/memory, got %v (%+v)", err, st)
	}
	if st.Collections == 0 {
		t.Fatalf("no collection before the limit: %+v", st)
	}
}

// A checkpoint compacts the heap first: a snapshot taken there holds live data only.
func TestGCCheckpointCompacts(t *testing.T) {
	// The garbage lives in the frame of make, which has returned when the checkpoint
	// runs (a let or loop slot of the running function would keep it: the collector
	// does not analyse liveness within a frame).
	const src = `(defn make [] (loop [i 0 a []] (if (< i 2000) (recur (inc i) (conj a (str "g" i))) a)))
(let [n (count (make)) kept [n 2 3]]
  (checkpoint :here)
  (count kept))`
	v, err, st := runGC(t, microvm.Config{}, microvm.Limits{}, src)
	if err != nil || v != value.Int(3) {
		t.Fatalf("%v, %v", v, err)
	}
	// Without the compaction the heap would hold 2,000 strings and the vector's copies.
	if st.Collections != 1 || st.Heap > 4096 {
		t.Fatalf("the checkpoint did not compact the heap: %+v", st)
	}
	t.Logf("%+v", st)
}

// The memory limit bounds live data, all of it: a plan that keeps most of the limit
// (here about 70%) while it makes garbage runs, though the collector's copy needs room
// for the live data twice (it uses the room MemoryReserve sets aside above the limit);
// a limit below the live data stops it with :limit/memory.
func TestGCLiveDataUpToTheLimit(t *testing.T) {
	const src = `(defn build [n] (loop [i 0 acc []]
  (if (< i n) (recur (inc i) (conj acc (str "item-" i (apply str (repeat 20 "-"))))) acc)))
(let [keep (build 40000)]
  (checkpoint :compact)
  (count keep))`
	// The live data, measured once under a large limit: the checkpoint compacts the
	// heap, so what remains is live.
	big := microvm.Limits{Memory: 256 << 20, StackBytes: 64 << 10}
	v, err, st := runGC(t, microvm.Config{}, big, src)
	if err != nil || v != value.Int(40000) {
		t.Fatalf("%v, %v", v, err)
	}
	live := int64(st.Heap)
	for _, c := range []struct {
		limit int64
		fits  bool
	}{{live * 10 / 7, true}, {live * 7 / 10, false}} {
		lim := microvm.Limits{Memory: c.limit + 128<<10, StackBytes: 64 << 10} // + static data and stack
		v, err, st := runGC(t, microvm.Config{}, lim, src)
		var le *value.LimitError
		switch {
		case c.fits && (err != nil || v != value.Int(40000)):
			t.Fatalf("live data of %d bytes under a limit of %d: %v, %v (%+v)", live, lim.Memory, v, err, st)
		case !c.fits && !(errors.As(err, &le) && le.Limit == value.LimitMemory):
			t.Fatalf("live data of %d bytes over a limit of %d: %v, %v", live, lim.Memory, v, err)
		}
	}
}

// Collections are deterministic: the same plan with the same budget collects at the same
// points, so it stops at the same point, with the same heap; the collector's fuel is
// part of what makes the budget run out there.
func TestGCIsDeterministic(t *testing.T) {
	const src = `(loop [i 0 acc {}]
  (if (< i 1000000) (recur (inc i) (assoc acc (mod i 500) (str "v" i))) (count acc)))`
	lim := microvm.Limits{Fuel: 1_000_000, Memory: 8 << 20}
	var first microvm.MemoryStats
	for run := 0; run < 3; run++ {
		_, err, st := runGC(t, microvm.Config{}, lim, src)
		var le *value.LimitError
		if !errors.As(err, &le) || le.Limit != value.LimitFuel {
			t.Fatalf("run %d: %v (the budget should run out)", run, err)
		}
		if st.Collections == 0 {
			t.Fatalf("run %d: no collection before the budget ran out", run)
		}
		if run == 0 {
			first = st
		} else if st != first {
			t.Fatalf("run %d stopped with %+v, the first with %+v", run, st, first)
		}
	}
}
