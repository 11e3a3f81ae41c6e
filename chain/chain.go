// Package chain is the causal chain: an append-only log of everything a run does (runs,
// steps, host calls, policy decisions). Each action's hash covers its canonical bytes,
// its position and the previous action's hash, over the whole store; the last action of
// every commit is signed, and through the links its signature covers everything before
// it. A bit changed anywhere in a recorded action, hash or signature is found by Verify.
package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
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
	RunSuspended        Kind = "run-suspended" // waiting for an approval or a person's input
	Approval            Kind = "approval"      // a person's decision on a call that needed one
	Checkpoint          Kind = "checkpoint"    // (checkpoint name): a point a run can be forked at
	Snapshot            Kind = "snapshot"      // the VM's state was kept: a resume starts there
	RunResumed          Kind = "run-resumed"   // a resume: from a snapshot, or replaying from the start
)

// Action is one entry of the chain. A run numbers its own actions (Index), and Parent
// refers to one of them: the numbers are fixed when the action is made, whatever other
// runs and processes append meanwhile. Seq, Hash and Signature are given when the action
// is committed.
type Action struct {
	RunID    string
	Index    int64 // the action's number in its run, from 1
	Parent   int64 // Index of the action this one belongs under (a step, a call), or 0
	Kind     Kind
	Time     time.Time
	Duration time.Duration
	Data     value.Value // what happened: a request message, a decision, a result...
	// Encoder, when not nil, writes the data's canonical encoding instead of Data: for
	// records with fixed fields, written without building a map first. Append calls it
	// before it returns.
	Encoder Encoder

	Seq int64 // position in the whole chain, from 1
	// SeqOut, when set, receives Seq when the action is committed: the appender reads it
	// after a Sync. (A pointer to a number rather than to the action, so that appending
	// does not move every action to the heap.)
	SeqOut    *int64
	Hash      [32]byte // see Link
	Signature []byte   // ed25519 over Hash: on the last action of each commit, else nil
}

// Encoder writes data in its canonical encoding (that of value.Encode).
type Encoder interface {
	AppendCanonical(b []byte) ([]byte, error)
}

// Record is an action as a store keeps it: its canonical bytes (Body) and what the
// commit gave it. Run repeats the body's run id so that a store can find a run's actions
// without decoding; Verify checks that the two agree.
type Record struct {
	Seq       int64
	Run       string
	Body      []byte
	Hash      [32]byte
	Signature []byte
	seqOut    *int64 // Action.SeqOut, until the record is committed
}

// Body is the action's canonical bytes: the canonical encoding of the map
// {:data :duration :index :kind :parent :run :time} (keys in their canonical order). It
// is written field by field rather than through a value.Map because it is made for
// every host call; a test checks it against value.Encode.
func (a *Action) Body() ([]byte, error) {
	return a.appendBody(make([]byte, 0, 256+len(a.RunID)))
}

// appendBody appends the action's body to b.
func (a *Action) appendBody(b []byte) ([]byte, error) {
	b = value.EncodeMapHeader(b, 7)
	b = value.EncodeKeyword(b, "data")
	var err error
	switch {
	case a.Encoder != nil:
		b, err = a.Encoder.AppendCanonical(b)
	case a.Data == nil:
		b, err = value.Encode(b, value.Nil)
	default:
		b, err = value.Encode(b, a.Data)
	}
	if err != nil {
		return nil, fmt.Errorf("action %s: %w", a.Kind, err)
	}
	b = value.EncodeInt(value.EncodeKeyword(b, "duration"), a.Duration.Nanoseconds())
	b = value.EncodeInt(value.EncodeKeyword(b, "index"), a.Index)
	b = value.EncodeKeyword(value.EncodeKeyword(b, "kind"), string(a.Kind))
	b = value.EncodeInt(value.EncodeKeyword(b, "parent"), a.Parent)
	b = value.EncodeString(value.EncodeKeyword(b, "run"), a.RunID)
	b = value.EncodeInt(value.EncodeKeyword(b, "time"), a.Time.UnixNano())
	return b, nil
}

// Decode reads a record back into an action; the body must be exactly what Body writes.
func Decode(r Record) (*Action, error) {
	v, err := value.Decode(r.Body)
	if err != nil {
		return nil, err
	}
	m, ok := v.(*value.Map)
	if !ok || m.Len() != 7 {
		return nil, errors.New("its body is not an action")
	}
	get := func(k string) value.Value { x, _ := m.Get(value.Keyword(k)); return x }
	a := &Action{Data: get("data"), Seq: r.Seq, Hash: r.Hash, Signature: r.Signature}
	run, ok1 := get("run").(value.String)
	index, ok2 := get("index").(value.Int)
	parent, ok3 := get("parent").(value.Int)
	kind, ok4 := get("kind").(value.Keyword)
	at, ok5 := get("time").(value.Int)
	dur, ok6 := get("duration").(value.Int)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || a.Data == nil {
		return nil, errors.New("its body is not an action")
	}
	a.RunID, a.Index, a.Parent, a.Kind = string(run), int64(index), int64(parent), Kind(kind)
	a.Time, a.Duration = time.Unix(0, int64(at)), time.Duration(dur)
	return a, nil
}

// Link is an action's hash: sha256 of the previous action's hash (zero for the first),
// the action's sequence number (8 bytes, big-endian) and its body.
func Link(prev [32]byte, seq int64, body []byte) [32]byte {
	h := sha256.New()
	h.Write(prev[:])
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], uint64(seq))
	h.Write(s[:])
	h.Write(body)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Store keeps the records of a chain in order.
type Store interface {
	// Commit appends a batch after the last stored record, atomically, and durably when
	// it returns. The store may keep the records, not the batch slice, which the chain
	// reuses. It calls seal while no other writer (in this process or another) can
	// append, with the last stored record's sequence number and hash (0 and zeros for an
	// empty chain); seal fills in each record's Seq, Hash and Signature.
	Commit(batch []*Record, seal func(lastSeq int64, lastHash [32]byte)) error
	// Each visits every record in order until f returns false.
	Each(f func(Record) bool) error
	// EachOfRun visits the records of one run in order until f returns false.
	EachOfRun(run string, f func(Record) bool) error
	// Durable tells whether a commit survives the process (false for a store in memory).
	Durable() bool
}

// Chain appends actions to a store. Append encodes an action, queues its record and
// returns; a committer goroutine, started when there is work and gone when there is
// none, commits what is queued in batches: linking and signing run beside the VMs, not
// in their way, and many runs share one commit (group commit: one fsync, one signature).
//
// Runs that take part register with Join and Leave. The committer waits, at most
// as long as the last commit took (between MinCommitDelay and MaxCommitDelay), until
// every registered run is waiting in Sync before it commits: waiting never costs more
// than a commit does, and gathers the runs a busy machine is slow to bring back. Without
// that, a commit starts as soon as the first run appends, the others catch the next
// one, and the runs split into small groups that each pay a whole fsync. A store in
// memory has no fsync to share: there, a full batch (fullBatch) commits at once.
type Chain struct {
	store Store
	key   ed25519.PrivateKey

	mu        sync.Mutex
	done      *sync.Cond     // broadcast when a commit ends
	pending   []*Record      // records waiting for the committer
	spare     []*Record      // the queue the committer emptied last, reused as the next one
	chunk     []byte         // the block the bodies of records are copied into (keep)
	slab      []Record       // the block records are taken from (Append)
	queued    uint64         // actions queued since the chain was opened
	committed uint64         // of which committed
	flushing  bool           // a committer is running
	err       error          // the first commit failure: the chain stops accepting appends
	writers   int            // runs joined
	waiting   int            // Syncs waiting for records not committed yet
	targets   map[uint64]int // how many of them wait for each count of records
	kick      chan struct{}
	durable   bool // the store's Durable
	// lastCommit is how long the last commit took.
	lastCommit time.Duration
}

// The bounds of how long a commit waits for the runs that have joined the chain.
const (
	MinCommitDelay = 200 * time.Microsecond
	MaxCommitDelay = 10 * time.Millisecond
)

// Open continues the chain in store, signing with key.
func Open(store Store, key ed25519.PrivateKey) *Chain {
	c := &Chain{store: store, key: key, kick: make(chan struct{}, 1), targets: map[uint64]int{}, durable: store.Durable()}
	c.done = sync.NewCond(&c.mu)
	return c
}

// Durable tells whether Sync makes actions survive the process.
func (c *Chain) Durable() bool { return c.durable }

// Join registers a run that appends and syncs; Leave, when it ends.
func (c *Chain) Join() {
	c.mu.Lock()
	c.writers++
	c.mu.Unlock()
}

func (c *Chain) Leave() {
	c.mu.Lock()
	c.writers--
	c.kickIfAllWait()
	c.mu.Unlock()
}

// kickIfAllWait wakes a committer that waits for the runs, when they all wait.
func (c *Chain) kickIfAllWait() {
	if c.waiting >= c.writers {
		c.wake()
	}
}

func (c *Chain) wake() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// fullBatch is how many records a store in memory commits without waiting for the
// runs. Its runs do not wait in Sync until they end, so without it the committer would
// wait its whole delay every time (a sleep that the runtime rounds up to about a
// millisecond), each commit would take longer than the one before, up to the maximum
// delay, and a run's last Sync would wait for the hashing of the milliseconds of
// actions queued meanwhile. A commit of this many records takes about 0.1 ms, of which
// one signature.
const fullBatch = 256

// full tells whether a store in memory has a full batch waiting.
func (c *Chain) full() bool { return !c.durable && len(c.pending) >= fullBatch }

// Sizes of the blocks that records and their bodies are carved from: one allocation
// for hundreds of records rather than two a record, and a store that keeps them (Memory)
// keeps no spare capacity. A body is encoded into the current block when at least
// chunkRoom bytes are left in it.
const (
	chunkSize = 64 << 10
	chunkRoom = 2 << 10
	slabSize  = 256
)

// Append encodes actions and queues their records, in order and all or none; the
// actions themselves are not kept. Data with no canonical encoding (a function) is the
// caller's error, and appends nothing.
//
// The caller encodes, under the chain's lock, straight into the block the records keep:
// encoding an action takes a fraction of a microsecond, less than copying it from a
// buffer of its own would add, and runs that wait for the lock that long are rare. The
// committer, which must link every action after the one before, only hashes, signs and
// stores.
func (c *Chain) Append(actions ...*Action) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	// The records are made once every body is encoded: all or none.
	var bodies [4][]byte
	kept := bodies[:0]
	for _, a := range actions {
		body, err := c.encode(a)
		if err != nil {
			return err // what was encoded stays unused in the block
		}
		kept = append(kept, body)
	}
	for i, a := range actions {
		if len(c.slab) == cap(c.slab) {
			c.slab = make([]Record, 0, slabSize)
		}
		c.slab = c.slab[:len(c.slab)+1]
		r := &c.slab[len(c.slab)-1]
		r.Run, r.Body, r.seqOut = a.RunID, kept[i], a.SeqOut
		c.pending = append(c.pending, r)
	}
	c.queued += uint64(len(actions))
	if !c.flushing {
		c.flushing = true
		go c.commit()
	} else if c.full() && len(c.pending)-len(actions) < fullBatch {
		c.wake() // once, as the batch fills
	}
	return nil
}

// encode writes an action's body at the end of the current block, or of a new one when
// the block has little room left. A body that outgrows the block is moved to an
// allocation of its own. A body's capacity ends where it does, so that nothing written
// after it can change it.
func (c *Chain) encode(a *Action) ([]byte, error) {
	if cap(c.chunk)-len(c.chunk) < chunkRoom {
		c.chunk = make([]byte, 0, chunkSize)
	}
	start := len(c.chunk)
	b, err := a.appendBody(c.chunk)
	if err != nil {
		return nil, err
	}
	if cap(b) != cap(c.chunk) {
		// append moved the block: the body goes alone, the block stays as it was.
		return append([]byte(nil), b[start:]...), nil
	}
	c.chunk = b
	return b[start:len(b):len(b)], nil
}

// commit commits batches until nothing is queued.
func (c *Chain) commit() {
	var timer *time.Timer
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.pending) > 0 && c.err == nil {
		deadline := time.Now().Add(min(max(c.lastCommit, MinCommitDelay), MaxCommitDelay))
		for c.waiting < c.writers && !c.full() {
			left := time.Until(deadline)
			if left <= 0 {
				break
			}
			if timer == nil {
				timer = time.NewTimer(left)
				defer timer.Stop()
			} else {
				timer.Reset(left) // since Go 1.23, a Reset timer never delivers a stale tick
			}
			c.mu.Unlock()
			select {
			case <-c.kick: // perhaps stale: the loop checks again
			case <-timer.C:
			}
			c.mu.Lock()
		}
		batch := c.pending
		c.pending, c.spare = c.spare[:0], nil
		c.mu.Unlock()
		began := time.Now()
		err := c.store.Commit(batch, func(lastSeq int64, lastHash [32]byte) { c.seal(batch, lastSeq, lastHash) })
		clear(batch) // the store has the records; the queue is used again
		c.mu.Lock()
		c.spare = batch[:0]
		c.lastCommit = time.Since(began)
		if err != nil {
			c.err = fmt.Errorf("causal chain: %w", err)
		} else {
			c.committed += uint64(len(batch))
		}
		// The Syncs this commit satisfied wait no more, though they have not woken
		// yet: the next commit must not count them.
		for t, n := range c.targets {
			if t <= c.committed || c.err != nil {
				c.waiting -= n
				delete(c.targets, t)
			}
		}
		c.done.Broadcast()
	}
	c.flushing = false
}

// Sync returns when every action appended before it is committed, or the error that
// stopped the chain.
func (c *Chain) Sync() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	target := c.queued
	if c.committed < target && c.err == nil {
		c.waiting++
		c.targets[target]++
		c.kickIfAllWait()
		for c.committed < target && c.err == nil {
			c.done.Wait()
		}
	}
	return c.err
}

func (c *Chain) seal(batch []*Record, seq int64, prev [32]byte) {
	for _, r := range batch {
		seq++
		r.Seq, r.Hash, r.Signature = seq, Link(prev, seq, r.Body), nil
		prev = r.Hash
		if r.seqOut != nil {
			*r.seqOut, r.seqOut = seq, nil // read by the appender after Sync
		}
	}
	if len(batch) > 0 {
		last := batch[len(batch)-1]
		last.Signature = ed25519.Sign(c.key, last.Hash[:])
	}
}

// ErrBroken reports the first action that does not verify.
type ErrBroken struct {
	Seq    int64
	Reason string
}

func (e *ErrBroken) Error() string { return fmt.Sprintf("action %d: %s", e.Seq, e.Reason) }

// Verify checks every record's sequence number, hash link, body and signature, and that
// the last one is signed; it returns how many verified, or an *ErrBroken naming the
// first bad one.
func Verify(store Store, pub ed25519.PublicKey) (int64, error) {
	var prev [32]byte
	var n int64
	var broken error
	var lastSigned bool
	err := store.Each(func(r Record) bool {
		fail := func(format string, args ...any) bool {
			broken = &ErrBroken{Seq: r.Seq, Reason: fmt.Sprintf(format, args...)}
			return false
		}
		if found := r.Seq; found != n+1 {
			r.Seq = n + 1
			return fail("missing: the next action found is number %d", found)
		}
		if Link(prev, r.Seq, r.Body) != r.Hash {
			return fail("its hash does not match its content and the previous action")
		}
		a, err := Decode(r)
		if err != nil {
			return fail("%v", err)
		}
		if a.RunID != r.Run {
			return fail("it is filed under run %q but records run %q", r.Run, a.RunID)
		}
		if lastSigned = r.Signature != nil; lastSigned && !ed25519.Verify(pub, r.Hash[:], r.Signature) {
			return fail("its signature does not verify")
		}
		prev, n = r.Hash, n+1
		return true
	})
	if err != nil {
		return n, err
	}
	if broken == nil && n > 0 && !lastSigned {
		broken = &ErrBroken{Seq: n, Reason: "the chain's last action is not signed"}
	}
	return n, broken
}

// Actions decodes the actions of one run, in order.
func Actions(store Store, run string) ([]*Action, error) {
	return Collect(func(f func(Record) bool) error { return store.EachOfRun(run, f) })
}

// Collect decodes the records an iteration over a store visits (such as EachOfRun).
func Collect(each func(f func(Record) bool) error) ([]*Action, error) {
	var out []*Action
	var bad error
	err := each(func(r Record) bool {
		a, err := Decode(r)
		if err != nil {
			bad = &ErrBroken{Seq: r.Seq, Reason: err.Error()}
			return false
		}
		out = append(out, a)
		return true
	})
	if err == nil {
		err = bad
	}
	return out, err
}

// Memory is a Store in memory, for tests and for runs that keep no record.
type Memory struct {
	mu sync.Mutex
	// blocks hold the records in order, memoryBlock to a block: a commit never copies
	// the records kept before it, as appending to one slice would each time it grows.
	blocks recordBlocks
	n      int
}

const memoryBlock = 1024

type recordBlocks []*[memoryBlock]*Record

// at is the record at index i (its Seq is i+1).
func (b recordBlocks) at(i int) *Record { return b[i/memoryBlock][i%memoryBlock] }

func (m *Memory) Commit(batch []*Record, seal func(int64, [32]byte)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var lastSeq int64
	var lastHash [32]byte
	if m.n > 0 {
		last := m.blocks.at(m.n - 1)
		lastSeq, lastHash = last.Seq, last.Hash
	}
	seal(lastSeq, lastHash)
	for _, r := range batch { // the chain hands its records over
		if m.n%memoryBlock == 0 {
			m.blocks = append(m.blocks, new([memoryBlock]*Record))
		}
		m.blocks[m.n/memoryBlock][m.n%memoryBlock] = r
		m.n++
	}
	return nil
}

func (m *Memory) Each(f func(Record) bool) error { return m.EachOfRun("", f) }

// EachOfRun with run "" visits every record.
func (m *Memory) EachOfRun(run string, f func(Record) bool) error { return m.EachOfRunFrom(run, 1, f) }

// EachOfRunFrom is EachOfRun from the record numbered from: the records are numbered
// in order, from 1.
func (m *Memory) EachOfRunFrom(run string, from int64, f func(Record) bool) error {
	// The records before n stay as they are: later commits only add after them, and a
	// block, once made, is never replaced.
	m.mu.Lock()
	blocks, n := m.blocks, m.n
	m.mu.Unlock()
	for i := int(min(max(from, 1)-1, int64(n))); i < n; i++ {
		r := blocks.at(i)
		if run != "" && r.Run != run {
			continue
		}
		if !f(*r) {
			return nil
		}
	}
	return nil
}

func (m *Memory) Durable() bool { return false }

// Tamper gives tests access to a stored record, to corrupt it.
func (m *Memory) Tamper(seq int64) (*Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if seq < 1 || seq > int64(m.n) {
		return nil, errors.New("no such action")
	}
	return m.blocks.at(int(seq - 1)), nil
}
