package orchestrator

import (
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtfsvm/rtfsvm"
	"github.com/rtfsvm/rtfsvm/chain"
	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/policy"
	"github.com/rtfsvm/rtfsvm/store"
	"github.com/rtfsvm/rtfsvm/value"
)

func kernel(t *testing.T, p policy.Policy) *policy.Kernel {
	t.Helper()
	k, err := policy.NewKernel(p)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newOrchestrator(t *testing.T, cfg Config) *Orchestrator {
	t.Helper()
	if cfg.Store == nil {
		cfg.Store = store.NewMemory()
	}
	o, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func prepare(t *testing.T, src string) Plan {
	t.Helper()
	p, err := rtfsvm.PrepareSource(context.Background(), "plan.rtfs", src, rtfsvm.EngineWasm)
	if err != nil {
		t.Fatal(err)
	}
	// On tier 1, as the command runs a plan: a VM on tier 0 takes no snapshots, and
	// whether a run starts there would depend on how fast tier 1 compiles.
	if err := p.WaitOptimized(context.Background()); err != nil {
		t.Fatal(err)
	}
	return Plan{Name: "plan.rtfs", Prepared: p}
}

// actions returns a run's actions, after checking that the whole chain verifies.
func actions(t *testing.T, o *Orchestrator, run string) []*chain.Action {
	t.Helper()
	if _, err := chain.Verify(o.Store(), o.Store().Key().Public().(ed25519.PublicKey)); err != nil {
		t.Fatalf("the chain does not verify: %v", err)
	}
	acts, err := chain.Actions(o.Store(), run)
	if err != nil {
		t.Fatal(err)
	}
	return acts
}

// shape is a run's actions as "kind<parent" lines, to compare with what a test expects.
func shape(acts []*chain.Action) string {
	var b strings.Builder
	for _, a := range acts {
		b.WriteString(string(a.Kind))
		if a.Parent != 0 {
			b.WriteString("<" + itoa(a.Parent))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func itoa(i int64) string { return value.Print(value.Int(i)) }

func get(t *testing.T, v value.Value, key string) value.Value {
	t.Helper()
	m, ok := v.(*value.Map)
	if !ok {
		t.Fatalf("%s is not a map", value.Print(v))
	}
	x, _ := m.Get(value.Keyword(key))
	return x
}

// A step that fails is recorded as failed, with its error, and the run fails with the
// plan's error.
func TestFailedStepIsRecorded(t *testing.T) {
	o := newOrchestrator(t, Config{})
	_, err := o.Run(context.Background(), prepare(t, `(step "s" (/ 1 0))`), RunOptions{ID: "r"})
	var re *value.Error
	if !errors.As(err, &re) {
		t.Fatalf("the run's error is %v, not the plan's", err)
	}
	acts := actions(t, o, "r")
	if got, want := shape(acts), "run-started\nstep-started<1\nstep-failed<2\nrun-failed<1\n"; got != want {
		t.Fatalf("recorded:\n%swant:\n%s", got, want)
	}
	if outcome := get(t, acts[2].Data, "outcome"); get(t, outcome, "error") == nil {
		t.Fatalf("the step's outcome %s has no error", value.Print(outcome))
	}
}

// A run with a step and two calls records, in order and each under the action it
// belongs to: the run, the step, each request with its decision and result, the
// step's end and the run's end; the run is recorded as completed with its value.
func TestRunIsRecorded(t *testing.T) {
	o := newOrchestrator(t, Config{})
	plan := prepare(t, `(step "add" (+ (call :ccos.math.add 1 2) (call :ccos.echo x)))`)
	env := value.EmptyMap.Assoc(value.Keyword("x"), value.Int(4))
	v, err := o.Run(context.Background(), plan, RunOptions{ID: "r1", Env: env})
	if err != nil || v != value.Int(7) {
		t.Fatalf("%v, %v", v, err)
	}
	acts := actions(t, o, "r1")
	want := `run-started
step-started<1
capability-requested<2
policy-decision<3
capability-result<3
capability-requested<2
policy-decision<6
capability-result<6
step-completed<2
run-completed<1
`
	if got := shape(acts); got != want {
		t.Fatalf("actions:\n%s\nwant:\n%s", got, want)
	}
	req, _, key, err := host.DecodeMessage(mustEncode(t, acts[2].Data))
	if err != nil || req.Capability != "ccos.math.add" || key != "r1:1" || len(req.StepPath) != 1 {
		t.Fatalf("request recorded: %s, %v", value.Print(acts[2].Data), err)
	}
	if get(t, acts[3].Data, "effect") != value.Keyword("allow") || get(t, acts[3].Data, "rule") != value.Int(1) {
		t.Fatalf("decision recorded: %s", value.Print(acts[3].Data))
	}
	if get(t, acts[4].Data, "value") != value.Int(3) || get(t, acts[9].Data, "value") != value.Int(7) {
		t.Fatalf("results recorded: %s, %s", value.Print(acts[4].Data), value.Print(acts[9].Data))
	}
	r, err := o.Store().Run("r1")
	if err != nil || r.Status != store.Completed || r.Plan != "plan.rtfs" {
		t.Fatalf("run: %+v, %v", r, err)
	}
	if _, err := o.Run(context.Background(), plan, RunOptions{ID: "r1", Env: env}); !errors.Is(err, store.ErrRunExists) {
		t.Fatalf("a second run r1: %v", err)
	}
}

func mustEncode(t *testing.T, v value.Value) []byte {
	t.Helper()
	b, err := value.Encode(nil, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A denied call is recorded with the rule that denied it and never runs; the plan can
// catch it, and an uncaught one fails the run.
func TestDenialsAreRecorded(t *testing.T) {
	k := kernel(t, policy.Policy{Default: policy.Deny, Rules: []policy.Rule{
		{Capability: "ccos.*", Effect: policy.Allow},
		{Capability: "files.*", Effect: policy.Deny, When: "args[0] == 'secret'"},
		{Capability: "files.*", Effect: policy.Allow},
	}})
	reg := host.NewLocal(nil)
	ran := 0
	reg.Register("files.read", func(context.Context, []value.Value) (value.Value, error) { ran++; return value.String("text"), nil })
	o := newOrchestrator(t, Config{Kernel: k, Registry: reg})
	plan := prepare(t, `[(try (call :files.read "secret") (catch :error/denied e :refused)) (call :files.read "public")]`)
	v, err := o.Run(context.Background(), plan, RunOptions{ID: "caught"})
	if err != nil || value.Print(v) != `[:refused "text"]` || ran != 1 {
		t.Fatalf("%v, %v (ran %d)", v, err, ran)
	}
	acts := actions(t, o, "caught")
	want := "run-started\ncapability-requested<1\npolicy-decision<2\ncapability-requested<1\npolicy-decision<4\ncapability-result<4\nrun-completed<1\n"
	if got := shape(acts); got != want {
		t.Fatalf("actions:\n%s\nwant:\n%s", got, want)
	}
	if get(t, acts[2].Data, "effect") != value.Keyword("deny") || get(t, acts[2].Data, "rule") != value.Int(2) {
		t.Fatalf("denial recorded as %s", value.Print(acts[2].Data))
	}

	_, err = o.Run(context.Background(), prepare(t, `(call :files.read "secret")`), RunOptions{ID: "uncaught"})
	if e, ok := err.(*value.Error); !ok || e.ErrKind != value.ErrDenied {
		t.Fatalf("uncaught denial: %v", err)
	}
	acts = actions(t, o, "uncaught")
	if last := acts[len(acts)-1]; last.Kind != chain.RunFailed || value.Print(get(t, get(t, last.Data, "error"), "error/kind")) != ":error/denied" {
		t.Fatalf("the run's end: %s %s", last.Kind, value.Print(last.Data))
	}
	if r, _ := o.Store().Run("uncaught"); r.Status != store.Failed {
		t.Fatalf("run status %s", r.Status)
	}
}

// A plan naming a capability that an explicit :deny rule forbids never starts: the
// refusal is recorded with the run's end.
func TestRefusedBeforeTheRun(t *testing.T) {
	k := kernel(t, policy.Policy{Default: policy.Allow, Rules: []policy.Rule{{Capability: "rm.*", Effect: policy.Deny}}})
	o := newOrchestrator(t, Config{Kernel: k})
	_, err := o.Run(context.Background(), prepare(t, `(if false (call :rm.all) 1)`), RunOptions{ID: "r"})
	if e, ok := err.(*value.Error); !ok || e.ErrKind != value.ErrDenied || e.Capability != "rm.all" {
		t.Fatalf("%v", err)
	}
	if got := shape(actions(t, o, "r")); got != "run-started\npolicy-decision<1\nrun-failed<1\n" {
		t.Fatalf("actions:\n%s", got)
	}
}

// The calls of a parallel form are decided in order, run together, and their results
// recorded in order.
func TestBatchIsRecorded(t *testing.T) {
	o := newOrchestrator(t, Config{})
	v, err := o.Run(context.Background(), prepare(t, `(try (parallel (call :ccos.echo 1) (call :ccos.nothing) (call :ccos.echo 3)) (catch e (error-kind e)))`), RunOptions{ID: "b"})
	if err != nil || v != value.Keyword("error/capability") {
		t.Fatalf("%v, %v", v, err)
	}
	acts := actions(t, o, "b")
	var kinds []string
	for _, a := range acts {
		kinds = append(kinds, string(a.Kind))
	}
	got := strings.Join(kinds, " ")
	want := "run-started capability-requested policy-decision capability-requested policy-decision capability-requested policy-decision capability-result capability-result capability-result run-completed"
	if got != want {
		t.Fatalf("kinds: %s", got)
	}
	if get(t, acts[7].Data, "value") != value.Int(1) || get(t, acts[9].Data, "value") != value.Int(3) || get(t, acts[8].Data, "error") == nil {
		t.Fatalf("results: %s %s %s", value.Print(acts[7].Data), value.Print(acts[8].Data), value.Print(acts[9].Data))
	}
}

// :budgets :host-calls denies the calls past the budget, and says why on the chain.
func TestHostCallBudget(t *testing.T) {
	p := policy.DefaultPolicy()
	p.Budgets.HostCalls = 1
	o := newOrchestrator(t, Config{Kernel: kernel(t, p)})
	v, err := o.Run(context.Background(), prepare(t, `[(call :ccos.echo 1) (try (call :ccos.echo 2) (catch :error/denied e :spent))]`), RunOptions{ID: "r"})
	if err != nil || value.Print(v) != "[1 :spent]" {
		t.Fatalf("%v, %v", v, err)
	}
	acts := actions(t, o, "r")
	if reason := value.Str(get(t, acts[5].Data, "reason")); !strings.Contains(reason, "budget of 1 host calls") {
		t.Fatalf("the second decision: %s", value.Print(acts[5].Data))
	}
}

// A capability result with no canonical encoding (a function) cannot be recorded, so
// it cannot be replayed: the plan gets a capability error, and that is recorded.
func TestUnrecordableResult(t *testing.T) {
	reg := host.NewLocal(nil)
	reg.Register("ccos.fn", func(context.Context, []value.Value) (value.Value, error) {
		return &value.Builtin{Name: "f"}, nil
	})
	o := newOrchestrator(t, Config{Registry: reg})
	v, err := o.Run(context.Background(), prepare(t, `(try (call :ccos.fn) (catch e (error-kind e)))`), RunOptions{ID: "r"})
	if err != nil || v != value.Keyword("error/capability") {
		t.Fatalf("%v, %v", v, err)
	}
	actions(t, o, "r")
}

// With MaxVMs 1 and one VM busy, a second run waits for a VM without holding one; a run
// whose context ends while it waits never starts.
func TestBoundedVMs(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	reg := host.NewLocal(nil)
	calls := 0
	reg.Register("ccos.block", func(context.Context, []value.Value) (value.Value, error) {
		calls++
		entered <- struct{}{}
		<-release
		return value.Int(1), nil
	})
	o := newOrchestrator(t, Config{Registry: reg, MaxVMs: 1})
	plan := prepare(t, `(call :ccos.block)`)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if v, err := o.Run(context.Background(), plan, RunOptions{ID: "first"}); err != nil || v != value.Int(1) {
			t.Errorf("first: %v, %v", v, err)
		}
	}()
	<-entered // the first run holds the only VM
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := o.Run(ctx, plan, RunOptions{ID: "second"})
	if !value.IsLimit(err) || calls != 1 {
		t.Fatalf("the second run: %v (capability called %d times)", err, calls)
	}
	close(release)
	wg.Wait()
	if r, _ := o.Store().Run("second"); r.Status != store.Failed {
		t.Fatalf("the second run is %s", r.Status)
	}
}

// When the store fails, the run stops with the store's error: a result that cannot be
// recorded never reaches the plan.
func TestStoreFailureStopsTheRun(t *testing.T) {
	o := newOrchestrator(t, Config{Store: &failingStore{Memory: store.NewMemory()}})
	_, err := o.Run(context.Background(), prepare(t, `(call :ccos.echo 1)`), RunOptions{ID: "r"})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("%v", err)
	}
}

type failingStore struct{ *store.Memory }

func (*failingStore) Commit([]*chain.Record, func(int64, [32]byte)) error {
	return errors.New("disk full")
}
func (*failingStore) Durable() bool { return true }

// The calls of a parallel form run at the same time: two capabilities that each wait
// for the other finish only if they do.
func TestBatchRunsConcurrently(t *testing.T) {
	ping, pong := make(chan struct{}), make(chan struct{})
	reg := host.NewLocal(nil)
	reg.Register("ccos.a", func(ctx context.Context, _ []value.Value) (value.Value, error) {
		select {
		case ping <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		<-pong
		return value.String("a"), nil
	})
	reg.Register("ccos.b", func(ctx context.Context, _ []value.Value) (value.Value, error) {
		select {
		case <-ping:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		close(pong)
		return value.String("b"), nil
	})
	o := newOrchestrator(t, Config{Registry: reg})
	v, err := o.Run(context.Background(), prepare(t, `(parallel (call :ccos.a) (call :ccos.b))`), RunOptions{ID: "p", Timeout: 10 * time.Second})
	if err != nil || value.Print(v) != `["a" "b"]` {
		t.Fatalf("%v, %v", v, err)
	}
}
