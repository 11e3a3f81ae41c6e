package host

import (
	"context"

	"github.com/rtfsvm/rtfsvm/value"
)

// Snapshots is implemented by a Host that keeps snapshots of its VM, so that the run can
// later go on from one instead of replaying its history.
type Snapshots interface {
	// SnapshotDue is asked before the VM's host call number seq (before a checkpoint,
	// with its name, or nil): true makes the VM snapshot its state there first.
	SnapshotDue(seq int, checkpoint value.Value) bool
	// Snapshot keeps a snapshot. An error stops the run.
	Snapshot(ctx context.Context, s *Snapshot) error
}

// Snapshot is a VM's whole state just before one of its host calls: restored, the VM
// makes that call next.
type Snapshot struct {
	Seq        int         // host calls made before: the next one is Seq+1
	Steps      []string    // the steps open
	Checkpoint value.Value // the checkpoint about to be recorded, or nil
	Suspended  bool        // taken because the call suspended the run
	Data       []byte      // the state, compressed (the VM's format)
}

// Suspension is an error of a host call that parks the run until a person acts (an
// approval, an answer): a VM whose host keeps snapshots snapshots itself before it
// stops, so that the run resumes from there.
type Suspension interface {
	error
	SuspendsRun()
}
