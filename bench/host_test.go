package bench

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
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
		// The collections per 10,000 calls, as Compile200 reports them per compile.
		gcs := gcsSince()
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
		b.StopTimer()
		b.ReportMetric(float64(gcs())/float64(b.N)*10_000, "GCs/10k-calls")
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

// BenchmarkHostResult: BenchmarkYield's call with the chain in memory, to a capability
// that returns a small map ({:a 1 :b "x"}), which the host writes into the guest's heap
// through the guest's own routines.
func BenchmarkHostResult(b *testing.B) {
	p, err := rtfsvm.PrepareSource(context.Background(), "map.rtfs", `(loop [i 0] (if (< i n) (do (call :bench.map i) (recur (+ i 1))) i))`, rtfsvm.EngineWasm)
	if err != nil {
		b.Fatal(err)
	}
	if err := p.WaitOptimized(context.Background()); err != nil {
		b.Fatal(err)
	}
	plan := orchestrator.Plan{Name: "map.rtfs", Prepared: p}
	result := value.EmptyMap.Assoc(value.Keyword("a"), value.Int(1)).Assoc(value.Keyword("b"), value.String("x"))
	reg := noopRegistry()
	reg.Register("bench.map", func(context.Context, []value.Value) (value.Value, error) { return result, nil })
	k, err := policy.NewKernel(policy.Policy{Default: policy.Deny, Rules: []policy.Rule{{Capability: "bench.*", Effect: policy.Allow}}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for left := b.N; left > 0; left -= 10_000 {
		b.StopTimer()
		o, err := orchestrator.New(orchestrator.Config{Store: store.NewMemory(), Kernel: k, Registry: reg})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		runCalls(b, o, plan, min(left, 10_000))
	}
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

// BenchmarkResume: resume a run after `history` host calls were recorded, up to its
// next call, from the store in memory or from SQLite (copied for each resume, so that
// every one resumes the same run).
//
// after=suspension: the run waits for an approval of its next call (the case);
// it was snapshotted at that call, so the resume restores the snapshot and replays
// nothing. after=crash: the process died; with snapshots (the default rhythm: every 100
// calls) the resume restores the newest one and replays the
// calls made since; without (snapshots=off), the plan runs again from the start and
// every recorded call is answered from the chain, which is the pure-replay figure.
// snapshot-B is the size of the newest snapshot, chain-B/call what the chain holds a
// host call.
func BenchmarkResume(b *testing.B) {
	for _, where := range []string{"memory", "sqlite"} {
		for _, history := range []int{10, 1000, 10000} {
			name := fmt.Sprintf("after=suspension/store=%s/history=%d", where, history)
			b.Run(name, func(b *testing.B) { benchmarkResume(b, where, history, true, true) })
		}
	}
	for _, where := range []string{"memory", "sqlite"} {
		for _, snapshots := range []bool{true, false} {
			for _, history := range []int{10, 1000, 10000} {
				name := fmt.Sprintf("after=crash/store=%s/snapshots=%s/history=%d", where, map[bool]string{true: "on", false: "off"}[snapshots], history)
				b.Run(name, func(b *testing.B) { benchmarkResume(b, where, history, snapshots, false) })
			}
		}
	}
}

func benchmarkResume(b *testing.B, where string, history int, snapshots, suspended bool) {
	plan := prepareLoop(b)
	reg := host.NewLocal(nil)
	stop := false
	reg.Register("bench.noop", func(context.Context, []value.Value) (value.Value, error) {
		if stop {
			return nil, errStop
		}
		return value.Nil, nil
	})
	every := 0 // the default
	if !snapshots {
		every = 1 << 30
	}
	kernel := benchKernel(b, every)
	if suspended {
		// The call after the history needs a person's approval.
		k, err := policy.NewKernel(policy.Policy{Default: policy.Deny, Rules: []policy.Rule{
			{Capability: "bench.*", Effect: policy.RequireApproval, When: fmt.Sprintf("args[0] == %d", history)},
			{Capability: "bench.*", Effect: policy.Allow}}})
		if err != nil {
			b.Fatal(err)
		}
		kernel = k
	}
	var st store.Store = store.NewMemory()
	dir := b.TempDir()
	if where == "sqlite" {
		var err error
		if st, err = store.Open(dir); err != nil {
			b.Fatal(err)
		}
	}
	// The process "dies" at the commit that would record result history+1, or the run
	// is suspended there.
	var recording store.Store = &dyingStore{Store: st, results: history}
	if suspended {
		recording = st
	}
	o, err := orchestrator.New(orchestrator.Config{Store: recording, Registry: reg, Kernel: kernel})
	if err != nil {
		b.Fatal(err)
	}
	env := value.EmptyMap.Assoc(value.Keyword("n"), value.Int(history+1))
	_, err = o.Run(context.Background(), plan, orchestrator.RunOptions{ID: "r", Env: env, Memory: 1 << 30, Timeout: time.Hour})
	var waiting *orchestrator.Suspended
	switch {
	case suspended && !errors.As(err, &waiting):
		b.Fatalf("the recorded run did not wait for an approval: %v", err)
	case suspended:
		if err := o.Approve("r", true, ""); err != nil {
			b.Fatal(err)
		}
	case err == nil:
		b.Fatal("the recorded run did not stop")
	}
	// What the chain holds a call: its actions' bodies, hashes, sequence numbers and
	// signatures, the run's start and snapshots included.
	chainBytes := 0
	st.Each(func(r chain.Record) bool { chainBytes += len(r.Body) + len(r.Hash) + 8 + len(r.Signature); return true })
	size := 0
	acts, _ := chain.Actions(st, "r")
	for _, a := range acts {
		if a.Kind == chain.Snapshot {
			n, _ := a.Data.(*value.Map).Get(value.Keyword("size"))
			size = int(n.(value.Int))
		}
	}
	st.Close()
	stop = true // the first live call after the replay ends the resumed run
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		var resumeFrom store.Store
		if where == "sqlite" {
			resumeFrom = copySQLite(b, dir)
		} else {
			resumeFrom = cloneStore(b, st.(*store.Memory))
		}
		o, err := orchestrator.New(orchestrator.Config{Store: resumeFrom, Registry: reg, Kernel: kernel})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := o.Resume(context.Background(), "r"); !errors.Is(err, errStop) {
			b.Fatalf("the resumed run: %v", err)
		}
		b.StopTimer()
		resumeFrom.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(size), "snapshot-B")
	b.ReportMetric(float64(chainBytes)/float64(history), "chain-B/call")
}

// copySQLite opens a copy of the (closed) SQLite store in dir.
func copySQLite(b *testing.B, dir string) store.Store {
	data, err := os.ReadFile(filepath.Join(dir, store.FileName))
	if err != nil {
		b.Fatal(err)
	}
	to := b.TempDir()
	// Synced, so that the resume's own fsync does not write the copy out.
	f, err := os.Create(filepath.Join(to, store.FileName))
	if err == nil {
		if _, err = f.Write(data); err == nil {
			err = f.Sync()
		}
		f.Close()
	}
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(to)
	if err != nil {
		b.Fatal(err)
	}
	return st
}

var errStop = errors.New("stop here")

// benchKernel allows the bench capabilities; every sets :checkpoints :every-calls (0:
// the default).
func benchKernel(b *testing.B, every int) *policy.Kernel {
	k, err := policy.NewKernel(policy.Policy{Default: policy.Deny, Rules: []policy.Rule{{Capability: "bench.*", Effect: policy.Allow}},
		Checkpoints: policy.Checkpoints{EveryCalls: every}})
	if err != nil {
		b.Fatal(err)
	}
	return k
}

// dyingStore is a durable store whose process dies at the commit that would hold more
// than `results` host call results.
type dyingStore struct {
	store.Store
	results int
}

func (s *dyingStore) Durable() bool { return true }

func (s *dyingStore) Commit(batch []*chain.Record, seal func(int64, [32]byte)) error {
	for _, r := range batch {
		if a, err := chain.Decode(*r); err == nil && a.Kind == chain.CapabilityResult {
			if s.results--; s.results < 0 {
				return errors.New("the process died")
			}
		}
	}
	return s.Store.Commit(batch, seal)
}

// cloneStore copies a store in memory: its chain, runs and modules, and the snapshots
// of run r.
func cloneStore(b *testing.B, m *store.Memory) *store.Memory {
	c := store.NewMemory()
	var records []*chain.Record
	m.Each(func(r chain.Record) bool { records = append(records, &r); return true })
	// Already sealed. In two commits, so that the copy's slice of records has room to
	// grow, as a store that was appended to does: the resume must not pay for copying
	// the whole history into a bigger slice at its first commit.
	c.Commit(records[:len(records)-1], func(int64, [32]byte) {})
	c.Commit(records[len(records)-1:], func(int64, [32]byte) {})
	runs, _ := m.Runs()
	for _, r := range runs {
		c.CreateRun(r)
	}
	acts, _ := chain.Actions(m, "r")
	hash := func(a *chain.Action, key string) [32]byte {
		h, _ := a.Data.(*value.Map).Get(value.Keyword(key))
		b, _ := hex.DecodeString(value.Str(h))
		return [32]byte(b)
	}
	for _, a := range acts {
		if a.Kind == chain.Snapshot {
			data, err := m.Snapshot(hash(a, "hash"))
			if err != nil {
				b.Fatal(err)
			}
			c.PutSnapshot(hash(a, "hash"), data, "", 0)
		}
	}
	bin, err := m.Module(hash(acts[0], "module"))
	if err != nil {
		b.Fatal(err)
	}
	c.PutModule(hash(acts[0], "module"), bin)
	// The garbage of the copy is collected now, not while the resume is measured.
	runtime.GC()
	return c
}
