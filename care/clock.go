package care

import (
	"time"

	"anxin"
)

// Clock events.
const (
	EventEscalated = "escalated"
	EventBreached  = "breached"
)

// StartClock returns a running clock of kind with budget, started at now.
// warnBP is the escalation threshold in basis points of the budget.
func StartClock(kind string, budget time.Duration, warnBP int64, now time.Time, cal *Calendar) (anxin.SLAClock, error) {
	c := anxin.SLAClock{Kind: kind, State: anxin.ClockPaused, BudgetS: int64(budget / time.Second)}
	err := Resume(&c, warnBP, now, cal)
	return c, err
}

// Resume starts a paused clock at now and recomputes its due and warn
// instants from the budget left. Resuming a running or stopped clock does
// nothing.
func Resume(c *anxin.SLAClock, warnBP int64, now time.Time, cal *Calendar) error {
	if c.State != anxin.ClockPaused {
		return nil
	}
	now = now.Truncate(time.Second).UTC()
	c.State = anxin.ClockRunning
	c.RunningSince = &now
	return plan(c, warnBP, now, cal)
}

// plan sets DueAt and WarnAt for a clock running since now.
func plan(c *anxin.SLAClock, warnBP int64, now time.Time, cal *Calendar) error {
	left := time.Duration(c.BudgetS-c.ConsumedS) * time.Second
	due, err := cal.Add(now, max(left, 0))
	if err != nil {
		return err
	}
	c.DueAt = &due
	warnLeft := time.Duration(c.BudgetS*warnBP/10000-c.ConsumedS) * time.Second
	warn, err := cal.Add(now, max(warnLeft, 0))
	if err != nil {
		return err
	}
	c.WarnAt = &warn
	return nil
}

// Pause stops a running clock from counting, keeping the time consumed so
// far. Pausing a clock that is not running does nothing.
func Pause(c *anxin.SLAClock, now time.Time, cal *Calendar) {
	if c.State != anxin.ClockRunning {
		return
	}
	c.ConsumedS += int64(cal.Between(*c.RunningSince, now) / time.Second)
	c.State = anxin.ClockPaused
	c.RunningSince, c.DueAt, c.WarnAt = nil, nil, nil
}

// Stop ends a clock at now: met if it never breached, stopped otherwise.
// Stopping a stopped clock does nothing.
func Stop(c *anxin.SLAClock, now time.Time, cal *Calendar) {
	if c.State == anxin.ClockMet || c.State == anxin.ClockMissed {
		return
	}
	Pause(c, now, cal)
	now = now.Truncate(time.Second).UTC()
	c.StoppedAt = &now
	if c.BreachedAt != nil || c.ConsumedS > c.BudgetS {
		c.State = anxin.ClockMissed
	} else {
		c.State = anxin.ClockMet
	}
}

// Restart begins a new cycle of a clock (the next-response clock after each
// customer message): full budget, not escalated, not breached, running.
func Restart(c *anxin.SLAClock, warnBP int64, now time.Time, cal *Calendar) error {
	c.State, c.ConsumedS, c.Escalated = anxin.ClockPaused, 0, false
	c.BreachedAt, c.StoppedAt, c.RunningSince, c.DueAt, c.WarnAt = nil, nil, nil, nil, nil
	return Resume(c, warnBP, now, cal)
}

// NextEvent returns when the clock's next escalation or breach falls due
// and which it is; ok is false for a clock with nothing left to fire.
func NextEvent(c anxin.SLAClock) (at time.Time, event string, ok bool) {
	if c.State != anxin.ClockRunning {
		return time.Time{}, "", false
	}
	if !c.Escalated && c.WarnAt != nil {
		return *c.WarnAt, EventEscalated, true
	}
	if c.BreachedAt == nil && c.DueAt != nil {
		return *c.DueAt, EventBreached, true
	}
	return time.Time{}, "", false
}

// Fire applies every event due by now and returns them in order. An
// escalation fires at WarnAt; a breach is dated at DueAt, the instant the
// budget ran out, whenever the runner notices it.
func Fire(c *anxin.SLAClock, now time.Time) []string {
	var out []string
	for {
		at, ev, ok := NextEvent(*c)
		if !ok || at.After(now) {
			return out
		}
		switch ev {
		case EventEscalated:
			c.Escalated = true
		case EventBreached:
			t := at
			c.BreachedAt = &t
		}
		out = append(out, ev)
	}
}
