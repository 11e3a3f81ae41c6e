package chain

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rtfsvm/rtfsvm/value"
)

var kinds = []Kind{RunStarted, StepStarted, CapabilityRequested, PolicyDecision, CapabilityResult, StepCompleted, RunCompleted}

// record appends a run of seven actions, committing after each of the first commits
// (so that several actions carry signatures) and returns the store and public key.
func record(t *testing.T, commitEvery int) (*Memory, ed25519.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	store := &Memory{}
	c := Open(store, priv)
	base := time.Unix(1_800_000_000, 0)
	for i, k := range kinds {
		data := value.EmptyMap.Assoc(value.Keyword("i"), value.Int(i)).Assoc(value.Keyword("note"), value.String("é"))
		a := &Action{RunID: "r1", Index: int64(i + 1), Parent: int64(i), Kind: k, Time: base.Add(time.Duration(i) * time.Millisecond), Data: data}
		if err := c.Append(a); err != nil {
			t.Fatal(err)
		}
		if (i+1)%commitEvery == 0 {
			if err := c.Sync(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := c.Sync(); err != nil {
		t.Fatal(err)
	}
	return store, pub
}

func TestVerify(t *testing.T) {
	for _, every := range []int{1, 3, 100} {
		store, pub := record(t, every)
		n, err := Verify(store, pub)
		if err != nil || n != 7 {
			t.Fatalf("commit every %d: verified %d, %v; want 7", every, n, err)
		}
	}
}

// The body is exactly the canonical encoding of the action as a map, so that any tool
// with value.Decode reads it.
func TestBodyIsCanonical(t *testing.T) {
	a := &Action{RunID: "r", Index: 3, Parent: 1, Kind: PolicyDecision, Time: time.Unix(5, 6), Duration: 7,
		Data: value.NewVector([]value.Value{value.Int(1), value.String("x")})}
	body, err := a.Body()
	if err != nil {
		t.Fatal(err)
	}
	m := value.EmptyMap
	for k, v := range map[string]value.Value{"data": a.Data, "duration": value.Int(7), "index": value.Int(3),
		"kind": value.Keyword("policy-decision"), "parent": value.Int(1), "run": value.String("r"), "time": value.Int(5_000_000_006)} {
		m = m.Assoc(value.Keyword(k), v)
	}
	want, _ := value.Encode(nil, m)
	if !bytes.Equal(body, want) {
		t.Fatalf("body %x, want %x", body, want)
	}
	back, err := Decode(Record{Body: body})
	if err != nil || back.RunID != "r" || back.Index != 3 || back.Parent != 1 || back.Kind != PolicyDecision ||
		!back.Time.Equal(a.Time) || back.Duration != 7 || !value.Equal(back.Data, a.Data) {
		t.Fatalf("decoded %+v, %v", back, err)
	}
}

// A function has no canonical encoding: appending it is an error, not a broken chain.
func TestAppendRefusesWhatCannotBeEncoded(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(nil)
	c := Open(&Memory{}, priv)
	if err := c.Append(&Action{RunID: "r", Kind: RunStarted, Data: &value.Builtin{Name: "f"}}); err == nil {
		t.Fatal("a function was appended")
	}
}

// Actions appended together are queued all or none: a second action that cannot be
// encoded leaves nothing of the first on the chain.
func TestAppendIsAllOrNone(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	store := &Memory{}
	c := Open(store, priv)
	good := &Action{RunID: "r", Index: 1, Kind: RunStarted, Data: value.Int(1)}
	bad := &Action{RunID: "r", Index: 2, Kind: Checkpoint, Data: &value.Builtin{Name: "f"}}
	if err := c.Append(good, bad); err == nil {
		t.Fatal("a function was appended")
	}
	if err := c.Append(&Action{RunID: "r", Index: 1, Kind: RunStarted, Data: value.Int(2)}); err != nil {
		t.Fatal(err)
	}
	if err := c.Sync(); err != nil {
		t.Fatal(err)
	}
	acts, err := Actions(store, "r")
	if err != nil || len(acts) != 1 || acts[0].Data != value.Int(2) {
		t.Fatalf("the chain holds %v, %v; want only the later action", acts, err)
	}
	if n, err := Verify(store, pub); n != 1 || err != nil {
		t.Fatalf("verified %d, %v", n, err)
	}
}

// Append encodes the action before it returns: what the caller does with the action
// afterwards is not recorded, and a record's body cannot grow into the next one's,
// though the bodies share their memory.
func TestAppendKeepsWhatItWasGiven(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(nil)
	store := &Memory{}
	c := Open(store, priv)
	a := &Action{RunID: "r", Index: 1, Kind: RunStarted, Data: value.String("first")}
	if err := c.Append(a); err != nil {
		t.Fatal(err)
	}
	a.Index, a.Data = 2, value.String("second")
	if err := c.Append(a); err != nil {
		t.Fatal(err)
	}
	if err := c.Sync(); err != nil {
		t.Fatal(err)
	}
	first, _ := store.Tamper(1)
	second, _ := store.Tamper(2)
	want := bytes.Clone(second.Body)
	_ = append(first.Body, "overwrite"...)
	acts, err := Actions(store, "r")
	if err != nil || len(acts) != 2 || acts[0].Data != value.String("first") || acts[1].Data != value.String("second") {
		t.Fatalf("the chain holds %v, %v", acts, err)
	}
	if !bytes.Equal(second.Body, want) {
		t.Fatal("appending to one body changed the next")
	}
}

// Reopening a store continues its chain: hashes link across restarts.
func TestReopen(t *testing.T) {
	store, _ := record(t, 1)
	pub, priv, _ := ed25519.GenerateKey(nil)
	c := Open(store, priv)
	if err := c.Append(&Action{RunID: "r2", Index: 1, Kind: RunStarted, Time: time.Unix(1_800_000_001, 0)}); err != nil {
		t.Fatal(err)
	}
	if err := c.Sync(); err != nil {
		t.Fatal(err)
	}
	r, _ := store.Tamper(8)
	r1, _ := store.Tamper(7)
	if r.Seq != 8 || r.Hash != Link(r1.Hash, 8, r.Body) {
		t.Fatalf("the eighth action does not link to the seventh")
	}
	// The first seven were signed with another key: verification with this one names
	// action 1.
	var broken *ErrBroken
	if _, err := Verify(store, pub); !errors.As(err, &broken) || broken.Seq != 1 {
		t.Fatalf("actions signed with another key: %v", err)
	}
}

// A bit flipped in the body, hash, signature, run or sequence number of any action is
// found, and the first bad action is named.
func TestTamperingIsFound(t *testing.T) {
	tampers := map[string]func(r *Record){
		"body":      func(r *Record) { r.Body[len(r.Body)/2] ^= 1 },
		"body-end":  func(r *Record) { r.Body[len(r.Body)-1] ^= 0x10 },
		"hash":      func(r *Record) { r.Hash[5] ^= 1 },
		"signature": func(r *Record) { r.Signature[0] ^= 0x80 },
		"run":       func(r *Record) { r.Run = "r2" },
		"seq":       func(r *Record) { r.Seq = 100 },
	}
	for name, tamper := range tampers {
		for seq := int64(1); seq <= 7; seq++ {
			store, pub := record(t, 1)
			r, _ := store.Tamper(seq)
			tamper(r)
			_, err := Verify(store, pub)
			var broken *ErrBroken
			if !errors.As(err, &broken) || broken.Seq != seq && !(name == "seq" && broken.Seq == 100) {
				t.Errorf("%s of action %d: %v", name, seq, err)
			}
		}
	}
}

// An unsigned tail would let anyone rewrite it with fresh hashes: the last action must
// carry a signature.
func TestUnsignedTailIsFound(t *testing.T) {
	store, pub := record(t, 100)
	r, _ := store.Tamper(7)
	r.Signature = nil
	var broken *ErrBroken
	if _, err := Verify(store, pub); !errors.As(err, &broken) || broken.Seq != 7 {
		t.Fatalf("unsigned tail: %v", err)
	}
}

// Concurrent runs appending and syncing share commits, and the chain they make
// verifies, with every run's actions in its own order.
func TestConcurrentSyncs(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	store := &countingStore{}
	c := Open(store, priv)
	const runs, each = 8, 50
	appendRuns(t, c, runs, each, true)
	checkRuns(t, store, pub, runs, each)
	if store.commits > runs*each {
		t.Fatalf("%d commits for %d actions", store.commits, runs*each)
	}
}

// Runs in memory sync only when they end: the committer commits full batches
// (fullBatch) meanwhile, and loses or reorders nothing doing so. A reader meanwhile
// always finds a chain that verifies.
func TestRunsInMemoryThatDoNotSync(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	store := &Memory{}
	c := Open(store, priv)
	const runs, each = 3, 5 * fullBatch
	done := make(chan struct{})
	var reader sync.WaitGroup
	defer func() { close(done); reader.Wait() }()
	reader.Add(1)
	go func() {
		defer reader.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, err := Verify(store, pub); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	appendRuns(t, c, runs, each, false)
	checkRuns(t, store, pub, runs, each)
}

// appendRuns has runs runs append each actions at once. A run that syncs every action
// does not join the chain; one that syncs only at its end does, as an orchestrator's
// runs do.
func appendRuns(t *testing.T, c *Chain, runs, each int, syncEvery bool) {
	t.Helper()
	var wg sync.WaitGroup
	for r := 0; r < runs; r++ {
		wg.Add(1)
		if !syncEvery {
			c.Join()
		}
		go func() {
			defer wg.Done()
			if !syncEvery {
				defer c.Leave()
			}
			for i := 1; i <= each; i++ {
				if err := c.Append(&Action{RunID: fmt.Sprint("run-", r), Index: int64(i), Kind: CapabilityResult}); err != nil {
					t.Error(err)
					return
				}
				if syncEvery || i == each {
					if err := c.Sync(); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// checkRuns checks that the chain verifies and holds each run's actions in order.
func checkRuns(t *testing.T, store Store, pub ed25519.PublicKey, runs, each int) {
	t.Helper()
	if n, err := Verify(store, pub); err != nil || n != int64(runs*each) {
		t.Fatalf("verified %d, %v", n, err)
	}
	for r := 0; r < runs; r++ {
		acts, err := Actions(store, fmt.Sprint("run-", r))
		if err != nil || len(acts) != each {
			t.Fatalf("run %d: %d actions, %v", r, len(acts), err)
		}
		for i, a := range acts {
			if a.Index != int64(i+1) {
				t.Fatalf("run %d: action %d has index %d", r, i, a.Index)
			}
		}
	}
}

type countingStore struct {
	Memory
	commits int
}

func (s *countingStore) Commit(batch []*Record, seal func(int64, [32]byte)) error {
	s.commits++
	return s.Memory.Commit(batch, seal)
}

// A failed commit stops the chain: nothing later is appended over the gap.
func TestCommitFailureIsSticky(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(nil)
	c := Open(&failingStore{}, priv)
	if err := c.Append(&Action{RunID: "r", Index: 1, Kind: RunStarted}); err != nil {
		t.Fatal(err)
	}
	if err := c.Sync(); err == nil {
		t.Fatal("the commit failed silently")
	}
	if err := c.Append(&Action{RunID: "r", Index: 2, Kind: RunFailed}); err == nil {
		t.Fatal("an append after a failed commit was accepted")
	}
}

type failingStore struct{ Memory }

func (*failingStore) Commit([]*Record, func(int64, [32]byte)) error { return errors.New("disk full") }
