package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"anxin"
)

// WebhookService stores webhook endpoints and their deliveries. Its
// WebhookService methods serve operators (each checks
// ActionManageWebhooks first); FanOut, ClaimDeliveries, RecordAttempt and
// DeliveryCounts serve the webhook sender, a trusted worker of this process,
// and check no actor. It is safe for concurrent use, and on PostgreSQL by
// several replicas at once.
type WebhookService struct {
	db *DB
	// attempts records concurrent delivery attempts (a sender's batch
	// finishing together) in one transaction: on SQLite each is otherwise
	// a commit and an fsync of its own on the one writer that the checks'
	// group commits also wait for.
	attempts groupCommit
}

// NewWebhookService returns a WebhookService on db.
func NewWebhookService(db *DB) *WebhookService { return &WebhookService{db: db} }

var _ anxin.WebhookService = (*WebhookService)(nil)

// newWebhookSecret returns 32 bytes from crypto/rand in the Standard
// Webhooks form, "whsec_" and the standard base64 of the bytes; the prefix
// also makes a leaked secret recognisable in a scan.
func newWebhookSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b[:]), nil
}

// CreateWebhook validates w, gives it an id and a new signing secret, stores
// it active, and fills w in. The secret is set on w for the caller to show
// once; no other method returns it. Invalid for a bad URL or type filter,
// Forbidden without ActionManageWebhooks.
func (s *WebhookService) CreateWebhook(ctx context.Context, w *anxin.Webhook) (err error) {
	defer anxin.Wrap(&err, "CreateWebhook")
	if err := anxin.Authorize(ctx, anxin.ActionManageWebhooks); err != nil {
		return err
	}
	if err := w.Validate(); err != nil {
		return err
	}
	secret, err := newWebhookSecret()
	if err != nil {
		return err
	}
	types, err := json.Marshal(append([]string{}, w.Types...))
	if err != nil {
		return err
	}
	id := anxin.NewID("wh")
	return s.db.Transact(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhooks (id, url, types, secret, active, created_at) VALUES (?, ?, ?, ?, 1, ?)`,
			id, w.URL, string(types), secret, ms(tx.Now)); err != nil {
			return err
		}
		w.ID, w.Secret, w.Active, w.CreatedAt = id, secret, true, tx.Now
		return nil
	})
}

// FindWebhooks lists the webhooks, oldest first, without their secrets.
// Forbidden without ActionManageWebhooks.
func (s *WebhookService) FindWebhooks(ctx context.Context) (_ []*anxin.Webhook, err error) {
	defer anxin.Wrap(&err, "FindWebhooks")
	if err := anxin.Authorize(ctx, anxin.ActionManageWebhooks); err != nil {
		return nil, err
	}
	var out []*anxin.Webhook
	err = s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		hooks, err := loadWebhooks(ctx, tx, false)
		for _, h := range hooks {
			h.Secret = ""
		}
		out = hooks
		return err
	})
	return out, err
}

// loadWebhooks reads the webhooks (only active ones if activeOnly), with
// their secrets.
func loadWebhooks(ctx context.Context, tx *Tx, activeOnly bool) ([]*anxin.Webhook, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, url, types, secret, active, created_at FROM webhooks
		WHERE (? = 0 OR active = 1) ORDER BY created_at, id`, boolInt(activeOnly))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*anxin.Webhook
	for rows.Next() {
		w := new(anxin.Webhook)
		var types string
		var active int
		var at int64
		if err := rows.Scan(&w.ID, &w.URL, &types, &w.Secret, &active, &at); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(types), &w.Types); err != nil {
			return nil, err
		}
		w.Active, w.CreatedAt = active == 1, fromMS(at)
		out = append(out, w)
	}
	return out, rows.Err()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// DeleteWebhook deletes a webhook and its deliveries. A delivery attempt in
// flight finishes but is not recorded. NotFound if absent; Forbidden without
// ActionManageWebhooks.
func (s *WebhookService) DeleteWebhook(ctx context.Context, id string) (err error) {
	defer anxin.Wrap(&err, "DeleteWebhook(%q)", id)
	if err := anxin.Authorize(ctx, anxin.ActionManageWebhooks); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		// SQLite enforces ON DELETE CASCADE only with foreign keys on, which
		// Open sets; deleting the children first keeps the order explicit.
		if _, err := tx.ExecContext(ctx, `DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE webhook_id = ?)`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM deliveries WHERE webhook_id = ?`, id); err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return anxin.Errorf(anxin.NotFound, "Webhook not found.")
		}
		return nil
	})
}

// FindDeliveries lists deliveries in state ("" for all), newest first, a
// page at a time; it returns the next page's cursor, "" on the last page.
// Invalid for an unknown state or a malformed cursor; Forbidden without
// ActionManageWebhooks.
func (s *WebhookService) FindDeliveries(ctx context.Context, state string, page anxin.Page) (_ []*anxin.Delivery, next string, err error) {
	defer anxin.Wrap(&err, "FindDeliveries(%q)", state)
	if err := anxin.Authorize(ctx, anxin.ActionManageWebhooks); err != nil {
		return nil, "", err
	}
	if err := anxin.ValidDeliveryState(state); err != nil {
		return nil, "", err
	}
	limit := pageLimit(page.Limit)
	q := deliveryColumns + ` WHERE (? = '' OR d.state = ?)`
	args := []any{state, state}
	if page.Cursor != "" {
		at, id, err := decodeSeekCursor(page.Cursor)
		if err != nil {
			return nil, "", err
		}
		q += ` AND (d.created_at < ? OR (d.created_at = ? AND d.id < ?))`
		args = append(args, at, at, id)
	}
	q += ` ORDER BY d.created_at DESC, d.id DESC LIMIT ?`
	args = append(args, limit+1)
	var out []*anxin.Delivery
	err = s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		out = nil
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDelivery(rows)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, "", err
	}
	out, next = seekPage(out, limit, func(d *anxin.Delivery) (time.Time, string) { return d.CreatedAt, d.ID })
	return out, next, nil
}

// deliveryColumns selects what scanDelivery reads.
const deliveryColumns = `SELECT d.id, d.webhook_id, d.message_id, o.type, d.state, d.attempts, d.next_at, d.last_error, d.last_status, d.delivered_at, d.created_at
	FROM deliveries d JOIN outbox o ON o.id = d.message_id`

func scanDelivery(row interface{ Scan(...any) error }) (*anxin.Delivery, error) {
	d := new(anxin.Delivery)
	var nextAt, created int64
	var delivered sql.NullInt64
	if err := row.Scan(&d.ID, &d.WebhookID, &d.MessageID, &d.MessageType, &d.State, &d.Attempts, &nextAt,
		&d.LastError, &d.LastStatus, &delivered, &created); err != nil {
		return nil, err
	}
	d.NextAt, d.DeliveredAt, d.CreatedAt = fromMS(nextAt), fromNullMS(delivered), fromMS(created)
	return d, nil
}

// FindAttempts returns a delivery and its recorded attempts, oldest first.
// NotFound if the delivery is absent; Forbidden without
// ActionManageWebhooks.
func (s *WebhookService) FindAttempts(ctx context.Context, deliveryID string) (_ *anxin.Delivery, _ []*anxin.AttemptRecord, err error) {
	defer anxin.Wrap(&err, "FindAttempts(%q)", deliveryID)
	if err := anxin.Authorize(ctx, anxin.ActionManageWebhooks); err != nil {
		return nil, nil, err
	}
	var d *anxin.Delivery
	var out []*anxin.AttemptRecord
	err = s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		var err error
		d, err = scanDelivery(tx.QueryRowContext(ctx, deliveryColumns+` WHERE d.id = ?`, deliveryID))
		if errors.Is(err, sql.ErrNoRows) {
			return anxin.Errorf(anxin.NotFound, "Delivery not found.")
		}
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT attempt, at, status, error, duration_ms, worker FROM delivery_attempts
			WHERE delivery_id = ? ORDER BY attempt`, deliveryID)
		if err != nil {
			return err
		}
		defer rows.Close()
		out = nil
		for rows.Next() {
			a := new(anxin.AttemptRecord)
			var at int64
			if err := rows.Scan(&a.Attempt, &at, &a.Status, &a.Error, &a.DurationMS, &a.Worker); err != nil {
				return err
			}
			a.At = fromMS(at)
			out = append(out, a)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, nil, err
	}
	return d, out, nil
}

// Redeliver moves a dead delivery back to pending, due now, with a fresh
// budget of attempts. The receiver sees the same message id as before.
// NotFound if no dead delivery has that id; Forbidden without
// ActionManageWebhooks.
func (s *WebhookService) Redeliver(ctx context.Context, id string) (err error) {
	defer anxin.Wrap(&err, "Redeliver(%q)", id)
	if err := anxin.Authorize(ctx, anxin.ActionManageWebhooks); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = 'pending', next_at = ?, locked_until = 0, attempt_base = attempts
			WHERE id = ? AND state = 'dead'`, ms(tx.Now), id)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return anxin.Errorf(anxin.NotFound, "No dead delivery with that id.")
		}
		return nil
	})
}

// FanOut turns up to max new outbox messages (oldest first) into one
// pending delivery per active webhook that wants the message's type, and
// marks the messages fanned out. A webhook receives the messages fanned out
// after it was created. It returns how many messages it fanned out. On
// PostgreSQL the messages are claimed with FOR UPDATE SKIP LOCKED, so
// replicas fan out disjoint batches; the (webhook, message) uniqueness makes
// a repeated fan-out harmless anyway.
func (s *WebhookService) FanOut(ctx context.Context, max int) (n int, err error) {
	defer anxin.Wrap(&err, "FanOut")
	if max <= 0 {
		max = 100
	}
	err = s.db.Transact(ctx, func(tx *Tx) error {
		n = 0
		q := `SELECT id, type FROM outbox WHERE fanned_out = 0 ORDER BY seq LIMIT ?`
		if tx.Dialect() == Postgres {
			q += ` FOR UPDATE SKIP LOCKED`
		}
		rows, err := tx.queryCached(ctx, q, max)
		if err != nil {
			return err
		}
		type msg struct{ id, typ string }
		var msgs []msg
		for rows.Next() {
			var m msg
			if err := rows.Scan(&m.id, &m.typ); err != nil {
				rows.Close()
				return err
			}
			msgs = append(msgs, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(msgs) == 0 {
			return err
		}
		hooks, err := loadWebhooks(ctx, tx, true)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			for _, h := range hooks {
				if !h.Wants(m.typ) {
					continue
				}
				if _, err := tx.execCached(ctx, `INSERT INTO deliveries (id, webhook_id, message_id, state, next_at, created_at)
					VALUES (?, ?, ?, 'pending', ?, ?) ON CONFLICT (webhook_id, message_id) DO NOTHING`,
					anxin.NewID("dlv"), h.ID, m.id, ms(tx.Now), ms(tx.Now)); err != nil {
					return err
				}
			}
			if _, err := tx.execCached(ctx, `UPDATE outbox SET fanned_out = 1 WHERE id = ?`, m.id); err != nil {
				return err
			}
		}
		n = len(msgs)
		return nil
	})
	return n, err
}

// ClaimDeliveries claims up to max pending deliveries that are due by the DB
// clock for one attempt each: it counts the attempt and leases the delivery
// until now+lease, so no other sender claims it meanwhile. The attempt count
// is the lease's fencing token (see RecordAttempt). A sender that dies
// mid-attempt loses nothing: the delivery is claimed again when the lease
// ends. The lease must outlast the attempt's HTTP timeout.
//
// On PostgreSQL candidates are selected with FOR UPDATE SKIP LOCKED, so
// concurrent replicas take disjoint deliveries without waiting on each other.
func (s *WebhookService) ClaimDeliveries(ctx context.Context, max int, lease time.Duration) (_ []*anxin.DeliveryAttempt, err error) {
	defer anxin.Wrap(&err, "ClaimDeliveries")
	if max <= 0 {
		max = 10
	}
	var out []*anxin.DeliveryAttempt
	err = s.db.Transact(ctx, func(tx *Tx) error {
		out = nil
		now := ms(tx.Now)
		until := ms(tx.Now.Add(lease))
		q := `SELECT id FROM deliveries WHERE state = 'pending' AND next_at <= ? AND locked_until <= ? ORDER BY next_at, id LIMIT ?`
		if tx.Dialect() == Postgres {
			q += ` FOR UPDATE SKIP LOCKED`
		}
		ids, err := scanIDs(tx.queryCached(ctx, q, now, now, max))
		if err != nil {
			return err
		}
		for _, id := range ids {
			// The lease condition is repeated so that even without row locks
			// a delivery claimed by someone else in between is not taken.
			r, err := tx.execCached(ctx, `UPDATE deliveries SET attempts = attempts + 1, locked_until = ?
				WHERE id = ? AND state = 'pending' AND locked_until <= ?`, until, id, now)
			if err != nil {
				return err
			}
			if n, _ := r.RowsAffected(); n != 1 {
				continue
			}
			a := &anxin.DeliveryAttempt{LeaseUntil: fromMS(until)}
			var nextAt, created, msgAt int64
			var base int
			var delivered sql.NullInt64
			var payload string
			err = tx.queryRowCached(ctx, `SELECT d.id, d.webhook_id, d.message_id, d.state, d.attempts, d.attempt_base, d.next_at,
					d.last_error, d.last_status, d.delivered_at, d.created_at, w.url, w.secret,
					o.type, o.subject_id, o.payload, o.created_at
				FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN outbox o ON o.id = d.message_id
				WHERE d.id = ?`, id).Scan(&a.ID, &a.WebhookID, &a.MessageID, &a.State, &a.Attempts, &base, &nextAt,
				&a.LastError, &a.LastStatus, &delivered, &created, &a.URL, &a.Secret,
				&a.Message.Type, &a.Message.SubjectID, &payload, &msgAt)
			if err != nil {
				return err
			}
			a.Try = a.Attempts - base
			a.NextAt, a.DeliveredAt, a.CreatedAt = fromMS(nextAt), fromNullMS(delivered), fromMS(created)
			a.MessageType = a.Message.Type
			a.Message.ID, a.Message.Payload, a.Message.CreatedAt = a.MessageID, json.RawMessage(payload), fromMS(msgAt)
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

func queryStrings(ctx context.Context, tx *Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// maxAttemptError bounds a recorded attempt error.
const maxAttemptError = 500

// RecordAttempt records the result of the attempt a claimed: the delivery's
// new state (retry due RetryIn from now, delivered or dead), its last status
// and error, and a row in the attempt log with worker. It returns Conflict
// when the lease was lost — the delivery was redelivered, deleted or
// claimed again after the lease ended — and records nothing then.
// Concurrent calls are recorded in one transaction (group commit).
func (s *WebhookService) RecordAttempt(ctx context.Context, worker string, a *anxin.DeliveryAttempt, res anxin.DeliveryResult) (err error) {
	defer anxin.Wrap(&err, "RecordAttempt(%q, %d)", a.ID, a.Attempts)
	switch res.State {
	case anxin.DeliveryPending, anxin.DeliveryDelivered, anxin.DeliveryDead:
	default:
		return anxin.Errorf(anxin.Invalid, "Unknown delivery state %q.", res.State)
	}
	msg := cleanAttemptError(res.Error)
	return s.attempts.run(ctx, s.db, 1, "", func(tx *Tx) error {
		var delivered any
		if res.State == anxin.DeliveryDelivered {
			delivered = ms(tx.Now)
		}
		r, err := tx.execCached(ctx, `UPDATE deliveries SET state = ?, last_status = ?, last_error = ?, next_at = ?, locked_until = 0, delivered_at = ?
			WHERE id = ? AND attempts = ? AND state = 'pending'`,
			res.State, res.Status, msg, ms(tx.Now.Add(res.RetryIn)), delivered, a.ID, a.Attempts)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n != 1 {
			return anxin.Errorf(anxin.Conflict, "The delivery's lease was lost; the attempt was not recorded.")
		}
		_, err = tx.execCached(ctx, `INSERT INTO delivery_attempts (delivery_id, attempt, at, status, error, duration_ms, worker) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.Attempts, ms(tx.Now), res.Status, msg, res.Duration.Milliseconds(), worker)
		return err
	})
}

// cleanAttemptError makes an attempt error storable on both databases:
// valid UTF-8, no NUL bytes, at most maxAttemptError bytes.
func cleanAttemptError(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "?")
	if len(s) > maxAttemptError {
		s = strings.ToValidUTF8(s[:maxAttemptError], "")
	}
	return s
}

// DeliveryCounts returns the number of deliveries per state (every state
// present, zero when empty), for /metrics.
func (s *WebhookService) DeliveryCounts(ctx context.Context) (map[string]int64, error) {
	out, err := s.db.countByState(ctx, `SELECT state, COUNT(*) FROM deliveries GROUP BY state`)
	if err != nil {
		return nil, err
	}
	for _, st := range []string{anxin.DeliveryPending, anxin.DeliveryDelivered, anxin.DeliveryDead} {
		out[st] += 0
	}
	return out, nil
}

// countByState runs q, which selects (state, count) rows, into a map.
func (db *DB) countByState(ctx context.Context, q string) (map[string]int64, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// seekPage trims a page queried with limit+1 rows to limit and returns the
// cursor after its last row ("" when there is no further page).
func seekPage[T any](out []T, limit int, key func(T) (time.Time, string)) ([]T, string) {
	if len(out) <= limit {
		return out, ""
	}
	out = out[:limit]
	at, id := key(out[limit-1])
	return out, encodeSeekCursor(ms(at), id)
}

// encodeSeekCursor makes an opaque keyset cursor from a stored timestamp and
// an id: the position after which the next page starts.
func encodeSeekCursor(at int64, id string) string {
	return encodeCursor(strconv.FormatInt(at, 10) + ":" + id)
}

// decodeSeekCursor reverses encodeSeekCursor; a cursor that was not made by
// it is Invalid.
func decodeSeekCursor(c string) (int64, string, error) {
	bad := anxin.Errorf(anxin.Invalid, "The cursor is not valid; pass next_cursor from the previous page.")
	s, err := decodeCursor(c)
	if err != nil {
		return 0, "", err
	}
	ts, id, ok := strings.Cut(s, ":")
	if !ok || id == "" {
		return 0, "", bad
	}
	at, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, "", bad
	}
	return at, id, nil
}
