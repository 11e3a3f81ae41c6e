package rtfsvm_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rtfsvm/rtfsvm"
	"github.com/rtfsvm/rtfsvm/syntax"
)

// FuzzLoad: reading and resolving never panic, and every failure is a positioned
// *syntax.Error. The conformance corpus seeds it.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/conformance/*/*.rtfs")
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(string(data))
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		// A hang is a failure too: the fuzzer has no time limit of its own.
		watchdog := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("Load hangs on %q", src)) })
		defer watchdog.Stop()
		_, err := rtfsvm.Load("fuzz.rtfs", src)
		if err == nil {
			return
		}
		se, ok := err.(*syntax.Error)
		if !ok {
			t.Fatalf("error of type %T: %v", err, err)
		}
		if se.Pos.Line < 1 || se.Pos.Col < 1 {
			t.Fatalf("error without a position: %v", err)
		}
	})
}

// FuzzCompile: whatever loads compiles to a module that wazero validates, without a
// panic. (Running is left to the conformance and differential tests: a fuzzed plan may
// legitimately run for its whole budget.)
func FuzzCompile(f *testing.F) {
	files, _ := filepath.Glob("testdata/conformance/*/*.rtfs")
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(string(data))
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		prog, err := rtfsvm.Load("fuzz.rtfs", src)
		if err != nil {
			return
		}
		if _, err := rtfsvm.Prepare(context.Background(), prog, rtfsvm.EngineWasm); err != nil {
			var se *syntax.Error
			if !errors.As(err, &se) {
				t.Fatalf("%q: %v", src, err)
			}
		}
	})
}

// FuzzRestore: a damaged snapshot (a flipped bit the hash check missed, a truncated
// blob) is refused or runs to a value or an error; it never takes the host process
// down. The seeds are real snapshots of a plan that holds data across host calls.
func FuzzRestore(f *testing.F) {
	const src = `(let [m {:a [1 2 3] :b "text"}] (step "s" (conj (:a m) (call :ccos.echo (:b m)) (call :ccos.echo 2.5))))`
	prog, err := rtfsvm.Load("restore.rtfs", src)
	if err != nil {
		f.Fatal(err)
	}
	p, err := rtfsvm.Prepare(context.Background(), prog, rtfsvm.EngineWasm)
	if err != nil {
		f.Fatal(err)
	}
	const memory = 8 << 20
	h := &snapshottingHost{Host: testHost(), every: true}
	if _, err := p.Run(context.Background(), rtfsvm.Options{Host: h, Memory: memory}); err != nil {
		f.Fatal(err)
	}
	for _, s := range h.snapshots {
		f.Add(s.Data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p.Run(ctx, rtfsvm.Options{Host: testHost(), Memory: memory, Fuel: 10_000_000, From: data})
	})
}
