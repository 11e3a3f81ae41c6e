package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rtfsvm/rtfsvm/chain"
	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/policy"
	"github.com/rtfsvm/rtfsvm/value"
)

// run is the host one running plan sees: it decides each call with the kernel, has the
// registry carry out the allowed ones and records all of it. Its index and step stack
// are the run's own, so the chain's Parent links do not depend on other runs.
type run struct {
	o     *Orchestrator
	id    string
	state *policy.RunState

	mu        sync.Mutex
	index     int64      // of the last action recorded
	steps     []openStep // the steps open now, innermost last
	replay    *replay    // what a resumed run did before; nil for a new run
	calls     int64      // the highest sequence number of a host call so far
	hostCalls int64      // calls decided, against :budgets :host-calls

	// Snapshots (snapshot.go).
	started     *value.Map    // what a snapshot repeats of run-started (snapshotRecord)
	snapshotSeq int           // host calls made before the newest snapshot
	stepEnded   bool          // a step ended since: the next host call snapshots first
	pending     *int64        // the position of the request that suspended the run, once committed
	resumed     *chain.Action // run-resumed, recorded with the first action of a resume
	unmarked    *int64        // where a resume would start, once committed (synced)
	markReady   int64         // where a resume would start, for the store with the next snapshot
	markAtOnce  bool          // the run is suspending: the store learns it at once
}

type openStep struct {
	index int64
	start time.Time
}

// record appends an action of this run and returns its index.
func (r *run) record(parent int64, kind chain.Kind, d time.Duration, data value.Value) (int64, error) {
	return r.append(&chain.Action{Parent: parent, Kind: kind, Duration: d, Data: data})
}

// append numbers an action and queues it on the chain; it sets the time when the
// caller has not.
func (r *run) append(a *chain.Action) (int64, error) {
	if a.Time.IsZero() {
		a.Time = time.Now()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if note := r.resumed; note != nil {
		// Recorded with the resumed run's first action: a resume that diverges
		// before it records nothing.
		note.RunID, note.Index = r.id, r.index+1
		if err := r.o.chain.Append(note); err != nil {
			return 0, err
		}
		r.index, r.resumed = r.index+1, nil
	}
	a.RunID, a.Index = r.id, r.index+1
	if err := r.o.chain.Append(a); err != nil {
		return 0, err
	}
	r.index++
	return a.Index, nil
}

// appendCall records a host call's request, under the innermost open step, and the
// decision on it: one lock of the run and one append for both, since every call makes
// them. It returns the request's index.
func (r *run) appendCall(requested, decided *chain.Action) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	requested.Parent = 1
	if n := len(r.steps); n > 0 {
		requested.Parent = r.steps[n-1].index
	}
	requested.RunID, requested.Index = r.id, r.index+1
	decided.RunID, decided.Index, decided.Parent = r.id, r.index+2, requested.Index
	if err := r.o.chain.Append(requested, decided); err != nil {
		return 0, err
	}
	r.index += 2
	return requested.Index, nil
}

// current is the action new ones belong under: the innermost open step, or the run.
func (r *run) current() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.steps); n > 0 {
		return r.steps[n-1].index
	}
	return 1
}

// call is what the chain records of one host call: the encoders of its actions, made in
// one allocation (the chain encodes an action when it is appended, so the actions
// themselves need not outlive the call).
type call struct {
	req       *host.Request
	requested struct { // the request's action
		Index int64
		Time  time.Time
	}
	decided chain.Action // when a resumed run decides again (replayCall)
	msg     message
	dec     decision
	ret     returned
	start   time.Time // when the capability was called
}

// freeCalls holds call records whose results are recorded, for the next calls: every
// host call needs one, and nothing refers to it once its result is appended.
var freeCalls = sync.Pool{New: func() any { return new(call) }}

// later is the time now, read from the monotonic clock alone: t (from time.Now, so that
// it carries a monotonic reading) plus the time elapsed since. time.Now reads the wall
// clock as well, which costs as much again, and a host call reads the time three times.
func later(t time.Time) time.Time { return t.Add(time.Since(t)) }

func (r *run) Call(ctx context.Context, req *host.Request) (value.Value, error) {
	req.RunID = r.id
	r.called(req)
	if rc := r.recorded(req); rc != nil {
		return r.replayCall(ctx, req, rc)
	}
	c, err := r.admit(req)
	if err != nil {
		return nil, err
	}
	c.start = later(c.requested.Time)
	v, err := r.o.registry.Call(ctx, req)
	return r.result(c, v, err, true)
}

// Batch decides the calls in order (so that :max-calls counts deterministically), runs
// the allowed ones together and records their results in order, with one commit.
func (r *run) Batch(ctx context.Context, reqs []*host.Request) []host.Outcome {
	out := make([]host.Outcome, len(reqs))
	calls := make([]*call, len(reqs))
	var wg sync.WaitGroup
	for i, req := range reqs {
		req.RunID = r.id
		r.called(req)
		if rc := r.recorded(req); rc != nil {
			out[i].Value, out[i].Err = r.replayCall(ctx, req, rc)
			continue
		}
		var err error
		if calls[i], err = r.admit(req); err != nil {
			calls[i], out[i].Err = nil, err
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			calls[i].start = time.Now()
			out[i].Value, out[i].Err = r.o.registry.Call(ctx, req)
		}()
	}
	wg.Wait()
	for i, c := range calls {
		if c != nil {
			out[i].Value, out[i].Err = r.result(c, out[i].Value, out[i].Err, false)
		}
	}
	if !r.o.chain.Durable() {
		return out
	}
	err := r.o.chain.Sync()
	if err == nil {
		err = r.synced()
	}
	if err != nil {
		for i := range out {
			out[i] = host.Outcome{Err: err}
		}
	}
	return out
}

// recorded is what a resumed run recorded of this call before, or nil.
func (r *run) recorded(req *host.Request) *recordedCall {
	if r.replay == nil {
		return nil
	}
	return r.replay.calls[req.Seq]
}

// admit records the request and the kernel's decision on it; it returns the call's
// record, or the error the plan gets when the call is refused.
func (r *run) admit(req *host.Request) (*call, error) {
	for _, a := range req.Args {
		if !value.Encodable(a) {
			return nil, value.Errorf(value.ErrInvalidArg, "call %s: the arguments of a host call must be data, got %s", req.Capability, value.Describe(a))
		}
	}
	c := freeCalls.Get().(*call)
	c.req, c.msg = req, message{req, r.id}
	requested := chain.Action{Kind: chain.CapabilityRequested, Encoder: &c.msg, Time: time.Now()}
	d, refusal := r.decide(req)
	c.dec = decision(d)
	decided := chain.Action{Kind: chain.PolicyDecision, Encoder: &c.dec, Time: requested.Time}
	s, suspends := refusal.(*Suspended)
	if suspends {
		requested.SeqOut = new(int64) // the run's snapshot at this call reads it
	}
	at, err := r.appendCall(&requested, &decided)
	if err != nil {
		return nil, err
	}
	c.requested.Index, c.requested.Time = at, requested.Time
	if suspends {
		s.Request, r.pending = at, requested.SeqOut
	}
	return c, refusal
}

// message is a request as the chain records it: host.Request's message.
type message struct {
	req *host.Request
	run string
}

func (m *message) AppendCanonical(b []byte) ([]byte, error) { return m.req.AppendMessage(b, m.run) }

// decision is a decision as the chain records it: {:effect :reason :rule}, the rule
// numbered from 1 as in messages, and absent for the default.
type decision policy.Decision

func (d *decision) AppendCanonical(b []byte) ([]byte, error) {
	n := 2
	if d.Rule >= 0 {
		n++
	}
	b = value.EncodeMapHeader(b, n)
	b = value.EncodeKeyword(value.EncodeKeyword(b, "effect"), string(d.Effect.Keyword()))
	b = value.EncodeString(value.EncodeKeyword(b, "reason"), d.Reason)
	if d.Rule >= 0 {
		b = value.EncodeInt(value.EncodeKeyword(b, "rule"), int64(d.Rule+1))
	}
	return b, nil
}

// returned is a call's value as the chain records it: {:value v}.
type returned struct{ v value.Value }

func (r *returned) AppendCanonical(b []byte) ([]byte, error) {
	return value.Encode(value.EncodeKeyword(value.EncodeMapHeader(b, 1), "value"), r.v)
}

// decide is the kernel's decision, after the run's :budgets :host-calls, and the error
// the plan gets when it is not an allow.
func (r *run) decide(req *host.Request) (policy.Decision, error) {
	if limit := r.o.kernel.Policy().Budgets.HostCalls; limit > 0 {
		r.mu.Lock()
		spent := r.hostCalls >= limit
		if !spent {
			r.hostCalls++
		}
		r.mu.Unlock()
		if spent {
			d := policy.Decision{Effect: policy.Deny, Rule: -1, Reason: fmt.Sprintf("the run's budget of %d host calls is spent", limit)}
			return d, denied(req, d.Reason)
		}
	}
	d := r.o.kernel.Decide(r.state, req.Capability, req.Args)
	switch d.Effect {
	case policy.Allow:
		return d, nil
	case policy.RequireApproval:
		return d, &Suspended{RunID: r.id, Capability: req.Capability, Waiting: "approval", Args: value.NewVector(req.Args)}
	}
	return d, denied(req, d.Reason)
}

func denied(req *host.Request, reason string) error {
	return &value.Error{ErrKind: value.ErrDenied, Capability: req.Capability, Message: reason}
}

// result records what a call returned and, when sync is set and the store is durable,
// makes it durable before the plan sees it: a result the plan acted on is never lost.
func (r *run) result(c *call, v value.Value, callErr error, sync bool) (value.Value, error) {
	if callErr != nil { // errors.As moves its target to the heap: not for every call
		var human *host.AwaitingHuman
		if errors.As(callErr, &human) {
			// No result: the person's answer will be it (Complete). The request's
			// position was not tracked: the run's snapshot leaves the store's older
			// mark, from which a resume reads both.
			r.pending = untracked
			return nil, &Suspended{RunID: r.id, Capability: c.req.Capability, Waiting: "input", Question: human.Question,
				Args: value.NewVector(c.req.Args), Request: c.requested.Index}
		}
	}
	if callErr == nil && !value.Encodable(v) {
		// A value with no canonical encoding (a function) cannot be replayed: the plan
		// gets a capability error, and that is what is recorded.
		v, callErr = nil, host.CapabilityError(c.req.Capability, "the capability's result cannot be recorded: %s has no canonical encoding", value.Describe(v))
	}
	end := later(c.start)
	result := chain.Action{Parent: c.requested.Index, Kind: chain.CapabilityResult, Time: end, Duration: end.Sub(c.start)}
	if callErr == nil {
		c.ret = returned{v}
		result.Encoder = &c.ret
	} else {
		result.Data = Outcome(v, callErr)
	}
	_, err := r.append(&result)
	*c = call{} // the chain encoded the call's actions when they were appended
	freeCalls.Put(c)
	if err == nil && sync && r.o.chain.Durable() {
		if err = r.o.chain.Sync(); err == nil {
			err = r.synced()
		}
	}
	if err != nil {
		return nil, err // the store failed: the run stops
	}
	return v, callErr
}

func (r *run) Step(ctx context.Context, ev host.StepEvent) error {
	kind := map[host.Phase]chain.Kind{host.StepStarted: chain.StepStarted, host.StepCompleted: chain.StepCompleted, host.StepFailed: chain.StepFailed}[ev.Phase]
	if replayed, err := r.replayEvent(kind, ev.Path, nil); replayed {
		return err
	}
	path := make([]value.Value, len(ev.Path))
	for i, s := range ev.Path {
		path[i] = value.String(s)
	}
	data := mapOf("path", value.NewVector(path))
	switch ev.Phase {
	case host.StepStarted:
		at, err := r.record(r.current(), chain.StepStarted, 0, data)
		if err != nil {
			return err
		}
		r.mu.Lock()
		r.steps = append(r.steps, openStep{at, time.Now()})
		r.mu.Unlock()
	default:
		r.mu.Lock()
		var s openStep
		if n := len(r.steps); n > 0 {
			s, r.steps = r.steps[n-1], r.steps[:n-1]
		}
		r.mu.Unlock()
		r.stepEnded = true
		kind, outcome := chain.StepFailed, (*value.Map)(nil)
		if ev.Phase == host.StepFailed {
			outcome = Outcome(nil, ev.Err)
		} else { // a failed step has no value: Outcome of none would panic
			kind, outcome = chain.StepCompleted, Outcome(ev.Result, nil)
		}
		if _, err := r.record(s.index, kind, time.Since(s.start), data.Assoc(value.Keyword("outcome"), outcome)); err != nil {
			// A step's value with no encoding (a function) is recorded by its printed form.
			outcome = mapOf("value", value.String(value.Print(ev.Result)))
			if _, err := r.record(s.index, kind, time.Since(s.start), data.Assoc(value.Keyword("outcome"), outcome)); err != nil {
				return err
			}
		}
	}
	return r.o.registry.Step(ctx, ev)
}

// Checkpoint records (checkpoint name): a point where a new run can branch off this one
// (Fork), with the number of host calls made before it.
func (r *run) Checkpoint(ctx context.Context, name value.Value) error {
	if replayed, err := r.replayEvent(chain.Checkpoint, nil, name); replayed {
		return err
	}
	r.mu.Lock()
	calls := r.calls
	r.mu.Unlock()
	if _, err := r.record(r.current(), chain.Checkpoint, 0, mapOf("name", name, "calls", value.Int(calls))); err != nil {
		return err
	}
	return r.o.registry.Checkpoint(ctx, name)
}

// called notes the sequence number of a host call.
func (r *run) called(req *host.Request) {
	r.mu.Lock()
	r.calls = max(r.calls, int64(req.Seq))
	r.mu.Unlock()
}
