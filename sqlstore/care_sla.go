package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"anxin"
	"anxin/care"
)

// JobCareSLA is the job kind that fires SLA clock escalations and breaches.
const JobCareSLA = "care.sla"

func loadClocks(ctx context.Context, tx *Tx, ids []string) (map[string][]anxin.SLAClock, error) {
	out := map[string][]anxin.SLAClock{}
	if len(ids) == 0 {
		return out, nil
	}
	q := `SELECT ticket_id, kind, state, budget_s, consumed_s, running_since, due_at, warn_at, escalated, breached_at, stopped_at
		FROM care_clocks WHERE ticket_id IN (?` + strings.Repeat(", ?", len(ids)-1) + `) ORDER BY ticket_id, kind`
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var tid string
		var c anxin.SLAClock
		var esc int
		var since, due, warn, breached, stopped sql.NullInt64
		if err := rows.Scan(&tid, &c.Kind, &c.State, &c.BudgetS, &c.ConsumedS, &since, &due, &warn, &esc, &breached, &stopped); err != nil {
			return nil, err
		}
		c.Escalated = esc != 0
		c.RunningSince, c.DueAt, c.WarnAt, c.BreachedAt, c.StoppedAt = fromNullMS(since), fromNullMS(due), fromNullMS(warn), fromNullMS(breached), fromNullMS(stopped)
		out[tid] = append(out[tid], c)
	}
	return out, rows.Err()
}

func clockOf(t *anxin.Ticket, kind string) (anxin.SLAClock, bool) {
	for _, c := range t.Clocks {
		if c.Kind == kind {
			return c, true
		}
	}
	return anxin.SLAClock{}, false
}

func slaJobKey(ticketID, kind string, gen int64) string {
	return ticketID + ":" + kind + ":" + strconv.FormatInt(gen, 10)
}

type slaJob struct {
	Ticket string `json:"ticket"`
	Kind   string `json:"kind"`
	Gen    int64  `json:"gen"`
}

// saveClock writes a clock, bumps its generation, cancels the timer of the
// previous generation and schedules the next escalation or breach.
func saveClock(ctx context.Context, tx *Tx, ticketID string, c anxin.SLAClock) error {
	var gen int64
	err := tx.QueryRowContext(ctx, `SELECT gen FROM care_clocks WHERE ticket_id = ? AND kind = ?`, ticketID, c.Kind).Scan(&gen)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if err == nil {
		if err := CancelJob(ctx, tx, JobCareSLA, slaJobKey(ticketID, c.Kind, gen)); err != nil {
			return err
		}
	}
	gen++
	next, _, ok := care.NextEvent(c)
	var nextAt any
	if ok {
		nextAt = ms(next)
	}
	esc := 0
	if c.Escalated {
		esc = 1
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO care_clocks (ticket_id, kind, state, budget_s, consumed_s, running_since, due_at, warn_at, escalated, breached_at, stopped_at, gen, next_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (ticket_id, kind) DO UPDATE SET state = excluded.state, budget_s = excluded.budget_s, consumed_s = excluded.consumed_s,
		running_since = excluded.running_since, due_at = excluded.due_at, warn_at = excluded.warn_at, escalated = excluded.escalated,
		breached_at = excluded.breached_at, stopped_at = excluded.stopped_at, gen = excluded.gen, next_at = excluded.next_at`,
		ticketID, c.Kind, c.State, c.BudgetS, c.ConsumedS, msPtr(c.RunningSince), msPtr(c.DueAt), msPtr(c.WarnAt), esc, msPtr(c.BreachedAt), msPtr(c.StoppedAt), gen, nextAt)
	if err != nil {
		return err
	}
	if ok {
		return Schedule(ctx, tx, JobCareSLA, slaJobKey(ticketID, c.Kind, gen), next, slaJob{Ticket: ticketID, Kind: c.Kind, Gen: gen})
	}
	return nil
}

// saveClocks saves the clocks a care transition changed.
func saveClocks(ctx context.Context, tx *Tx, ticketID string, clocks []anxin.SLAClock) error {
	for _, c := range clocks {
		if err := saveClock(ctx, tx, ticketID, c); err != nil {
			return err
		}
	}
	return nil
}

// HandleSLAJob is the JobHandler for JobCareSLA: it fires the clock's due
// escalation or breach (once: a job of an older generation does nothing),
// records it, boosts an escalated ticket's priority one step, sends the
// breach to the marketplace as a webhook and schedules the clock's next
// event.
func (s *CareService) HandleSLAJob(ctx context.Context, tx *Tx, job *anxin.Job) error {
	var p slaJob
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return err
	}
	var gen int64
	err := tx.QueryRowContext(ctx, `SELECT gen FROM care_clocks WHERE ticket_id = ? AND kind = ?`, p.Ticket, p.Kind).Scan(&gen)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && gen != p.Gen) {
		return nil
	}
	if err != nil {
		return err
	}
	sys := anxin.NewContextWithActor(ctx, anxin.Actor{KeyID: "system", Role: anxin.RoleCare})
	t, err := loadTicket(sys, tx, p.Ticket)
	if err != nil {
		return err
	}
	c, _ := clockOf(t, p.Kind)
	events := care.Fire(&c, tx.Now)
	if len(events) == 0 {
		return saveClock(ctx, tx, t.ID, c) // re-plan a timer that ran early
	}
	for _, ev := range events {
		at := *c.WarnAt
		if ev == care.EventBreached {
			at = *c.BreachedAt
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO care_sla_events (id, ticket_id, grp, kind, event, at) VALUES (?, ?, ?, ?, ?, ?)`,
			anxin.NewID("sla"), t.ID, t.Group, c.Kind, ev, ms(at)); err != nil {
			return err
		}
		payload := map[string]any{"ticket_id": t.ID, "group": t.Group, "clock": c.Kind, "priority": t.Priority, "at": at, "due_at": c.DueAt, "assignee_id": t.AssigneeID}
		key := t.ID + ":" + c.Kind + ":" + strconv.FormatInt(ms(at), 10)
		typ := MsgCareEscalated
		if ev == care.EventBreached {
			typ = MsgCareBreached
		}
		if _, err := Enqueue(ctx, tx, typ, t.ID, key, payload); err != nil {
			return err
		}
		if ev == care.EventEscalated && care.Escalate(t) {
			if _, err := tx.ExecContext(ctx, `UPDATE care_tickets SET escalated = 1, priority = ?, updated_at = ? WHERE id = ?`, t.Priority, ms(tx.Now), t.ID); err != nil {
				return err
			}
		}
	}
	return saveClock(ctx, tx, t.ID, c)
}

// DueClocks returns up to limit clocks whose next escalation or breach is
// due by before, earliest first: an index range scan on care_clocks_next.
func (db *DB) DueClocks(ctx context.Context, before time.Time, limit int) ([]anxin.SLAEvent, error) {
	rows, err := db.QueryContext(ctx, `SELECT c.ticket_id, t.grp, c.kind, c.next_at FROM care_clocks c JOIN care_tickets t ON t.id = c.ticket_id
		WHERE c.next_at <= ? ORDER BY c.next_at LIMIT ?`, ms(before), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []anxin.SLAEvent
	for rows.Next() {
		var e anxin.SLAEvent
		var at int64
		if err := rows.Scan(&e.TicketID, &e.Group, &e.Kind, &at); err != nil {
			return nil, err
		}
		e.At, e.Event = fromMS(at), "due"
		out = append(out, e)
	}
	return out, rows.Err()
}
