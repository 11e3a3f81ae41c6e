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
	hostCalls int64      // calls decided, against :budgets :host-calls
}

type openStep struct {
	index int64
	start time.Time
}

// record appends an action of this run and returns its index.
func (r *run) record(parent int64, kind chain.Kind, d time.Duration, data value.Value) (int64, error) {
	return r.append(&chain.Action{Parent: parent, Kind: kind, Duration: d, Data: data})
}

// recordEncoded is record for data already in its canonical encoding.
func (r *run) recordEncoded(parent int64, kind chain.Kind, d time.Duration, data []byte) (int64, error) {
	return r.append(&chain.Action{Parent: parent, Kind: kind, Duration: d, EncodedData: data})
}

func (r *run) append(a *chain.Action) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a.RunID, a.Index, a.Time = r.id, r.index+1, time.Now()
	if err := r.o.chain.Append(a); err != nil {
		return 0, err
	}
	r.index++
	return a.Index, nil
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

func (r *run) Call(ctx context.Context, req *host.Request) (value.Value, error) {
	at, err := r.admit(req)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	v, err := r.o.registry.Call(ctx, req)
	return r.result(req, at, start, v, err, true)
}

// Batch decides the calls in order (so that :max-calls counts deterministically), runs
// the allowed ones together and records their results in order, with one commit.
func (r *run) Batch(ctx context.Context, reqs []*host.Request) []host.Outcome {
	out := make([]host.Outcome, len(reqs))
	at := make([]int64, len(reqs))
	start := make([]time.Time, len(reqs))
	var wg sync.WaitGroup
	for i, req := range reqs {
		if at[i], out[i].Err = r.admit(req); out[i].Err != nil {
			at[i] = 0
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			start[i] = time.Now()
			out[i].Value, out[i].Err = r.o.registry.Call(ctx, req)
		}()
	}
	wg.Wait()
	for i := range reqs {
		if at[i] != 0 {
			out[i].Value, out[i].Err = r.result(reqs[i], at[i], start[i], out[i].Value, out[i].Err, false)
		}
	}
	if !r.o.chain.Durable() {
		return out
	}
	if err := r.o.chain.Sync(); err != nil {
		for i := range out {
			out[i] = host.Outcome{Err: err}
		}
	}
	return out
}

// admit records the request and the kernel's decision on it; it returns the request's
// index, or the error the plan gets when the call is refused.
func (r *run) admit(req *host.Request) (int64, error) {
	msg, err := req.EncodeMessage(r.id)
	if err != nil {
		return 0, err
	}
	at, err := r.recordEncoded(r.current(), chain.CapabilityRequested, 0, msg)
	if err != nil {
		return 0, err
	}
	d, refusal := r.decide(req)
	if _, err := r.recordEncoded(at, chain.PolicyDecision, 0, encodeDecision(d)); err != nil {
		return 0, err
	}
	return at, refusal
}

// encodeDecision is the canonical encoding of {:effect :reason :rule}, the rule
// numbered from 1 as in messages, and absent for the default.
func encodeDecision(d policy.Decision) []byte {
	n := 2
	if d.Rule >= 0 {
		n++
	}
	b := value.EncodeMapHeader(make([]byte, 0, 32+len(d.Reason)), n)
	b = value.EncodeKeyword(value.EncodeKeyword(b, "effect"), string(d.Effect.Keyword()))
	b = value.EncodeString(value.EncodeKeyword(b, "reason"), d.Reason)
	if d.Rule >= 0 {
		b = value.EncodeInt(value.EncodeKeyword(b, "rule"), int64(d.Rule+1))
	}
	return b
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
		return d, denied(req, d.Reason+": it requires approval, which this version cannot grant yet")
	}
	return d, denied(req, d.Reason)
}

func denied(req *host.Request, reason string) error {
	return &value.Error{ErrKind: value.ErrDenied, Capability: req.Capability, Message: reason}
}

// result records what a call returned and, when sync is set and the store is durable,
// makes it durable before the plan sees it: a result the plan acted on is never lost.
func (r *run) result(req *host.Request, at int64, start time.Time, v value.Value, callErr error, sync bool) (value.Value, error) {
	var err error
	if callErr == nil {
		// {:value v}, written directly: the common case.
		var b []byte
		if b, err = value.Encode(value.EncodeKeyword(value.EncodeMapHeader(nil, 1), "value"), v); err == nil {
			_, err = r.recordEncoded(at, chain.CapabilityResult, time.Since(start), b)
		}
	} else {
		_, err = r.record(at, chain.CapabilityResult, time.Since(start), Outcome(v, callErr))
	}
	var unrecordable *value.Error
	if callErr == nil && errors.As(err, &unrecordable) {
		// A value with no canonical encoding (a function) cannot be replayed: the plan
		// gets a capability error, and that is what is recorded.
		v, callErr = nil, host.CapabilityError(req.Capability, "the capability's result cannot be recorded: %v", unrecordable.Message)
		_, err = r.record(at, chain.CapabilityResult, time.Since(start), Outcome(nil, callErr))
	}
	if err == nil && sync && r.o.chain.Durable() {
		err = r.o.chain.Sync()
	}
	if err != nil {
		return nil, err // the store failed: the run stops
	}
	return v, callErr
}

func (r *run) Step(ctx context.Context, ev host.StepEvent) error {
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
		kind, outcome := chain.StepCompleted, Outcome(ev.Result, nil)
		if ev.Phase == host.StepFailed {
			kind, outcome = chain.StepFailed, Outcome(nil, ev.Err)
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

func (r *run) Checkpoint(ctx context.Context, name value.Value) error {
	return r.o.registry.Checkpoint(ctx, name)
}
