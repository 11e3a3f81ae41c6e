// Package chain is the causal chain: an append-only log of everything a run does (runs,
// steps, host calls, policy decisions), where each action's hash covers its canonical
// bytes and the previous action's hash, and each hash is signed. A bit changed anywhere
// in a recorded action, hash or signature is found by Verify.
package chain

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rtfsvm/rtfsvm/value"
)

// Kind names what an action records.
type Kind string

const (
	RunStarted          Kind = "run-started"
	RunCompleted        Kind = "run-completed"
	RunFailed           Kind = "run-failed"
	StepStarted         Kind = "step-started"
	StepCompleted       Kind = "step-completed"
	StepFailed          Kind = "step-failed"
	CapabilityRequested Kind = "capability-requested"
	PolicyDecision      Kind = "policy-decision"
	CapabilityResult    Kind = "capability-result"
)

// Action is one entry of the chain.
type Action struct {
	Seq      int64 // position in the whole chain, from 1
	RunID    string
	Parent   int64 // Seq of the action this one belongs under (a step, a call), or 0
	Kind     Kind
	Time     time.Time
	Duration time.Duration
	Data     value.Value // what happened: a request message, a result, an error map...

	Hash      [32]byte // sha256 of the previous hash and Canonical()
	Signature []byte   // ed25519 over Hash
}

// Canonical is the action's canonical bytes, everything but its hash and signature.
func (a *Action) Canonical() ([]byte, error) {
	data := a.Data
	if data == nil {
		data = value.Nil
	}
	m := value.EmptyMap.
		Assoc(value.Keyword("seq"), value.Int(a.Seq)).
		Assoc(value.Keyword("run"), value.String(a.RunID)).
		Assoc(value.Keyword("parent"), value.Int(a.Parent)).
		Assoc(value.Keyword("kind"), value.Keyword(a.Kind)).
		Assoc(value.Keyword("time"), value.Int(a.Time.UnixNano())).
		Assoc(value.Keyword("duration"), value.Int(a.Duration.Nanoseconds())).
		Assoc(value.Keyword("data"), data)
	return value.Encode(nil, m)
}

func link(prev [32]byte, canonical []byte) [32]byte {
	h := sha256.New()
	h.Write(prev[:])
	h.Write(canonical)
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// Store keeps actions in order. Append must be durable when it returns.
type Store interface {
	Append(a *Action) error
	// Last is the last action, or nil when the chain is empty.
	Last() (*Action, error)
	// Each visits every action in order until f returns false.
	Each(f func(*Action) bool) error
}

// Chain appends signed actions to a store.
type Chain struct {
	mu    sync.Mutex
	store Store
	key   ed25519.PrivateKey
	last  *Action
}

// Open continues the chain in store, signing with key.
func Open(store Store, key ed25519.PrivateKey) (*Chain, error) {
	last, err := store.Last()
	if err != nil {
		return nil, err
	}
	return &Chain{store: store, key: key, last: last}, nil
}

// Append records an action: it gives it its sequence number, hash and signature.
func (c *Chain) Append(a Action) (*Action, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var prev [32]byte
	a.Seq = 1
	if c.last != nil {
		prev, a.Seq = c.last.Hash, c.last.Seq+1
	}
	canonical, err := a.Canonical()
	if err != nil {
		return nil, err
	}
	a.Hash = link(prev, canonical)
	a.Signature = ed25519.Sign(c.key, a.Hash[:])
	if err := c.store.Append(&a); err != nil {
		return nil, err
	}
	c.last = &a
	return &a, nil
}

// ErrBroken reports the first action that does not verify.
type ErrBroken struct {
	Seq    int64
	Reason string
}

func (e *ErrBroken) Error() string { return fmt.Sprintf("action %d: %s", e.Seq, e.Reason) }

// Verify checks every action's sequence, hash link and signature, and returns how many
// verified, or an *ErrBroken naming the first bad one.
func Verify(store Store, pub ed25519.PublicKey) (int64, error) {
	var prev [32]byte
	var n int64
	var broken error
	err := store.Each(func(a *Action) bool {
		fail := func(reason string) bool { broken = &ErrBroken{Seq: a.Seq, Reason: reason}; return false }
		if a.Seq != n+1 {
			return fail(fmt.Sprintf("sequence number %d where %d was due", a.Seq, n+1))
		}
		canonical, err := a.Canonical()
		if err != nil {
			return fail(err.Error())
		}
		if h := link(prev, canonical); !bytes.Equal(h[:], a.Hash[:]) {
			return fail("its hash does not match its content and the previous action")
		}
		if !ed25519.Verify(pub, a.Hash[:], a.Signature) {
			return fail("its signature does not verify")
		}
		prev, n = a.Hash, n+1
		return true
	})
	if err != nil {
		return n, err
	}
	return n, broken
}

// Memory is a Store in memory, for tests and for runs that keep no record.
type Memory struct {
	mu      sync.Mutex
	actions []*Action
}

func (m *Memory) Append(a *Action) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := *a
	m.actions = append(m.actions, &c)
	return nil
}

func (m *Memory) Last() (*Action, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.actions) == 0 {
		return nil, nil
	}
	c := *m.actions[len(m.actions)-1]
	return &c, nil
}

func (m *Memory) Each(f func(*Action) bool) error {
	m.mu.Lock()
	actions := append([]*Action(nil), m.actions...)
	m.mu.Unlock()
	for _, a := range actions {
		if !f(a) {
			return nil
		}
	}
	return nil
}

// Tamper gives tests access to a stored action, to corrupt it.
func (m *Memory) Tamper(seq int64) (*Action, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if seq < 1 || int(seq) > len(m.actions) {
		return nil, errors.New("no such action")
	}
	return m.actions[seq-1], nil
}
