package care

import (
	"testing"
	"time"

	"anxin"
)

// testGroup is a 24/7 group with 60/120/480-minute targets for every
// priority and escalation at 80 %.
func testGroup(id string) Group {
	tg := anxin.SLATarget{FirstResponseMin: 60, NextResponseMin: 120, ResolutionMin: 480}
	targets := map[string]anxin.SLATarget{}
	for _, p := range anxin.Priorities {
		targets[p] = tg
	}
	return Group{SkillGroup: anxin.SkillGroup{ID: id, Targets: targets, WarnAtBP: 8000}, Cal: AlwaysOpen}
}

// openTicket returns a ticket opened at t0 with its clocks running.
func openTicket(t *testing.T, g Group, t0 time.Time) *anxin.Ticket {
	t.Helper()
	tk := &anxin.Ticket{ID: "tkt_1", RequesterKind: "buyer", RequesterID: "b_1", Group: g.ID, Priority: anxin.PriorityNormal, Status: anxin.TicketOpen}
	if _, err := OpenClocks(tk, g, t0); err != nil {
		t.Fatal(err)
	}
	return tk
}

func states(tk *anxin.Ticket) map[string]string {
	m := map[string]string{}
	for _, c := range tk.Clocks {
		m[c.Kind] = c.State
	}
	return m
}

func TestTicketTransitions(t *testing.T) {
	g := testGroup(anxin.GroupAfterSales)
	t0 := at("2026-03-02 10:00:00")
	later := t0.Add(30 * time.Minute)
	fr, nr, res := anxin.ClockFirstResponse, anxin.ClockNextResponse, anxin.ClockResolution
	run, pause, met := anxin.ClockRunning, anxin.ClockPaused, anxin.ClockMet
	for _, tt := range []struct {
		name    string
		prepare func(tk *anxin.Ticket) // earlier steps, at t0
		step    func(tk *anxin.Ticket) ([]anxin.SLAClock, error)
		kind    anxin.Kind // of the error; empty for success
		status  string
		clocks  map[string]string
		changed int
	}{
		{
			name:   "agent reply stops the first-response clock",
			step:   func(tk *anxin.Ticket) ([]anxin.SLAClock, error) { return AgentReply(tk, g, "agent_1", false, later) },
			status: anxin.TicketOpen, clocks: map[string]string{fr: met, res: run}, changed: 1,
		},
		{
			name:   "agent reply waiting on the customer also pauses the resolution clock",
			step:   func(tk *anxin.Ticket) ([]anxin.SLAClock, error) { return AgentReply(tk, g, "agent_1", true, later) },
			status: anxin.TicketWaiting, clocks: map[string]string{fr: met, res: pause}, changed: 2,
		},
		{
			name:    "customer reply after the first response starts the next-response clock",
			prepare: func(tk *anxin.Ticket) { must(AgentReply(tk, g, "agent_1", true, t0)) },
			step:    func(tk *anxin.Ticket) ([]anxin.SLAClock, error) { return CustomerReply(tk, g, later) },
			status:  anxin.TicketOpen, clocks: map[string]string{fr: met, res: run, nr: run}, changed: 2,
		},
		{
			name:   "customer reply before any response starts no next-response clock",
			step:   func(tk *anxin.Ticket) ([]anxin.SLAClock, error) { return CustomerReply(tk, g, later) },
			status: anxin.TicketOpen, clocks: map[string]string{fr: run, res: run}, changed: 0,
		},
		{
			name: "customer reply reopens a resolved ticket and resumes its resolution clock",
			prepare: func(tk *anxin.Ticket) {
				must(AgentReply(tk, g, "agent_1", false, t0))
				must(Resolve(tk, g, "agent_1", t0))
			},
			step:   func(tk *anxin.Ticket) ([]anxin.SLAClock, error) { return CustomerReply(tk, g, later) },
			status: anxin.TicketOpen, clocks: map[string]string{fr: met, res: run, nr: run}, changed: 2,
		},
		{
			name:    "agent reply on a resolved ticket is refused",
			prepare: func(tk *anxin.Ticket) { must(Resolve(tk, g, "agent_1", t0)) },
			step:    func(tk *anxin.Ticket) ([]anxin.SLAClock, error) { return AgentReply(tk, g, "agent_1", false, later) },
			kind:    anxin.Conflict, status: anxin.TicketResolved, clocks: map[string]string{fr: met, res: met},
		},
		{
			name:   "waiting pauses every running clock",
			step:   func(tk *anxin.Ticket) ([]anxin.SLAClock, error) { return SetWaiting(tk, g, true, later) },
			status: anxin.TicketWaiting, clocks: map[string]string{fr: pause, res: pause}, changed: 2,
		},
		{
			name:    "no longer waiting resumes every paused clock",
			prepare: func(tk *anxin.Ticket) { must(SetWaiting(tk, g, true, t0)) },
			step:    func(tk *anxin.Ticket) ([]anxin.SLAClock, error) { return SetWaiting(tk, g, false, later) },
			status:  anxin.TicketOpen, clocks: map[string]string{fr: run, res: run}, changed: 2,
		},
		{
			name:    "waiting on a resolved ticket is refused",
			prepare: func(tk *anxin.Ticket) { must(Resolve(tk, g, "agent_1", t0)) },
			step:    func(tk *anxin.Ticket) ([]anxin.SLAClock, error) { return SetWaiting(tk, g, true, later) },
			kind:    anxin.Conflict, status: anxin.TicketResolved, clocks: map[string]string{fr: met, res: met},
		},
		{
			name:   "resolve stops every clock",
			step:   func(tk *anxin.Ticket) ([]anxin.SLAClock, error) { return Resolve(tk, g, "agent_1", later) },
			status: anxin.TicketResolved, clocks: map[string]string{fr: met, res: met}, changed: 2,
		},
		{
			name:    "resolving twice is refused",
			prepare: func(tk *anxin.Ticket) { must(Resolve(tk, g, "agent_1", t0)) },
			step:    func(tk *anxin.Ticket) ([]anxin.SLAClock, error) { return Resolve(tk, g, "agent_1", later) },
			kind:    anxin.Conflict, status: anxin.TicketResolved, clocks: map[string]string{fr: met, res: met},
		},
		{
			name: "merge stops the duplicate's clocks",
			step: func(tk *anxin.Ticket) ([]anxin.SLAClock, error) {
				return Merge(tk, &anxin.Ticket{ID: "tkt_2", RequesterKind: "buyer", RequesterID: "b_1", Status: anxin.TicketOpen}, g, later)
			},
			status: anxin.TicketMerged, clocks: map[string]string{fr: met, res: met}, changed: 2,
		},
		{
			name: "merge into another requester's ticket is refused",
			step: func(tk *anxin.Ticket) ([]anxin.SLAClock, error) {
				return Merge(tk, &anxin.Ticket{ID: "tkt_2", RequesterKind: "buyer", RequesterID: "b_2", Status: anxin.TicketOpen}, g, later)
			},
			kind: anxin.Invalid, status: anxin.TicketOpen, clocks: map[string]string{fr: run, res: run},
		},
		{
			name: "merge into a merged ticket is refused",
			step: func(tk *anxin.Ticket) ([]anxin.SLAClock, error) {
				return Merge(tk, &anxin.Ticket{ID: "tkt_2", RequesterKind: "buyer", RequesterID: "b_1", Status: anxin.TicketMerged, MergedInto: "tkt_3"}, g, later)
			},
			kind: anxin.Conflict, status: anxin.TicketOpen, clocks: map[string]string{fr: run, res: run},
		},
		{
			name: "merge into itself is refused",
			step: func(tk *anxin.Ticket) ([]anxin.SLAClock, error) { return Merge(tk, tk, g, later) },
			kind: anxin.Invalid, status: anxin.TicketOpen, clocks: map[string]string{fr: run, res: run},
		},
		{
			name: "transfer keeps running clocks running",
			step: func(tk *anxin.Ticket) ([]anxin.SLAClock, error) {
				return Transfer(tk, g, testGroup(anxin.GroupLogistics), later)
			},
			status: anxin.TicketOpen, clocks: map[string]string{fr: run, res: run}, changed: 2,
		},
		{
			name: "transfer into the same group is refused",
			step: func(tk *anxin.Ticket) ([]anxin.SLAClock, error) { return Transfer(tk, g, g, later) },
			kind: anxin.Conflict, status: anxin.TicketOpen, clocks: map[string]string{fr: run, res: run},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tk := openTicket(t, g, t0)
			if tt.prepare != nil {
				tt.prepare(tk)
			}
			changed, err := tt.step(tk)
			if tt.kind != "" {
				if anxin.KindOf(err) != tt.kind {
					t.Fatalf("err = %v; want kind %s", err, tt.kind)
				}
			} else if err != nil {
				t.Fatalf("err = %v", err)
			}
			if tk.Status != tt.status {
				t.Errorf("status = %s; want %s", tk.Status, tt.status)
			}
			got := states(tk)
			if len(got) != len(tt.clocks) {
				t.Errorf("clocks = %v; want %v", got, tt.clocks)
			}
			for k, want := range tt.clocks {
				if got[k] != want {
					t.Errorf("clock %s = %s; want %s (all %v)", k, got[k], want, got)
				}
			}
			if len(changed) != tt.changed {
				t.Errorf("changed %d clocks; want %d", len(changed), tt.changed)
			}
		})
	}
}

// A paused clock keeps the time it consumed: a resolution clock paused
// after 30 minutes and resumed an hour later is due 450 minutes after the
// resume, not 480.
func TestTicketPauseKeepsConsumedTime(t *testing.T) {
	g := testGroup(anxin.GroupAfterSales)
	t0 := at("2026-03-02 10:00:00")
	tk := openTicket(t, g, t0)
	must(SetWaiting(tk, g, true, t0.Add(30*time.Minute)))
	resume := t0.Add(90 * time.Minute)
	must(CustomerReply(tk, g, resume))
	for _, c := range tk.Clocks {
		if c.Kind == anxin.ClockResolution {
			if want := resume.Add(450 * time.Minute); c.DueAt == nil || !c.DueAt.Equal(want) {
				t.Fatalf("resolution due %v; want %v", c.DueAt, want)
			}
			return
		}
	}
	t.Fatal("no resolution clock")
}

// The first agent reply dates the first response and takes the ticket; a
// second agent's reply changes neither.
func TestAgentReplyAssigns(t *testing.T) {
	g := testGroup(anxin.GroupAfterSales)
	t0 := at("2026-03-02 10:00:00")
	tk := openTicket(t, g, t0)
	must(AgentReply(tk, g, "agent_1", false, t0.Add(time.Minute)))
	must(AgentReply(tk, g, "agent_2", false, t0.Add(2*time.Minute)))
	if tk.AssigneeID != "agent_1" || tk.FirstResponseAt == nil || !tk.FirstResponseAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("assignee %q first response %v", tk.AssigneeID, tk.FirstResponseAt)
	}
}

func TestEscalateBumpsPriorityOnce(t *testing.T) {
	for _, tt := range []struct{ from, want string }{
		{anxin.PriorityLow, anxin.PriorityNormal},
		{anxin.PriorityNormal, anxin.PriorityHigh},
		{anxin.PriorityHigh, anxin.PriorityUrgent},
		{anxin.PriorityUrgent, anxin.PriorityUrgent},
		{"unknown", "unknown"},
	} {
		tk := &anxin.Ticket{Priority: tt.from}
		if !Escalate(tk) || tk.Priority != tt.want || !tk.Escalated {
			t.Errorf("Escalate(%s) priority = %s escalated=%v; want %s", tt.from, tk.Priority, tk.Escalated, tt.want)
		}
		if Escalate(tk) || tk.Priority != tt.want {
			t.Errorf("second Escalate(%s) changed the ticket to %s", tt.from, tk.Priority)
		}
	}
}

func must(_ []anxin.SLAClock, err error) {
	if err != nil {
		panic(err)
	}
}
