// Package store keeps what rtfsvm must not lose: the causal chain, the runs and the key
// that signs the chain. SQLite (modernc.org/sqlite, pure Go) is the default engine,
// behind the Store interface so that others can follow; Memory keeps the same things in
// memory for tests and benchmarks.
package store

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/rtfsvm/rtfsvm/chain"
)

// Store is everything the host keeps about runs.
type Store interface {
	chain.Store
	// Key is the key that signs the chain, made when the store is created.
	Key() ed25519.PrivateKey
	// CreateRun records a new run; an id in use is ErrRunExists.
	CreateRun(r Run) error
	// DeleteRun forgets a run that recorded nothing on the chain (its process died as it
	// started), so that its id can be used again.
	DeleteRun(id string) error
	// FinishRun records how a run ended.
	FinishRun(id string, status Status, result []byte, at time.Time) error
	// Run is one run; an unknown id is ErrNoRun.
	Run(id string) (Run, error)
	// Runs lists the runs in the order they started.
	Runs() ([]Run, error)
	// PutModule keeps a plan's module by its hash, so that a run can be resumed with the
	// very module it started with; Module returns it, or ErrNoModule.
	PutModule(hash [32]byte, binary []byte) error
	Module(hash [32]byte) ([]byte, error)
	// PutSnapshot keeps a VM snapshot by the sha256 of its data, and, when from is not
	// 0, records that a resume of the run starts reading the chain there (as
	// MarkSnapshot), in one write; Snapshot returns it, or ErrNoSnapshot. Like modules,
	// it is durable with the next synced commit.
	PutSnapshot(hash [32]byte, data []byte, run string, from int64) error
	Snapshot(hash [32]byte) ([]byte, error)
	// MarkSnapshot records where a resume of the run starts reading the chain: at its
	// newest snapshot (Run.ResumeFrom).
	MarkSnapshot(id string, from int64) error
	// EachOfRunFrom is EachOfRun from the action numbered from on the chain.
	EachOfRunFrom(run string, from int64, f func(chain.Record) bool) error
	// Lock makes this process the only one running the run (another process's lock is
	// ErrRunLocked); a process that dies, even killed, releases its locks.
	Lock(id string) (unlock func(), err error)
	Close() error
}

// Run is a run as the store remembers it.
type Run struct {
	ID       string
	Plan     string // the plan's file name, "-e" or "-"
	Status   Status
	Started  time.Time
	Finished time.Time // zero while running
	// Result is the canonical encoding of the run's outcome: its value, or its error
	// map; nil while running.
	Result []byte
	// ResumeFrom is the chain position of the run's newest snapshot (or of the request
	// that suspended the run just before it): a resume reads the run's actions from
	// there, whatever its history. 0: the run has no snapshot.
	ResumeFrom int64
}

// Status is where a run stands.
type Status string

const (
	Running   Status = "running"
	Completed Status = "completed" // finished with a value
	Failed    Status = "failed"    // an uncaught error, a limit or a denial stopped it
	Suspended Status = "suspended" // waiting for an approval or a person's input
)

var (
	ErrRunExists  = errors.New("a run with this id exists already")
	ErrNoRun      = errors.New("no such run")
	ErrNoModule   = errors.New("no such module in the store")
	ErrNoSnapshot = errors.New("no such snapshot in the store")
	ErrRunLocked  = errors.New("the run is being run by another process")
)

func runError(id string, err error) error { return fmt.Errorf("run %s: %w", id, err) }
