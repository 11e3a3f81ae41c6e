package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/rtfsvm/rtfsvm/chain"
	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/policy"
	"github.com/rtfsvm/rtfsvm/store"
	"github.com/rtfsvm/rtfsvm/value"
)

// dyingStore is a durable store whose process "dies" at its nth commit: that commit and
// every later one fail, as if the machine stopped.
type dyingStore struct {
	*store.Memory
	mu      sync.Mutex
	commits int
	dieAt   int
}

func (s *dyingStore) Durable() bool { return true }

func (s *dyingStore) Commit(batch []*chain.Record, seal func(int64, [32]byte)) error {
	s.mu.Lock()
	s.commits++
	dead := s.commits >= s.dieAt
	s.mu.Unlock()
	if dead {
		return errors.New("the process died")
	}
	return s.Memory.Commit(batch, seal)
}

// effects is a capability that counts its executions by idempotency key.
type effects struct {
	mu   sync.Mutex
	runs map[string]int
}

func (e *effects) provider(_ context.Context, c host.Call) (value.Value, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.runs[c.IdempotencyKey]++
	return value.Int(c.Args[0].(value.Int) * 10), nil
}

const fiveCalls = `(step "work" (reduce + 0 (map (fn [i] (call :ccos.effect i)) [1 2 3 4 5])))`

// A run whose process dies in the middle resumes where the chain says it was: every
// call with a recorded result is answered from the chain; the call that was in flight
// runs again with the same idempotency key; the value is the one an unbroken run gives,
// and the chain verifies with nothing lost or repeated.
func TestResumeAfterACrash(t *testing.T) {
	for dieAt := 2; dieAt <= 6; dieAt++ {
		mem := store.NewMemory()
		fx := &effects{runs: map[string]int{}}
		reg := host.NewLocal(nil)
		reg.Provide("ccos.effect", fx.provider)
		dying := &dyingStore{Memory: mem, dieAt: dieAt}
		o1 := newOrchestrator(t, Config{Store: dying, Registry: reg})
		if _, err := o1.Run(context.Background(), prepare(t, fiveCalls), RunOptions{ID: "r"}); err == nil || !strings.Contains(err.Error(), "died") {
			t.Fatalf("die at commit %d: the run did not stop: %v", dieAt, err)
		}
		// A new process, on what the dead one left.
		o2 := newOrchestrator(t, Config{Store: mem, Registry: reg})
		v, err := o2.Resume(context.Background(), "r")
		if err != nil || v != value.Int(150) {
			t.Fatalf("die at commit %d: resumed to %v, %v", dieAt, v, err)
		}
		acts := actions(t, o2, "r")
		checkEachCallOnce(t, acts, fx, 5, fmt.Sprintf("die at commit %d", dieAt))
		if last := acts[len(acts)-1]; last.Kind != chain.RunCompleted {
			t.Fatalf("die at commit %d: the chain ends with %s", dieAt, last.Kind)
		}
		if r, _ := mem.Run("r"); r.Status != store.Completed {
			t.Fatalf("die at commit %d: run status %s", dieAt, r.Status)
		}
		// Resuming a finished run gives its value again and runs nothing.
		before := len(acts)
		if v, err := o2.Resume(context.Background(), "r"); err != nil || v != value.Int(150) || len(actions(t, o2, "r")) != before {
			t.Fatalf("resuming a finished run: %v, %v", v, err)
		}
	}
}

// checkEachCallOnce checks that run r's calls 1 to n were each requested once on the
// chain, and their effect ran once or twice (again, with the same key, when the process
// died before the result was recorded).
func checkEachCallOnce(t *testing.T, acts []*chain.Action, fx *effects, n int, what string) {
	t.Helper()
	requests := map[string]int{}
	for _, a := range acts {
		if a.Kind == chain.CapabilityRequested {
			requests[value.Str(mapField(a.Data, "idempotency-key"))]++
		}
	}
	for i := 1; i <= n; i++ {
		key := "r:" + itoa(int64(i))
		if requests[key] != 1 || fx.runs[key] < 1 || fx.runs[key] > 2 {
			t.Fatalf("%s: call %s requested %d times, run %d times", what, key, requests[key], fx.runs[key])
		}
	}
}

// A resumed run whose plan makes other requests than those recorded stops with a
// divergence error naming the call, and records nothing.
func TestResumeDivergence(t *testing.T) {
	mem := store.NewMemory()
	reg := host.NewLocal(nil)
	fx := &effects{runs: map[string]int{}}
	reg.Provide("ccos.effect", fx.provider)
	o1 := newOrchestrator(t, Config{Store: &dyingStore{Memory: mem, dieAt: 4}, Registry: reg})
	o1.Run(context.Background(), prepare(t, fiveCalls), RunOptions{ID: "r"})
	o2 := newOrchestrator(t, Config{Store: mem, Registry: reg})
	changed := prepare(t, strings.Replace(fiveCalls, "[1 2 3 4 5]", "[1 7 3 4 5]", 1))
	before := len(actions(t, o2, "r"))
	_, err := o2.ResumeWith(context.Background(), "r", &changed)
	var d *DivergenceError
	if !errors.As(err, &d) || d.Seq != 2 || !strings.Contains(err.Error(), "host call 2 in step work") {
		t.Fatalf("%v", err)
	}
	if after := len(actions(t, o2, "r")); after != before {
		t.Fatalf("a diverged resume recorded %d actions", after-before)
	}
	if v, err := o2.Resume(context.Background(), "r"); err != nil || v != value.Int(150) {
		t.Fatalf("resuming with the recorded module: %v, %v", v, err)
	}
}

// A call that a :require-approval rule governs parks the run; an approval lets the call
// run when the run resumes, a denial reaches the plan as a catchable :error/denied.
func TestApprovalFlow(t *testing.T) {
	for _, approve := range []bool{true, false} {
		mem := store.NewMemory()
		p := policy.DefaultPolicy()
		p.Rules = append([]policy.Rule{{Capability: "ccos.math.*", Effect: policy.RequireApproval}}, p.Rules...)
		o := newOrchestrator(t, Config{Store: mem, Kernel: kernel(t, p)})
		plan := prepare(t, `[(call :ccos.echo 1) (try (call :ccos.math.add 2 3) (catch :error/denied e (error-message e)))]`)
		_, err := o.Run(context.Background(), plan, RunOptions{ID: "r"})
		var s *Suspended
		if !errors.As(err, &s) || s.Waiting != "approval" || s.Capability != "ccos.math.add" {
			t.Fatalf("run: %v", err)
		}
		if pending, _ := o.Approvals(); len(pending) != 1 || pending[0].RunID != "r" {
			t.Fatalf("approvals: %v", pending)
		}
		if _, err := o.Resume(context.Background(), "r"); !errors.As(err, &s) {
			t.Fatalf("resuming before the approval: %v", err)
		}
		if err := o.Complete("r", value.Int(1)); !errors.Is(err, ErrNotWaiting) {
			t.Fatalf("completing a run that waits for an approval: %v", err)
		}
		if err := o.Approve("r", approve, "looks fine"); err != nil {
			t.Fatal(err)
		}
		if pending, _ := o.Approvals(); len(pending) != 0 {
			t.Fatalf("approvals after the decision: %v", pending)
		}
		v, err := o.Resume(context.Background(), "r")
		want := "[1 5]"
		if !approve {
			want = `[1 "a person denied it: looks fine"]`
		}
		if err != nil || value.Print(v) != want {
			t.Fatalf("approve %v: resumed to %v, %v", approve, v, err)
		}
		actions(t, o, "r")
	}
}

// A :human capability parks the run until a person's answer is recorded; the answer is
// the call's value when the run resumes.
func TestHumanInputFlow(t *testing.T) {
	o := newOrchestrator(t, Config{})
	plan := prepare(t, `(str "hello " (call :ccos.user.ask "your name?"))`)
	_, err := o.Run(context.Background(), plan, RunOptions{ID: "r"})
	var s *Suspended
	if !errors.As(err, &s) || s.Waiting != "input" || s.Question != value.String("your name?") {
		t.Fatalf("run: %v", err)
	}
	if err := o.Approve("r", true, ""); !errors.Is(err, ErrNotWaiting) {
		t.Fatalf("approving a run that waits for input: %v", err)
	}
	if err := o.Complete("r", value.String("Ada")); err != nil {
		t.Fatal(err)
	}
	if v, err := o.Resume(context.Background(), "r"); err != nil || v != value.String("hello Ada") {
		t.Fatalf("resumed to %v, %v", v, err)
	}
	if r, _ := o.Store().Run("r"); r.Status != store.Completed {
		t.Fatalf("status %s", r.Status)
	}
}

// A fork starts from a checkpoint of another run: the calls before it are answered from
// the other run's chain, the calls after it run live under the fork's own id; a fork of
// a fork works the same way, and a fork can be resumed.
func TestFork(t *testing.T) {
	mem := store.NewMemory()
	fx := &effects{runs: map[string]int{}}
	reg := host.NewLocal(nil)
	reg.Provide("ccos.effect", fx.provider)
	o := newOrchestrator(t, Config{Store: mem, Registry: reg})
	plan := prepare(t, `(let [a (call :ccos.effect 1) _ (checkpoint :one) b (call :ccos.effect 2) _ (checkpoint :two) c (call :ccos.effect 3)] [a b c])`)
	if v, err := o.Run(context.Background(), plan, RunOptions{ID: "p"}); err != nil || value.Print(v) != "[10 20 30]" {
		t.Fatalf("run: %v, %v", v, err)
	}
	v, err := o.Fork(context.Background(), "p", "one", RunOptions{ID: "f"})
	if err != nil || value.Print(v) != "[10 20 30]" {
		t.Fatalf("fork: %v, %v", v, err)
	}
	if fx.runs["p:1"] != 1 || fx.runs["f:1"] != 0 || fx.runs["f:2"] != 1 || fx.runs["f:3"] != 1 {
		t.Fatalf("executions: %v", fx.runs)
	}
	acts := actions(t, o, "f")
	if fork := mapField(acts[0].Data, "fork"); value.Print(mapField(fork, "run")) != `"p"` || mapField(fork, "snapshot-action") == nil {
		t.Fatalf("the fork's start (it goes on from the snapshot at the checkpoint): %s", value.Print(acts[0].Data))
	}
	if v, err := o.Fork(context.Background(), "f", ":two", RunOptions{ID: "ff"}); err != nil || value.Print(v) != "[10 20 30]" {
		t.Fatalf("fork of a fork: %v, %v", v, err)
	}
	if fx.runs["ff:2"] != 0 || fx.runs["ff:3"] != 1 {
		t.Fatalf("executions: %v", fx.runs)
	}
	if v, err := o.Resume(context.Background(), "ff"); err != nil || value.Print(v) != "[10 20 30]" {
		t.Fatalf("resuming a fork: %v, %v", v, err)
	}
	if _, err := o.Fork(context.Background(), "p", "three", RunOptions{ID: "x"}); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("an unknown checkpoint: %v", err)
	}
}

// A fork killed after its checkpoint resumes through both histories: the other run's
// calls and its own.
func TestForkResumesAfterACrash(t *testing.T) {
	mem := store.NewMemory()
	fx := &effects{runs: map[string]int{}}
	reg := host.NewLocal(nil)
	reg.Provide("ccos.effect", fx.provider)
	plan := prepare(t, `(let [a (call :ccos.effect 1) _ (checkpoint :one) b (call :ccos.effect 2) c (call :ccos.effect 3)] [a b c])`)
	if _, err := newOrchestrator(t, Config{Store: mem, Registry: reg}).Run(context.Background(), plan, RunOptions{ID: "p"}); err != nil {
		t.Fatal(err)
	}
	// The fork's start and its first live result are committed; the next commit fails.
	dying := &dyingStore{Memory: mem, dieAt: 3}
	if _, err := newOrchestrator(t, Config{Store: dying, Registry: reg}).Fork(context.Background(), "p", "one", RunOptions{ID: "f"}); err == nil {
		t.Fatal("the fork did not stop")
	}
	v, err := newOrchestrator(t, Config{Store: mem, Registry: reg}).Resume(context.Background(), "f")
	if err != nil || value.Print(v) != "[10 20 30]" || fx.runs["f:2"] != 1 || fx.runs["f:1"] != 0 {
		t.Fatalf("resumed fork: %v, %v; executions %v", v, err, fx.runs)
	}
}

// With :resume :require-approval, every resume waits for a person's approval.
func TestResumeNeedsApproval(t *testing.T) {
	mem := store.NewMemory()
	reg := host.NewLocal(nil)
	fx := &effects{runs: map[string]int{}}
	reg.Provide("ccos.effect", fx.provider)
	newOrchestrator(t, Config{Store: &dyingStore{Memory: mem, dieAt: 3}, Registry: reg}).Run(context.Background(), prepare(t, fiveCalls), RunOptions{ID: "r"})
	p := policy.DefaultPolicy()
	p.Resume = policy.RequireApproval
	o := newOrchestrator(t, Config{Store: mem, Registry: reg, Kernel: kernel(t, p)})
	var s *Suspended
	if _, err := o.Resume(context.Background(), "r"); !errors.As(err, &s) || s.Capability != "resume" {
		t.Fatalf("a resume without approval: %v", err)
	}
	if _, err := o.Resume(context.Background(), "r"); !errors.As(err, &s) {
		t.Fatalf("a second resume without approval: %v", err)
	}
	if err := o.Approve("r", true, ""); err != nil {
		t.Fatal(err)
	}
	if v, err := o.Resume(context.Background(), "r"); err != nil || v != value.Int(150) {
		t.Fatalf("an approved resume: %v, %v", v, err)
	}
	actions(t, o, "r")
}
