// Package orchestrator runs plans the way the specification's orchestrator does: every
// host call a plan makes leaves its VM as a request that the governance kernel decides,
// the capability registry carries out, and the causal chain records with the decision
// and the result. Runs are recorded in a store; many run at once, each VM on its own
// goroutine, with at most Config.MaxVMs VMs alive.
package orchestrator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/rtfsvm/rtfsvm"
	"github.com/rtfsvm/rtfsvm/chain"
	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/policy"
	"github.com/rtfsvm/rtfsvm/store"
	"github.com/rtfsvm/rtfsvm/value"
)

// DefaultMaxVMs bounds the VMs alive at once when Config.MaxVMs is 0. A VM reserves its
// memory limit of address space but commits only what it touches, so the bound is
// about host resources (goroutines, open capabilities), not memory.
const DefaultMaxVMs = 256

// Config is what an orchestrator works with.
type Config struct {
	Store    store.Store    // nil: a store in memory
	Kernel   *policy.Kernel // nil: the default policy, which allows ccos.*
	Registry host.Host      // carries out the calls the kernel allows; nil: the built-ins
	MaxVMs   int            // VMs alive at once; 0: DefaultMaxVMs
}

// Orchestrator runs plans under one policy, registry and store. It is safe for
// concurrent use.
type Orchestrator struct {
	store    store.Store
	kernel   *policy.Kernel
	registry host.Host
	chain    *chain.Chain
	vms      chan struct{} // a token per VM alive
}

// New makes an orchestrator.
func New(cfg Config) (*Orchestrator, error) {
	o := &Orchestrator{store: cfg.Store, kernel: cfg.Kernel, registry: cfg.Registry}
	if o.store == nil {
		o.store = store.NewMemory()
	}
	if o.kernel == nil {
		k, err := policy.NewKernel(policy.DefaultPolicy())
		if err != nil {
			return nil, err
		}
		o.kernel = k
	}
	if o.registry == nil {
		o.registry = host.NewLocal(nil)
	}
	n := cfg.MaxVMs
	if n <= 0 {
		n = DefaultMaxVMs
	}
	o.vms = make(chan struct{}, n)
	o.chain = chain.Open(o.store, o.store.Key())
	return o, nil
}

// Store is the orchestrator's store.
func (o *Orchestrator) Store() store.Store { return o.store }

// Plan is a prepared plan and the name its runs are recorded under.
type Plan struct {
	Name     string // a file name, "-e" or "-"
	Prepared *rtfsvm.Prepared
}

// RunOptions configure one run. Zero limits take the engine's defaults; the policy's
// :budgets tighten them.
type RunOptions struct {
	ID      string // "" generates one
	Env     *value.Map
	Fuel    int64
	Memory  int64
	Timeout time.Duration
}

// NewRunID makes a run id that sorts by time and does not collide across processes.
func NewRunID() string {
	var b [4]byte
	rand.Read(b[:])
	return "run-" + time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
}

// Run runs a plan to its value, recording the run and everything it does. The errors
// are those of rtfsvm.Prepared.Run, a *value.Error of kind :error/denied when the
// policy refuses the plan before it runs, an error wrapping store.ErrRunExists when the
// id is taken, and errors of the store.
func (o *Orchestrator) Run(ctx context.Context, plan Plan, opts RunOptions) (value.Value, error) {
	if opts.ID == "" {
		opts.ID = NewRunID()
	}
	if opts.Env == nil {
		opts.Env = value.EmptyMap
	}
	r, start, closeRun, err := o.open(opts.ID, plan.Name)
	if err != nil {
		return nil, err
	}
	defer closeRun()
	r.state = policy.NewRunState(opts.ID)
	// What a resume needs to run the plan again: the module itself, the environment and
	// the limits, made durable before the plan runs.
	started := mapOf("plan", value.String(plan.Name), "env", opts.Env, "engine", value.String(plan.Prepared.Engine()),
		"limits", mapOf("fuel", value.Int(opts.Fuel), "memory", value.Int(opts.Memory), "timeout-ms", value.Int(opts.Timeout.Milliseconds())))
	if h, ok := plan.Prepared.ModuleHash(); ok {
		started = started.Assoc(value.Keyword("module"), value.String(hex.EncodeToString(h[:])))
		if err := o.store.PutModule(h, plan.Prepared.Binary()); err != nil {
			return nil, r.finish(start, nil, err)
		}
	}
	r.started = started
	if err := r.begin(started); err != nil {
		return nil, r.finish(start, nil, err)
	}
	v, err := o.execute(ctx, r, plan, opts, nil)
	return v, r.finish(start, v, err)
}

// open makes a new run: it locks its id, records it in the store and joins the chain;
// closeRun undoes the lock and the join when the run ends. An id in use is
// store.ErrRunExists, unless its run died before it recorded its start: it never ran,
// and the id is free again.
func (o *Orchestrator) open(id, planName string) (r *run, start time.Time, closeRun func(), err error) {
	unlock, err := o.store.Lock(id)
	if err != nil {
		return nil, start, nil, err
	}
	start = time.Now()
	rec := store.Run{ID: id, Plan: planName, Status: store.Running, Started: start}
	err = o.store.CreateRun(rec)
	if errors.Is(err, store.ErrRunExists) {
		var started bool
		if err = o.store.EachOfRun(id, func(chain.Record) bool { started = true; return false }); err == nil {
			if started {
				err = fmt.Errorf("run %s: %w", id, store.ErrRunExists)
			} else if err = o.store.DeleteRun(id); err == nil {
				err = o.store.CreateRun(rec)
			}
		}
	}
	if err != nil {
		unlock()
		return nil, start, nil, err
	}
	o.chain.Join()
	return &run{o: o, id: id}, start, func() { o.chain.Leave(); unlock() }, nil
}

// begin records the run's start, durably: without it the run cannot be resumed.
func (r *run) begin(started *value.Map) error {
	if _, err := r.record(0, chain.RunStarted, 0, started); err != nil {
		return err
	}
	if r.o.chain.Durable() {
		return r.o.chain.Sync()
	}
	return nil
}

// execute runs the plan, from the start or from a snapshot.
func (o *Orchestrator) execute(ctx context.Context, r *run, plan Plan, opts RunOptions, snapshot []byte) (value.Value, error) {
	if capability, reason, refused := o.kernel.RefusesBeforeRun(plan.Prepared.Capabilities()); refused {
		data := mapOf("capability", value.String(capability), "effect", value.Keyword("deny"), "reason", value.String(reason))
		if _, err := r.record(1, chain.PolicyDecision, 0, data); err != nil {
			return nil, err
		}
		return nil, &value.Error{ErrKind: value.ErrDenied, Capability: capability, Message: reason}
	}
	b := o.kernel.Policy().Budgets
	if b.Fuel > 0 && (opts.Fuel == 0 || b.Fuel < opts.Fuel) {
		opts.Fuel = b.Fuel
	}
	if wall := time.Duration(b.WallMs) * time.Millisecond; wall > 0 && (opts.Timeout == 0 || wall < opts.Timeout) {
		opts.Timeout = wall
	}
	select {
	case o.vms <- struct{}{}:
	case <-ctx.Done():
		return nil, &value.LimitError{Limit: value.LimitTimeout}
	}
	defer func() { <-o.vms }()
	return plan.Prepared.Run(ctx, rtfsvm.Options{Env: opts.Env, Host: r, Fuel: opts.Fuel, Memory: opts.Memory, Timeout: opts.Timeout, From: snapshot})
}

// finish records how the run ended, makes it durable, and returns the run's error (or
// the store's, if the end could not be recorded: a run is not reported finished
// unless its record is).
func (r *run) finish(started time.Time, v value.Value, runErr error) error {
	var suspended *Suspended
	if errors.As(runErr, &suspended) {
		return r.suspend(suspended)
	}
	kind, status := chain.RunCompleted, store.Completed
	if runErr != nil {
		kind, status = chain.RunFailed, store.Failed
	}
	outcome := Outcome(v, runErr)
	_, err := r.record(1, kind, time.Since(started), outcome)
	if err != nil && runErr == nil {
		// The value has no record (a function): the run's result is its printed form.
		outcome = mapOf("value", value.String(value.Print(v)))
		_, err = r.record(1, kind, time.Since(started), outcome)
	}
	if err == nil {
		err = r.o.chain.Sync()
	}
	if err == nil {
		err = r.synced()
	}
	if err == nil {
		var result []byte
		if result, err = value.Encode(nil, outcome); err == nil {
			err = r.o.store.FinishRun(r.id, status, result, time.Now())
		}
	}
	if err != nil {
		return errors.Join(runErr, fmt.Errorf("run %s: recording its end: %w", r.id, err))
	}
	return runErr
}

// suspend records that the run waits for a person, and returns s.
func (r *run) suspend(s *Suspended) error {
	_, err := r.record(1, chain.RunSuspended, 0, s.data())
	if err == nil {
		err = r.o.chain.Sync()
	}
	if err == nil {
		err = r.synced()
	}
	if err == nil {
		err = r.o.store.FinishRun(r.id, store.Suspended, nil, time.Now())
	}
	if err != nil {
		return fmt.Errorf("run %s: recording its suspension: %w", r.id, err)
	}
	return s
}

// Outcome is how a run or a call ended, as recorded: {:value v} or {:error map}, where a
// resource limit is an error map of its :limit/... kind and a failure of the host one of
// kind :error/host.
func Outcome(v value.Value, err error) *value.Map {
	if err == nil {
		return mapOf("value", v)
	}
	var re *value.Error
	var le *value.LimitError
	switch {
	case errors.As(err, &re):
		return mapOf("error", re.ToMap())
	case errors.As(err, &le):
		return mapOf("error", (&value.Error{ErrKind: le.Limit, Message: "a resource limit stopped the VM"}).ToMap())
	}
	return mapOf("error", (&value.Error{ErrKind: "error/host", Message: err.Error()}).ToMap())
}

func mapOf(kvs ...any) *value.Map {
	m := value.EmptyMap
	for i := 0; i < len(kvs); i += 2 {
		m = m.Assoc(value.Keyword(kvs[i].(string)), kvs[i+1].(value.Value))
	}
	return m
}
