package bench

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rtfsvm/rtfsvm"
	"github.com/rtfsvm/rtfsvm/chain"
	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/orchestrator"
	"github.com/rtfsvm/rtfsvm/policy"
	"github.com/rtfsvm/rtfsvm/store"
	"github.com/rtfsvm/rtfsvm/value"
)

// callLoop makes n host calls to a no-op capability and returns n.
const callLoop = `(loop [i 0] (if (< i n) (do (call :bench.noop i) (recur (+ i 1))) i))`

func noopRegistry() *host.Local {
	reg := host.NewLocal(nil)
	reg.Register("bench.noop", func(context.Context, []value.Value) (value.Value, error) { return value.Nil, nil })
	return reg
}

func newOrchestrator(b *testing.B, st store.Store) *orchestrator.Orchestrator {
	b.Helper()
	k, err := policy.NewKernel(policy.Policy{Default: policy.Deny, Rules: []policy.Rule{{Capability: "bench.*", Effect: policy.Allow}}})
	if err != nil {
		b.Fatal(err)
	}
	o, err := orchestrator.New(orchestrator.Config{Store: st, Kernel: k, Registry: noopRegistry()})
	if err != nil {
		b.Fatal(err)
	}
	return o
}

func prepareLoop(b *testing.B) orchestrator.Plan {
	b.Helper()
	p, err := rtfsvm.PrepareSource(context.Background(), "calls.rtfs", callLoop, rtfsvm.EngineWasm)
	if err != nil {
		b.Fatal(err)
	}
	if err := p.WaitOptimized(context.Background()); err != nil { // measure tier 1
		b.Fatal(err)
	}
	return orchestrator.Plan{Name: "calls.rtfs", Prepared: p}
}

// runCalls runs the loop plan for n calls as one run.
func runCalls(b *testing.B, o *orchestrator.Orchestrator, plan orchestrator.Plan, n int) {
	env := value.EmptyMap.Assoc(value.Keyword("n"), value.Int(n))
	v, err := o.Run(context.Background(), plan, orchestrator.RunOptions{Env: env, Memory: 1 << 30, Timeout: time.Hour})
	if err != nil || v != value.Int(n) {
		b.Errorf("%v, %v", v, err)
	}
}

// BenchmarkYield: one host call from a running VM to a no-op capability, through the
// kernel (default policy) and the registry, recorded on the chain (request, decision,
// result), with the chain in memory and in the SQLite store (each call durable before
// the plan continues: one fsync a call, since a lone run has no one to share it with).
func BenchmarkYield(b *testing.B) {
	plan := prepareLoop(b)
	b.Run("chain=memory", func(b *testing.B) {
		b.ReportAllocs()
		b.ResetTimer()
		// Runs of at most 10,000 calls, each with a fresh store: a store in memory keeps
		// every action, and a benchmark of millions of calls would otherwise measure the
		// Go heap's growth.
		for left := b.N; left > 0; left -= 10_000 {
			b.StopTimer()
			o := newOrchestrator(b, store.NewMemory())
			b.StartTimer()
			runCalls(b, o, plan, min(left, 10_000))
		}
	})
	b.Run("chain=sqlite", func(b *testing.B) {
		st, err := store.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		o := newOrchestrator(b, st)
		b.ResetTimer()
		runCalls(b, o, plan, b.N)
	})
}

// BenchmarkDurableThroughput: 64 runs at once, 1,000 host calls each, every call
// durable in the SQLite store before its plan continues; reports recorded host calls a
// second.
func BenchmarkDurableThroughput(b *testing.B) {
	const runs, calls = 64, 1000
	plan := prepareLoop(b)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := store.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		o := newOrchestrator(b, st)
		b.StartTimer()
		start := time.Now()
		var wg sync.WaitGroup
		for r := 0; r < runs; r++ {
			wg.Add(1)
			go func() { defer wg.Done(); runCalls(b, o, plan, calls) }()
		}
		wg.Wait()
		b.ReportMetric(float64(runs*calls)/time.Since(start).Seconds(), "calls/s")
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
}

// BenchmarkResume: resume a run whose process died after `history` host calls were
// recorded, up to its next call. Resuming is by replay here: the plan runs again from
// the start and every recorded call is answered from the chain, so the cost grows with
// the history (snapshots, which would make it flat, are not built yet).
func BenchmarkResume(b *testing.B) {
	for _, history := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprint("history=", history), func(b *testing.B) {
			mem := store.NewMemory()
			plan := prepareLoop(b)
			reg := host.NewLocal(nil)
			stop := false
			reg.Register("bench.noop", func(context.Context, []value.Value) (value.Value, error) {
				if stop {
					return nil, errStop
				}
				return value.Nil, nil
			})
			// The process "dies" at the commit after the run's start and its history.
			dying := &dyingStore{Memory: mem, dieAt: history + 2}
			o, err := orchestrator.New(orchestrator.Config{Store: dying, Registry: reg, Kernel: benchKernel(b)})
			if err != nil {
				b.Fatal(err)
			}
			env := value.EmptyMap.Assoc(value.Keyword("n"), value.Int(history+1))
			if _, err := o.Run(context.Background(), plan, orchestrator.RunOptions{ID: "r", Env: env, Memory: 1 << 30, Timeout: time.Hour}); err == nil {
				b.Fatal("the recorded run did not stop")
			}
			stop = true // the first live call after the replay ends the resumed run
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				o, err := orchestrator.New(orchestrator.Config{Store: cloneStore(b, mem), Registry: reg, Kernel: benchKernel(b)})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, err := o.Resume(context.Background(), "r"); !errors.Is(err, errStop) {
					b.Fatalf("the resumed run: %v", err)
				}
			}
		})
	}
}

var errStop = errors.New("stop here")

func benchKernel(b *testing.B) *policy.Kernel {
	k, err := policy.NewKernel(policy.Policy{Default: policy.Deny, Rules: []policy.Rule{{Capability: "bench.*", Effect: policy.Allow}}})
	if err != nil {
		b.Fatal(err)
	}
	return k
}

// dyingStore is a durable store whose process dies at its nth commit.
type dyingStore struct {
	*store.Memory
	commits, dieAt int
}

func (s *dyingStore) Durable() bool { return true }

func (s *dyingStore) Commit(batch []*chain.Record, seal func(int64, [32]byte)) error {
	if s.commits++; s.commits >= s.dieAt {
		return errors.New("the process died")
	}
	return s.Memory.Commit(batch, seal)
}

// cloneStore copies a store in memory: its chain, runs and modules.
func cloneStore(b *testing.B, m *store.Memory) *store.Memory {
	c := store.NewMemory()
	var records []*chain.Record
	m.Each(func(r chain.Record) bool { records = append(records, &r); return true })
	c.Commit(records, func(int64, [32]byte) {}) // already sealed
	runs, _ := m.Runs()
	for _, r := range runs {
		c.CreateRun(r)
	}
	acts, _ := chain.Actions(m, "r")
	module, _ := acts[0].Data.(*value.Map).Get(value.Keyword("module"))
	if h, err := hex.DecodeString(value.Str(module)); err == nil {
		var hash [32]byte
		copy(hash[:], h)
		bin, err := m.Module(hash)
		if err != nil {
			b.Fatal(err)
		}
		c.PutModule(hash, bin)
	}
	return c
}
