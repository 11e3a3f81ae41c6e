package rtfsvm_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/rtfsvm/rtfsvm"
	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/value"
)

// snapshottingHost is the corpus's host, keeping a snapshot before every host call and
// checkpoint when every is set.
type snapshottingHost struct {
	host.Host
	every     bool
	snapshots []*host.Snapshot
	calls     []string // each call's request, printed
}

func (h *snapshottingHost) SnapshotDue(int, value.Value) bool { return h.every }

func (h *snapshottingHost) Snapshot(_ context.Context, s *host.Snapshot) error {
	h.snapshots = append(h.snapshots, s)
	return nil
}

func (h *snapshottingHost) Call(ctx context.Context, req *host.Request) (value.Value, error) {
	h.log(req)
	return h.Host.Call(ctx, req)
}

func (h *snapshottingHost) Batch(ctx context.Context, reqs []*host.Request) []host.Outcome {
	for _, req := range reqs {
		h.log(req)
	}
	return h.Host.Batch(ctx, reqs)
}

func (h *snapshottingHost) log(req *host.Request) {
	h.calls = append(h.calls, req.Capability+" "+value.Print(value.NewVector(req.Args)))
}

// TestSnapshotsChangeNothing runs every case of the corpus on the MicroVM with a
// snapshot before each host call and checkpoint (the guest unwinds, is compacted and
// rewinds in place), and then goes on from each of those snapshots in a fresh VM: every
// run must end as the corpus says, and a run from the snapshot before call n must make
// exactly the calls from n on.
func TestSnapshotsChangeNothing(t *testing.T) {
	snapshotsTaken := 0
	defer func() {
		if snapshotsTaken < 100 { // the corpus's host calls and checkpoints
			t.Errorf("only %d snapshots were taken", snapshotsTaken)
		}
	}()
	for _, engine := range []string{rtfsvm.EngineWasm, rtfsvm.EngineWasmGCStress} {
		for _, c := range loadCorpus(t) {
			name := engine + "/" + strings.TrimSuffix(strings.TrimPrefix(c.path, "testdata/conformance/"), ".rtfs")
			t.Run(name, func(t *testing.T) {
				prog, err := rtfsvm.Load(c.path, c.src)
				if err != nil {
					return // a static error: nothing runs
				}
				p, err := rtfsvm.Prepare(context.Background(), prog, engine)
				if err != nil {
					t.Fatal(err)
				}
				// On tier 1: a VM on tier 0 takes no snapshots.
				if err := p.WaitOptimized(context.Background()); err != nil {
					t.Fatal(err)
				}
				check := func(what string, v value.Value, err error) {
					t.Helper()
					printed, kind, err := describeOutcome(v, err)
					switch {
					case c.wantErr != "" && kind != c.wantErr:
						t.Errorf("%s: want error %s, got %s (value %q, err %v)", what, c.wantErr, orNone(kind), printed, err)
					case c.wantErr == "" && kind != "":
						t.Errorf("%s: want %s, got error %s: %v", what, c.want, kind, err)
					case c.wantErr == "" && printed != c.want:
						t.Errorf("%s: want %s\n got %s", what, c.want, printed)
					}
				}
				h := &snapshottingHost{Host: testHost(), every: true}
				v, err := p.Run(context.Background(), rtfsvm.Options{Env: c.env, Host: h})
				check("with snapshots", v, err)
				snapshotsTaken += len(h.snapshots)
				for _, s := range h.snapshots {
					again := &snapshottingHost{Host: testHost()}
					v, err := p.Run(context.Background(), rtfsvm.Options{Host: again, From: s.Data})
					check("from the snapshot before call "+itoa(s.Seq+1), v, err)
					if want := strings.Join(h.calls[s.Seq:], "\n"); strings.Join(again.calls, "\n") != want {
						t.Errorf("from the snapshot before call %d: the calls were\n%s\nwant\n%s", s.Seq+1, strings.Join(again.calls, "\n"), want)
					}
				}
			})
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
