package orchestrator

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rtfsvm/rtfsvm"
	"github.com/rtfsvm/rtfsvm/chain"
	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/policy"
	"github.com/rtfsvm/rtfsvm/store"
	"github.com/rtfsvm/rtfsvm/value"
)

// DivergenceError stops a resumed run whose plan no longer does what was recorded: it
// made a different request, or went through different steps, than the run did before
// (the plan, its module or its environment changed). The run stays as it was.
type DivergenceError struct {
	Run    string
	Seq    int      // the host call, from 1; 0 for a step
	Step   []string // the steps around it
	Reason string
}

func (e *DivergenceError) Error() string {
	where := "a step"
	if e.Seq > 0 {
		where = fmt.Sprintf("host call %d", e.Seq)
	}
	if len(e.Step) > 0 {
		where += " in step " + strings.Join(e.Step, " / ")
	}
	return fmt.Sprintf("run %s diverged at %s: %s", e.Run, where, e.Reason)
}

// ErrNeverStarted is the resume of a run whose process died before it recorded its
// start: nothing of it ran; run it again (the same id may be used).
var ErrNeverStarted = errors.New("the run recorded nothing before it stopped: run it again (with the same --run-id if you like)")

// Resume continues a run that stopped before it ended (its process was killed, or the
// machine stopped): the plan runs again from the start, in the module and with the
// environment and limits it started with, and every host call whose result is on the
// chain is answered from the chain without running the capability; the first one
// without a result runs live (again, with the same idempotency key, if it had
// started). A run that ended is not run again: its recorded value or error is returned.
func (o *Orchestrator) Resume(ctx context.Context, id string) (value.Value, error) {
	return o.ResumeWith(ctx, id, nil)
}

// ResumeWith is Resume with another plan than the one the run started with (a plan
// fixed after a crash, or compiled by a newer rtfsvm): the calls it makes must be those
// recorded, byte for byte, or it stops with a *DivergenceError.
func (o *Orchestrator) ResumeWith(ctx context.Context, id string, with *Plan) (value.Value, error) {
	unlock, err := o.store.Lock(id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	rec, err := o.store.Run(id)
	if err != nil {
		return nil, err
	}
	// The actions from the newest snapshot on: what happened before is in it. Another
	// plan than the run's cannot go on from its snapshots: it replays the history.
	from := rec.ResumeFrom
	if with != nil {
		from = 0
	}
	acts, err := actionsFrom(o.store, id, from)
	if err != nil {
		return nil, err
	}
	if len(acts) == 0 || from == 0 && acts[0].Kind != chain.RunStarted {
		return nil, fmt.Errorf("run %s: %w", id, ErrNeverStarted)
	}
	if last := acts[len(acts)-1]; last.Kind == chain.RunCompleted || last.Kind == chain.RunFailed {
		if rec.Status == store.Running { // the process stopped between the two records
			result, _ := value.Encode(nil, last.Data)
			status := store.Completed
			if last.Kind == chain.RunFailed {
				status = store.Failed
			}
			if err := o.store.FinishRun(id, status, result, last.Time); err != nil {
				return nil, err
			}
		}
		return FromOutcome(last.Data)
	}
	if last := acts[len(acts)-1]; last.Kind == chain.RunSuspended {
		return nil, suspendedFrom(id, last) // nothing was decided or answered since
	}
	if rec.Status != store.Running && rec.Status != store.Suspended {
		return FromOutcome(decodeOutcome(rec.Result))
	}
	if o.kernel.Policy().Resume == policy.RequireApproval {
		if err := o.resumeApproved(id, acts); err != nil {
			return nil, err
		}
	}
	r := &run{o: o, id: id}
	for _, a := range acts {
		r.index = max(r.index, a.Index)
	}
	at, snapshot := -1, []byte(nil)
	if with == nil {
		if at, snapshot, err = o.snapshotOf(acts); err != nil {
			return nil, err
		}
	}
	if at < 0 && from > 0 {
		// The newest snapshot was refused or is gone: the whole history it is.
		if acts, err = actionsFrom(o.store, id, 0); err != nil {
			return nil, err
		}
	}
	history := acts
	if at < 0 {
		if history, err = o.history(id, acts); err != nil {
			return nil, err
		}
	}
	start := history[max(at, 0)]
	plan, opts, err := o.restart(ctx, start, with != nil)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", id, err)
	}
	if with != nil {
		plan = *with
	}
	opts.ID = id
	r.follow(history, at)
	r.started, _ = start.Data.(*value.Map)
	if at >= 0 {
		r.restoreState(start)
	}
	o.chain.Join()
	defer o.chain.Leave()
	resumed := mapOf("from", value.Keyword("start"))
	if at >= 0 {
		resumed = mapOf("from", value.Keyword("snapshot"), "snapshot", value.Int(start.Index), "calls", value.Int(r.snapshotSeq))
	}
	r.resumed = &chain.Action{Parent: 1, Kind: chain.RunResumed, Data: resumed, Time: time.Now()}
	v, err := o.execute(ctx, r, plan, opts, snapshot)
	var diverged *DivergenceError
	if errors.As(err, &diverged) {
		return nil, err // nothing is recorded: the run can be resumed by the plan it was
	}
	return v, r.finish(rec.Started, v, err)
}

// actionsFrom reads a run's actions from a position on the chain (0: all of them).
func actionsFrom(st store.Store, id string, from int64) ([]*chain.Action, error) {
	return chain.Collect(func(f func(chain.Record) bool) error { return st.EachOfRunFrom(id, from, f) })
}

// resumeApproved applies :resume :require-approval: a resume goes on only just after a
// person approved it; otherwise the run is suspended waiting for that approval.
func (o *Orchestrator) resumeApproved(id string, acts []*chain.Action) error {
	last := acts[len(acts)-1]
	if last.Kind == chain.Approval && last.Parent == 0 {
		if mapField(last.Data, "approved") == value.True {
			return nil
		}
		reason, _ := mapField(last.Data, "reason").(value.String)
		return &value.Error{ErrKind: value.ErrDenied, Capability: "resume", Message: "a person denied resuming the run " + string(reason)}
	}
	r := &run{o: o, id: id}
	for _, a := range acts {
		r.index = max(r.index, a.Index)
	}
	return r.suspend(&Suspended{RunID: id, Capability: "resume", Waiting: "approval"})
}

// restart reads what the run-started action recorded: the module (from the store, by
// its hash), the environment and the limits.
func (o *Orchestrator) restart(ctx context.Context, started *chain.Action, noModule bool) (Plan, RunOptions, error) {
	name, _ := mapField(started.Data, "plan").(value.String)
	env, _ := mapField(started.Data, "env").(*value.Map)
	limits := mapField(started.Data, "limits")
	opts := RunOptions{Env: env}
	if n, ok := mapField(limits, "fuel").(value.Int); ok {
		opts.Fuel = int64(n)
	}
	if n, ok := mapField(limits, "memory").(value.Int); ok {
		opts.Memory = int64(n)
	}
	if n, ok := mapField(limits, "timeout-ms").(value.Int); ok {
		opts.Timeout = time.Duration(n) * time.Millisecond
	}
	if noModule {
		return Plan{Name: string(name)}, opts, nil
	}
	module, _ := mapField(started.Data, "module").(value.String)
	if module == "" {
		return Plan{}, RunOptions{}, errors.New("it did not run on the wasm engine: only MicroVM runs can be resumed")
	}
	var hash [32]byte
	if b, err := hex.DecodeString(string(module)); err != nil || len(b) != 32 {
		return Plan{}, RunOptions{}, fmt.Errorf("its module hash %q is damaged", module)
	} else {
		copy(hash[:], b)
	}
	bin, err := o.store.Module(hash)
	if err != nil {
		return Plan{}, RunOptions{}, err
	}
	p, err := rtfsvm.LoadWasm(ctx, bin)
	if err != nil {
		return Plan{}, RunOptions{}, err
	}
	// A resumed run replays its history: it should do so on the optimized code.
	if err := p.WaitOptimized(ctx); err != nil {
		return Plan{}, RunOptions{}, err
	}
	return Plan{Name: string(name), Prepared: p}, opts, nil
}

// FromOutcome is the value or error that an outcome recorded by Outcome stands for.
func FromOutcome(outcome value.Value) (value.Value, error) {
	m, ok := outcome.(*value.Map)
	if !ok {
		return nil, fmt.Errorf("the recorded outcome %s is damaged", value.Print(orNil(outcome)))
	}
	if v, ok := m.Get(value.Keyword("value")); ok {
		return v, nil
	}
	em, _ := m.Get(value.Keyword("error"))
	e, ok := value.ErrorFromValue(em)
	if !ok {
		return nil, fmt.Errorf("the recorded outcome %s is damaged", value.Print(outcome))
	}
	switch {
	case strings.HasPrefix(string(e.ErrKind), "limit/"):
		return nil, &value.LimitError{Limit: e.ErrKind}
	case e.ErrKind == "error/host":
		return nil, errors.New(e.Message)
	}
	return nil, e
}

func decodeOutcome(b []byte) value.Value {
	v, err := value.Decode(b)
	if err != nil {
		return nil
	}
	return v
}

func orNil(v value.Value) value.Value {
	if v == nil {
		return value.Nil
	}
	return v
}

// replay is what a resumed run knows of what it did before: its host calls by sequence
// number, and its steps and checkpoints in order.
type replay struct {
	calls  map[int]*recordedCall
	events []*chain.Action // step actions and checkpoints, in order
	next   int             // events replayed so far
	counts map[int]int     // rule index -> calls it let through, for :max-calls
	// decided counts the calls decided, for :budgets :host-calls; lastSeq is the
	// highest sequence number of a recorded call.
	decided, lastSeq int
}

type recordedCall struct {
	request, decision, result, approval *chain.Action
}

// follow makes the run replay a history: its calls, steps and checkpoints, and the
// policy's counts of the calls it made (:max-calls, :budgets :host-calls). Going on
// from the snapshot at history[snapshot] (-1: none), the steps, checkpoints and counts
// are those after it (restoreState adds what the snapshot recorded); a call whose
// request precedes it (the call that suspended the run) is there to be answered.
func (r *run) follow(history []*chain.Action, snapshot int) {
	r.replay = newReplay(history, snapshot)
	r.state = policy.NewRunStateFrom(r.id, r.replay.counts)
	r.hostCalls = int64(r.replay.decided)
}

func newReplay(acts []*chain.Action, snapshot int) *replay {
	rp := &replay{calls: map[int]*recordedCall{}, counts: map[int]int{}}
	type at struct { // an action of one run: a fork's history holds several runs
		run   string
		index int64
	}
	byIndex := map[at]*recordedCall{}
	for i, a := range acts {
		after := i > snapshot
		switch a.Kind {
		case chain.CapabilityRequested:
			if seq, ok := mapField(a.Data, "seq").(value.Int); ok {
				rc := &recordedCall{request: a}
				rp.calls[int(seq)] = rc
				byIndex[at{a.RunID, a.Index}] = rc
				rp.lastSeq = max(rp.lastSeq, int(seq))
			}
		case chain.PolicyDecision:
			if rc := byIndex[at{a.RunID, a.Parent}]; rc != nil && after {
				rc.decision = a
				effect := mapField(a.Data, "effect")
				if rule, ok := mapField(a.Data, "rule").(value.Int); ok && effect != value.Keyword("deny") {
					rp.counts[int(rule)-1]++
				}
				rp.decided++
			} else if rc != nil {
				rc.decision = a
			}
		case chain.CapabilityResult:
			if rc := byIndex[at{a.RunID, a.Parent}]; rc != nil {
				rc.result = a
			}
		case chain.Approval:
			if rc := byIndex[at{a.RunID, a.Parent}]; rc != nil {
				rc.approval = a
			}
		case chain.StepStarted, chain.StepCompleted, chain.StepFailed, chain.Checkpoint:
			if after {
				rp.events = append(rp.events, a)
			}
		}
	}
	return rp
}

func mapField(v value.Value, k string) value.Value {
	if m, ok := v.(*value.Map); ok {
		x, _ := m.Get(value.Keyword(k))
		return x
	}
	return nil
}

// replayCall answers a host call of a resumed run that the run had made before.
func (r *run) replayCall(ctx context.Context, req *host.Request, rc *recordedCall) (value.Value, error) {
	now, err := req.EncodeMessage(rc.request.RunID) // a fork replays its parent's calls
	if err != nil {
		return nil, err
	}
	if was, _ := value.Encode(nil, rc.request.Data); !bytes.Equal(now, was) {
		return nil, &DivergenceError{Run: r.id, Seq: req.Seq, Step: req.StepPath,
			Reason: fmt.Sprintf("the run requested %s, and now requests %s", value.Print(rc.request.Data), value.Print(req.Message(rc.request.RunID)))}
	}
	if rc.result != nil {
		return FromOutcome(rc.result.Data)
	}
	c := &call{req: req}
	c.requested.Index = rc.request.Index
	if rc.decision == nil { // the process stopped before the decision was recorded
		d, refusal := r.decide(req)
		c.dec = decision(d)
		c.decided = chain.Action{Parent: rc.request.Index, Kind: chain.PolicyDecision, Encoder: &c.dec}
		if _, err := r.append(&c.decided); err != nil {
			return nil, err
		}
		if refusal != nil {
			return nil, refusal
		}
	} else {
		switch effect := mapField(rc.decision.Data, "effect"); {
		case effect == value.Keyword("require-approval") && rc.approval == nil:
			r.pending = &rc.request.Seq
			return nil, &Suspended{RunID: r.id, Capability: req.Capability, Waiting: "approval",
				Args: value.NewVector(req.Args), Request: rc.request.Index}
		case effect == value.Keyword("require-approval"):
			if mapField(rc.approval.Data, "approved") != value.True {
				reason, _ := mapField(rc.approval.Data, "reason").(value.String)
				msg := "a person denied it"
				if reason != "" {
					msg += ": " + string(reason)
				}
				return nil, denied(req, msg)
			}
		case effect != value.Keyword("allow"):
			reason, _ := mapField(rc.decision.Data, "reason").(value.String)
			return nil, denied(req, string(reason))
		}
	}
	// Allowed, and started, but its result was never recorded: it runs again, with the
	// same idempotency key.
	c.start = time.Now()
	v, err := r.o.registry.Call(ctx, req)
	return r.result(c, v, err, true)
}

// replayEvent follows a step event or a checkpoint of a resumed run through those it
// recorded; it reports false once the run has gone past them.
func (r *run) replayEvent(kind chain.Kind, path []string, name value.Value) (bool, error) {
	rp := r.replay
	if rp == nil || rp.next >= len(rp.events) {
		return false, nil
	}
	a := rp.events[rp.next]
	rp.next++
	var was []string
	if p, ok := mapField(a.Data, "path").(*value.Vector); ok {
		for _, s := range p.Slice() {
			was = append(was, value.Str(s))
		}
	}
	same := a.Kind == kind && strings.Join(was, "\x00") == strings.Join(path, "\x00")
	if kind == chain.Checkpoint {
		same = a.Kind == kind && value.Equal(orNil(mapField(a.Data, "name")), orNil(name))
	}
	if !same {
		now := fmt.Sprintf("%s of %q", kind, path)
		if kind == chain.Checkpoint {
			now = fmt.Sprintf("checkpoint %s", value.Print(orNil(name)))
		}
		return true, &DivergenceError{Run: r.id, Step: path,
			Reason: fmt.Sprintf("the run recorded %s %s here, and now reaches %s", a.Kind, value.Print(a.Data), now)}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch kind {
	case chain.StepStarted:
		index := a.Index
		if a.RunID != r.id {
			index = 1 // a step opened in the run a fork branched off: under the fork's start
		}
		r.steps = append(r.steps, openStep{index, a.Time})
	case chain.StepCompleted, chain.StepFailed:
		if n := len(r.steps); n > 0 {
			r.steps = r.steps[:n-1]
		}
	}
	return true, nil
}
