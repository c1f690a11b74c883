package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"anxin"
	"anxin/dsa"
)

// DSASubmissionService keeps each statement of reasons' submission state
// for the DSA Transparency Database submitter (package submit) and lists
// and retries dead letters for operators. Safe for concurrent use, by any
// number of replicas on one PostgreSQL database.
type DSASubmissionService struct{ db *DB }

// NewDSASubmissionService returns a DSASubmissionService on db.
func NewDSASubmissionService(db *DB) *DSASubmissionService { return &DSASubmissionService{db: db} }

var _ anxin.DSASubmissionService = (*DSASubmissionService)(nil)

// enqueueMargin is how far before the newest queued statement Enqueue looks
// again for statements not yet queued: a statement's created_at is its
// transaction's start, so one that committed after a later-stamped one is
// still found by the next Enqueue if its transaction took less than this.
// Later commits (a long transaction, a replica whose clock is behind) are
// found by EnqueueMissed, which the submitter runs at start and hourly.
const enqueueMargin = 10 * time.Minute

// Enqueue queues up to max statements of reasons created at or after
// since (the zero time for all) that have no submission row yet, oldest
// first, as pending and due now. It looks only from enqueueMargin before
// the newest queued statement, so it costs little however long the
// history; EnqueueMissed looks at everything. It returns how many it
// queued. Replicas may run it at once: a statement is queued only once.
func (s *DSASubmissionService) Enqueue(ctx context.Context, since time.Time, max int) (n int, err error) {
	defer anxin.Wrap(&err, "Enqueue")
	return s.enqueue(ctx, since, false, max)
}

// EnqueueMissed is Enqueue over every statement created since since, not
// just the recent ones: it finds statements that committed long after
// their timestamp. It scans every statement since since that is queued
// already, so callers run it rarely, and again while it returns max.
func (s *DSASubmissionService) EnqueueMissed(ctx context.Context, since time.Time, max int) (n int, err error) {
	defer anxin.Wrap(&err, "EnqueueMissed")
	return s.enqueue(ctx, since, true, max)
}

// enqueue finds candidates outside a transaction (on SQLite a transaction
// holds the one write lock, and the sweep reads every statement since
// since), then inserts them in one; the insert skips a statement queued
// meanwhile, so a stale read costs nothing.
func (s *DSASubmissionService) enqueue(ctx context.Context, since time.Time, all bool, limit int) (n int, err error) {
	from := int64(0)
	if !since.IsZero() {
		from = ms(since)
	}
	if !all {
		var newest sql.NullInt64
		if err := s.db.QueryRowContext(ctx, `SELECT MAX(statement_created_at) FROM dsa_submissions`).Scan(&newest); err != nil {
			return 0, err
		}
		if newest.Valid {
			from = max(from, newest.Int64-enqueueMargin.Milliseconds())
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT s.id, s.version, s.created_at FROM gov_statements s
		WHERE s.created_at >= ? AND NOT EXISTS (SELECT 1 FROM dsa_submissions d WHERE d.statement_id = s.id)
		ORDER BY s.created_at, s.id LIMIT ?`, from, limit)
	if err != nil {
		return 0, err
	}
	type row struct {
		st      anxin.Statement
		created int64
	}
	var todo []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.st.ID, &r.st.Version, &r.created); err != nil {
			rows.Close()
			return 0, err
		}
		todo = append(todo, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(todo) == 0 {
		return 0, err
	}
	err = s.db.Transact(ctx, func(tx *Tx) error {
		n = 0
		for _, r := range todo {
			res, err := tx.ExecContext(ctx, `INSERT INTO dsa_submissions (statement_id, puid, next_at, statement_created_at, created_at)
				VALUES (?, ?, ?, ?, ?) ON CONFLICT (statement_id) DO NOTHING`, r.st.ID, dsa.PUID(&r.st), ms(tx.Now), r.created, ms(tx.Now))
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		return nil
	})
	return n, err
}

// Since returns the instant from which statements are submitted. With set,
// it stores want (the zero time for all statements) and returns it;
// otherwise it returns the stored instant, storing now on the first call,
// so that enabling the submitter does not file the platform's whole
// history, and a restart keeps the instant the first start chose.
func (s *DSASubmissionService) Since(ctx context.Context, want time.Time, set bool) (since time.Time, err error) {
	defer anxin.Wrap(&err, "Since")
	err = s.db.Transact(ctx, func(tx *Tx) error {
		v := ms(tx.Now)
		if set {
			v = 0
			if !want.IsZero() {
				v = ms(want)
			}
		}
		q := `INSERT INTO dsa_submitter (id, since, updated_at) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING`
		if set {
			q = `INSERT INTO dsa_submitter (id, since, updated_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET since = excluded.since, updated_at = excluded.updated_at`
		}
		if _, err := tx.ExecContext(ctx, q, v, ms(tx.Now)); err != nil {
			return err
		}
		var got int64
		if err := tx.QueryRowContext(ctx, `SELECT since FROM dsa_submitter WHERE id = 1`).Scan(&got); err != nil {
			return err
		}
		if got != 0 {
			since = fromMS(got)
		}
		return nil
	})
	return since, err
}

// ClaimSubmissions leases up to max due submissions (pending or failed,
// next_at reached, no live lease), oldest statement first, until
// now+lease, and returns them with their statements. On PostgreSQL the
// candidates are locked with SKIP LOCKED, so replicas claim disjoint
// batches without waiting. The lease must outlast the request that sends
// the batch.
func (s *DSASubmissionService) ClaimSubmissions(ctx context.Context, max int, lease time.Duration) (_ []*anxin.SubmissionClaim, err error) {
	defer anxin.Wrap(&err, "ClaimSubmissions")
	var out []*anxin.SubmissionClaim
	err = s.db.Transact(ctx, func(tx *Tx) error {
		out = nil
		now, until, token := ms(tx.Now), ms(tx.Now.Add(lease)), anxin.NewID("lease")
		q := `SELECT statement_id FROM dsa_submissions WHERE state IN ('pending', 'failed') AND next_at <= ? AND locked_until <= ?
			ORDER BY statement_created_at, statement_id LIMIT ?`
		if tx.Dialect() == Postgres {
			q += ` FOR UPDATE SKIP LOCKED`
		}
		ids, err := queryStrings(ctx, tx, q, now, now, max)
		if err != nil {
			return err
		}
		for _, id := range ids {
			// The conditions are repeated so that, without row locks, a
			// submission claimed by someone else in between is not taken.
			r, err := tx.ExecContext(ctx, `UPDATE dsa_submissions SET locked_by = ?, locked_until = ?
				WHERE statement_id = ? AND state IN ('pending', 'failed') AND locked_until <= ?`, token, until, id, now)
			if err != nil {
				return err
			}
			if n, _ := r.RowsAffected(); n != 1 {
				continue
			}
			sub, err := scanSubmission(tx.QueryRowContext(ctx, `SELECT `+submissionColumns+` FROM dsa_submissions WHERE statement_id = ?`, id))
			if err != nil {
				return err
			}
			st, err := findStatement(ctx, tx, id)
			if err != nil {
				return err
			}
			out = append(out, &anxin.SubmissionClaim{DSASubmission: *sub, Statement: st, Lease: token, LeaseUntil: fromMS(until)})
		}
		return nil
	})
	return out, err
}

// RecordSubmissions records what an attempt did to each claimed
// submission, in one transaction. A result whose lease was lost (claimed
// again after it ended, or retried meanwhile) is not recorded; the others
// are, and then Conflict says how many were lost. A submitted statement's
// row never changes again.
func (s *DSASubmissionService) RecordSubmissions(ctx context.Context, results []anxin.SubmissionResult) (err error) {
	defer anxin.Wrap(&err, "RecordSubmissions")
	for _, r := range results {
		if !slices.Contains(anxin.SubmissionStates, r.State) {
			return anxin.Errorf(anxin.Invalid, "Unknown submission state %q.", r.State)
		}
	}
	lost := 0
	err = s.db.Transact(ctx, func(tx *Tx) error {
		lost = 0
		for _, r := range results {
			var submitted any
			if r.State == anxin.SubmissionSubmitted {
				submitted = ms(tx.Now)
			}
			counted := 0
			if r.Counted {
				counted = 1
			}
			res, err := tx.ExecContext(ctx, `UPDATE dsa_submissions SET state = ?, attempts = attempts + ?, last_status = ?, last_error = ?,
					last_try_at = ?, next_at = ?, locked_by = '', locked_until = 0, submitted_at = ?,
					remote_uuid = CASE WHEN ? = '' THEN remote_uuid ELSE ? END
				WHERE statement_id = ? AND locked_by = ? AND state IN ('pending', 'failed')`,
				r.State, counted, r.Status, cleanAttemptError(r.Error), ms(tx.Now), ms(tx.Now.Add(r.RetryIn)), submitted,
				r.RemoteUUID, r.RemoteUUID, r.StatementID, r.Lease)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				lost++
			}
		}
		return nil
	})
	if err == nil && lost > 0 {
		err = anxin.Errorf(anxin.Conflict, "%d submission results were not recorded: their lease was lost.", lost)
	}
	return err
}

// SubmissionCounts returns the number of submissions per state, every state
// present, for /metrics.
func (s *DSASubmissionService) SubmissionCounts(ctx context.Context) (map[string]int64, error) {
	out, err := s.db.countByState(ctx, `SELECT state, COUNT(*) FROM dsa_submissions GROUP BY state`)
	if err != nil {
		return nil, err
	}
	for _, st := range anxin.SubmissionStates {
		out[st] += 0
	}
	return out, nil
}

// FindDSASubmissions lists submissions in state ("" for every state),
// newest statement first, a page at a time.
func (s *DSASubmissionService) FindDSASubmissions(ctx context.Context, state string, page anxin.Page) ([]*anxin.DSASubmission, string, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadSubmissions); err != nil {
		return nil, "", err
	}
	if state != "" && !slices.Contains(anxin.SubmissionStates, state) {
		return nil, "", anxin.Errorf(anxin.Invalid, "state must be one of pending, failed, submitted, dead and skipped.")
	}
	limit, offset := govPage(page)
	out := []*anxin.DSASubmission{}
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, `SELECT `+submissionColumns+` FROM dsa_submissions WHERE (? = '' OR state = ?)
			ORDER BY statement_created_at DESC, statement_id DESC LIMIT ? OFFSET ?`, state, state, limit+1, offset)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			sub, err := scanSubmission(rows)
			if err != nil {
				return err
			}
			out = append(out, sub)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, "", err
	}
	out, next := govPageNext(out, limit, offset)
	return out, next, nil
}

// RetryDSASubmission makes a dead submission pending and due now, with its
// attempts reset, and records the actor and note on it and, when the
// vault is configured, in the audit chain; its last error stays until the
// next attempt.
func (s *DSASubmissionService) RetryDSASubmission(ctx context.Context, statementID, note string) (_ *anxin.DSASubmission, err error) {
	defer anxin.Wrap(&err, "RetryDSASubmission(%q)", statementID)
	if err := anxin.Authorize(ctx, anxin.ActionRetrySubmissions); err != nil {
		return nil, err
	}
	note = strings.TrimSpace(note)
	switch {
	case note == "":
		return nil, anxin.Errorf(anxin.Invalid, "A note saying why the dead letter is sent again is required.")
	case len(note) > anxin.MaxRetryNote || !utf8.ValidString(note):
		return nil, anxin.Errorf(anxin.Invalid, "The note must be valid text of at most %d bytes.", anxin.MaxRetryNote)
	}
	actor := anxin.ActorFromContext(ctx)
	by := actor.Name
	if by == "" {
		by = actor.KeyID
	}
	var sub *anxin.DSASubmission
	err = s.db.Transact(ctx, func(tx *Tx) error {
		q := `SELECT ` + submissionColumns + ` FROM dsa_submissions WHERE statement_id = ?`
		cur, err := scanSubmission(tx.QueryRowContext(ctx, q, statementID))
		if errors.Is(err, sql.ErrNoRows) {
			return anxin.Errorf(anxin.NotFound, "No submission for statement %q.", statementID)
		}
		if err != nil {
			return err
		}
		if cur.State != anxin.SubmissionDead {
			return anxin.Errorf(anxin.Conflict, "The submission of statement %q is %s, not dead; only dead letters are retried, and a submitted statement is never sent again.", statementID, cur.State)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE dsa_submissions SET state = 'pending', attempts = 0, next_at = ?, locked_by = '', locked_until = 0,
				retried_by = ?, retry_note = ?, retried_at = ?
			WHERE statement_id = ? AND state = 'dead'`, ms(tx.Now), by, note, ms(tx.Now), statementID); err != nil {
			return err
		}
		if tx.db.audit != nil {
			if err := appendAudit(ctx, tx, &anxin.AuditEvent{Action: "dsa_retry", Outcome: "allowed",
				Detail: "statement=" + statementID + " note=" + note}); err != nil {
				return err
			}
		}
		sub, err = scanSubmission(tx.QueryRowContext(ctx, q, statementID))
		return err
	})
	return sub, err
}

// RetryDeadDSASubmissions makes every dead submission pending and due now
// and returns how many it moved.
func (s *DSASubmissionService) RetryDeadDSASubmissions(ctx context.Context) (n int, err error) {
	defer anxin.Wrap(&err, "RetryDeadDSASubmissions")
	if err := anxin.Authorize(ctx, anxin.ActionRetrySubmissions); err != nil {
		return 0, err
	}
	err = s.db.Transact(ctx, func(tx *Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE dsa_submissions SET state = 'pending', attempts = 0, next_at = ?, locked_by = '', locked_until = 0
			WHERE state = 'dead'`, ms(tx.Now))
		if err != nil {
			return err
		}
		k, _ := r.RowsAffected()
		n = int(k)
		return nil
	})
	return n, err
}

const submissionColumns = `statement_id, puid, state, attempts, last_status, last_error, last_try_at, next_at, submitted_at, remote_uuid, created_at,
	statement_created_at, retried_by, retry_note, retried_at`

func scanSubmission(row interface{ Scan(...any) error }) (*anxin.DSASubmission, error) {
	var sub anxin.DSASubmission
	var lastTry, submitted, retried sql.NullInt64
	var next, created, stCreated int64
	if err := row.Scan(&sub.StatementID, &sub.PUID, &sub.State, &sub.Attempts, &sub.LastStatus, &sub.LastError,
		&lastTry, &next, &submitted, &sub.RemoteUUID, &created, &stCreated, &sub.RetriedBy, &sub.RetryNote, &retried); err != nil {
		return nil, err
	}
	sub.LastTryAt, sub.SubmittedAt, sub.RetriedAt = fromNullMS(lastTry), fromNullMS(submitted), fromNullMS(retried)
	sub.NextAt, sub.CreatedAt, sub.StatementCreatedAt = fromMS(next), fromMS(created), fromMS(stCreated)
	return &sub, nil
}
