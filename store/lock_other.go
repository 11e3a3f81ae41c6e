//go:build !unix

package store

import (
	"errors"
	"sync"
)

var errLocked = errors.New("locked")

// Without flock, runs are locked within this process only.
var (
	lockedMu sync.Mutex
	locked   = map[string]bool{}
)

func lockFile(path string) (func(), error) {
	lockedMu.Lock()
	defer lockedMu.Unlock()
	if locked[path] {
		return nil, errLocked
	}
	locked[path] = true
	return func() { lockedMu.Lock(); delete(locked, path); lockedMu.Unlock() }, nil
}
