package microvm_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/internal/guest"
	"github.com/rtfsvm/rtfsvm/microvm"
	"github.com/rtfsvm/rtfsvm/resolve"
	"github.com/rtfsvm/rtfsvm/stdlib"
	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
)

func engine(t testing.TB) *microvm.Engine {
	t.Helper()
	ctx := context.Background()
	e, err := microvm.NewEngine(ctx, microvm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(ctx) })
	return e
}

func compile(t testing.TB, e *microvm.Engine, src string) *microvm.Module {
	t.Helper()
	forms, err := syntax.Read("t.rtfs", src)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := resolve.ProgramWithPrelude("t.rtfs", forms, stdlib.PreludeForms(), stdlib.Lookup)
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.Compile(context.Background(), prog)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func run(t testing.TB, e *microvm.Engine, src string, opts microvm.SpawnOptions) (value.Value, error) {
	t.Helper()
	ctx := context.Background()
	vm, err := compile(t, e, src).Spawn(ctx, e, opts)
	if err != nil {
		return nil, err
	}
	defer vm.Close(ctx)
	return vm.Run(ctx)
}

func TestRunsAPlan(t *testing.T) {
	e := engine(t)
	v, err := run(t, e, "(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2))))) (fib 20)", microvm.SpawnOptions{})
	if err != nil || value.Print(v) != "6765" {
		t.Fatalf("fib 20 = %v, %v", v, err)
	}
}

func TestTenThousandNestedCalls(t *testing.T) {
	v, err := run(t, engine(t), "(defn depth [n] (if (= n 0) 0 (+ 1 (depth (- n 1))))) (depth 10000)", microvm.SpawnOptions{})
	if err != nil || value.Print(v) != "10000" {
		t.Fatalf("depth 10000 = %v, %v", v, err)
	}
}

func limitOf(err error) string {
	var le *value.LimitError
	if errors.As(err, &le) {
		return value.Print(le.Limit)
	}
	return "no limit"
}

func TestLimits(t *testing.T) {
	e := engine(t)
	tests := []struct {
		name, src string
		limits    microvm.Limits
		want      string
	}{
		{"fuel", "(loop [i 0] (recur (+ i 1)))", microvm.Limits{Fuel: 100_000}, ":limit/fuel"},
		{"stack", "(defn f [n] (+ 1 (f n))) (f 1)", microvm.Limits{}, ":limit/stack"},
		{"timeout", "(loop [i 0] (recur (+ i 1)))", microvm.Limits{Timeout: 20 * time.Millisecond}, ":limit/timeout"},
		{"memory", "(loop [x 1.5] (recur (+ x 1.0)))", microvm.Limits{Memory: 1 << 20}, ":limit/memory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(t, e, tt.src, microvm.SpawnOptions{Limits: tt.limits})
			if got := limitOf(err); got != tt.want {
				t.Fatalf("got %s (%v), want %s", got, err, tt.want)
			}
		})
	}
}

// The same program with the same budget stops at the same point: the fuel it burns is
// deterministic.
func TestFuelIsDeterministic(t *testing.T) {
	e := engine(t)
	src := "(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2))))) (fib 15)"
	lo, hi := int64(1), int64(1_000_000)
	for lo < hi { // the smallest budget that finishes
		mid := (lo + hi) / 2
		if _, err := run(t, e, src, microvm.SpawnOptions{Limits: microvm.Limits{Fuel: mid}}); err == nil {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	for i := 0; i < 3; i++ {
		if _, err := run(t, e, src, microvm.SpawnOptions{Limits: microvm.Limits{Fuel: lo}}); err != nil {
			t.Fatalf("budget %d finished once but not again: %v", lo, err)
		}
		if _, err := run(t, e, src, microvm.SpawnOptions{Limits: microvm.Limits{Fuel: lo - 1}}); limitOf(err) != ":limit/fuel" {
			t.Fatalf("budget %d: %v, want :limit/fuel", lo-1, err)
		}
	}
}

// A module imports nothing but the host module of rtfsvm: no WASI, no clock, no
// randomness.
func TestImportsOnlyTheHostModule(t *testing.T) {
	e := engine(t)
	m := compile(t, e, `(step "s" (call :ccos.echo (+ 1 2)))`)
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	cm, err := r.CompileModule(ctx, m.Binary())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range cm.ImportedFunctions() {
		mod, name, _ := f.Import()
		if mod != guest.HostModule {
			t.Errorf("imports %s.%s", mod, name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	want := "abort check_type checkpoint_at helper host_batch host_call raise refuel step throw"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("imports %s, want %s", got, want)
	}
	if len(cm.ImportedMemories()) != 0 {
		t.Error("a module must not import memory")
	}
}

// Many VMs of one module run at once, each with its own environment and host, and do
// not see each other.
func TestConcurrentVMs(t *testing.T) {
	e := engine(t)
	m := compile(t, e, `(step "s" (reduce + (map (fn [i] (* i n)) (range 100))))`)
	ctx := context.Background()
	errs := make(chan error, 32)
	for k := 0; k < 32; k++ {
		go func() {
			env := value.EmptyMap.Assoc(value.Keyword("n"), value.Int(k))
			vm, err := m.Spawn(ctx, e, microvm.SpawnOptions{Env: env})
			if err != nil {
				errs <- err
				return
			}
			v, err := vm.Run(ctx)
			if err == nil && !value.Equal(v, value.Int(4950*int64(k))) {
				err = fmt.Errorf("VM %d computed %s", k, value.Print(v))
			}
			vm.Close(ctx) // before the test ends and closes the engine
			errs <- err
		}()
	}
	for k := 0; k < 32; k++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// A VM remembers the keyword ids of its host calls (up to a bound): every call must
// still reach the capability its id names, whether literal, computed, remembered or past
// the bound, and a string id is not taken for a keyword.
func TestCapabilityIDs(t *testing.T) {
	e := engine(t)
	h := host.NewLocal(nil)
	var got []string
	for i := 0; i < 100; i++ {
		id := fmt.Sprintf("t.c%d", i)
		h.Register(id, func(context.Context, []value.Value) (value.Value, error) {
			got = append(got, id)
			return value.Int(i), nil
		})
	}
	src := `(let [literal (+ (call :t.c1) (call :t.c1) (call "t.c2"))
	             computed (reduce + 0 (map (fn [i] (+ (call (keyword (str "t.c" i))) (call (keyword (str "t.c" i)))))
	                                       (range 100)))]
	         [literal computed])`
	v, err := run(t, e, src, microvm.SpawnOptions{Host: h})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("[4 %d]", 2*99*100/2); value.Print(v) != want {
		t.Fatalf("got %s, want %s", value.Print(v), want)
	}
	if len(got) != 3+200 || got[0] != "t.c1" || got[2] != "t.c2" || got[201] != "t.c99" || got[202] != "t.c99" {
		t.Fatalf("capabilities called: %d, %v ... %v", len(got), got[:3], got[len(got)-2:])
	}
}

// An engine keeps at most maxModules modules by hash, forgetting the oldest; a module it
// forgot still spawns VMs for whoever holds it, and compiling its plan again gives a
// module that runs the same.
func TestEngineForgetsOldModules(t *testing.T) {
	defer microvm.SetMaxModules(microvm.SetMaxModules(3))
	for _, cfg := range []microvm.Config{{}, {Tiered: true}} {
		e, err := microvm.NewEngine(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		first := compile(t, e, "(+ 1 0)")
		for i := 2; i <= 6; i++ {
			compile(t, e, fmt.Sprintf("(+ 1 %d)", i))
		}
		if n := e.Kept(); n != 3 {
			t.Fatalf("the engine keeps %d modules; want 3", n)
		}
		again := compile(t, e, "(+ 1 0)")
		if again == first {
			t.Fatal("the oldest module was not forgotten")
		}
		for _, m := range []*microvm.Module{first, again} {
			vm, err := m.Spawn(context.Background(), e, microvm.SpawnOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if v, err := vm.Run(context.Background()); err != nil || v != value.Int(1) {
				t.Fatalf("a forgotten module ran to %v, %v", v, err)
			}
			vm.Close(context.Background())
		}
		e.Close(context.Background())
	}
}
