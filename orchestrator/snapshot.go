package orchestrator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/rtfsvm/rtfsvm/chain"
	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/policy"
	"github.com/rtfsvm/rtfsvm/value"
)

// Without :checkpoints :every-calls, a run snapshots every 10 to 100 host calls, in
// proportion to the size of its last snapshot (one every 10 calls up to 640 bytes, one
// every 100 from 6,400): a snapshot's cost grows with its size, and a resume replays the
// calls since the last one, so a small state is kept often (about 5 us each for a few
// hundred bytes) and a large one at most every 100 calls. The rhythm depends on the
// run's state alone, so a replayed run keeps the same one.
const (
	minSnapshotEvery     = 10
	maxSnapshotEvery     = 100
	snapshotBytesPerCall = 64
)

func defaultSnapshotEvery(size int) int {
	return min(max(size/snapshotBytesPerCall, minSnapshotEvery), maxSnapshotEvery)
}

// ErrSnapshotDamaged stops a resume whose snapshot is not the one the chain recorded.
var ErrSnapshotDamaged = errors.New("its snapshot is damaged: its hash is not the one on the chain")

// SnapshotDue is the run's side of host.Snapshots: a snapshot before every checkpoint,
// before the first host call after a step ended, and every :every-calls host calls.
// A resumed run takes none while it replays what it had done.
func (r *run) SnapshotDue(seq int, checkpoint value.Value) bool {
	if r.replay != nil && seq <= r.replay.lastSeq {
		return false
	}
	if checkpoint != nil || r.stepEnded {
		return true
	}
	every := r.o.kernel.Policy().Checkpoints.EveryCalls
	if every == 0 {
		every = defaultSnapshotEvery(r.snapshotSize)
	}
	return seq-1-r.snapshotSeq >= every
}

// Snapshot keeps a snapshot in the store, by its hash, and records it on the chain with
// what the run itself must remember to go on from it: the policy's counts, the open
// steps, the run's module and limits. The kernel refuses one larger than
// :max-snapshot-bytes: the run goes on, and a resume replays from an earlier point.
func (r *run) Snapshot(ctx context.Context, s *host.Snapshot) error {
	r.snapshotSeq, r.snapshotSize, r.stepEnded = s.Seq, len(s.Data), false
	if limit := r.o.kernel.Policy().Checkpoints.MaxSnapshotBytes; limit > 0 && int64(len(s.Data)) > limit {
		reason := fmt.Sprintf("the snapshot's %d bytes exceed :max-snapshot-bytes %d", len(s.Data), limit)
		_, err := r.record(r.current(), chain.Snapshot, 0, mapOf("refused", value.String(reason), "size", value.Int(len(s.Data))))
		return err
	}
	hash := sha256.Sum256(s.Data)
	if err := r.o.store.PutSnapshot(hash, s.Data); err != nil {
		return err
	}
	r.mu.Lock()
	steps := make([]value.Value, len(r.steps))
	for i, st := range r.steps {
		steps[i] = value.Int(st.index)
	}
	counts := value.EmptyMap
	for rule, n := range r.state.Counts() {
		counts = counts.Assoc(value.Int(rule), value.Int(n))
	}
	hostCalls := r.hostCalls
	r.mu.Unlock()
	data := r.started.Assoc(value.Keyword("hash"), value.String(hex.EncodeToString(hash[:]))).
		Assoc(value.Keyword("size"), value.Int(len(s.Data))).
		Assoc(value.Keyword("seq"), value.Int(s.Seq)).
		Assoc(value.Keyword("steps"), value.NewVector(steps)).
		Assoc(value.Keyword("counts"), counts).
		Assoc(value.Keyword("host-calls"), value.Int(hostCalls))
	if s.Checkpoint != nil {
		data = data.Assoc(value.Keyword("checkpoint"), s.Checkpoint)
	}
	a := &chain.Action{Parent: r.current(), Kind: chain.Snapshot, Data: data, Tracked: true}
	if _, err := r.append(a); err != nil {
		return err
	}
	// A resume reads from here; from the request that suspended the run, when that is
	// why the snapshot was taken (it precedes the snapshot on the chain). The store is
	// told once the action is committed, by the run's next sync: a snapshot is not worth
	// a commit of its own, and one lost in a crash leaves an older one to resume from.
	r.mu.Lock()
	switch {
	case !s.Suspended:
		r.unmarked = a
	case r.pending != nil:
		r.unmarked = r.pending // marked if its position is known (see admit)
	default:
		r.unmarked = nil
	}
	r.mu.Unlock()
	return nil
}

// synced tells the store where a resume starts once the newest snapshot's action is
// committed; the caller has just synced the chain.
func (r *run) synced() error {
	r.mu.Lock()
	a := r.unmarked
	if a != nil && a.Seq > 0 {
		r.unmarked = nil
	}
	r.mu.Unlock()
	if a == nil || a.Seq == 0 {
		return nil
	}
	return r.o.store.MarkSnapshot(r.id, a.Seq)
}

// untracked stands for a pending request whose position on the chain is not known.
var untracked = &chain.Action{}

// startedKeys are the fields of run-started a snapshot repeats, so that a resume from it
// needs nothing older.
var startedKeys = []string{"plan", "engine", "module", "limits"}

func startedFields(started *value.Map) *value.Map {
	m := value.EmptyMap
	for _, k := range startedKeys {
		if v, ok := started.Get(value.Keyword(k)); ok {
			m = m.Assoc(value.Keyword(k), v)
		}
	}
	return m
}

// snapshotOf finds the newest snapshot among a run's actions and reads it from the
// store, checking its hash against the chain's. It returns the index in acts of the
// snapshot's action, or -1 when there is none.
func (o *Orchestrator) snapshotOf(acts []*chain.Action) (int, []byte, error) {
	for i := len(acts) - 1; i >= 0; i-- {
		a := acts[i]
		if a.Kind != chain.Snapshot || mapField(a.Data, "refused") != nil {
			continue
		}
		h, _ := mapField(a.Data, "hash").(value.String)
		want, err := hex.DecodeString(string(h))
		if err != nil || len(want) != sha256.Size {
			return 0, nil, fmt.Errorf("run %s: snapshot at action %d: %w", a.RunID, a.Index, ErrSnapshotDamaged)
		}
		data, err := o.store.Snapshot([sha256.Size]byte(want))
		if err != nil {
			return 0, nil, fmt.Errorf("run %s: snapshot at action %d: %w", a.RunID, a.Index, err)
		}
		if got := sha256.Sum256(data); !bytes.Equal(got[:], want) {
			return 0, nil, fmt.Errorf("run %s: snapshot at action %d: %w", a.RunID, a.Index, ErrSnapshotDamaged)
		}
		return i, data, nil
	}
	return -1, nil, nil
}

// restoreState gives a run going on from a snapshot what the snapshot recorded of it.
func (r *run) restoreState(snap *chain.Action) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.steps = nil
	if steps, ok := mapField(snap.Data, "steps").(*value.Vector); ok {
		for _, s := range steps.Slice() {
			if n, ok := s.(value.Int); ok {
				if snap.RunID != r.id {
					n = 1 // a step opened in the run a fork branched off: under the fork's start
				}
				r.steps = append(r.steps, openStep{int64(n), snap.Time})
			}
		}
	}
	if seq, ok := mapField(snap.Data, "seq").(value.Int); ok {
		r.snapshotSeq = int(seq)
		r.calls = max(r.calls, int64(seq))
	}
	if n, ok := mapField(snap.Data, "size").(value.Int); ok {
		r.snapshotSize = int(n)
	}
	if n, ok := mapField(snap.Data, "host-calls").(value.Int); ok {
		r.hostCalls += int64(n)
	}
	counts := r.state.Counts()
	if m, ok := mapField(snap.Data, "counts").(*value.Map); ok {
		for _, e := range m.Entries() {
			rule, _ := e.Key.(value.Int)
			n, _ := e.Val.(value.Int)
			counts[int(rule)] += int(n)
		}
	}
	r.state = policy.NewRunStateFrom(r.id, counts)
	r.started = startedFields(snap.Data.(*value.Map))
}
