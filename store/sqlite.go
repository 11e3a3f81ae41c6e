package store

import (
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"

	"github.com/rtfsvm/rtfsvm/chain"
)

// FileName is the database's name inside the store directory.
const FileName = "rtfsvm.db"

// SQLite is the default Store: one database file under the store directory, in WAL
// mode with full synchronous commits, so that a commit that returned survives a crash
// of the process or of the machine. Several processes may share it: SQLite's lock
// orders their commits, and each commit links to whatever is last in the file.
//
// The chain is kept log-structured: a commit's records are one row (a segment), with
// the list of the runs it holds. A row per action cost a B-tree insert and an index
// insert each, scattered over many pages, and the disk writes of those pages bounded
// throughput well below what the fsyncs allow (see RATIONALE.md).
type SQLite struct {
	db     *sql.DB // synced commits: the chain, migrations, the key
	runsDB *sql.DB // the runs table
	key    ed25519.PrivateKey
	path   string

	checkpoint   chan struct{} // asks for a checkpoint; closed by Close
	checkpointed chan struct{} // closed when the checkpointer has stopped
	closeOnce    sync.Once

	// The last segment this handle committed: when it is still the last one in the
	// file (no other process appended since), a commit links to it without reading it.
	// sinceCheckpoint counts the bytes committed since a checkpoint was asked for.
	mu              sync.Mutex
	sinceCheckpoint int
	lastFirst       int64
	lastSeq         int64
	lastHash        [32]byte
}

// migrations bring the schema from version i to i+1. Append only: a released
// migration never changes, since databases in the field have run it.
var migrations = []string{
	`CREATE TABLE segments (
		first   INTEGER PRIMARY KEY, -- the sequence number of its first record
		last    INTEGER NOT NULL,
		runs    TEXT NOT NULL,       -- the runs it holds records of: a JSON array of ids
		records BLOB NOT NULL        -- see appendRecord
	);
	CREATE TABLE runs (
		id       TEXT PRIMARY KEY,
		plan     TEXT NOT NULL,
		status   TEXT NOT NULL,
		started  INTEGER NOT NULL,
		finished INTEGER,
		result   BLOB
	);
	CREATE TABLE keys (
		name    TEXT PRIMARY KEY,
		private BLOB NOT NULL
	);`,
	`CREATE TABLE modules (
		hash   BLOB PRIMARY KEY, -- sha256 of binary
		binary BLOB NOT NULL
	);`,
	`CREATE TABLE snapshots (
		hash BLOB PRIMARY KEY, -- sha256 of data
		data BLOB NOT NULL
	);
	ALTER TABLE runs ADD COLUMN resume_from INTEGER NOT NULL DEFAULT 0;`,
}

// Open opens the store in dir, creating the directory and the database if need be and
// bringing its schema up to date.
func Open(dir string) (*SQLite, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	path := filepath.Join(dir, FileName)
	// Transactions begin IMMEDIATE: a commit takes the write lock before it reads the
	// chain's last hash, so that no other process can append in between.
	// Checkpoints (copying the WAL into the database file) run on their own goroutine,
	// not inside a commit that runs are waiting for (see checkpoints).
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?_txlock=immediate" +
		"&_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)&_pragma=wal_autocheckpoint(0)&_pragma=synchronous"
	db, err := sql.Open("sqlite", dsn+"(FULL)")
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	// The runs table is written without syncing: in WAL mode the next synced commit
	// (the run's first host call) makes it durable with everything before it, and a run
	// record is an index of the chain, which stays the truth. A synced write per run
	// start and end would cost two fsyncs a run, each holding the write lock.
	runs, err := sql.Open("sqlite", dsn+"(NORMAL)")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	s := &SQLite{db: db, runsDB: runs, path: path, checkpoint: make(chan struct{}, 1), checkpointed: make(chan struct{})}
	if err := s.init(); err != nil {
		db.Close()
		runs.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	go s.checkpoints()
	return s, nil
}

// checkpointEvery is how many bytes of segments are committed between two checkpoints.
const checkpointEvery = 4 << 20

// checkpoints copies the WAL into the database file when commits ask for it, beside
// them: a checkpoint writes megabytes and syncs the database file, which inside a commit
// would stall every run waiting for it. PASSIVE never blocks a writer; a checkpoint
// that cannot finish (a reader holds an old snapshot) is taken up by the next one.
func (s *SQLite) checkpoints() {
	defer close(s.checkpointed)
	for range s.checkpoint {
		s.db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
	}
}

func (s *SQLite) init() error {
	if err := s.migrate(); err != nil {
		return err
	}
	return s.loadKey()
}

// migrate runs the migrations the database has not run, each in its own transaction.
func (s *SQLite) migrate() error {
	if _, err := s.db.Exec(`CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return err
	}
	for {
		tx, err := s.db.Begin()
		if err != nil {
			return err
		}
		var version int
		err = tx.QueryRow(`SELECT version FROM schema_version`).Scan(&version)
		if errors.Is(err, sql.ErrNoRows) {
			_, err = tx.Exec(`INSERT INTO schema_version (version) VALUES (0)`)
		}
		if err == nil && version > len(migrations) {
			err = fmt.Errorf("the database has schema version %d; this rtfsvm knows versions up to %d: use a newer rtfsvm", version, len(migrations))
		}
		if err != nil || version == len(migrations) {
			tx.Rollback()
			return err
		}
		if _, err := tx.Exec(migrations[version]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", version+1, err)
		}
		if _, err := tx.Exec(`UPDATE schema_version SET version = ?`, version+1); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
}

// loadKey reads the chain's signing key, making it on the store's first use.
func (s *SQLite) loadKey() error {
	var seed []byte
	err := s.db.QueryRow(`SELECT private FROM keys WHERE name = 'chain'`).Scan(&seed)
	if errors.Is(err, sql.ErrNoRows) {
		_, key, err := ed25519.GenerateKey(nil)
		if err != nil {
			return err
		}
		// Another process may make one at the same moment: the first insert wins and
		// both read it back.
		if _, err := s.db.Exec(`INSERT OR IGNORE INTO keys (name, private) VALUES ('chain', ?)`, key.Seed()); err != nil {
			return err
		}
		return s.loadKey()
	}
	if err != nil {
		return err
	}
	if len(seed) != ed25519.SeedSize {
		return errors.New("the chain's signing key is damaged")
	}
	s.key = ed25519.NewKeyFromSeed(seed)
	return nil
}

// Path is the database file.
func (s *SQLite) Path() string { return s.path }

func (s *SQLite) Key() ed25519.PrivateKey { return s.key }

func (s *SQLite) Durable() bool { return true }

func (s *SQLite) Commit(batch []*chain.Record, seal func(int64, [32]byte)) error {
	if len(batch) == 0 {
		return nil
	}
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	lastSeq, lastHash, err := s.last(tx)
	if err != nil {
		return err
	}
	seal(lastSeq, lastHash)
	size := 0
	for _, r := range batch {
		size += len(r.Run) + len(r.Body) + len(r.Signature) + 48
	}
	seg := make([]byte, 0, size)
	runs := []string{}
	seen := map[string]bool{}
	for _, r := range batch {
		seg = appendRecord(seg, r)
		if !seen[r.Run] {
			seen[r.Run] = true
			runs = append(runs, r.Run)
		}
	}
	runList, err := json.Marshal(runs)
	if err != nil {
		return err
	}
	first, last := batch[0].Seq, batch[len(batch)-1].Seq
	if _, err := tx.Exec(`INSERT INTO segments (first, last, runs, records) VALUES (?, ?, ?, ?)`, first, last, string(runList), seg); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.mu.Lock()
	s.lastFirst, s.lastSeq, s.lastHash = first, last, batch[len(batch)-1].Hash
	if s.sinceCheckpoint += len(seg); s.sinceCheckpoint >= checkpointEvery {
		s.sinceCheckpoint = 0
		select {
		case s.checkpoint <- struct{}{}:
		default: // one is under way
		}
	}
	s.mu.Unlock()
	return nil
}

// last is the sequence number and hash of the chain's last record.
func (s *SQLite) last(tx *sql.Tx) (int64, [32]byte, error) {
	var first sql.NullInt64
	if err := tx.QueryRow(`SELECT max(first) FROM segments`).Scan(&first); err != nil || !first.Valid {
		return 0, [32]byte{}, err
	}
	s.mu.Lock()
	seq, hash, known := s.lastSeq, s.lastHash, s.lastFirst == first.Int64
	s.mu.Unlock()
	if known {
		return seq, hash, nil
	}
	var last int64
	var records []byte
	if err := tx.QueryRow(`SELECT last, records FROM segments WHERE first = ?`, first.Int64).Scan(&last, &records); err != nil {
		return 0, [32]byte{}, err
	}
	// Whatever the segment holds, the new one links to its last record; a damaged
	// segment links to nothing, and Verify reports it.
	eachRecord(first.Int64, last, records, func(r chain.Record) bool { hash = r.Hash; return true })
	return last, hash, nil
}

// appendRecord writes a record into a segment: its run, body and signature, each with
// its length (uvarint) first, and its 32-byte hash. Its sequence number is implicit:
// the segment's first plus its place.
func appendRecord(b []byte, r *chain.Record) []byte {
	b = append(binary.AppendUvarint(b, uint64(len(r.Run))), r.Run...)
	b = append(binary.AppendUvarint(b, uint64(len(r.Body))), r.Body...)
	b = append(b, r.Hash[:]...)
	return append(binary.AppendUvarint(b, uint64(len(r.Signature))), r.Signature...)
}

// eachRecord reads a segment's records until f returns false. Records that cannot be
// read, or a count that does not match first..last, are passed on empty, with their
// sequence numbers: Verify reports them as broken.
func eachRecord(first, last int64, seg []byte, f func(chain.Record) bool) bool {
	text := func() ([]byte, bool) {
		n, k := binary.Uvarint(seg)
		if k <= 0 || n > uint64(len(seg)-k) {
			return nil, false
		}
		out := seg[k : k+int(n)]
		seg = seg[k+int(n):]
		return out, true
	}
	seq := first
	for ; len(seg) > 0; seq++ {
		var r chain.Record
		r.Seq = seq
		run, ok1 := text()
		body, ok2 := text()
		ok3 := len(seg) >= 32
		if ok1 && ok2 && ok3 {
			copy(r.Hash[:], seg)
			seg = seg[32:]
		}
		sig, ok4 := text()
		if !(ok1 && ok2 && ok3 && ok4) {
			return f(chain.Record{Seq: seq})
		}
		r.Run, r.Body = string(run), body
		if len(sig) > 0 {
			r.Signature = sig
		}
		if !f(r) {
			return false
		}
	}
	if seq != last+1 {
		return f(chain.Record{Seq: seq}) // the segment says it holds more (or fewer) records
	}
	return true
}

func (s *SQLite) Each(f func(chain.Record) bool) error {
	return s.each(`SELECT first, last, records FROM segments ORDER BY first`, "", f)
}

// EachOfRunFrom reads the segments from the one holding record from: it costs what was
// committed since, not the run's history.
func (s *SQLite) EachOfRunFrom(run string, from int64, f func(chain.Record) bool) error {
	needle, err := json.Marshal(run)
	if err != nil {
		return err
	}
	return s.each(`SELECT first, last, records FROM segments
		WHERE first >= (SELECT coalesce(max(first), 0) FROM segments WHERE first <= ?) AND instr(runs, ?) > 0
		ORDER BY first`, run, func(r chain.Record) bool { return r.Seq < from || f(r) }, from, string(needle))
}

// PutSnapshot is written like modules: the synced commit that records the snapshot
// on the chain makes it durable.
func (s *SQLite) PutSnapshot(hash [32]byte, data []byte, run string, from int64) error {
	if from == 0 {
		_, err := s.runsDB.Exec(`INSERT OR IGNORE INTO snapshots (hash, data) VALUES (?, ?)`, hash[:], data)
		return err
	}
	tx, err := s.runsDB.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT OR IGNORE INTO snapshots (hash, data) VALUES (?, ?)`, hash[:], data); err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE runs SET resume_from = ? WHERE id = ?`, from, run); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *SQLite) Snapshot(hash [32]byte) ([]byte, error) {
	var b []byte
	err := s.db.QueryRow(`SELECT data FROM snapshots WHERE hash = ?`, hash[:]).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoSnapshot
	}
	return b, err
}

func (s *SQLite) MarkSnapshot(id string, from int64) error {
	res, err := s.runsDB.Exec(`UPDATE runs SET resume_from = ? WHERE id = ?`, from, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return runError(id, ErrNoRun)
	}
	return nil
}

// EachOfRun reads the segments whose list of runs names the run. A segment's list sits
// before its records in the row, so SQLite reads the records of matching segments only.
// An index of runs to segments cost more than half of every commit (a B-tree insert a
// run, scattered), so finding a run's records costs a scan of the lists instead.
func (s *SQLite) EachOfRun(run string, f func(chain.Record) bool) error {
	needle, err := json.Marshal(run)
	if err != nil {
		return err
	}
	return s.each(`SELECT first, last, records FROM segments WHERE instr(runs, ?) > 0 ORDER BY first`, run, f, string(needle))
}

func (s *SQLite) each(query, run string, f func(chain.Record) bool, args ...any) error {
	rows, err := s.db.Query(query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var first, last int64
		var seg []byte
		if err := rows.Scan(&first, &last, &seg); err != nil {
			return err
		}
		more := eachRecord(first, last, seg, func(r chain.Record) bool {
			if run != "" && r.Run != run {
				return true
			}
			return f(r)
		})
		if !more {
			break
		}
	}
	return rows.Err()
}

func (s *SQLite) CreateRun(r Run) error {
	_, err := s.runsDB.Exec(`INSERT INTO runs (id, plan, status, started) VALUES (?, ?, ?, ?)`,
		r.ID, r.Plan, string(r.Status), r.Started.UnixNano())
	if err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed") {
		return runError(r.ID, ErrRunExists)
	}
	return err
}

func (s *SQLite) DeleteRun(id string) error {
	_, err := s.runsDB.Exec(`DELETE FROM runs WHERE id = ?`, id)
	return err
}

func (s *SQLite) FinishRun(id string, status Status, result []byte, at time.Time) error {
	res, err := s.runsDB.Exec(`UPDATE runs SET status = ?, result = ?, finished = ? WHERE id = ?`,
		string(status), result, at.UnixNano(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return runError(id, ErrNoRun)
	}
	return nil
}

const runColumns = `id, plan, status, started, finished, result, resume_from`

func (s *SQLite) Run(id string) (Run, error) {
	runs, err := s.runs(`SELECT `+runColumns+` FROM runs WHERE id = ?`, id)
	if err != nil {
		return Run{}, err
	}
	if len(runs) == 0 {
		return Run{}, runError(id, ErrNoRun)
	}
	return runs[0], nil
}

func (s *SQLite) Runs() ([]Run, error) {
	return s.runs(`SELECT ` + runColumns + ` FROM runs ORDER BY started, id`)
}

func (s *SQLite) runs(query string, args ...any) ([]Run, error) {
	rows, err := s.db.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var status string
		var started int64
		var finished sql.NullInt64
		if err := rows.Scan(&r.ID, &r.Plan, &status, &started, &finished, &r.Result, &r.ResumeFrom); err != nil {
			return nil, err
		}
		r.Status, r.Started = Status(status), time.Unix(0, started)
		if finished.Valid {
			r.Finished = time.Unix(0, finished.Int64)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Close stops the checkpointer, copies what the WAL holds into the database file, and
// closes the database. Closing twice does nothing more.
func (s *SQLite) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.checkpoint)
		<-s.checkpointed
		s.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`) // syncs the database file
		err = errors.Join(s.runsDB.Close(), s.db.Close())
	})
	return err
}

// PutModule is written like the runs table, without its own fsync: the run's first
// synced commit makes it durable.
func (s *SQLite) PutModule(hash [32]byte, binary []byte) error {
	_, err := s.runsDB.Exec(`INSERT OR IGNORE INTO modules (hash, binary) VALUES (?, ?)`, hash[:], binary)
	return err
}

func (s *SQLite) Module(hash [32]byte) ([]byte, error) {
	var b []byte
	err := s.db.QueryRow(`SELECT binary FROM modules WHERE hash = ?`, hash[:]).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoModule
	}
	return b, err
}

// Lock takes an exclusive lock on a file of the run under the store's locks directory.
func (s *SQLite) Lock(id string) (func(), error) {
	dir := filepath.Join(filepath.Dir(s.path), "locks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	name := sha256.Sum256([]byte(id)) // any run id makes a valid file name
	unlock, err := lockFile(filepath.Join(dir, hex.EncodeToString(name[:16])+".lock"))
	if errors.Is(err, errLocked) {
		return nil, runError(id, ErrRunLocked)
	}
	return unlock, err
}
