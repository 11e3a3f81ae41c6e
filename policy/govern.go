package policy

import (
	"context"
	"fmt"
	"sync"

	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/value"
)

// Govern puts the kernel between a run and its host: every host call is decided first,
// and a denied one reaches the plan as a catchable :error/denied naming the capability
// and the rule that refused it.
func Govern(h host.Host, k *Kernel, run *RunState) host.Host {
	return &governed{Host: h, kernel: k, run: run}
}

type governed struct {
	host.Host
	kernel    *Kernel
	run       *RunState
	mu        sync.Mutex
	hostCalls int64 // calls made, against :budgets :host-calls
}

func (g *governed) Call(ctx context.Context, req *host.Request) (value.Value, error) {
	if err := g.decide(req); err != nil {
		return nil, err
	}
	return g.Host.Call(ctx, req)
}

// Batch decides the calls in argument order (so that :max-calls counts deterministically),
// then runs the allowed ones together.
func (g *governed) Batch(ctx context.Context, reqs []*host.Request) []host.Outcome {
	out := make([]host.Outcome, len(reqs))
	var allowed []*host.Request
	var where []int
	for i, req := range reqs {
		if err := g.decide(req); err != nil {
			out[i].Err = err
			continue
		}
		allowed = append(allowed, req)
		where = append(where, i)
	}
	for j, o := range g.Host.Batch(ctx, allowed) {
		out[where[j]] = o
	}
	return out
}

func (g *governed) decide(req *host.Request) error {
	if limit := g.kernel.Policy().Budgets.HostCalls; limit > 0 {
		g.mu.Lock()
		spent := g.hostCalls >= limit
		if !spent {
			g.hostCalls++
		}
		g.mu.Unlock()
		if spent {
			return &value.Error{ErrKind: value.ErrDenied, Capability: req.Capability,
				Message: fmt.Sprintf("the run's budget of %d host calls is spent", limit)}
		}
	}
	d := g.kernel.Decide(g.run, req.Capability, req.Args)
	switch d.Effect {
	case Allow:
		return nil
	case RequireApproval:
		return &value.Error{ErrKind: value.ErrDenied, Capability: req.Capability,
			Message: d.Reason + ": it requires approval, which this version cannot grant yet"}
	}
	return &value.Error{ErrKind: value.ErrDenied, Capability: req.Capability, Message: d.Reason}
}
