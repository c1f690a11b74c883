package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"anxin"
)

// Schedule adds a durable job in tx. Scheduling the same (kind, key) again is
// a no-op, so event replays and retries never create a second timer. An empty
// payload is stored as {}.
func Schedule(ctx context.Context, tx *Tx, kind, key string, runAt time.Time, payload any) error {
	body, err := jobPayload(payload)
	if err != nil {
		return err
	}
	_, err = tx.execCached(ctx, `INSERT INTO jobs (id, kind, job_key, run_at, payload) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (kind, job_key) DO NOTHING`, anxin.NewID("job"), kind, key, ms(runAt), body)
	return err
}

// jobPayload is a job's stored payload: payload as JSON, {} for nil.
func jobPayload(payload any) (string, error) {
	if payload == nil {
		return "{}", nil
	}
	b, err := json.Marshal(payload)
	return string(b), err
}

// Reschedule moves a pending job to a new time; it returns NotFound if no
// pending job has that kind and key.
func Reschedule(ctx context.Context, tx *Tx, kind, key string, runAt time.Time) error {
	r, err := tx.ExecContext(ctx, `UPDATE jobs SET run_at = ? WHERE kind = ? AND job_key = ? AND state = 'pending'`, ms(runAt), kind, key)
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return anxin.Errorf(anxin.NotFound, "No pending %s job for %s.", kind, key)
	}
	return nil
}

// CancelJob marks a pending job done without running it (for example an SLA
// clock stopped by a reply). Cancelling an absent job is not an error.
func CancelJob(ctx context.Context, tx *Tx, kind, key string) error {
	_, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'cancelled', done_at = ? WHERE kind = ? AND job_key = ? AND state = 'pending'`, ms(tx.Now), kind, key)
	return err
}

// JobHandler runs a due job inside the transaction that marks it done, so
// its effects and its completion commit together: a job whose process dies
// mid-way is rolled back and runs again elsewhere, and a finished job never
// runs twice. Returning an error rolls back the handler's writes and retries
// the job later with backoff; after MaxAttempts it is marked dead.
type JobHandler func(ctx context.Context, tx *Tx, job *anxin.Job) error

// JobRunner runs due jobs. On PostgreSQL each job is claimed with
// FOR UPDATE SKIP LOCKED, so any number of replicas can run it side by side
// and each job runs exactly once. It is safe for concurrent use once started;
// register handlers before Run.
type JobRunner struct {
	DB          *DB
	Worker      string        // recorded in done_by; defaults to a random id
	Poll        time.Duration // how often to look for due jobs; default 1s
	MaxAttempts int           // default 10
	Logger      *slog.Logger

	mu       sync.Mutex
	handlers map[string]JobHandler
	wake     chan struct{}
}

// Handle registers the handler for a job kind.
func (r *JobRunner) Handle(kind string, h JobHandler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.handlers == nil {
		r.handlers = map[string]JobHandler{}
	}
	r.handlers[kind] = h
}

// Kinds returns the registered job kinds.
func (r *JobRunner) Kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ks []string
	for k := range r.handlers {
		ks = append(ks, k)
	}
	return ks
}

// Wake makes a running runner look for due jobs now.
func (r *JobRunner) Wake() {
	r.mu.Lock()
	if r.wake == nil {
		r.wake = make(chan struct{}, 1)
	}
	w := r.wake
	r.mu.Unlock()
	select {
	case w <- struct{}{}:
	default:
	}
}

// Run runs due jobs until ctx is done.
func (r *JobRunner) Run(ctx context.Context) {
	poll := r.Poll
	if poll <= 0 {
		poll = time.Second
	}
	r.Wake()
	r.mu.Lock()
	w := r.wake
	r.mu.Unlock()
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, err := r.RunDue(ctx, 0); err != nil && ctx.Err() == nil {
			r.logger().Warn("job runner", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w:
		}
	}
}

func (r *JobRunner) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

// RunDue runs jobs that are due by the DB clock, one transaction each, until
// none is due or max jobs ran (0 means no limit). It returns how many ran.
func (r *JobRunner) RunDue(ctx context.Context, max int) (int, error) {
	if r.Worker == "" {
		r.Worker = anxin.NewID("w")
	}
	n := 0
	for max == 0 || n < max {
		if ctx.Err() != nil {
			return n, nil
		}
		ran, err := r.runOne(ctx)
		if err != nil {
			return n, err
		}
		if !ran {
			return n, nil
		}
		n++
	}
	return n, nil
}

func (r *JobRunner) kindsList() []any {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ks []any
	for k := range r.handlers {
		ks = append(ks, k)
	}
	return ks
}

func (r *JobRunner) runOne(ctx context.Context) (bool, error) {
	kinds := r.kindsList()
	if len(kinds) == 0 {
		return false, nil
	}
	maxAttempts := r.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = 10
	}
	ran := false
	err := r.DB.Transact(ctx, func(tx *Tx) error {
		ran = false
		in := "?"
		for range kinds[1:] {
			in += ", ?"
		}
		q := `SELECT id, kind, job_key, run_at, payload, attempts FROM jobs
			WHERE state = 'pending' AND run_at <= ? AND kind IN (` + in + `) ORDER BY run_at, id LIMIT 1`
		if tx.Dialect() == Postgres {
			q += ` FOR UPDATE SKIP LOCKED`
		}
		args := append([]any{ms(tx.Now)}, kinds...)
		j := new(anxin.Job)
		var runAt int64
		var payload string
		err := tx.QueryRowContext(ctx, q, args...).Scan(&j.ID, &j.Kind, &j.Key, &runAt, &payload, &j.Attempts)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		ran = true
		j.RunAt, j.Payload, j.State = fromMS(runAt), json.RawMessage(payload), "pending"
		r.mu.Lock()
		h := r.handlers[j.Kind]
		r.mu.Unlock()
		if _, err := tx.ExecContext(ctx, `SAVEPOINT job_handler`); err != nil {
			return err
		}
		herr := runHandler(ctx, h, tx, j)
		if herr == nil {
			if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT job_handler`); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'done', attempts = attempts + 1, done_at = ?, done_by = ? WHERE id = ?`, ms(tx.Now), r.Worker, j.ID)
			return err
		}
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT job_handler`); err != nil {
			return err
		}
		attempts := j.Attempts + 1
		state := "pending"
		if attempts >= maxAttempts {
			state = "dead"
		}
		backoff := time.Duration(1<<min(attempts, 12)) * time.Second
		msg := herr.Error()
		if len(msg) > 500 {
			msg = msg[:500]
		}
		r.logger().Warn("job failed", "job", j.ID, "kind", j.Kind, "attempt", attempts, "err", herr)
		_, err = tx.ExecContext(ctx, `UPDATE jobs SET state = ?, attempts = ?, run_at = ?, last_error = ? WHERE id = ?`,
			state, attempts, ms(tx.Now.Add(backoff)), msg, j.ID)
		return err
	})
	return ran, err
}

func runHandler(ctx context.Context, h JobHandler, tx *Tx, j *anxin.Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("job handler panicked: %v", p)
		}
	}()
	return h(ctx, tx, j)
}

// JobCounts returns the number of jobs per state, for /metrics and the
// dashboard.
func (db *DB) JobCounts(ctx context.Context) (map[string]int64, error) {
	return db.countByState(ctx, `SELECT state, COUNT(*) FROM jobs GROUP BY state`)
}
