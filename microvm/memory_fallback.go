//go:build !(linux || darwin || freebsd)

package microvm

import "github.com/tetratelabs/wazero/experimental"

func reserve(limit uint64) experimental.LinearMemory { return &sliceMemory{limit: limit} }
