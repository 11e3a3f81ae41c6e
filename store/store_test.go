package store

import (
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtfsvm/rtfsvm/chain"
	"github.com/rtfsvm/rtfsvm/value"
)

func openSQLite(t *testing.T, dir string) *SQLite {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Both engines keep runs the same way.
func TestRuns(t *testing.T) {
	for name, s := range map[string]Store{"memory": NewMemory(), "sqlite": openSQLite(t, t.TempDir())} {
		t.Run(name, func(t *testing.T) {
			t0 := time.Unix(1_800_000_000, 0)
			for i, id := range []string{"b", "a"} {
				if err := s.CreateRun(Run{ID: id, Plan: "p.rtfs", Status: Running, Started: t0.Add(time.Duration(i))}); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.CreateRun(Run{ID: "a", Plan: "q.rtfs", Status: Running, Started: t0}); !errors.Is(err, ErrRunExists) {
				t.Fatalf("a second run a: %v", err)
			}
			if err := s.FinishRun("a", Completed, []byte{1, 2}, t0.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
			if err := s.FinishRun("zz", Failed, nil, t0); !errors.Is(err, ErrNoRun) {
				t.Fatalf("finishing an unknown run: %v", err)
			}
			r, err := s.Run("a")
			if err != nil || r.Status != Completed || string(r.Result) != "\x01\x02" || !r.Finished.Equal(t0.Add(time.Second)) || r.Plan != "p.rtfs" {
				t.Fatalf("run a: %+v, %v", r, err)
			}
			if _, err := s.Run("zz"); !errors.Is(err, ErrNoRun) {
				t.Fatalf("an unknown run: %v", err)
			}
			runs, err := s.Runs()
			if err != nil || len(runs) != 2 || runs[0].ID != "b" || runs[1].ID != "a" || !runs[0].Finished.IsZero() {
				t.Fatalf("runs: %+v, %v", runs, err)
			}
		})
	}
}

func appendRun(t *testing.T, c *chain.Chain, run string, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		a := &chain.Action{RunID: run, Index: int64(i), Kind: chain.CapabilityResult, Time: time.Unix(int64(i), 0),
			Data: value.EmptyMap.Assoc(value.Keyword("value"), value.Int(i))}
		if err := c.Append(a); err != nil {
			t.Fatal(err)
		}
		if err := c.Sync(); err != nil {
			t.Fatal(err)
		}
	}
}

// The chain, its key and its runs survive closing and reopening the store, and the
// chain continues where it stopped.
func TestSQLiteReopen(t *testing.T) {
	dir := t.TempDir()
	s := openSQLite(t, dir)
	appendRun(t, chain.Open(s, s.Key()), "r1", 3)
	if err := s.CreateRun(Run{ID: "r1", Plan: "p", Status: Running, Started: time.Unix(1, 0)}); err != nil {
		t.Fatal(err)
	}
	key := s.Key()
	s.Close()

	s = openSQLite(t, dir)
	if !s.Key().Equal(key) {
		t.Fatal("the signing key changed when the store was reopened")
	}
	appendRun(t, chain.Open(s, s.Key()), "r2", 2)
	if n, err := chain.Verify(s, key.Public().(ed25519.PublicKey)); err != nil || n != 5 {
		t.Fatalf("verified %d, %v", n, err)
	}
	acts, err := chain.Actions(s, "r2")
	if err != nil || len(acts) != 2 || acts[0].Seq != 4 || acts[1].Index != 2 {
		t.Fatalf("actions of r2: %v, %v", acts, err)
	}
	if _, err := s.Run("r1"); err != nil {
		t.Fatal(err)
	}
}

// Two handles on one database (two processes) appending at once make one chain that
// verifies: each commit links to what is last in the file.
func TestSQLiteSharedByTwoHandles(t *testing.T) {
	dir := t.TempDir()
	a, b := openSQLite(t, dir), openSQLite(t, dir)
	var wg sync.WaitGroup
	for i, s := range []*SQLite{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			appendRun(t, chain.Open(s, s.Key()), fmt.Sprint("r", i), 40)
		}()
	}
	wg.Wait()
	if n, err := chain.Verify(a, a.Key().Public().(ed25519.PublicKey)); err != nil || n != 80 {
		t.Fatalf("verified %d, %v", n, err)
	}
}

// A bit flipped in any part of any stored action is found by Verify, which names that
// action; so is a segment whose sequence numbers were changed.
func TestSQLiteTamperingIsFound(t *testing.T) {
	tampers := map[string]func(r *chain.Record){
		"body":      func(r *chain.Record) { r.Body[len(r.Body)/2] ^= 1 },
		"hash":      func(r *chain.Record) { r.Hash[31] ^= 0x40 },
		"signature": func(r *chain.Record) { r.Signature[10] ^= 1 },
		"run":       func(r *chain.Record) { r.Run = "other" },
		"seq":       func(r *chain.Record) { r.Seq += 10 }, // the segment moves: a gap
	}
	for name, tamper := range tampers {
		for _, seq := range []int64{1, 2, 3} {
			dir := t.TempDir()
			s := openSQLite(t, dir)
			appendRun(t, chain.Open(s, s.Key()), "r", 3) // a segment per action
			db, err := sql.Open("sqlite", dir+"/"+FileName)
			if err != nil {
				t.Fatal(err)
			}
			var seg []byte
			if err := db.QueryRow(`SELECT records FROM segments WHERE first = ?`, seq).Scan(&seg); err != nil {
				t.Fatal(err)
			}
			var r chain.Record
			eachRecord(seq, seq, seg, func(x chain.Record) bool { r = x; return false })
			tamper(&r)
			if _, err := db.Exec(`UPDATE segments SET first = ?, last = ?, records = ? WHERE first = ?`, r.Seq, r.Seq, appendRecord(nil, &r), seq); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			db.Close()
			_, err = chain.Verify(s, s.Key().Public().(ed25519.PublicKey))
			var broken *chain.ErrBroken
			if !errors.As(err, &broken) || broken.Seq != seq {
				t.Errorf("%s of action %d: %v", name, seq, err)
			}
		}
	}
}

// A segment cut short, or with trailing garbage, breaks at the record it damaged.
func TestSQLiteDamagedSegment(t *testing.T) {
	for _, damage := range []func([]byte) []byte{
		func(b []byte) []byte { return b[:len(b)-5] },
		func(b []byte) []byte { return append(b, 7) },
		func(b []byte) []byte { return []byte{} },
	} {
		dir := t.TempDir()
		s := openSQLite(t, dir)
		c := chain.Open(s, s.Key())
		c.Join() // so that the three records wait for the Sync, and make one segment
		for i := 1; i <= 3; i++ {
			if err := c.Append(&chain.Action{RunID: "r", Index: int64(i), Kind: chain.RunStarted}); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Sync(); err != nil {
			t.Fatal(err)
		}
		db, _ := sql.Open("sqlite", dir+"/"+FileName)
		var seg []byte
		if err := db.QueryRow(`SELECT records FROM segments ORDER BY first LIMIT 1`).Scan(&seg); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`UPDATE segments SET records = ? WHERE first = 1`, damage(seg)); err != nil {
			t.Fatal(err)
		}
		db.Close()
		var broken *chain.ErrBroken
		if _, err := chain.Verify(s, s.Key().Public().(ed25519.PublicKey)); !errors.As(err, &broken) {
			t.Errorf("a damaged segment verified: %v", err)
		}
	}
}

// A database made by a newer rtfsvm is refused, not half understood.
func TestSQLiteNewerSchemaIsRefused(t *testing.T) {
	dir := t.TempDir()
	openSQLite(t, dir).Close()
	db, err := sql.Open("sqlite", dir+"/"+FileName)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE schema_version SET version = 99`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "schema version 99") {
		t.Fatalf("opening a newer database: %v", err)
	}
}

// Closing the store copies the WAL into the database file: what was committed is in the
// file itself, and a reopened store verifies it.
func TestSQLiteCloseCheckpoints(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	appendRun(t, chain.Open(s, s.Key()), "r", 20)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, FileName+"-wal")); err == nil && fi.Size() != 0 {
		t.Fatalf("the WAL still holds %d bytes after Close", fi.Size())
	}
	s = openSQLite(t, dir)
	if n, err := chain.Verify(s, s.Key().Public().(ed25519.PublicKey)); err != nil || n != 20 {
		t.Fatalf("verified %d, %v", n, err)
	}
}

// Modules are kept by hash, and a run can be locked by one holder at a time, on both
// engines; the SQLite store's locks hold across handles (processes).
func TestModulesAndLocks(t *testing.T) {
	dir := t.TempDir()
	for name, s := range map[string]Store{"memory": NewMemory(), "sqlite": openSQLite(t, dir)} {
		t.Run(name, func(t *testing.T) {
			h := [32]byte{1, 2, 3}
			if _, err := s.Module(h); !errors.Is(err, ErrNoModule) {
				t.Fatalf("an unknown module: %v", err)
			}
			if err := s.PutModule(h, []byte("\x00asm")); err != nil {
				t.Fatal(err)
			}
			if err := s.PutModule(h, []byte("\x00asm")); err != nil {
				t.Fatalf("putting a module twice: %v", err)
			}
			if b, err := s.Module(h); err != nil || string(b) != "\x00asm" {
				t.Fatalf("module: %q, %v", b, err)
			}
			unlock, err := s.Lock("r1")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Lock("r1"); !errors.Is(err, ErrRunLocked) {
				t.Fatalf("a second lock: %v", err)
			}
			unlock()
			unlock2, err := s.Lock("r1")
			if err != nil {
				t.Fatalf("locking again after unlock: %v", err)
			}
			unlock2()
		})
	}
	a, b := openSQLite(t, dir), openSQLite(t, dir)
	unlock, err := a.Lock("x")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := b.Lock("x"); !errors.Is(err, ErrRunLocked) {
		t.Fatalf("another handle's lock: %v", err)
	}
}
