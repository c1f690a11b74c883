package care

import (
	"errors"
	"time"

	"anxin"
)

// Group is what a ticket's transitions need of its skill group: the
// targets per priority, the escalation threshold and the compiled calendar.
type Group struct {
	anxin.SkillGroup
	Cal *Calendar
}

// Budget returns the group's budget for a clock of kind on a ticket of
// priority; zero when the group sets none (no clock is started).
func (g Group) Budget(priority, kind string) time.Duration {
	t := g.Targets[priority]
	var m int64
	switch kind {
	case anxin.ClockFirstResponse:
		m = t.FirstResponseMin
	case anxin.ClockNextResponse:
		m = t.NextResponseMin
	case anxin.ClockResolution:
		m = t.ResolutionMin
	}
	return time.Duration(m) * time.Minute
}

// The transitions below are the ticket rules: which SLA clock starts,
// stops, pauses or resumes on which event. Each changes t in place (its
// status and its Clocks) and returns the clocks it changed or started, for
// the store to persist; a refused transition returns an error and leaves t
// as it was.

// OpenClocks starts a new ticket's first-response and resolution clocks,
// each with the group's budget for the ticket's priority.
func OpenClocks(t *anxin.Ticket, g Group, now time.Time) ([]anxin.SLAClock, error) {
	var out []anxin.SLAClock
	for _, kind := range []string{anxin.ClockFirstResponse, anxin.ClockResolution} {
		b := g.Budget(t.Priority, kind)
		if b <= 0 {
			continue
		}
		c, err := StartClock(kind, b, g.WarnAtBP, now, g.Cal)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	t.Clocks = append(t.Clocks, out...)
	return out, nil
}

// AgentReply applies a care agent's public reply: it answers the customer,
// so the first- and next-response clocks stop; with waiting the ticket
// waits on the customer and its other running clocks pause. The first
// reply dates the first response and, on an unassigned ticket, assigns the
// agent. Conflict on a resolved ticket (it reopens when the customer
// replies).
func AgentReply(t *anxin.Ticket, g Group, agent string, waiting bool, now time.Time) ([]anxin.SLAClock, error) {
	if t.Status == anxin.TicketResolved {
		return nil, anxin.Errorf(anxin.Conflict, "The ticket is resolved; it reopens when the customer replies.")
	}
	if t.FirstResponseAt == nil {
		t.FirstResponseAt = &now
	}
	if t.AssigneeID == "" {
		t.AssigneeID = agent
	}
	out := eachClock(t, func(c *anxin.SLAClock) bool {
		switch {
		case c.Kind == anxin.ClockFirstResponse || c.Kind == anxin.ClockNextResponse:
			if c.State == anxin.ClockRunning || c.State == anxin.ClockPaused {
				Stop(c, now, g.Cal)
				return true
			}
		case waiting && c.State == anxin.ClockRunning:
			Pause(c, now, g.Cal)
			return true
		}
		return false
	})
	if waiting {
		t.Status = anxin.TicketWaiting
	}
	return out, nil
}

// CustomerReply applies a message from the customer: a waiting ticket
// resumes and a resolved one reopens (its resolution clock runs again with
// the budget it had left), a paused first-response clock resumes, and once
// the first response was given a next-response clock starts with a full
// budget unless one is already running.
func CustomerReply(t *anxin.Ticket, g Group, now time.Time) ([]anxin.SLAClock, error) {
	if t.Status == anxin.TicketResolved {
		t.ResolvedAt = nil
	}
	t.Status = anxin.TicketOpen
	var rerr error
	out := eachClock(t, func(c *anxin.SLAClock) bool {
		switch {
		case c.Kind == anxin.ClockResolution && c.State != anxin.ClockRunning:
			if c.State == anxin.ClockMet || c.State == anxin.ClockMissed {
				c.State, c.StoppedAt = anxin.ClockPaused, nil
			}
			rerr = errors.Join(rerr, Resume(c, g.WarnAtBP, now, g.Cal))
			return true
		case c.Kind == anxin.ClockFirstResponse && c.State == anxin.ClockPaused:
			rerr = errors.Join(rerr, Resume(c, g.WarnAtBP, now, g.Cal))
			return true
		}
		return false
	})
	if rerr != nil {
		return nil, rerr
	}
	if t.FirstResponseAt == nil {
		return out, nil
	}
	b := g.Budget(t.Priority, anxin.ClockNextResponse)
	if b <= 0 {
		return out, nil
	}
	i := clockIndex(t, anxin.ClockNextResponse)
	if i >= 0 && t.Clocks[i].State == anxin.ClockRunning {
		return out, nil // already owed
	}
	c := anxin.SLAClock{Kind: anxin.ClockNextResponse}
	if i >= 0 {
		c = t.Clocks[i]
	}
	c.BudgetS = int64(b / time.Second)
	if err := Restart(&c, g.WarnAtBP, now, g.Cal); err != nil {
		return nil, err
	}
	if i >= 0 {
		t.Clocks[i] = c
	} else {
		t.Clocks = append(t.Clocks, c)
	}
	return append(out, c), nil
}

// Transfer moves a ticket from group from to group to: its running clocks
// keep the time consumed and are re-planned on the new group's calendar
// and threshold; the ticket is unassigned and routed by an agent.
// Conflict when it is already in to.
func Transfer(t *anxin.Ticket, from, to Group, now time.Time) ([]anxin.SLAClock, error) {
	if t.Group == to.ID {
		return nil, anxin.Errorf(anxin.Conflict, "The ticket is already in %s.", to.ID)
	}
	var rerr error
	out := eachClock(t, func(c *anxin.SLAClock) bool {
		if c.State != anxin.ClockRunning {
			return false
		}
		Pause(c, now, from.Cal)
		rerr = errors.Join(rerr, Resume(c, to.WarnAtBP, now, to.Cal))
		return true
	})
	if rerr != nil {
		return nil, rerr
	}
	t.Group, t.RoutedBy, t.AssigneeID = to.ID, "agent", ""
	return out, nil
}

// Merge folds duplicate t into target: t's clocks stop and it becomes
// merged. Invalid when merging a ticket into itself or into one from a
// different requester; Conflict when target was merged itself.
func Merge(t, target *anxin.Ticket, g Group, now time.Time) ([]anxin.SLAClock, error) {
	if t.ID == target.ID {
		return nil, anxin.Errorf(anxin.Invalid, "A ticket cannot be merged into itself.")
	}
	if target.Status == anxin.TicketMerged {
		return nil, anxin.Errorf(anxin.Conflict, "Ticket %s was itself merged into %s.", target.ID, target.MergedInto)
	}
	if target.RequesterKind != t.RequesterKind || target.RequesterID != t.RequesterID {
		return nil, anxin.Errorf(anxin.Invalid, "Only tickets from the same requester can be merged.")
	}
	out := stopAll(t, g, now)
	t.Status, t.MergedInto = anxin.TicketMerged, target.ID
	return out, nil
}

// SetWaiting pauses every running clock while the ticket waits on the
// customer, or resumes every paused one when it no longer does. Conflict
// on a resolved ticket.
func SetWaiting(t *anxin.Ticket, g Group, waiting bool, now time.Time) ([]anxin.SLAClock, error) {
	if t.Status == anxin.TicketResolved {
		return nil, anxin.Errorf(anxin.Conflict, "The ticket is resolved.")
	}
	var rerr error
	out := eachClock(t, func(c *anxin.SLAClock) bool {
		if waiting && c.State == anxin.ClockRunning {
			Pause(c, now, g.Cal)
			return true
		}
		if !waiting && c.State == anxin.ClockPaused {
			rerr = errors.Join(rerr, Resume(c, g.WarnAtBP, now, g.Cal))
			return true
		}
		return false
	})
	if rerr != nil {
		return nil, rerr
	}
	t.Status = anxin.TicketOpen
	if waiting {
		t.Status = anxin.TicketWaiting
	}
	return out, nil
}

// Resolve closes a ticket: every clock still counting stops (met inside
// its budget, missed after a breach), and an unassigned ticket is credited
// to the resolving agent. Conflict if already resolved.
func Resolve(t *anxin.Ticket, g Group, agent string, now time.Time) ([]anxin.SLAClock, error) {
	if t.Status == anxin.TicketResolved {
		return nil, anxin.Errorf(anxin.Conflict, "The ticket is already resolved.")
	}
	out := stopAll(t, g, now)
	t.Status, t.ResolvedAt = anxin.TicketResolved, &now
	if t.AssigneeID == "" {
		t.AssigneeID = agent
	}
	return out, nil
}

// Escalate applies a clock's escalation to its ticket: the first
// escalation marks the ticket escalated and raises its priority one step
// (urgent stays urgent). It reports whether the ticket changed.
func Escalate(t *anxin.Ticket) bool {
	if t.Escalated {
		return false
	}
	t.Escalated = true
	t.Priority = BumpPriority(t.Priority)
	return true
}

// BumpPriority returns the priority one step above p; the highest, and a
// priority that is not known, stay as they are.
func BumpPriority(p string) string {
	for i, pr := range anxin.Priorities[:len(anxin.Priorities)-1] {
		if pr == p {
			return anxin.Priorities[i+1]
		}
	}
	return p
}

func stopAll(t *anxin.Ticket, g Group, now time.Time) []anxin.SLAClock {
	return eachClock(t, func(c *anxin.SLAClock) bool {
		if c.State == anxin.ClockRunning || c.State == anxin.ClockPaused {
			Stop(c, now, g.Cal)
			return true
		}
		return false
	})
}

// eachClock applies fn to each of t's clocks and returns copies of the
// ones it reports changed.
func eachClock(t *anxin.Ticket, fn func(c *anxin.SLAClock) bool) []anxin.SLAClock {
	var out []anxin.SLAClock
	for i := range t.Clocks {
		if fn(&t.Clocks[i]) {
			out = append(out, t.Clocks[i])
		}
	}
	return out
}

func clockIndex(t *anxin.Ticket, kind string) int {
	for i, c := range t.Clocks {
		if c.Kind == kind {
			return i
		}
	}
	return -1
}
