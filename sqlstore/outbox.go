package sqlstore

import (
	"context"
	"encoding/json"

	"anxin"
)

// Enqueue writes an outbox message in tx, so it commits with the decision
// that caused it. The message id is derived from key when key is not empty
// ("<type>:<key>"), which makes enqueueing the same action twice a no-op:
// the marketplace sees one id per action, however often the caller retries.
// It returns the message id. In a transaction of checks (one with a
// decision batch) the row is queued with the decisions and written by the
// batch's multi-row INSERT just before COMMIT, in the order queued, so seq
// order is still the order of Enqueue calls.
func Enqueue(ctx context.Context, tx *Tx, typ, subjectID, key string, payload any) (string, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	id := anxin.NewID("msg")
	if key != "" {
		id = "msg_" + typ + ":" + key
	}
	if b := decisionsOf(tx); b != nil {
		b.outbox = append(b.outbox, []any{id, typ, subjectID, string(body), ms(tx.Now)})
		return id, nil
	}
	_, err = tx.execCached(ctx, `INSERT INTO outbox (id, type, subject_id, payload, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, id, typ, subjectID, string(body), ms(tx.Now))
	if err != nil {
		return "", err
	}
	return id, nil
}

// OutboxMessages returns the most recent outbox messages of a type ("" for
// all), newest first, for the console and tests.
func (db *DB) OutboxMessages(ctx context.Context, typ string, limit int) ([]*anxin.OutboxMessage, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := db.QueryContext(ctx, `SELECT id, type, subject_id, payload, created_at FROM outbox
		WHERE (? = '' OR type = ?) ORDER BY seq DESC LIMIT ?`, typ, typ, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*anxin.OutboxMessage
	for rows.Next() {
		m := new(anxin.OutboxMessage)
		var payload string
		var at int64
		if err := rows.Scan(&m.ID, &m.Type, &m.SubjectID, &payload, &at); err != nil {
			return nil, err
		}
		m.Payload = json.RawMessage(payload)
		m.CreatedAt = fromMS(at)
		out = append(out, m)
	}
	return out, rows.Err()
}
