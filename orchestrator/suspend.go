package orchestrator

import (
	"errors"
	"fmt"
	"time"

	"github.com/rtfsvm/rtfsvm/chain"
	"github.com/rtfsvm/rtfsvm/store"
	"github.com/rtfsvm/rtfsvm/value"
)

// Suspended ends a run for now: a call needs a person's approval (a :require-approval
// rule) or a person's answer (a :human capability). The run's state is on the chain;
// it holds no VM and no goroutine. Approve or Complete records the person's part, and
// Resume continues the run.
type Suspended struct {
	RunID      string
	Capability string
	Waiting    string      // "approval" or "input"
	Question   value.Value // for input: the call's first argument, or nil
	Args       value.Value // the call's arguments
	Request    int64       // the index of the call's request in the run
}

func (e *Suspended) Error() string {
	return fmt.Sprintf("run %s waiting for %s (%s)", e.RunID, e.Capability, e.Waiting)
}

func (e *Suspended) data() *value.Map {
	m := mapOf("waiting", value.Keyword(e.Waiting), "capability", value.String(e.Capability), "request", value.Int(e.Request))
	if e.Question != nil {
		m = m.Assoc(value.Keyword("question"), e.Question)
	}
	if e.Args != nil {
		m = m.Assoc(value.Keyword("args"), e.Args)
	}
	return m
}

func suspendedFrom(run string, a *chain.Action) *Suspended {
	s := &Suspended{RunID: run, Question: mapField(a.Data, "question"), Args: mapField(a.Data, "args")}
	s.Capability = value.Str(orNil(mapField(a.Data, "capability")))
	if w, ok := mapField(a.Data, "waiting").(value.Keyword); ok {
		s.Waiting = string(w)
	}
	if i, ok := mapField(a.Data, "request").(value.Int); ok {
		s.Request = int64(i)
	}
	return s
}

// Pending is what a suspended run waits for, or nil when it waits for nothing (it is
// not suspended, or its approval or answer is recorded and it waits to be resumed).
func (o *Orchestrator) Pending(id string) (*Suspended, error) {
	acts, err := chain.Actions(o.store, id)
	if err != nil || len(acts) == 0 {
		return nil, err
	}
	if last := acts[len(acts)-1]; last.Kind == chain.RunSuspended {
		return suspendedFrom(id, last), nil
	}
	return nil, nil
}

// Approvals lists what every suspended run waits for, in the order the runs started.
func (o *Orchestrator) Approvals() ([]*Suspended, error) {
	runs, err := o.store.Runs()
	if err != nil {
		return nil, err
	}
	var out []*Suspended
	for _, r := range runs {
		if r.Status != store.Suspended {
			continue
		}
		p, err := o.Pending(r.ID)
		if err != nil {
			return nil, err
		}
		if p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// ErrNotWaiting is Approve or Complete of a run that does not wait for that.
var ErrNotWaiting = errors.New("the run waits for no such thing")

// Approve records a person's decision on the call a suspended run waits for; the run
// continues when it is resumed: an approved call runs, a denied one raises a catchable
// :error/denied with the reason.
func (o *Orchestrator) Approve(id string, approved bool, reason string) error {
	return o.answer(id, "approval", func(p *Suspended) *chain.Action {
		return &chain.Action{Parent: p.Request, Kind: chain.Approval,
			Data: mapOf("approved", value.Bool(approved), "reason", value.String(reason))}
	})
}

// Complete records a person's answer to the :human call a suspended run waits for, as
// that call's result.
func (o *Orchestrator) Complete(id string, v value.Value) error {
	if !value.Encodable(v) {
		return fmt.Errorf("the answer must be data, got %s", value.Describe(v))
	}
	return o.answer(id, "input", func(p *Suspended) *chain.Action {
		return &chain.Action{Parent: p.Request, Kind: chain.CapabilityResult, Data: mapOf("value", v)}
	})
}

func (o *Orchestrator) answer(id, waiting string, make func(*Suspended) *chain.Action) error {
	unlock, err := o.store.Lock(id)
	if err != nil {
		return err
	}
	defer unlock()
	acts, err := chain.Actions(o.store, id)
	if err != nil {
		return err
	}
	if len(acts) == 0 || acts[len(acts)-1].Kind != chain.RunSuspended {
		return fmt.Errorf("run %s: %w", id, ErrNotWaiting)
	}
	p := suspendedFrom(id, acts[len(acts)-1])
	if p.Waiting != waiting {
		return fmt.Errorf("run %s waits for %s, not %s: %w", id, p.Waiting, waiting, ErrNotWaiting)
	}
	r := &run{o: o, id: id}
	for _, a := range acts {
		r.index = max(r.index, a.Index)
	}
	a := make(p)
	for _, x := range acts {
		if x.Index == p.Request {
			a.Duration = time.Since(x.Time)
		}
	}
	if _, err := r.append(a); err != nil {
		return err
	}
	return o.chain.Sync()
}

// SuspendsRun marks a suspension for the VM (host.Suspension).
func (e *Suspended) SuspendsRun() {}
