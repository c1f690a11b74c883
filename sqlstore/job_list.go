package sqlstore

import (
	"context"
	"time"

	"anxin"
)

// JobService lists durable jobs for operators. It is safe for concurrent
// use.
type JobService struct{ db *DB }

// NewJobService returns a JobService on db.
func NewJobService(db *DB) *JobService { return &JobService{db: db} }

var _ anxin.JobService = (*JobService)(nil)

// FindJobs lists jobs in state (pending, done, dead, cancelled, or "" for
// all) a page at a time, without payloads: pending jobs soonest due first,
// the others latest first. It returns the next page's cursor, "" on the last
// page. Invalid for an unknown state or a malformed cursor; Forbidden
// without ActionReadJobs.
func (s *JobService) FindJobs(ctx context.Context, state string, page anxin.Page) (_ []*anxin.Job, next string, err error) {
	defer anxin.Wrap(&err, "FindJobs(%q)", state)
	if err := anxin.Authorize(ctx, anxin.ActionReadJobs); err != nil {
		return nil, "", err
	}
	switch state {
	case "", "pending", "done", "dead", "cancelled":
	default:
		return nil, "", anxin.Errorf(anxin.Invalid, "state must be pending, done, dead or cancelled.")
	}
	asc := state == "pending"
	limit := pageLimit(page.Limit)
	q := `SELECT id, kind, job_key, run_at, attempts, state, last_error FROM jobs WHERE (? = '' OR state = ?)`
	args := []any{state, state}
	if page.Cursor != "" {
		at, id, err := decodeSeekCursor(page.Cursor)
		if err != nil {
			return nil, "", err
		}
		if asc {
			q += ` AND (run_at > ? OR (run_at = ? AND id > ?))`
		} else {
			q += ` AND (run_at < ? OR (run_at = ? AND id < ?))`
		}
		args = append(args, at, at, id)
	}
	if asc {
		q += ` ORDER BY run_at, id LIMIT ?`
	} else {
		q += ` ORDER BY run_at DESC, id DESC LIMIT ?`
	}
	args = append(args, limit+1)
	var out []*anxin.Job
	err = s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		out = nil
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			j := new(anxin.Job)
			var runAt int64
			if err := rows.Scan(&j.ID, &j.Kind, &j.Key, &runAt, &j.Attempts, &j.State, &j.LastError); err != nil {
				return err
			}
			j.RunAt = fromMS(runAt)
			out = append(out, j)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, "", err
	}
	out, next = seekPage(out, limit, func(j *anxin.Job) (time.Time, string) { return j.RunAt, j.ID })
	return out, next, nil
}

// JobCounts returns the number of jobs per state, for /metrics. It checks no
// actor: the counts are aggregate and the metrics endpoint is the caller.
func (s *JobService) JobCounts(ctx context.Context) (map[string]int64, error) {
	return s.db.JobCounts(ctx)
}
