package orchestrator

import (
	"context"
	"errors"
	"fmt"

	"github.com/rtfsvm/rtfsvm/chain"
	"github.com/rtfsvm/rtfsvm/store"
	"github.com/rtfsvm/rtfsvm/value"
)

// ErrNoCheckpoint is a Fork at a checkpoint the run never reached.
var ErrNoCheckpoint = errors.New("no such checkpoint in the run")

// history is what a run did, as its replay needs it: its own actions, after (for a
// fork) the history of the run it branched off, up to the checkpoint it branched at.
func (o *Orchestrator) history(id string, own []*chain.Action) ([]*chain.Action, error) {
	fork, ok := mapField(own[0].Data, "fork").(*value.Map)
	if !ok {
		return own, nil
	}
	parent, _ := mapField(fork, "run").(value.String)
	index, _ := mapField(fork, "checkpoint-action").(value.Int)
	acts, err := chain.Actions(o.store, string(parent))
	if err != nil {
		return nil, err
	}
	if len(acts) == 0 {
		return nil, fmt.Errorf("run %s branched off run %s, which is not on the chain", id, parent)
	}
	prior, err := o.history(string(parent), acts)
	if err != nil {
		return nil, err
	}
	for i, a := range prior {
		if a.RunID == string(parent) && a.Index == int64(index) {
			return append(append([]*chain.Action(nil), prior[:i+1]...), own...), nil
		}
	}
	return nil, fmt.Errorf("run %s branched off run %s at action %d, which is not on the chain", id, parent, index)
}

// Fork starts a new run from a checkpoint of an old one (time travel): the new run runs
// the same module with the same environment and limits; every host call the old run made
// before the checkpoint is answered from the old run's chain, and from there on the new
// run is live, on a chain branch of its own whose start names the old run and the
// checkpoint. at is the checkpoint's name as (checkpoint ...) gave it, printed (":fetched"
// or "fetched" for a keyword); the first checkpoint of that name is taken.
func (o *Orchestrator) Fork(ctx context.Context, parent, at string, opts RunOptions) (value.Value, error) {
	acts, err := chain.Actions(o.store, parent)
	if err != nil {
		return nil, err
	}
	if len(acts) == 0 || acts[0].Kind != chain.RunStarted {
		return nil, fmt.Errorf("run %s: %w", parent, store.ErrNoRun)
	}
	history, err := o.history(parent, acts)
	if err != nil {
		return nil, err
	}
	cut := -1
	for i, a := range history {
		if a.Kind == chain.Checkpoint && a.RunID == parent {
			name := value.Print(orNil(mapField(a.Data, "name")))
			if name == at || name == ":"+at {
				cut = i
				break
			}
		}
	}
	if cut < 0 {
		return nil, fmt.Errorf("run %s, checkpoint %s: %w", parent, at, ErrNoCheckpoint)
	}
	plan, restartOpts, err := o.restart(ctx, history[0], false)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", parent, err)
	}
	if opts.ID == "" {
		opts.ID = NewRunID()
	}
	restartOpts.ID = opts.ID
	r, start, closeRun, err := o.open(opts.ID, plan.Name)
	if err != nil {
		return nil, err
	}
	defer closeRun()
	// The old run snapshotted its VM just before the checkpoint: the new run goes on
	// from there, without replaying what came before.
	snapAt, snapshot, err := o.snapshotOf(history[:cut])
	if err != nil {
		return nil, r.finish(start, nil, err)
	}
	if snapAt >= 0 && !value.Equal(orNil(mapField(history[snapAt].Data, "checkpoint")), orNil(mapField(history[cut].Data, "name"))) {
		snapAt, snapshot = -1, nil // an older snapshot: replaying is as good
	}
	r.follow(history[:cut+1], snapAt)
	fork := mapOf("run", value.String(parent), "checkpoint", value.String(at), "checkpoint-action", value.Int(history[cut].Index))
	if snapAt >= 0 {
		fork = fork.Assoc(value.Keyword("snapshot-action"), value.Int(history[snapAt].Index))
	}
	started := history[0].Data.(*value.Map).Assoc(value.Keyword("fork"), fork)
	r.started = started
	if snapAt >= 0 {
		r.restoreState(history[snapAt])
	}
	if err := r.begin(started); err != nil {
		return nil, r.finish(start, nil, err)
	}
	v, err := o.execute(ctx, r, plan, restartOpts, snapshot)
	var diverged *DivergenceError
	if errors.As(err, &diverged) {
		return nil, err
	}
	return v, r.finish(start, v, err)
}
