package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"anxin"
)

// OutboxCursor lets one replica at a time read the outbox in order for a
// named sink (a broker subject) and remember how far it got.
type OutboxCursor struct {
	db    *DB
	Name  string
	Owner string        // this replica's id
	Lease time.Duration // default 15 s
}

// NewOutboxCursor returns a cursor for the named sink.
func NewOutboxCursor(db *DB, name, owner string) *OutboxCursor {
	return &OutboxCursor{db: db, Name: name, Owner: owner, Lease: 15 * time.Second}
}

// Next takes (or renews) the lease and returns up to limit outbox messages
// after the cursor, in order. It returns no messages and no error when
// another replica holds the lease.
//
// The order is (txid, seq): on PostgreSQL an outbox seq is handed out at
// insert, so a lower seq may commit after a higher one, and a cursor on seq
// alone could pass a message still being written. Next therefore returns
// only messages written by transactions older than every transaction still
// running (the snapshot's xmin): no such message can appear later behind
// the cursor. On SQLite, with one writer, txid is 0 and the order is seq.
func (c *OutboxCursor) Next(ctx context.Context, limit int) ([]*anxin.OutboxMessage, int64, error) {
	var after, afterTx int64
	held := false
	err := c.db.Transact(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO stream_cursors (name) VALUES (?) ON CONFLICT (name) DO NOTHING`, c.Name); err != nil {
			return err
		}
		q := `SELECT seq, txid, owner, lease_until FROM stream_cursors WHERE name = ?`
		if tx.Dialect() == Postgres {
			q += ` FOR UPDATE`
		}
		var owner string
		var until int64
		if err := tx.QueryRowContext(ctx, q, c.Name).Scan(&after, &afterTx, &owner, &until); err != nil {
			return err
		}
		if owner != c.Owner && owner != "" && until > ms(tx.Now) {
			return nil
		}
		held = true
		_, err := tx.ExecContext(ctx, `UPDATE stream_cursors SET owner = ?, lease_until = ? WHERE name = ?`, c.Owner, ms(tx.Now.Add(c.Lease)), c.Name)
		return err
	})
	if err != nil || !held {
		return nil, after, err
	}
	horizon := ""
	if c.db.Dialect == Postgres {
		horizon = `txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint AND `
	}
	rows, err := c.db.QueryContext(ctx, `SELECT seq, id, type, subject_id, payload, created_at FROM outbox
		WHERE `+horizon+`(txid > ? OR (txid = ? AND seq > ?)) ORDER BY txid, seq LIMIT ?`, afterTx, afterTx, after, limit)
	if err != nil {
		return nil, after, err
	}
	defer rows.Close()
	var out []*anxin.OutboxMessage
	last := after
	for rows.Next() {
		m := new(anxin.OutboxMessage)
		var payload string
		var at int64
		if err := rows.Scan(&last, &m.ID, &m.Type, &m.SubjectID, &payload, &at); err != nil {
			return nil, after, err
		}
		m.Payload, m.CreatedAt = json.RawMessage(payload), fromMS(at)
		out = append(out, m)
	}
	return out, last, rows.Err()
}

// Commit advances the cursor to the message seq (the last Next returned) if
// this replica still holds the lease; Conflict otherwise (another replica
// took over and will publish again).
func (c *OutboxCursor) Commit(ctx context.Context, seq int64) error {
	return c.db.Transact(ctx, func(tx *Tx) error {
		var txid int64
		if err := tx.QueryRowContext(ctx, `SELECT txid FROM outbox WHERE seq = ?`, seq).Scan(&txid); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return anxin.Errorf(anxin.Invalid, "There is no outbox message %d.", seq)
			}
			return err
		}
		r, err := tx.ExecContext(ctx, `UPDATE stream_cursors SET seq = ?, txid = ? WHERE name = ? AND owner = ? AND (txid < ? OR (txid = ? AND seq < ?))`,
			seq, txid, c.Name, c.Owner, txid, txid, seq)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			var owner string
			err := tx.QueryRowContext(ctx, `SELECT owner FROM stream_cursors WHERE name = ?`, c.Name).Scan(&owner)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && owner != c.Owner) {
				return anxin.Errorf(anxin.Conflict, "The outbox cursor %s is held by another replica.", c.Name)
			}
			return err
		}
		return nil
	})
}

// Position returns the cursor's seq and the outbox's last seq, for lag.
func (c *OutboxCursor) Position(ctx context.Context) (cursor, head int64, err error) {
	err = c.db.QueryRowContext(ctx, `SELECT COALESCE((SELECT seq FROM stream_cursors WHERE name = ?), 0), COALESCE((SELECT MAX(seq) FROM outbox), 0)`, c.Name).Scan(&cursor, &head)
	return cursor, head, mapError(err)
}

// StreamCursors lists every outbox publisher's cursor with its lag behind
// the outbox head, by name.
func (db *DB) StreamCursors(ctx context.Context) ([]*anxin.StreamCursor, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadJobs); err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT name, seq, owner, lease_until, COALESCE((SELECT MAX(seq) FROM outbox), 0) FROM stream_cursors ORDER BY name`)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out := []*anxin.StreamCursor{}
	for rows.Next() {
		c := new(anxin.StreamCursor)
		var until, head int64
		if err := rows.Scan(&c.Name, &c.Seq, &c.Owner, &until, &head); err != nil {
			return nil, err
		}
		c.LeaseUntil, c.Lag = fromMS(until), max(head-c.Seq, 0)
		out = append(out, c)
	}
	return out, rows.Err()
}
