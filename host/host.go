// Package host is the boundary between a running plan and the world: the requests a VM
// sends when it performs an effect, and the interface of whatever answers them.
package host

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/rtfsvm/rtfsvm/types"
	"github.com/rtfsvm/rtfsvm/value"
)

// Request is one host call: (call cap args...).
type Request struct {
	Capability string
	Args       []value.Value
	StepPath   []string   // names of the enclosing steps, outermost first
	Seq        int        // 1 for the run's first host call, then 2, 3, ...
	Options    *value.Map // from the call's metadata (:timeout-ms, :idempotency-key), or nil
	// RunID is the run that makes the call, set by whatever runs it (the orchestrator);
	// "" leaves it to the host (Local.RunID).
	RunID string
}

// Outcome is the result of one call of a batch.
type Outcome struct {
	Value value.Value
	Err   error
}

// StepEvent reports a step starting or ending.
type StepEvent struct {
	Path   []string // the step's own name last
	Phase  Phase
	Result value.Value // when completed
	Err    error       // when failed
}

type Phase uint8

const (
	StepStarted Phase = iota
	StepCompleted
	StepFailed
)

// Host answers a running plan. A capability error is returned as a *value.Error (the plan
// can catch it); any other error stops the run.
type Host interface {
	Call(ctx context.Context, req *Request) (value.Value, error)
	// Batch carries out the calls of a parallel form; outcomes are in request order.
	Batch(ctx context.Context, reqs []*Request) []Outcome
	Step(ctx context.Context, ev StepEvent) error
	Checkpoint(ctx context.Context, name value.Value) error
}

// Capability carries out a call in Go.
type Capability func(ctx context.Context, args []value.Value) (value.Value, error)

// Provider carries out a call that needs more than its arguments: the run and the
// call's idempotency key (subprocesses, HTTP).
type Provider func(ctx context.Context, call Call) (value.Value, error)

// Call is a host call as a provider sees it.
type Call struct {
	*Request
	RunID          string
	IdempotencyKey string // the call's :idempotency-key option, or RunID:Seq
}

// Local is a Host that runs Go capabilities in process and reports step events to a
// writer. It is the command's default host and the base of test hosts.
type Local struct {
	mu        sync.RWMutex
	caps      map[string]Capability
	providers map[string]Provider
	types     map[string]Types
	// RunID names the run, for providers and idempotency keys.
	RunID string
	// Events receives one line a step event; nil discards them.
	Events io.Writer
}

// NewLocal makes a host with the built-in capabilities.
func NewLocal(events io.Writer) *Local {
	h := &Local{caps: map[string]Capability{}, providers: map[string]Provider{}, types: map[string]Types{}, Events: events}
	for id, c := range Builtins {
		h.caps[id] = c
	}
	for id, p := range BuiltinProviders {
		h.providers[id] = p
	}
	return h
}

// Register adds or replaces a capability.
func (h *Local) Register(id string, c Capability) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.caps[id] = c
}

// Provide adds or replaces a capability served by a provider.
func (h *Local) Provide(id string, p Provider) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.providers[id] = p
}

// Types are what a capability's arguments and result must be: RTFS type expressions
// (rtfs-language.md §5), Args for the vector of arguments (such as [:tuple :string :int]),
// Result for the value returned. nil checks nothing.
type Types struct {
	Args, Result value.Value
}

// Declare sets the types checked at the boundary of a capability's calls: arguments
// that are not of the type are a catchable :error/type and the capability does not run;
// a result that is not is an :error/capability.
func (h *Local) Declare(id string, t Types) error {
	for _, x := range []value.Value{t.Args, t.Result} {
		if x == nil {
			continue
		}
		if err := types.Validate(x); err != nil {
			return fmt.Errorf("capability %s: %w", id, err)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.types[id] = t
	return nil
}

func (h *Local) Call(ctx context.Context, req *Request) (value.Value, error) {
	h.mu.RLock()
	c, ok := h.caps[req.Capability]
	p, provided := h.providers[req.Capability]
	t := h.types[req.Capability]
	h.mu.RUnlock()
	if t.Args != nil {
		if args := value.NewVector(req.Args); !types.Check(t.Args, args) {
			return nil, &value.Error{ErrKind: value.ErrType, Capability: req.Capability,
				Message: fmt.Sprintf("%s: its arguments %s are not of type %s", req.Capability, abbreviate(value.Print(args)), value.Print(t.Args))}
		}
	}
	var v value.Value
	var err error
	switch {
	case provided:
		run := req.RunID
		if run == "" {
			run = h.RunID
		}
		v, err = p(ctx, Call{Request: req, RunID: run, IdempotencyKey: IdempotencyKey(run, req)})
	case ok:
		v, err = c(ctx, req.Args)
	default:
		return nil, CapabilityError(req.Capability, "no provider for capability %s", req.Capability)
	}
	if e, ok := err.(*value.Error); ok && e.Capability == "" {
		e.Capability = req.Capability
	}
	if err == nil && t.Result != nil && !types.Check(t.Result, v) {
		return nil, CapabilityError(req.Capability, "%s returned %s, which is not of type %s", req.Capability, abbreviate(value.Print(v)), value.Print(t.Result))
	}
	return v, err
}

func (h *Local) Batch(ctx context.Context, reqs []*Request) []Outcome {
	return RunBatch(ctx, h, reqs)
}

// RunBatch runs each request of a batch on its own goroutine.
func RunBatch(ctx context.Context, h Host, reqs []*Request) []Outcome {
	out := make([]Outcome, len(reqs))
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i].Value, out[i].Err = h.Call(ctx, req)
		}()
	}
	wg.Wait()
	return out
}

func (h *Local) Step(_ context.Context, ev StepEvent) error {
	if h.Events == nil {
		return nil
	}
	name := strings.Join(ev.Path, " / ")
	switch ev.Phase {
	case StepStarted:
		fmt.Fprintf(h.Events, "step started: %s\n", name)
	case StepCompleted:
		fmt.Fprintf(h.Events, "step completed: %s => %s\n", name, abbreviate(value.Print(ev.Result)))
	case StepFailed:
		fmt.Fprintf(h.Events, "step failed: %s: %v\n", name, ev.Err)
	}
	return nil
}

func (h *Local) Checkpoint(_ context.Context, name value.Value) error {
	if h.Events != nil {
		fmt.Fprintf(h.Events, "checkpoint: %s\n", value.Print(name))
	}
	return nil
}

func abbreviate(s string) string {
	if len(s) > 200 {
		return s[:197] + "..."
	}
	return s
}

// IdempotencyKey is a call's effective key: its :idempotency-key option, or the run id
// and the call's sequence number.
func IdempotencyKey(runID string, req *Request) string {
	if req.Options != nil {
		if k, ok := req.Options.Get(value.Keyword("idempotency-key")); ok {
			return value.Str(k)
		}
	}
	return runID + ":" + strconv.Itoa(req.Seq)
}

// CapabilityError is the :error/capability of a call that failed.
func CapabilityError(id, format string, args ...any) *value.Error {
	return &value.Error{ErrKind: value.ErrCapability, Capability: id, Message: fmt.Sprintf(format, args...)}
}
