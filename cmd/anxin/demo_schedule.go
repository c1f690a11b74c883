package main

import (
	"container/heap"
	"context"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"anxin"
	"anxin/care"
)

// The demo's scheduler. Steps do not act after the simulated period: before
// the feed each step queues timed actions with env.at (a ticket arrives at
// 14:12, an agent answers at 14:31, a lab reports on the ninth), and the
// feed runs them as the simulated clock passes their time. In window
// [s, e) the feed first runs every action due before e, in time order, each
// with the clock set to its time (and the timers due by then run first), and
// only then sends the window's entities and events with the clock at e. So
// an action at t sees the marketplace as it stood at s: an action about an
// order created at c must not run before env.settled(c), the end of the
// window that carries c. An action may queue further actions; one due
// before the clock runs at once. Actions due at or after the period's end
// never run: the demo's world ends with its period.

// timedAction is one queued action.
type timedAction struct {
	at  time.Time
	seq int // ties run in the order queued
	fn  func(ctx context.Context) error
}

type actionQueue []*timedAction

func (q actionQueue) Len() int { return len(q) }
func (q actionQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q actionQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *actionQueue) Push(x any)   { *q = append(*q, x.(*timedAction)) }
func (q *actionQueue) Pop() any {
	old := *q
	a := old[len(old)-1]
	*q = old[:len(old)-1]
	return a
}

// at queues fn to run when the simulated clock reaches t.
func (e *demoEnv) at(t time.Time, fn func(ctx context.Context) error) {
	e.seq++
	heap.Push(&e.queue, &timedAction{at: t, seq: e.seq, fn: fn})
}

// runActions runs the queued actions due before end, in time order, each
// with the clock at its time, and returns how many ran.
func (e *demoEnv) runActions(ctx context.Context, end time.Time) (int, error) {
	n := 0
	for len(e.queue) > 0 && e.queue[0].at.Before(end) {
		a := heap.Pop(&e.queue).(*timedAction)
		e.Clock.Set(a.at)
		// Timers due by now fire first (an SLA breach before a late
		// answer). Looking costs a read, running a write transaction: look
		// at most once a simulated minute, run only when one is due.
		if now := e.Clock.Now(); now.Sub(e.jobsAt) >= time.Minute {
			e.jobsAt = now
			var due int64
			if err := e.Main.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM jobs WHERE state = 'pending' AND run_at <= ?`, now.UnixMilli()).Scan(&due); err != nil {
				return n, err
			}
			if due > 0 {
				ran, err := e.runJobs(ctx)
				if err != nil {
					return n, err
				}
				e.jobsRan += ran
			}
		}
		if err := a.fn(ctx); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// settled returns the first instant at which the mirror holds what the
// marketplace sent about something that happened at t: the end of the feed
// window carrying t (the period's start for anything before it).
func (e *demoEnv) settled(t time.Time) time.Time {
	p := e.World.Period
	if t.Before(p.From) {
		return p.From
	}
	i := int64(t.Sub(p.From)/feedWindow) + 1
	last := int64(p.To.Sub(p.From) / feedWindow)
	return p.From.Add(time.Duration(min(i, last)) * feedWindow)
}

// rand returns a deterministic random source for a step, from the World's
// seed and the step's name.
func (e *demoEnv) rand(name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(uint64(e.World.Config.Seed), h.Sum64()))
}

// between returns a random duration in [lo, hi).
func between(r *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(r.Int64N(int64(hi-lo)))
}

// officeCalendar is the business-hours calendar of the groups and teams
// that work office hours (Mon–Fri 09:00–12:00 and 13:00–18:00).
var officeCalendar = func() *care.Calendar {
	c, err := care.NewCalendar(care.BusinessCalendar())
	if err != nil {
		panic(err)
	}
	return c
}()

// officeAfter returns the instant d of office time after t.
func officeAfter(t time.Time, d time.Duration) time.Time {
	at, err := officeCalendar.Add(t, d)
	if err != nil {
		return t.Add(d)
	}
	return at
}

// days returns local midnight of every day of the period.
func (e *demoEnv) days() []time.Time {
	var out []time.Time
	p := e.World.Period
	for d := p.From.In(anxin.MarketplaceTZ); d.Before(p.To); d = d.AddDate(0, 0, 1) {
		out = append(out, d.UTC())
	}
	return out
}

// daily queues fn at the given local hours and minutes of every day of the
// period.
func (e *demoEnv) daily(hhmm []time.Duration, fn func(ctx context.Context) error) {
	for _, d := range e.days() {
		for _, h := range hhmm {
			e.at(d.Add(h), fn)
		}
	}
}

// stepState holds what each step's timed actions record for its after
// function.
type stepState struct {
	careRun       *careRun
	samplingRun   *samplingRun
	qualityRun    *qualityRun
	govRun        *govRun
	ipRun         *ipRun
	privacyRun    *privacyRun
	protectionRun *protectionRun
}

// latest returns the latest of ts.
func latest(t time.Time, ts ...time.Time) time.Time {
	for _, u := range ts {
		if u.After(t) {
			t = u
		}
	}
	return t
}
