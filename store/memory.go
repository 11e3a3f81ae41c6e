package store

import (
	"crypto/ed25519"
	"sort"
	"sync"
	"time"

	"github.com/rtfsvm/rtfsvm/chain"
)

// Memory is a Store that lives as long as the process.
type Memory struct {
	chain.Memory
	key     ed25519.PrivateKey
	mu      sync.Mutex
	runs    map[string]Run
	modules map[[32]byte][]byte
	blobs   map[[32]byte][]byte // snapshots
	locked  map[string]bool
}

// NewMemory makes an empty store with a fresh key.
func NewMemory() *Memory {
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		panic(err) // the system's randomness failed: nothing can be signed
	}
	return &Memory{key: key, runs: map[string]Run{}, modules: map[[32]byte][]byte{}, blobs: map[[32]byte][]byte{}, locked: map[string]bool{}}
}

func (m *Memory) Key() ed25519.PrivateKey { return m.key }

func (m *Memory) CreateRun(r Run) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.runs[r.ID]; ok {
		return runError(r.ID, ErrRunExists)
	}
	m.runs[r.ID] = r
	return nil
}

func (m *Memory) FinishRun(id string, status Status, result []byte, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.runs[id]
	if !ok {
		return runError(id, ErrNoRun)
	}
	r.Status, r.Result, r.Finished = status, result, at
	m.runs[id] = r
	return nil
}

func (m *Memory) Run(id string) (Run, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.runs[id]
	if !ok {
		return Run{}, runError(id, ErrNoRun)
	}
	return r, nil
}

func (m *Memory) Runs() ([]Run, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Run, 0, len(m.runs))
	for _, r := range m.runs {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Started.Equal(out[j].Started) {
			return out[i].Started.Before(out[j].Started)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func (m *Memory) Close() error { return nil }

func (m *Memory) PutModule(hash [32]byte, binary []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.modules[hash] = binary
	return nil
}

func (m *Memory) Module(hash [32]byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if b, ok := m.modules[hash]; ok {
		return b, nil
	}
	return nil, ErrNoModule
}

func (m *Memory) PutSnapshot(hash [32]byte, data []byte, run string, from int64) error {
	m.mu.Lock()
	m.blobs[hash] = data
	m.mu.Unlock()
	if from > 0 {
		return m.MarkSnapshot(run, from)
	}
	return nil
}

func (m *Memory) Snapshot(hash [32]byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if b, ok := m.blobs[hash]; ok {
		return b, nil
	}
	return nil, ErrNoSnapshot
}

// TamperSnapshot gives tests access to a kept snapshot, to corrupt it.
func (m *Memory) TamperSnapshot(hash [32]byte) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.blobs[hash]
}

func (m *Memory) MarkSnapshot(id string, from int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.runs[id]
	if !ok {
		return runError(id, ErrNoRun)
	}
	r.ResumeFrom = from
	m.runs[id] = r
	return nil
}

func (m *Memory) Lock(id string) (func(), error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.locked[id] {
		return nil, runError(id, ErrRunLocked)
	}
	m.locked[id] = true
	return func() {
		m.mu.Lock()
		delete(m.locked, id)
		m.mu.Unlock()
	}, nil
}

func (m *Memory) DeleteRun(id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.runs, id)
	return nil
}
