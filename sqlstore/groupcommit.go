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
// caller that finds no group running leads: it commits groups until the
// queue is empty; the others wait for their group's result. If a group
// fails, each of its bodies is retried alone so one bad body cannot fail
// the others. A body may therefore run more than once and must have no
// effects outside tx. The zero value is ready to use.
type groupCommit struct {
	once  sync.Once
	lanes []*groupLane
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
	j := &txJob{fn: fn, done: make(chan error, 1)}
	l.mu.Lock()
	l.queue = append(l.queue, j)
	if l.leading {
		l.mu.Unlock()
		return <-j.done
	}
	l.leading = true
	for {
		n := min(len(l.queue), MaxGroup)
		group := l.queue[:n:n]
		l.queue = l.queue[n:]
		if len(group) == 0 {
			l.leading = false
			l.mu.Unlock()
			break
		}
		l.mu.Unlock()
		commitGroup(context.WithoutCancel(ctx), db, group)
		l.mu.Lock()
	}
	return <-j.done
}

func commitGroup(ctx context.Context, db *DB, group []*txJob) {
	err := db.Transact(ctx, func(tx *Tx) error {
		for _, j := range group {
			if err := j.fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && len(group) > 1 {
		for _, j := range group {
			j.done <- db.Transact(ctx, j.fn)
		}
		return
	}
	for _, j := range group {
		j.done <- err
	}
}
