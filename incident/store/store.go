// Package store is the embedded incident store (SQLite, modernc.org/sqlite: pure Go, no
// cgo): the history of every incident (queried by filters with cursor pagination, kept
// for a retention period), the outbox that holds incidents for delivery when there is no
// Kafka (written before a verdict is returned, drained by package deliver, surviving
// restarts), the ids delivered to each receiver (so none is delivered twice, also after a
// restart), and the parked incidents.
//
// SQLite rather than bbolt: the history is queried by any combination of seven filters
// and a time range, which is an index and a WHERE clause in SQL and hand-kept secondary
// indexes in a key-value store; one file then holds the outbox and the dedup set too, with
// transactions spanning them. WAL mode with synchronous=FULL: a write that returned is on
// disk.
//
// Left out: delivery itself (package deliver) and HTTP routing of the API beyond its
// own handler (the caller mounts Handler).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/incident/deliver"
)

// ErrNotFound is returned by Get for an unknown incident id.
var ErrNotFound = errors.New("store: no such incident")

// Store is an open store. Safe for concurrent use.
type Store struct {
	db    *sql.DB
	stmts statements

	wakeMu sync.Mutex
	wakers []chan struct{}
}

const schema = `
CREATE TABLE IF NOT EXISTS incidents (
	id TEXT PRIMARY KEY,
	time INTEGER NOT NULL,
	provider TEXT NOT NULL, jurisdiction TEXT NOT NULL, authority TEXT NOT NULL, rule TEXT NOT NULL,
	pack TEXT NOT NULL, layer TEXT NOT NULL, severity TEXT NOT NULL, decision TEXT NOT NULL,
	event BLOB NOT NULL,
	stored_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_time ON incidents(time DESC, id DESC);
CREATE INDEX IF NOT EXISTS incidents_provider ON incidents(provider, time DESC);
CREATE INDEX IF NOT EXISTS incidents_rule ON incidents(rule, time DESC);
CREATE TABLE IF NOT EXISTS outbox (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	receiver TEXT NOT NULL,
	id TEXT NOT NULL,
	event BLOB NOT NULL,
	since INTEGER NOT NULL,
	UNIQUE(receiver, id)
);
CREATE INDEX IF NOT EXISTS outbox_receiver ON outbox(receiver, seq);
CREATE TABLE IF NOT EXISTS delivered (
	receiver TEXT NOT NULL, id TEXT NOT NULL, at INTEGER NOT NULL,
	PRIMARY KEY(receiver, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS parked (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	receiver TEXT NOT NULL, id TEXT NOT NULL, event BLOB NOT NULL, error TEXT NOT NULL,
	status INTEGER NOT NULL, attempts INTEGER NOT NULL, since INTEGER NOT NULL, at INTEGER NOT NULL
);
`

// Open opens (creating if needed) the store at path.
func Open(path string) (*Store, error) {
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	s := &Store{db: db}
	if err := s.stmts.prepare(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	return s, nil
}

// statements are prepared once (parsing SQL per transaction cost as much as the insert).
type statements struct {
	insertIncident, insertOutbox *sql.Stmt
}

func (st *statements) prepare(db *sql.DB) error {
	var err error
	if st.insertIncident, err = db.Prepare(`INSERT OR IGNORE INTO incidents
		(id, time, provider, jurisdiction, authority, rule, pack, layer, severity, decision, event, stored_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`); err != nil {
		return err
	}
	st.insertOutbox, err = db.Prepare(`INSERT OR IGNORE INTO outbox (receiver, id, event, since) VALUES (?,?,?,?)`)
	return err
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// Insert adds events to the history (an id already there is left as it is). Events that
// are not incidents are returned as an error after the others are stored.
func (s *Store) Insert(ctx context.Context, events [][]byte) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer tx.Rollback()
	_, bad, err := insertTx(ctx, tx, &s.stmts, events, time.Now())
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return errors.Join(bad...)
}

// insertTx inserts events into the history; sums holds each event's Summary (a zero one
// for the events in bad, which are not incidents).
func insertTx(ctx context.Context, tx *sql.Tx, stmts *statements, events [][]byte, now time.Time) (sums []incident.Summary, bad []error, err error) {
	st := tx.StmtContext(ctx, stmts.insertIncident)
	defer st.Close()
	sums = make([]incident.Summary, len(events))
	for i, ev := range events {
		sum, err := incident.Summarize(ev)
		if err != nil {
			bad = append(bad, fmt.Errorf("store: event %d: %w", i, err))
			continue
		}
		sums[i] = sum
		t := sum.Time
		if t.IsZero() {
			t = now
		}
		if _, err := st.ExecContext(ctx, sum.ID, t.UnixNano(), sum.Provider, sum.Jurisdiction, sum.Authority, sum.Rule,
			sum.Pack, sum.Layer, sum.Severity, sum.Decision, ev, now.UnixNano()); err != nil {
			return nil, bad, fmt.Errorf("store: %w", err)
		}
	}
	return sums, bad, nil
}

// Prune deletes incidents older than before from the history, and delivery records
// older than before from the dedup set; it returns the incidents deleted.
func (s *Store) Prune(ctx context.Context, before time.Time) (int64, error) {
	r, err := s.db.ExecContext(ctx, `DELETE FROM incidents WHERE time < ?`, before.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM delivered WHERE at < ?`, before.UnixNano()); err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	return r.RowsAffected()
}

// Seen implements deliver.Dedup.
func (s *Store) Seen(ctx context.Context, receiver string, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{receiver}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM delivered WHERE receiver = ? AND id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// MarkDelivered implements deliver.Dedup; it also removes the incidents' outbox rows for
// receiver.
func (s *Store) MarkDelivered(ctx context.Context, receiver string, ids []string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer tx.Rollback()
	now := time.Now().UnixNano()
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO delivered (receiver, id, at) VALUES (?,?,?)`, receiver, id, now); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		// Delivered: its outbox row goes in the same transaction (one fsync, not two).
		if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE receiver = ? AND id = ?`, receiver, id); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	return tx.Commit()
}

// Park implements deliver.Parker: parked incidents are kept in the store.
func (s *Store) Park(ctx context.Context, ps []deliver.ParkedIncident) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer tx.Rollback()
	for _, p := range ps {
		if _, err := tx.ExecContext(ctx, `INSERT INTO parked (receiver, id, event, error, status, attempts, since, at) VALUES (?,?,?,?,?,?,?,?)`,
			p.Receiver, p.ID, p.Event, p.Error, p.Status, p.Attempts, p.Since.UnixNano(), p.At.UnixNano()); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	return tx.Commit()
}

// Parked lists parked incidents, oldest first.
func (s *Store) Parked(ctx context.Context) ([]deliver.ParkedIncident, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT receiver, id, event, error, status, attempts, since, at FROM parked ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []deliver.ParkedIncident
	for rows.Next() {
		var p deliver.ParkedIncident
		var since, at int64
		if err := rows.Scan(&p.Receiver, &p.ID, &p.Event, &p.Error, &p.Status, &p.Attempts, &since, &at); err != nil {
			return nil, err
		}
		p.Since, p.At = time.Unix(0, since), time.Unix(0, at)
		out = append(out, p)
	}
	return out, rows.Err()
}

// Unpark moves receiver's parked incidents back into the outbox, to be delivered again
// (once the cause is fixed), and returns how many. An incident already waiting in the
// outbox for receiver is not added twice.
func (s *Store) Unpark(ctx context.Context, receiver string) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO outbox (receiver, id, event, since)
		SELECT receiver, id, event, ? FROM parked WHERE receiver = ? AND id != '' ORDER BY seq`, time.Now().UnixNano(), receiver); err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	r, err := tx.ExecContext(ctx, `DELETE FROM parked WHERE receiver = ? AND id != ''`, receiver)
	if err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	n, _ := r.RowsAffected()
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	s.wake()
	return n, nil
}
