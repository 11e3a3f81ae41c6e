package orchestrator

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rtfsvm/rtfsvm/chain"
	"github.com/rtfsvm/rtfsvm/host"
	"github.com/rtfsvm/rtfsvm/policy"
	"github.com/rtfsvm/rtfsvm/store"
	"github.com/rtfsvm/rtfsvm/value"
)

// twentyCalls makes 20 effectful calls inside a step, from a function mapped over a
// range: the VM is deep in the prelude's map when it snapshots.
const twentyCalls = `(step "work" (reduce + 0 (map (fn [i] (call :ccos.effect i)) (range 1 21))))`

func snapshotPolicy(every int, maxBytes int64) policy.Policy {
	p := policy.DefaultPolicy()
	p.Checkpoints = policy.Checkpoints{EveryCalls: every, MaxSnapshotBytes: maxBytes}
	return p
}

// resumedFrom is what the run-resumed action of a run says: "start", or the number of
// host calls before the snapshot it went on from.
func resumedFrom(t *testing.T, acts []*chain.Action) string {
	t.Helper()
	for _, a := range acts {
		if a.Kind == chain.RunResumed {
			if mapField(a.Data, "from") == value.Keyword("snapshot") {
				return value.Print(mapField(a.Data, "calls"))
			}
			return "start"
		}
	}
	t.Fatal("no run-resumed action")
	return ""
}

// A run that dies anywhere resumes from its newest snapshot (one every 4 calls): it
// replays at most the calls since, runs no recorded effect again, and ends with the
// value of an unbroken run, with every call requested once and a chain that verifies.
func TestResumeFromSnapshot(t *testing.T) {
	fromSnapshot := 0
	for dieAt := 2; dieAt <= 40; dieAt++ {
		mem := store.NewMemory()
		fx := &effects{runs: map[string]int{}}
		reg := host.NewLocal(nil)
		reg.Provide("ccos.effect", fx.provider)
		k := kernel(t, snapshotPolicy(4, 0))
		o1 := newOrchestrator(t, Config{Store: &dyingStore{Memory: mem, dieAt: dieAt}, Registry: reg, Kernel: k})
		if _, err := o1.Run(context.Background(), prepare(t, twentyCalls), RunOptions{ID: "r"}); err == nil {
			continue // it finished before the store died
		}
		newest := "start"
		for _, a := range actions(t, o1, "r") {
			if a.Kind == chain.Snapshot {
				newest = value.Print(mapField(a.Data, "seq"))
			}
		}
		o2 := newOrchestrator(t, Config{Store: mem, Registry: reg, Kernel: k})
		v, err := o2.Resume(context.Background(), "r")
		if err != nil || v != value.Int(2100) {
			t.Fatalf("die at commit %d: resumed to %v, %v", dieAt, v, err)
		}
		acts := actions(t, o2, "r")
		if got := resumedFrom(t, acts); got != newest {
			t.Fatalf("die at commit %d: resumed from %s, want the newest snapshot (%s)", dieAt, got, newest)
		} else if got != "start" {
			fromSnapshot++
		}
		checkEachCallOnce(t, acts, fx, 20, fmt.Sprintf("die at commit %d", dieAt))
		if _, err := chain.Verify(mem, mem.Key().Public().(ed25519.PublicKey)); err != nil {
			t.Fatalf("die at commit %d: %v", dieAt, err)
		}
	}
	if fromSnapshot < 10 {
		t.Fatalf("only %d resumes went on from a snapshot", fromSnapshot)
	}
}

// A snapshot whose bytes are not those whose hash the chain recorded is refused.
func TestTamperedSnapshotIsRefused(t *testing.T) {
	mem := store.NewMemory()
	reg := host.NewLocal(nil)
	reg.Provide("ccos.effect", (&effects{runs: map[string]int{}}).provider)
	k := kernel(t, snapshotPolicy(4, 0))
	o1 := newOrchestrator(t, Config{Store: &dyingStore{Memory: mem, dieAt: 15}, Registry: reg, Kernel: k})
	if _, err := o1.Run(context.Background(), prepare(t, twentyCalls), RunOptions{ID: "r"}); err == nil {
		t.Fatal("the run ended before its store died")
	}
	var hash string
	for _, a := range actions(t, o1, "r") {
		if a.Kind == chain.Snapshot {
			hash = value.Str(mapField(a.Data, "hash"))
		}
	}
	h, err := hex.DecodeString(hash)
	if err != nil || len(h) != 32 {
		t.Fatalf("no snapshot was recorded (%q)", hash)
	}
	data := mem.TamperSnapshot([32]byte(h))
	data[len(data)/2] ^= 1
	o2 := newOrchestrator(t, Config{Store: mem, Registry: reg, Kernel: k})
	if _, err := o2.Resume(context.Background(), "r"); !errors.Is(err, ErrSnapshotDamaged) {
		t.Fatalf("resuming from a tampered snapshot: %v", err)
	}
}

// A run suspended for an approval keeps a snapshot taken at the call that waits: the
// resume after the approval goes on from there.
func TestSuspendedRunResumesFromItsSnapshot(t *testing.T) {
	mem := store.NewMemory()
	p := snapshotPolicy(1000, 0)
	p.Rules = append([]policy.Rule{{Capability: "ccos.math.*", Effect: policy.RequireApproval}}, p.Rules...)
	k := kernel(t, p)
	o := newOrchestrator(t, Config{Store: mem, Kernel: k})
	plan := prepare(t, `(let [xs (map (fn [i] (call :ccos.echo i)) (range 10))]
	                      (step "sum" (+ (reduce + 0 xs) (call :ccos.math.add 100 (call :ccos.echo 5)))))`)
	var s *Suspended
	if _, err := o.Run(context.Background(), plan, RunOptions{ID: "r"}); !errors.As(err, &s) {
		t.Fatalf("run: %v", err)
	}
	if rec, _ := mem.Run("r"); rec.ResumeFrom == 0 {
		t.Fatal("the suspended run has no snapshot to resume from")
	}
	if err := o.Approve("r", true, ""); err != nil {
		t.Fatal(err)
	}
	o2 := newOrchestrator(t, Config{Store: mem, Kernel: k}) // another process
	v, err := o2.Resume(context.Background(), "r")
	if err != nil || value.Print(v) != "150" {
		t.Fatalf("resumed to %v, %v", v, err)
	}
	if got := resumedFrom(t, actions(t, o2, "r")); got != "11" {
		t.Fatalf("resumed from %s, want the snapshot before call 12", got)
	}
}

// The kernel refuses a snapshot larger than :max-snapshot-bytes: the refusal is
// recorded, the run goes on, and a resume replays from the start.
func TestSnapshotSizeLimit(t *testing.T) {
	mem := store.NewMemory()
	reg := host.NewLocal(nil)
	reg.Provide("ccos.effect", (&effects{runs: map[string]int{}}).provider)
	k := kernel(t, snapshotPolicy(4, 100))
	o1 := newOrchestrator(t, Config{Store: &dyingStore{Memory: mem, dieAt: 15}, Registry: reg, Kernel: k})
	if _, err := o1.Run(context.Background(), prepare(t, twentyCalls), RunOptions{ID: "r"}); err == nil {
		t.Fatal("the run ended before its store died")
	}
	refused := 0
	for _, a := range actions(t, o1, "r") {
		if a.Kind == chain.Snapshot {
			if reason := mapField(a.Data, "refused"); reason == nil || !strings.Contains(value.Str(reason), ":max-snapshot-bytes 100") {
				t.Fatalf("a snapshot over the limit was kept: %s", value.Print(a.Data))
			}
			refused++
		}
	}
	if refused == 0 {
		t.Fatal("no snapshot was attempted")
	}
	o2 := newOrchestrator(t, Config{Store: mem, Registry: reg, Kernel: k})
	v, err := o2.Resume(context.Background(), "r")
	if err != nil || v != value.Int(2100) || resumedFrom(t, actions(t, o2, "r")) != "start" {
		t.Fatalf("resumed to %v, %v", v, err)
	}
}

// A snapshot's record is the canonical encoding of the map it stands for.
func TestSnapshotRecordIsCanonical(t *testing.T) {
	started := mapOf("plan", value.String("p.rtfs"), "engine", value.String("wasm"), "module", value.String("ab"),
		"limits", mapOf("fuel", value.Int(5)))
	rec := &snapshotRecord{started: started, hash: [32]byte{1, 2}, size: 170, seq: 30, checkpoint: value.Keyword("x"),
		counts: map[int]int{2: 7, 0: 1}, hostCalls: 31, steps: []int64{4, 9}}
	got, err := rec.AppendCanonical(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := started.Assoc(value.Keyword("hash"), value.String(hex.EncodeToString(rec.hash[:]))).
		Assoc(value.Keyword("size"), value.Int(170)).Assoc(value.Keyword("seq"), value.Int(30)).
		Assoc(value.Keyword("checkpoint"), value.Keyword("x")).
		Assoc(value.Keyword("counts"), value.EmptyMap.Assoc(value.Int(2), value.Int(7)).Assoc(value.Int(0), value.Int(1))).
		Assoc(value.Keyword("host-calls"), value.Int(31)).Assoc(value.Keyword("steps"), value.NewVector([]value.Value{value.Int(4), value.Int(9)}))
	if !bytes.Equal(got, mustEncode(t, want)) {
		v, _ := value.Decode(got)
		t.Fatalf("the record is %s, want %s", value.Print(orNil(v)), value.Print(want))
	}
}
