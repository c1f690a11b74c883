package sqlstore

import (
	"context"
	"hash/fnv"
	"sync"
)

// groupCommit runs concurrent transaction bodies in shared transactions
// (group commit): the bodies that arrive while another group is committing
// wait and then commit together, one COMMIT and one fsync for many, so a
// SQLite writer keeps up with thousands of small writes a second. The
// caller that finds no group running leads: it commits the next group and
// hands the lane on (see lead); the others wait for their group's result. If a group
// fails, each of its bodies is retried alone so one bad body cannot fail
// the others. A body may therefore run more than once and must have no
// effects outside tx. The zero value is ready to use; setup, when set
// before the first run, tunes the groups' transactions.
type groupCommit struct {
	once  sync.Once
	lanes []*groupLane
	setup groupSetup
}

// groupSetup tunes a groupCommit's transactions. The zero value runs
// groups at the default isolation with nothing around the bodies.
type groupSetup struct {
	// opts are the options of every group's transaction; a serialization
	// failure on PostgreSQL retries the whole group (TransactOpts).
	opts TxOptions
	// maxGroup bounds the bodies in one group (MaxGroup when zero).
	maxGroup int
	// save, when set, runs each body of a group of several under a
	// savepoint, taking beforehand what the transaction must restore if
	// the body is rolled back: a body that fails (other than by a
	// serialization failure or deadlock, which retries the group) is
	// rolled back alone and its error returned to its caller, while the
	// others commit. Without save one failing body fails the group and
	// every body runs again alone.
	save func(tx *Tx) (restore func())
	// begin runs before the first body of each transaction, end after the
	// last one (its error fails the group).
	begin func(tx *Tx)
	end   func(tx *Tx, ctx context.Context) error
}

// groupLane is one group-commit queue.
type groupLane struct {
	mu      sync.Mutex
	queue   []*txJob
	leading bool
}

// txJob is one transaction body waiting for a group commit.
type txJob struct {
	fn   func(tx *Tx) error
	done chan error
}

// MaxGroup is the most bodies one group commit takes.
const MaxGroup = 256

// run runs fn in a group commit on db. lanes is how many groups may commit
// at once (fixed by the first call); key picks the lane, so bodies with
// the same key are applied one group after another.
func (g *groupCommit) run(ctx context.Context, db *DB, lanes int, key string, fn func(tx *Tx) error) error {
	g.once.Do(func() {
		g.lanes = make([]*groupLane, max(lanes, 1))
		for i := range g.lanes {
			g.lanes[i] = new(groupLane)
		}
	})
	l := g.lanes[0]
	if len(g.lanes) > 1 {
		h := fnv.New32a()
		h.Write([]byte(key))
		l = g.lanes[h.Sum32()%uint32(len(g.lanes))]
	}
	limit := g.setup.maxGroup
	if limit <= 0 {
		limit = MaxGroup
	}
	j := &txJob{fn: fn, done: make(chan error, 1)}
	l.mu.Lock()
	l.queue = append(l.queue, j)
	if l.leading {
		l.mu.Unlock()
		return <-j.done
	}
	l.leading = true
	l.mu.Unlock()
	g.lead(context.WithoutCancel(ctx), db, l, limit)
	return <-j.done
}

// lead commits the next group of l and, while bodies keep arriving, hands
// the lane on to a goroutine of its own, so the caller that led answers as
// soon as its group is committed instead of leading for as long as the
// load lasts (under steady load the queue never empties).
func (g *groupCommit) lead(ctx context.Context, db *DB, l *groupLane, limit int) {
	l.mu.Lock()
	n := min(len(l.queue), limit)
	group := l.queue[:n:n]
	l.queue = l.queue[n:]
	l.mu.Unlock()
	g.commit(ctx, db, group)
	l.mu.Lock()
	if len(l.queue) == 0 {
		l.leading = false
		l.mu.Unlock()
		return
	}
	l.mu.Unlock()
	go g.lead(ctx, db, l, limit)
}

// commit runs one group and hands each body its result.
func (g *groupCommit) commit(ctx context.Context, db *DB, group []*txJob) {
	errs := make([]error, len(group))
	err := db.TransactOpts(ctx, g.setup.opts, func(tx *Tx) error {
		clear(errs)
		return g.bodies(ctx, tx, group, errs)
	})
	if err != nil && len(group) > 1 {
		for _, j := range group {
			j.done <- db.TransactOpts(ctx, g.setup.opts, func(tx *Tx) error {
				return g.bodies(ctx, tx, []*txJob{j}, make([]error, 1))
			})
		}
		return
	}
	for i, j := range group {
		if err != nil {
			j.done <- err
		} else {
			j.done <- errs[i]
		}
	}
}

// bodies runs the group's bodies in tx, recording in errs those that
// failed alone under their savepoint; an error returned fails the group.
func (g *groupCommit) bodies(ctx context.Context, tx *Tx, group []*txJob, errs []error) error {
	s := g.setup
	if s.begin != nil {
		s.begin(tx)
	}
	isolate := s.save != nil && len(group) > 1
	for i, j := range group {
		if !isolate {
			if err := j.fn(tx); err != nil {
				return err
			}
			continue
		}
		restore := s.save(tx)
		if _, err := tx.ExecContext(ctx, `SAVEPOINT group_body`); err != nil {
			return err
		}
		err := j.fn(tx)
		if err == nil {
			_, err = tx.ExecContext(ctx, `RELEASE SAVEPOINT group_body`)
			if err != nil {
				return err
			}
			continue
		}
		if isRetryable(err) {
			return err
		}
		if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT group_body`); rerr != nil {
			return err
		}
		if _, rerr := tx.ExecContext(ctx, `RELEASE SAVEPOINT group_body`); rerr != nil {
			return err
		}
		restore()
		errs[i] = mapError(err)
	}
	if s.end != nil {
		return s.end(tx, ctx)
	}
	return nil
}
