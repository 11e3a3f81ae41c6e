package store

import (
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
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
type SQLite struct {
	db     *sql.DB
	insert *sql.Stmt
	key    ed25519.PrivateKey
	path   string
}

// migrations bring the schema from version i to i+1. Append only: a released
// migration never changes, since databases in the field have run it.
var migrations = []string{
	`CREATE TABLE actions (
		seq       INTEGER PRIMARY KEY,
		run       TEXT NOT NULL,
		body      BLOB NOT NULL,
		hash      BLOB NOT NULL,
		signature BLOB
	);
	CREATE INDEX actions_by_run ON actions (run, seq);
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
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?_txlock=immediate" +
		"&_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	s := &SQLite{db: db, path: path}
	if err := s.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	return s, nil
}

func (s *SQLite) init() error {
	if err := s.migrate(); err != nil {
		return err
	}
	var err error
	if s.insert, err = s.db.Prepare(`INSERT INTO actions (seq, run, body, hash, signature) VALUES (?, ?, ?, ?, ?)`); err != nil {
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
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var lastSeq int64
	var lastHash [32]byte
	var hash []byte
	err = tx.QueryRow(`SELECT seq, hash FROM actions ORDER BY seq DESC LIMIT 1`).Scan(&lastSeq, &hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	copy(lastHash[:], hash)
	seal(lastSeq, lastHash)
	insert := tx.Stmt(s.insert)
	for _, r := range batch {
		if _, err := insert.Exec(r.Seq, r.Run, r.Body, r.Hash[:], r.Signature); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (s *SQLite) Each(f func(chain.Record) bool) error {
	return s.each(`SELECT seq, run, body, hash, signature FROM actions ORDER BY seq`, f)
}

func (s *SQLite) EachOfRun(run string, f func(chain.Record) bool) error {
	return s.each(`SELECT seq, run, body, hash, signature FROM actions WHERE run = ? ORDER BY seq`, f, run)
}

func (s *SQLite) each(query string, f func(chain.Record) bool, args ...any) error {
	rows, err := s.db.Query(query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r chain.Record
		var hash []byte
		if err := rows.Scan(&r.Seq, &r.Run, &r.Body, &hash, &r.Signature); err != nil {
			return err
		}
		// A hash of the wrong length cannot match: Verify reports it.
		copy(r.Hash[:], hash)
		if len(hash) != len(r.Hash) {
			r.Hash[0] ^= 0xff
		}
		if !f(r) {
			break
		}
	}
	return rows.Err()
}

func (s *SQLite) CreateRun(r Run) error {
	_, err := s.db.Exec(`INSERT INTO runs (id, plan, status, started) VALUES (?, ?, ?, ?)`,
		r.ID, r.Plan, string(r.Status), r.Started.UnixNano())
	if err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed") {
		return runError(r.ID, ErrRunExists)
	}
	return err
}

func (s *SQLite) FinishRun(id string, status Status, result []byte, at time.Time) error {
	res, err := s.db.Exec(`UPDATE runs SET status = ?, result = ?, finished = ? WHERE id = ?`,
		string(status), result, at.UnixNano(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return runError(id, ErrNoRun)
	}
	return nil
}

const runColumns = `id, plan, status, started, finished, result`

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
		if err := rows.Scan(&r.ID, &r.Plan, &status, &started, &finished, &r.Result); err != nil {
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

func (s *SQLite) Close() error {
	s.insert.Close()
	return s.db.Close()
}
