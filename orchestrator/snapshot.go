package orchestrator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/rtfsvm/rtfsvm/chain"
	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/policy"
	"github.com/rtfsvm/rtfsvm/value"
)

// defaultSnapshotEvery is the rhythm of snapshots without :checkpoints :every-calls: a
// resume replays at most 99 calls (some 1.5 ms), and the snapshots of a small state cost
// a no-op host call a few percent (at every 20 calls, over a tenth). With a durable store
// a snapshot is also a write that competes with every run's commits.
const defaultSnapshotEvery = 100

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
		every = defaultSnapshotEvery
	}
	return seq-1-r.snapshotSeq >= every
}

// Snapshot keeps a snapshot in the store, by its hash, and records it on the chain with
// what the run itself must remember to go on from it: the policy's counts, the open
// steps, the run's module and limits. The kernel refuses one larger than
// :max-snapshot-bytes: the run goes on, and a resume replays from an earlier point.
func (r *run) Snapshot(ctx context.Context, s *host.Snapshot) error {
	r.snapshotSeq, r.stepEnded = s.Seq, false
	if limit := r.o.kernel.Policy().Checkpoints.MaxSnapshotBytes; limit > 0 && int64(len(s.Data)) > limit {
		reason := fmt.Sprintf("the snapshot's %d bytes exceed :max-snapshot-bytes %d", len(s.Data), limit)
		_, err := r.record(r.current(), chain.Snapshot, 0, mapOf("refused", value.String(reason), "size", value.Int(len(s.Data))))
		return err
	}
	hash := sha256.Sum256(s.Data)
	// The store learns where the previous snapshot is on the chain with this one: one
	// write a snapshot (a resume then reads from there and finds this one too).
	r.mu.Lock()
	from := r.markReady
	r.markReady = 0
	r.mu.Unlock()
	if err := r.o.store.PutSnapshot(hash, s.Data, r.id, from); err != nil {
		return err
	}
	r.mu.Lock()
	rec := &snapshotRecord{started: r.started, hash: hash, size: len(s.Data), seq: s.Seq, checkpoint: s.Checkpoint,
		counts: r.state.Counts(), hostCalls: r.hostCalls, steps: make([]int64, len(r.steps))}
	for i, st := range r.steps {
		rec.steps[i] = st.index
	}
	r.mu.Unlock()
	a := &chain.Action{Parent: r.current(), Kind: chain.Snapshot, Encoder: rec, SeqOut: new(int64)}
	if _, err := r.append(a); err != nil {
		return err
	}
	// A resume reads from here; from the request that suspended the run, when that is
	// why the snapshot was taken (it precedes the snapshot on the chain). The store is
	// told once the action is committed, by the run's next sync: a snapshot is not worth
	// a commit of its own, and one lost in a crash leaves an older one to resume from.
	r.mu.Lock()
	r.markAtOnce = s.Suspended
	switch {
	case !s.Suspended:
		r.unmarked = a.SeqOut
	case r.pending != nil:
		r.unmarked = r.pending // marked if its position is known (see admit)
	default:
		r.unmarked = nil
	}
	r.mu.Unlock()
	return nil
}

// synced notes where a resume would start once the newest snapshot's action is
// committed (the caller has just synced the chain): the store learns it with the next
// snapshot, or at once when the run is suspending.
func (r *run) synced() error {
	r.mu.Lock()
	seq, now := r.unmarked, r.markAtOnce
	if seq != nil && *seq > 0 {
		r.unmarked, r.markReady = nil, *seq
	}
	r.mu.Unlock()
	if seq == nil || *seq == 0 || !now {
		return nil
	}
	return r.o.store.MarkSnapshot(r.id, *seq)
}

// untracked stands for a pending request whose position on the chain is not known.
var untracked = new(int64)

// snapshotRecord is a snapshot as the chain records it: {:checkpoint :counts :engine
// :hash :host-calls :limits :module :plan :seq :size :steps}, the fields of run-started
// among them, written field by field (one every few calls: not worth building a map).
type snapshotRecord struct {
	started    *value.Map // run-started, or a snapshot's record: its plan, engine, module, limits
	hash       [32]byte
	size, seq  int
	checkpoint value.Value // or nil
	counts     map[int]int
	hostCalls  int64
	steps      []int64
}

func (s *snapshotRecord) AppendCanonical(b []byte) ([]byte, error) {
	type field struct {
		key   string
		write func(b []byte) ([]byte, error)
	}
	fields := make([]field, 0, 11)
	add := func(key string, write func(b []byte) ([]byte, error)) { fields = append(fields, field{key, write}) }
	encoded := func(v value.Value) func(b []byte) ([]byte, error) {
		return func(b []byte) ([]byte, error) { return value.Encode(b, v) }
	}
	integer := func(n int64) func(b []byte) ([]byte, error) {
		return func(b []byte) ([]byte, error) { return value.EncodeInt(b, n), nil }
	}
	if s.checkpoint != nil {
		add("checkpoint", encoded(s.checkpoint))
	}
	add("counts", func(b []byte) ([]byte, error) {
		rules := make([]int, 0, len(s.counts))
		for rule := range s.counts {
			rules = append(rules, rule)
		}
		slices.Sort(rules)
		b = value.EncodeMapHeader(b, len(rules))
		for _, rule := range rules {
			b = value.EncodeInt(value.EncodeInt(b, int64(rule)), int64(s.counts[rule]))
		}
		return b, nil
	})
	started := func(key string) {
		if s.started == nil {
			return
		}
		if v, ok := s.started.Get(value.Keyword(key)); ok {
			add(key, encoded(v))
		}
	}
	started("engine")
	add("hash", func(b []byte) ([]byte, error) { return value.EncodeString(b, hex.EncodeToString(s.hash[:])), nil })
	add("host-calls", integer(s.hostCalls))
	started("limits")
	started("module")
	started("plan")
	add("seq", integer(int64(s.seq)))
	add("size", integer(int64(s.size)))
	add("steps", func(b []byte) ([]byte, error) {
		b = value.EncodeVectorHeader(b, len(s.steps))
		for _, n := range s.steps {
			b = value.EncodeInt(b, n)
		}
		return b, nil
	})
	b = value.EncodeMapHeader(b, len(fields))
	for _, f := range fields {
		var err error
		if b, err = f.write(value.EncodeKeyword(b, f.key)); err != nil {
			return nil, err
		}
	}
	return b, nil
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
}
