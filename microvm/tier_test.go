package microvm_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/microvm"
	"github.com/rtfsvm/rtfsvm/resolve"
	"github.com/rtfsvm/rtfsvm/stdlib"
	"github.com/rtfsvm/rtfsvm/syntax"
	"github.com/rtfsvm/rtfsvm/value"
)

// tiers are an engine a tier: tier 0 only (wazero's interpreter) and tier 1 only (the
// optimizing compiler, an engine without tiering).
func tiers(t testing.TB) [2]*microvm.Engine {
	t.Helper()
	ctx := context.Background()
	e0, err := microvm.NewEngine(ctx, microvm.Config{Tier0Only: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e0.Close(ctx) })
	return [2]*microvm.Engine{e0, engine(t)}
}

// outcome runs src and describes what happened: the printed value or the error kind.
func outcome(t testing.TB, e *microvm.Engine, src string, opts microvm.SpawnOptions, tier1 bool) string {
	t.Helper()
	ctx := context.Background()
	vm, err := compile(t, e, src).Spawn(ctx, e, opts)
	if err != nil {
		return "spawn: " + describe(nil, err)
	}
	defer vm.Close(ctx)
	if vm.Optimized() != tier1 {
		t.Fatalf("the VM runs on tier 1: %v, want %v", vm.Optimized(), tier1)
	}
	return describe(vm.Run(ctx))
}

func describe(v value.Value, err error) string {
	var le *value.LimitError
	var re *value.Error
	switch {
	case err == nil:
		return value.Print(v)
	case errors.As(err, &le):
		return value.Print(le.Limit)
	case errors.As(err, &re):
		return value.Print(re.ErrKind) + " at " + re.At
	}
	return "failure: " + err.Error()
}

// Both tiers give the same values, errors (with their positions) and limits.
func TestTiersAgree(t *testing.T) {
	es := tiers(t)
	for _, tt := range []struct {
		src    string
		limits microvm.Limits
	}{
		{"(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2))))) (fib 18)", microvm.Limits{}},
		{`(reduce + (map (fn [i] (* i i)) (filter even? (range 1000))))`, microvm.Limits{}},
		{`(let [m (reduce (fn [m i] (assoc m (str "k" i) [i 1.5 :x])) {} (range 300))] [(count m) (get m "k7")])`, microvm.Limits{}},
		{`(step "s" (call :ccos.echo {:a [1 2 3] :b "x"}))`, microvm.Limits{}},
		{`(try (/ 1 0) (catch e (error-kind e)))`, microvm.Limits{}},
		{"(+ 1\n  (nth [1 2] 5))", microvm.Limits{}},
		{`(upper-case (str "a" 1 :b))`, microvm.Limits{}},
		{"(loop [i 0] (recur (+ i 1)))", microvm.Limits{Fuel: 100_000}},
		{"(defn f [n] (+ 1 (f n))) (f 1)", microvm.Limits{}},
		{"(defn f [n] (+ 1 (f n))) (f 1)", microvm.Limits{StackBytes: 640 << 10}},
		{"(loop [x 1.5] (recur (+ x 1.0)))", microvm.Limits{Memory: 1 << 20}},
		// What tier 0 calls a routine for (guest/tier0.go): the arithmetic and the
		// comparisons off their fixnum paths, and the entry's argument count, with the
		// sites of their errors.
		{`(defn f [a b] (+ a b)) (defn g [a b] (- a b))
		  [(f 1 2) (f 1.5 2) (f 4611686018427387903 1) (g -4611686018427387904 1) (- 5 3) (- 5.5 3) (+ 2 -7)
		   (> 2 1.5) (<= 1 1) (>= "a" "b") (< 1 2) (map (fn [x] (- x 1)) [1 2.5])]`, microvm.Limits{}},
		{"(defn f [a b] (+ a\n b)) (f 1 \"x\")", microvm.Limits{}},
		{"(let [x :k] (- x\n 1))", microvm.Limits{}},
		{"(< 1\n nil)", microvm.Limits{}},
		{"(+ 9223372036854775807\n 1)", microvm.Limits{}},
		{"(defn f [a] a)\n(f 1\n 2)", microvm.Limits{}},
		{"(reduce (fn [a b] (+ a b))\n [1 2 :x])", microvm.Limits{}},
		{`(defn f [x] (step "inner" (* x 2))) (step "outer" (+ (f 3) (f 4)))`, microvm.Limits{}},
		{"(step \"s\"\n (+ 1 :x))", microvm.Limits{}},
	} {
		opts := microvm.SpawnOptions{Limits: tt.limits}
		t0, t1 := outcome(t, es[0], tt.src, opts, false), outcome(t, es[1], tt.src, opts, true)
		if t0 != t1 {
			t.Errorf("%s:\n tier 0: %s\n tier 1: %s", tt.src, t0, t1)
		}
	}
}

// smallest returns the smallest n in [lo, hi] for which ok(n), given that ok is monotone.
func smallest(lo, hi int64, ok func(int64) bool) int64 {
	for lo < hi {
		mid := (lo + hi) / 2
		if ok(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// Fuel is charged by our code, so a program runs out of it at the same point on both
// tiers: the smallest budget that finishes is the same, and one unit less is
// :limit/fuel on both. A host helper's charges are included.
func TestTiersBurnTheSameFuel(t *testing.T) {
	es := tiers(t)
	for _, src := range []string{
		"(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2))))) (fib 12)",
		`(count (reduce (fn [s i] (str s (upper-case "ab") i)) "" (range 40)))`,
		`(defn f [a b] (if (> a 2.5) (step "big" (+ a b)) (- b a))) (reduce + (map (fn [i] (f i (call :ccos.echo i))) (range 30)))`,
	} {
		var need [2]int64
		for tier, e := range es {
			need[tier] = smallest(1, 10_000_000, func(fuel int64) bool {
				return outcome(t, e, src, microvm.SpawnOptions{Limits: microvm.Limits{Fuel: fuel}}, tier == 1) != ":limit/fuel"
			})
			if got := outcome(t, e, src, microvm.SpawnOptions{Limits: microvm.Limits{Fuel: need[tier] - 1}}, tier == 1); got != ":limit/fuel" {
				t.Errorf("tier %d, %s, one unit short: %s", tier, src, got)
			}
		}
		if need[0] != need[1] {
			t.Errorf("%s needs %d fuel on tier 0, %d on tier 1", src, need[0], need[1])
		}
	}
}

// The memory and stack limits stop a program at the same point on both tiers: the
// largest collection that fits the memory limit and the deepest recursion that fits
// the shadow stack are the same.
func TestTiersHitTheSameLimits(t *testing.T) {
	es := tiers(t)
	for _, tt := range []struct {
		name, src, limit string
		limits           microvm.Limits
	}{
		{"memory", "(loop [i 0 v []] (if (= i %d) (count v) (recur (inc i) (conj v [i]))))", ":limit/memory", microvm.Limits{Memory: 2 << 20}},
		{"stack", "(defn depth [n] (if (= n 0) 0 (+ 1 (depth (- n 1))))) (depth %d)", ":limit/stack", microvm.Limits{StackBytes: 64 << 10}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var first [2]int64 // the smallest n that hits the limit
			for tier, e := range es {
				first[tier] = smallest(1, 1_000_000, func(n int64) bool {
					got := outcome(t, e, fmt.Sprintf(tt.src, n), microvm.SpawnOptions{Limits: tt.limits}, tier == 1)
					if got != tt.limit && got != fmt.Sprint(n) {
						t.Fatalf("tier %d, n=%d: %s", tier, n, got)
					}
					return got == tt.limit
				})
			}
			if first[0] != first[1] || first[0] == 1_000_000 {
				t.Errorf("%s from n=%d on tier 0, n=%d on tier 1", tt.limit, first[0], first[1])
			}
		})
	}
}

// A tiered engine's module is ready on tier 0; VMs spawned after tier 1 is ready run
// on tier 1, with the same result, and the memory pool serves both tiers.
func TestTieredEngineSwitchesToTier1(t *testing.T) {
	ctx := context.Background()
	e, release, err := microvm.NewHeldEngine(ctx, microvm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	m := compile(t, e, `(step "s" (reduce + (map (fn [i] (* i n)) (range 100))))`)
	env := value.EmptyMap.Assoc(value.Keyword("n"), value.Int(3))
	spawnRun := func(wantTier1 bool) {
		t.Helper()
		vm, err := m.Spawn(ctx, e, microvm.SpawnOptions{Env: env})
		if err != nil {
			t.Fatal(err)
		}
		defer vm.Close(ctx)
		if vm.Optimized() != wantTier1 {
			t.Fatalf("VM on tier 1: %v, want %v", vm.Optimized(), wantTier1)
		}
		if v, err := vm.Run(ctx); err != nil || !value.Equal(v, value.Int(14850)) {
			t.Fatalf("%v, %v", v, err)
		}
	}
	if m.Optimized() {
		t.Fatal("tier 1 is ready before its compilation was released")
	}
	spawnRun(false)
	spawnRun(false) // a recycled memory
	release()
	if err := m.WaitOptimized(ctx); err != nil {
		t.Fatal(err)
	}
	if !m.Optimized() {
		t.Fatal("WaitOptimized returned before tier 1 was ready")
	}
	spawnRun(true) // a memory that a tier-0 VM used
	spawnRun(true)
	// The module's own bytes, loaded again (as rtfsvm run does with a compiled module).
	if m2, err := e.Load(ctx, m.Binary()); err != nil || m2 != m || !m2.Optimized() {
		t.Fatalf("loading the same module again does not give the optimized module (%v)", err)
	}
}

// A VM whose shadow stack is deeper than tier 0 allows waits for tier 1.
func TestDeepStackWaitsForTier1(t *testing.T) {
	ctx := context.Background()
	e, release, err := microvm.NewHeldEngine(ctx, microvm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	m := compile(t, e, "(defn depth [n] (if (= n 0) 0 (+ 1 (depth (- n 1))))) (depth 100000)")
	done := make(chan error, 1)
	go func() {
		vm, err := m.Spawn(ctx, e, microvm.SpawnOptions{Limits: microvm.Limits{StackBytes: 4 << 20}})
		if err == nil {
			if !vm.Optimized() {
				err = errors.New("a VM with a 4 MB shadow stack runs on tier 0")
			} else if v, rerr := vm.Run(ctx); rerr != nil || !value.Equal(v, value.Int(100000)) {
				err = fmt.Errorf("%v, %v", v, rerr)
			}
			vm.Close(ctx) // before the test closes the engine
		}
		done <- err
	}()
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Close cancels the tier-1 compilations that have not run and waits for the others:
// no goroutine outlives the engine, and the modules say why they have no tier 1.
func TestCloseStopsBackgroundCompilation(t *testing.T) {
	ctx := context.Background()
	e, _, err := microvm.NewHeldEngine(ctx, microvm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var ms []*microvm.Module
	for i := 0; i < 4; i++ {
		ms = append(ms, compile(t, e, fmt.Sprintf("(+ %d x)", i)))
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if err := m.WaitOptimized(ctx); !errors.Is(err, microvm.ErrClosed) {
			t.Fatalf("WaitOptimized after Close: %v", err)
		}
	}

	// An engine closed while its compilations run: Close waits for them.
	e, err = microvm.NewEngine(ctx, microvm.Config{Tiered: true})
	if err != nil {
		t.Fatal(err)
	}
	ms = ms[:0]
	for i := 0; i < 4; i++ {
		ms = append(ms, compile(t, e, fmt.Sprintf("(defn f [x] (* x %d)) (f (+ 1 x))", i)))
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if err := m.WaitOptimized(ctx); err != nil && !errors.Is(err, microvm.ErrClosed) {
			t.Fatalf("WaitOptimized after Close: %v", err)
		}
	}
}

// A module that tier 1 compiled into a cache directory is compiled for tier 1 at once
// by the next engine on that directory.
func TestCachedModuleStartsOnTier1(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := "(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2))))) (fib 10)"
	e, release, err := microvm.NewHeldEngine(ctx, microvm.Config{CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	m := compile(t, e, src)
	if m.Optimized() {
		t.Fatal("a new module is optimized at once")
	}
	release()
	if err := m.WaitOptimized(ctx); err != nil {
		t.Fatal(err)
	}
	e.Close(ctx)

	e, err = microvm.NewEngine(ctx, microvm.Config{CacheDir: dir, Tiered: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	// Load, not Compile: the same source does not always compile to the same bytes yet.
	if m, err := e.Load(ctx, m.Binary()); err != nil || !m.Optimized() {
		t.Fatalf("a module in the cache directory starts on tier 0 (%v)", err)
	}
}

// The conformance corpus (../testdata/conformance, as the root package's
// TestConformance runs it on the wasm engine) on tier 0.
func TestConformanceOnTier0(t *testing.T) {
	ctx := context.Background()
	e, err := microvm.NewEngine(ctx, microvm.Config{Tier0Only: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	n := 0
	err = filepath.WalkDir("../testdata/conformance", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".rtfs") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		src, env, want := string(data), value.EmptyMap, ""
		for _, line := range strings.Split(src, "\n") {
			line = strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(line, ";; => "):
				want = strings.TrimPrefix(line, ";; => ")
			case strings.HasPrefix(line, ";; !! "):
				want = strings.TrimSpace(strings.TrimPrefix(line, ";; !! "))
			case strings.HasPrefix(line, ";; env "):
				form, err := syntax.ReadOne(path, strings.TrimPrefix(line, ";; env "))
				if err != nil {
					return err
				}
				env = syntax.Datum(form).(*value.Map)
			}
		}
		n++
		if got := conformanceOutcome(e, path, src, env); got != want {
			t.Errorf("%s on tier 0: want %s, got %s", path, want, got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 1000 {
		t.Fatalf("only %d cases", n)
	}
}

// conformanceOutcome runs a corpus case on e as rtfsvm.Prepare and Prepared.Run do:
// the value printed, or the kind of error ("static" before the plan runs).
func conformanceOutcome(e *microvm.Engine, path, src string, env *value.Map) string {
	ctx := context.Background()
	forms, err := syntax.Read(path, src)
	if err != nil {
		return "static"
	}
	prog, err := resolve.ProgramWithPrelude(path, forms, stdlib.PreludeForms(), stdlib.Lookup)
	if err != nil {
		return "static"
	}
	m, err := e.Compile(ctx, prog)
	if err != nil {
		return "static"
	}
	h := host.NewLocal(nil)
	h.Register("test.fail", func(_ context.Context, args []value.Value) (value.Value, error) {
		msg := "failed"
		if len(args) > 0 {
			msg = value.Str(args[0])
		}
		return nil, value.Errorf(value.ErrCapability, "%s", msg)
	})
	vm, err := m.Spawn(ctx, e, microvm.SpawnOptions{Env: env, Host: h})
	if err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			return "static"
		}
		return kind(nil, err)
	}
	defer vm.Close(ctx)
	return kind(vm.Run(ctx))
}

// kind is describe without the position of an RTFS error.
func kind(v value.Value, err error) string {
	var re *value.Error
	if err != nil && errors.As(err, &re) {
		return value.Print(re.ErrKind)
	}
	return describe(v, err)
}

// snapshotting is a host that has its VM snapshot before every host call.
type snapshotting struct {
	host.Host
	taken []*host.Snapshot
}

func (h *snapshotting) SnapshotDue(int, value.Value) bool { return true }

func (h *snapshotting) Snapshot(_ context.Context, s *host.Snapshot) error {
	h.taken = append(h.taken, s)
	return nil
}

// Tier 0's code has no resume points: a VM there takes no snapshot, and a VM restored
// from a snapshot waits for tier 1, which rewinds into it.
func TestTier0TakesNoSnapshots(t *testing.T) {
	ctx := context.Background()
	const src = `(defn f [i] (+ i (call :ccos.echo i))) (+ (f 1) (f 2) (f 3))`
	run := func(e *microvm.Engine, h *snapshotting, wantTier1 bool) {
		t.Helper()
		if got := outcome(t, e, src, microvm.SpawnOptions{Host: h}, wantTier1); got != "12" {
			t.Fatalf("ran to %s", got)
		}
	}
	e, release, err := microvm.NewHeldEngine(ctx, microvm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	h0 := &snapshotting{Host: host.NewLocal(nil)}
	run(e, h0, false)
	if len(h0.taken) != 0 {
		t.Fatalf("%d snapshots on tier 0", len(h0.taken))
	}
	release()
	if err := compile(t, e, src).WaitOptimized(ctx); err != nil {
		t.Fatal(err)
	}
	h1 := &snapshotting{Host: host.NewLocal(nil)}
	run(e, h1, true)
	if len(h1.taken) != 3 {
		t.Fatalf("%d snapshots on tier 1, want one a call", len(h1.taken))
	}

	// A fresh engine, whose tier 1 is held: the restore waits for it.
	e2, release2, err := microvm.NewHeldEngine(ctx, microvm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close(ctx)
	m := compile(t, e2, src)
	done := make(chan error, 1)
	go func() {
		vm, err := m.Restore(ctx, e2, microvm.SpawnOptions{Host: host.NewLocal(nil)}, h1.taken[1].Data)
		if err == nil {
			if !vm.Optimized() {
				err = errors.New("a restored VM runs on tier 0")
			} else if v, rerr := vm.Run(ctx); rerr != nil || !value.Equal(v, value.Int(12)) {
				err = fmt.Errorf("the restored VM ran to %v, %v", v, rerr)
			}
			vm.Close(ctx)
		}
		done <- err
	}()
	release2()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
