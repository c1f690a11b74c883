package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"anxin"
	"anxin/care"
)

// JobCareSLA is the job kind that fires SLA clock escalations and breaches.
const JobCareSLA = "care.sla"

// Outbox message types the care capability sends.
const (
	MsgCareEscalated     = "care.escalated"      // a clock crossed its escalation threshold
	MsgCareBreached      = "care.sla_breached"   // a clock ran out of budget
	MsgCareSurveyRequest = "care.survey_request" // ask the requester for a CSAT answer
)

// CareService implements anxin.CareService on the database.
type CareService struct {
	db *DB

	mu       sync.Mutex
	model    *care.Model
	modelID  string
	defaults bool
}

// NewCareService returns a CareService on db.
func NewCareService(db *DB) *CareService { return &CareService{db: db} }

var _ anxin.CareService = (*CareService)(nil)

// ensureDefaults stores the default calendars and skill groups the first
// time care is used; existing rows are left alone.
func (s *CareService) ensureDefaults(ctx context.Context) error {
	s.mu.Lock()
	done := s.defaults
	s.mu.Unlock()
	if done {
		return nil
	}
	err := s.db.Transact(ctx, func(tx *Tx) error {
		for _, c := range []anxin.Calendar{care.AlwaysOpen.Def(), care.BusinessCalendar()} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO care_calendars (id, def, updated_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`,
				c.ID, jsonText(c, "{}"), ms(tx.Now)); err != nil {
				return err
			}
		}
		for _, g := range care.DefaultGroups() {
			if _, err := tx.ExecContext(ctx, `INSERT INTO care_groups (id, name, calendar_id, targets, warn_at_bp, agents, updated_at)
				VALUES (?, ?, ?, ?, ?, '[]', ?) ON CONFLICT (id) DO NOTHING`,
				g.ID, g.Name, g.CalendarID, jsonText(g.Targets, "{}"), g.WarnAtBP, ms(tx.Now)); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		s.mu.Lock()
		s.defaults = true
		s.mu.Unlock()
	}
	return err
}

// careGroup is a group with its compiled calendar and its round-robin
// cursor.
type careGroup struct {
	care.Group
	next int64
}

func loadGroup(ctx context.Context, tx *Tx, id string) (*careGroup, error) {
	g := &careGroup{}
	var targets, agents, def string
	err := tx.QueryRowContext(ctx, `SELECT g.id, g.name, g.calendar_id, g.targets, g.warn_at_bp, g.agents, g.rr_next, c.def
		FROM care_groups g JOIN care_calendars c ON c.id = g.calendar_id WHERE g.id = ?`, id).
		Scan(&g.ID, &g.Name, &g.CalendarID, &targets, &g.WarnAtBP, &agents, &g.next, &def)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, anxin.Errorf(anxin.NotFound, "Skill group not found.")
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(targets), &g.Targets); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(agents), &g.Agents); err != nil {
		return nil, err
	}
	var c anxin.Calendar
	if err := json.Unmarshal([]byte(def), &c); err != nil {
		return nil, err
	}
	if g.Cal, err = care.NewCalendar(c); err != nil {
		return nil, fmt.Errorf("stored calendar %s: %w", c.ID, err)
	}
	return g, nil
}

// classifier returns the newest stored model, or one trained on the seed
// examples when none has been stored yet.
func (s *CareService) classifier(ctx context.Context, tx *Tx) (*care.Model, error) {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM care_models ORDER BY trained_at DESC, id DESC LIMIT 1`).Scan(&id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	s.mu.Lock()
	m, cur := s.model, s.modelID
	s.mu.Unlock()
	if m != nil && cur == id {
		return m, nil
	}
	if id == "" {
		m = care.Train(care.SeedExamples(40, 1), care.DefaultOptions)
	} else {
		var text string
		if err := tx.QueryRowContext(ctx, `SELECT model FROM care_models WHERE id = ?`, id).Scan(&text); err != nil {
			return nil, err
		}
		m = new(care.Model)
		if err := m.UnmarshalText([]byte(text)); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	s.model, s.modelID = m, id
	s.mu.Unlock()
	return m, nil
}

const ticketCols = `id, requester_kind, requester_id, merchant_id, order_id, claim_id, listing_id, subject, body, attachments,
	grp, priority, status, assignee_id, merged_into, routed_by, confidence, escalated, created_at, first_response_at, resolved_at, updated_at`

func scanTicket(sc interface{ Scan(...any) error }) (*anxin.Ticket, error) {
	t := new(anxin.Ticket)
	var att string
	var esc int
	var created, updated int64
	var first, resolved sql.NullInt64
	err := sc.Scan(&t.ID, &t.RequesterKind, &t.RequesterID, &t.MerchantID, &t.OrderID, &t.ClaimID, &t.ListingID, &t.Subject, &t.Body, &att,
		&t.Group, &t.Priority, &t.Status, &t.AssigneeID, &t.MergedInto, &t.RoutedBy, &t.Confidence, &esc, &created, &first, &resolved, &updated)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(att), &t.Attachments); err != nil {
		return nil, err
	}
	t.Escalated = esc != 0
	t.CreatedAt, t.UpdatedAt = fromMS(created), fromMS(updated)
	t.FirstResponseAt, t.ResolvedAt = fromNullMS(first), fromNullMS(resolved)
	return t, nil
}

// loadTicket reads a ticket visible to the actor in ctx, with its clocks.
func loadTicket(ctx context.Context, tx *Tx, id string) (*anxin.Ticket, error) {
	if err := anxin.ValidateID("id", id); err != nil {
		return nil, anxin.Errorf(anxin.NotFound, "Ticket not found.")
	}
	t, err := scanTicket(tx.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM care_tickets WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, anxin.Errorf(anxin.NotFound, "Ticket not found.")
	}
	if err != nil {
		return nil, err
	}
	if m := anxin.MerchantScope(ctx); m != "" && t.MerchantID != m {
		return nil, anxin.Errorf(anxin.NotFound, "Ticket not found.")
	}
	cs, err := loadClocks(ctx, tx, []string{t.ID})
	if err != nil {
		return nil, err
	}
	t.Clocks = cs[t.ID]
	return t, nil
}

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

// CreateTicket validates n, routes it (the classifier picks the group when
// n.Group is empty), stores it and starts its first-response and
// resolution clocks. Merchant actors open tickets as themselves. Invalid or
// TooLarge for bad input, with nothing stored.
func (s *CareService) CreateTicket(ctx context.Context, n *anxin.NewTicket) (_ *anxin.Ticket, err error) {
	defer anxin.Wrap(&err, "CreateTicket")
	if err := anxin.Authorize(ctx, anxin.ActionCareCreate); err != nil {
		return nil, err
	}
	if m := anxin.MerchantScope(ctx); m != "" {
		n.RequesterKind, n.RequesterID, n.MerchantID = anxin.RequesterMerchant, m, m
	}
	if err := n.Validate(); err != nil {
		return nil, err
	}
	if n.IdempotencyKey != "" {
		if err := anxin.ValidateID("Idempotency-Key", n.IdempotencyKey); err != nil {
			return nil, err
		}
	}
	if err := s.ensureDefaults(ctx); err != nil {
		return nil, err
	}
	scope, request := string(anxin.ActorFromContext(ctx).Role), ticketRequestHash(n)
	var out *anxin.Ticket
	var replayed string
	err = s.db.Transact(ctx, func(tx *Tx) error {
		if n.IdempotencyKey != "" {
			id, err := replayedTicket(ctx, tx, scope, n.IdempotencyKey, request)
			if err != nil || id != "" {
				replayed = id
				return err
			}
		}
		if err := checkTicketRefs(ctx, tx, n); err != nil {
			return err
		}
		t := &anxin.Ticket{
			ID: anxin.NewID("tkt"), RequesterKind: n.RequesterKind, RequesterID: n.RequesterID, MerchantID: n.MerchantID,
			OrderID: n.OrderID, ClaimID: n.ClaimID, ListingID: n.ListingID, Subject: n.Subject, Body: n.Body,
			Attachments: n.Attachments, Group: n.Group, Priority: n.Priority, Status: anxin.TicketOpen, RoutedBy: "request",
			CreatedAt: tx.Now, UpdatedAt: tx.Now,
		}
		if t.Group == "" {
			m, err := s.classifier(ctx, tx)
			if err != nil {
				return err
			}
			t.Group, t.Confidence = m.Predict(n.Subject + "\n" + n.Body)
			t.RoutedBy = "classifier"
		}
		g, err := loadGroup(ctx, tx, t.Group)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO care_tickets (`+ticketCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, NULL, NULL, ?)`,
			t.ID, t.RequesterKind, t.RequesterID, t.MerchantID, t.OrderID, t.ClaimID, t.ListingID, t.Subject, t.Body, jsonText(t.Attachments, "[]"),
			t.Group, t.Priority, t.Status, "", "", t.RoutedBy, t.Confidence, ms(t.CreatedAt), ms(t.UpdatedAt))
		if err != nil {
			return err
		}
		if err := insertMessage(ctx, tx, &anxin.Message{TicketID: t.ID, AuthorKind: "customer", AuthorID: t.RequesterID, Body: firstNonEmpty(t.Body, t.Subject), Attachments: t.Attachments}); err != nil {
			return err
		}
		clocks, err := care.OpenClocks(t, g.Group, tx.Now)
		if err != nil {
			return err
		}
		if err := saveClocks(ctx, tx, t.ID, clocks); err != nil {
			return err
		}
		if n.IdempotencyKey != "" {
			if err := rememberTicketKey(ctx, tx, scope, n.IdempotencyKey, request, t.ID); err != nil {
				return err
			}
		}
		out = t
		return nil
	})
	if err == nil && replayed != "" {
		return s.FindTicket(ctx, replayed)
	}
	return out, err
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func insertMessage(ctx context.Context, tx *Tx, m *anxin.Message) error {
	m.ID, m.CreatedAt = anxin.NewID("msg"), tx.Now
	internal := 0
	if m.Internal {
		internal = 1
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO care_messages (id, ticket_id, author_kind, author_id, body, internal, attachments, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, m.ID, m.TicketID, m.AuthorKind, m.AuthorID, m.Body, internal, jsonText(m.Attachments, "[]"), ms(tx.Now))
	return err
}

// FindTicket returns a ticket with its clocks and messages; internal notes
// are left out for anyone but care agents. NotFound if absent or hidden.
func (s *CareService) FindTicket(ctx context.Context, id string) (*anxin.Ticket, error) {
	if err := anxin.Authorize(ctx, anxin.ActionCareRead); err != nil {
		return nil, err
	}
	var out *anxin.Ticket
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		t, err := loadTicket(ctx, tx, id)
		if err != nil {
			return err
		}
		agent := anxin.Can(anxin.ActorFromContext(ctx).Role, anxin.ActionCareWork)
		rows, err := tx.QueryContext(ctx, `SELECT id, author_kind, author_id, body, internal, attachments, created_at FROM care_messages
			WHERE ticket_id = ? ORDER BY created_at, id`, t.ID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			m := anxin.Message{TicketID: t.ID}
			var internal int
			var att string
			var at int64
			if err := rows.Scan(&m.ID, &m.AuthorKind, &m.AuthorID, &m.Body, &internal, &att, &at); err != nil {
				return err
			}
			m.Internal, m.CreatedAt = internal != 0, fromMS(at)
			if err := json.Unmarshal([]byte(att), &m.Attachments); err != nil {
				return err
			}
			if m.Internal && !agent {
				continue
			}
			t.Messages = append(t.Messages, m)
		}
		out = t
		return rows.Err()
	})
	return out, err
}

// FindTickets lists tickets, newest first, with their clocks. Merchant
// actors see only their own. The cursor is opaque.
func (s *CareService) FindTickets(ctx context.Context, f anxin.TicketFilter) ([]*anxin.Ticket, string, error) {
	if err := anxin.Authorize(ctx, anxin.ActionCareRead); err != nil {
		return nil, "", err
	}
	if m := anxin.MerchantScope(ctx); m != "" {
		f.MerchantID = m
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	if limit > 500 {
		limit = 500
	}
	var where []string
	var args []any
	if f.Group != "" {
		where, args = append(where, "grp = ?"), append(args, f.Group)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.AssigneeID != "" {
		where, args = append(where, "assignee_id = ?"), append(args, f.AssigneeID)
	}
	if f.MerchantID != "" {
		where, args = append(where, "merchant_id = ?"), append(args, f.MerchantID)
	}
	if f.Cursor != "" {
		at, id, ok := strings.Cut(f.Cursor, "_")
		n, err := strconv.ParseInt(at, 10, 64)
		if !ok || err != nil || anxin.ValidateID("cursor", id) != nil {
			return nil, "", anxin.Errorf(anxin.Invalid, "The cursor is malformed.")
		}
		where, args = append(where, "(created_at < ? OR (created_at = ? AND id < ?))"), append(args, n, n, id)
	}
	q := `SELECT ` + ticketCols + ` FROM care_tickets`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, limit+1)
	var out []*anxin.Ticket
	next := ""
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		out, next = nil, ""
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			t, err := scanTicket(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(out) > limit {
			out = out[:limit]
			last := out[limit-1]
			next = strconv.FormatInt(ms(last.CreatedAt), 10) + "_" + last.ID
		}
		ids := make([]string, len(out))
		for i, t := range out {
			ids[i] = t.ID
		}
		cs, err := loadClocks(ctx, tx, ids)
		if err != nil {
			return err
		}
		for _, t := range out {
			t.Clocks = cs[t.ID]
		}
		return nil
	})
	return out, next, err
}

// mutate loads a ticket for a change, refusing merged tickets (Conflict).
func (s *CareService) mutate(ctx context.Context, id string, fn func(tx *Tx, t *anxin.Ticket, g *careGroup) error) (*anxin.Ticket, error) {
	if err := s.ensureDefaults(ctx); err != nil {
		return nil, err
	}
	var out *anxin.Ticket
	err := s.db.Transact(ctx, func(tx *Tx) error {
		t, err := loadTicket(ctx, tx, id)
		if err != nil {
			return err
		}
		if t.Status == anxin.TicketMerged {
			return anxin.Errorf(anxin.Conflict, "The ticket was merged into %s.", t.MergedInto)
		}
		g, err := loadGroup(ctx, tx, t.Group)
		if err != nil {
			return err
		}
		if err := fn(tx, t, g); err != nil {
			return err
		}
		t.UpdatedAt = tx.Now
		esc := 0
		if t.Escalated {
			esc = 1
		}
		_, err = tx.ExecContext(ctx, `UPDATE care_tickets SET grp = ?, priority = ?, status = ?, assignee_id = ?, merged_into = ?, routed_by = ?,
			escalated = ?, first_response_at = ?, resolved_at = ?, updated_at = ? WHERE id = ?`,
			t.Group, t.Priority, t.Status, t.AssigneeID, t.MergedInto, t.RoutedBy, esc, msPtr(t.FirstResponseAt), msPtr(t.ResolvedAt), ms(tx.Now), t.ID)
		out = t
		return err
	})
	return out, err
}

// Reply adds a public message. A care agent's reply stops the first- and
// next-response clocks and, with Waiting, pauses the ticket on the
// customer. A customer's reply (platform relaying the requester, or the
// merchant on its own ticket) resumes a waiting ticket, reopens a resolved
// one and starts the next-response clock.
func (s *CareService) Reply(ctx context.Context, id string, r anxin.Reply) (_ *anxin.Message, err error) {
	defer anxin.Wrap(&err, "Reply(%q)", id)
	actor := anxin.ActorFromContext(ctx)
	agent := anxin.Can(actor.Role, anxin.ActionCareWork)
	if !agent {
		if err := anxin.Authorize(ctx, anxin.ActionCareRespond); err != nil {
			return nil, err
		}
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var msg *anxin.Message
	_, err = s.mutate(ctx, id, func(tx *Tx, t *anxin.Ticket, g *careGroup) error {
		if agent {
			msg = &anxin.Message{TicketID: t.ID, AuthorKind: "agent", AuthorID: actor.KeyID, Body: r.Body, Attachments: r.Attachments}
			clocks, err := care.AgentReply(t, g.Group, actor.KeyID, r.Waiting, tx.Now)
			if err != nil {
				return err
			}
			if err := saveClocks(ctx, tx, t.ID, clocks); err != nil {
				return err
			}
		} else {
			if m := anxin.MerchantScope(ctx); m != "" && (t.RequesterKind != anxin.RequesterMerchant || t.RequesterID != m) {
				// The merchant concerned by a buyer's ticket answers
				// without touching the service clocks.
				msg = &anxin.Message{TicketID: t.ID, AuthorKind: "merchant", AuthorID: m, Body: r.Body, Attachments: r.Attachments}
				return insertMessage(ctx, tx, msg)
			}
			msg = &anxin.Message{TicketID: t.ID, AuthorKind: "customer", AuthorID: t.RequesterID, Body: r.Body, Attachments: r.Attachments}
			clocks, err := care.CustomerReply(t, g.Group, tx.Now)
			if err != nil {
				return err
			}
			if err := saveClocks(ctx, tx, t.ID, clocks); err != nil {
				return err
			}
		}
		return insertMessage(ctx, tx, msg)
	})
	return msg, err
}

// AddNote adds an internal note that only agents see.
func (s *CareService) AddNote(ctx context.Context, id, body string) (_ *anxin.Message, err error) {
	defer anxin.Wrap(&err, "AddNote(%q)", id)
	if err := anxin.Authorize(ctx, anxin.ActionCareWork); err != nil {
		return nil, err
	}
	r := anxin.Reply{Body: body}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var msg *anxin.Message
	_, err = s.mutate(ctx, id, func(tx *Tx, t *anxin.Ticket, g *careGroup) error {
		msg = &anxin.Message{TicketID: t.ID, AuthorKind: "agent", AuthorID: anxin.ActorFromContext(ctx).KeyID, Body: body, Internal: true}
		return insertMessage(ctx, tx, msg)
	})
	return msg, err
}

// Assign gives a ticket to an agent. With agent empty, strategy picks one
// of the group's agents: "round_robin" (the next in turn) or
// "least_loaded" (fewest open and waiting tickets; ties to the first
// listed). Invalid if the group has no agents or the strategy is unknown.
func (s *CareService) Assign(ctx context.Context, id, agent, strategy string) (_ *anxin.Ticket, err error) {
	defer anxin.Wrap(&err, "Assign(%q)", id)
	if err := anxin.Authorize(ctx, anxin.ActionCareWork); err != nil {
		return nil, err
	}
	if err := anxin.ValidateOptionalID("agent", agent); err != nil {
		return nil, err
	}
	if agent == "" && strategy != "round_robin" && strategy != "least_loaded" {
		return nil, anxin.Errorf(anxin.Invalid, "Give an agent, or strategy round_robin or least_loaded.")
	}
	return s.mutate(ctx, id, func(tx *Tx, t *anxin.Ticket, g *careGroup) error {
		if agent != "" {
			t.AssigneeID = agent
			return nil
		}
		if len(g.Agents) == 0 {
			return anxin.Errorf(anxin.Invalid, "Skill group %s has no agents to assign.", g.ID)
		}
		if strategy == "round_robin" {
			t.AssigneeID = g.Agents[g.next%int64(len(g.Agents))]
			_, err := tx.ExecContext(ctx, `UPDATE care_groups SET rr_next = ? WHERE id = ?`, (g.next+1)%int64(len(g.Agents)), g.ID)
			return err
		}
		load := map[string]int64{}
		rows, err := tx.QueryContext(ctx, `SELECT assignee_id, COUNT(*) FROM care_tickets WHERE status IN ('open', 'waiting') AND assignee_id <> '' GROUP BY assignee_id`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var a string
			var n int64
			if err := rows.Scan(&a, &n); err != nil {
				rows.Close()
				return err
			}
			load[a] = n
		}
		rows.Close()
		if t.AssigneeID != "" {
			load[t.AssigneeID]-- // the ticket itself moves
		}
		best := g.Agents[0]
		for _, a := range g.Agents[1:] {
			if load[a] < load[best] {
				best = a
			}
		}
		t.AssigneeID = best
		return rows.Err()
	})
}

// Transfer moves a ticket to another group. Its running clocks keep the
// time consumed and are re-planned on the new group's calendar; the
// transfer confirms the label for classifier training.
func (s *CareService) Transfer(ctx context.Context, id, group, reason string) (_ *anxin.Ticket, err error) {
	defer anxin.Wrap(&err, "Transfer(%q)", id)
	if err := anxin.Authorize(ctx, anxin.ActionCareWork); err != nil {
		return nil, err
	}
	if !anxin.ValidGroup(group) {
		return nil, anxin.Errorf(anxin.Invalid, "group %q is not a skill group.", group)
	}
	if err := anxin.ValidateText("reason", reason, anxin.MaxNameLen*4); err != nil {
		return nil, err
	}
	return s.mutate(ctx, id, func(tx *Tx, t *anxin.Ticket, g *careGroup) error {
		ng, err := loadGroup(ctx, tx, group)
		if err != nil {
			return err
		}
		note := &anxin.Message{TicketID: t.ID, AuthorKind: "system", AuthorID: anxin.ActorFromContext(ctx).KeyID, Internal: true,
			Body: "Transferred from " + t.Group + " to " + group + ". " + reason}
		clocks, err := care.Transfer(t, g.Group, ng.Group, tx.Now)
		if err != nil {
			return err
		}
		if err := saveClocks(ctx, tx, t.ID, clocks); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE care_tickets SET label_confirmed = 1 WHERE id = ?`, t.ID); err != nil {
			return err
		}
		return insertMessage(ctx, tx, note)
	})
}

// Merge folds duplicate ticket id into ticket into: id's clocks stop, it
// becomes merged and a note on both records the merge. Invalid when merging
// a ticket into itself or into one with a different requester; Conflict
// when into is merged itself.
func (s *CareService) Merge(ctx context.Context, id, into string) (_ *anxin.Ticket, err error) {
	defer anxin.Wrap(&err, "Merge(%q, %q)", id, into)
	if err := anxin.Authorize(ctx, anxin.ActionCareWork); err != nil {
		return nil, err
	}
	if id == into {
		return nil, anxin.Errorf(anxin.Invalid, "A ticket cannot be merged into itself.")
	}
	return s.mutate(ctx, id, func(tx *Tx, t *anxin.Ticket, g *careGroup) error {
		target, err := loadTicket(ctx, tx, into)
		if err != nil {
			return err
		}
		clocks, err := care.Merge(t, target, g.Group, tx.Now)
		if err != nil {
			return err
		}
		if err := saveClocks(ctx, tx, t.ID, clocks); err != nil {
			return err
		}
		actor := anxin.ActorFromContext(ctx).KeyID
		for _, m := range []*anxin.Message{
			{TicketID: t.ID, AuthorKind: "system", AuthorID: actor, Internal: true, Body: "Merged into " + target.ID + "."},
			{TicketID: target.ID, AuthorKind: "system", AuthorID: actor, Internal: true, Body: "Ticket " + t.ID + " was merged into this one: " + t.Subject},
		} {
			if err := insertMessage(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetWaiting pauses (waiting on the customer) or resumes a ticket's
// clocks. Conflict on a resolved ticket.
func (s *CareService) SetWaiting(ctx context.Context, id string, waiting bool) (_ *anxin.Ticket, err error) {
	defer anxin.Wrap(&err, "SetWaiting(%q)", id)
	if err := anxin.Authorize(ctx, anxin.ActionCareWork); err != nil {
		return nil, err
	}
	return s.mutate(ctx, id, func(tx *Tx, t *anxin.Ticket, g *careGroup) error {
		clocks, err := care.SetWaiting(t, g.Group, waiting, tx.Now)
		if err != nil {
			return err
		}
		return saveClocks(ctx, tx, t.ID, clocks)
	})
}

// Resolve closes a ticket: its clocks stop, its group becomes a confirmed
// training label and a survey request goes to the marketplace. Conflict if
// already resolved.
func (s *CareService) Resolve(ctx context.Context, id, resolution string) (_ *anxin.Ticket, err error) {
	defer anxin.Wrap(&err, "Resolve(%q)", id)
	if err := anxin.Authorize(ctx, anxin.ActionCareWork); err != nil {
		return nil, err
	}
	r := anxin.Reply{Body: resolution}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return s.mutate(ctx, id, func(tx *Tx, t *anxin.Ticket, g *careGroup) error {
		now := tx.Now
		clocks, err := care.Resolve(t, g.Group, anxin.ActorFromContext(ctx).KeyID, now)
		if err != nil {
			return err
		}
		if err := saveClocks(ctx, tx, t.ID, clocks); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE care_tickets SET label_confirmed = 1 WHERE id = ?`, t.ID); err != nil {
			return err
		}
		if err := insertMessage(ctx, tx, &anxin.Message{TicketID: t.ID, AuthorKind: "agent", AuthorID: anxin.ActorFromContext(ctx).KeyID, Body: resolution}); err != nil {
			return err
		}
		_, err = Enqueue(ctx, tx, MsgCareSurveyRequest, t.ID, t.ID+":"+strconv.FormatInt(ms(now), 10), map[string]any{
			"ticket_id": t.ID, "requester_kind": t.RequesterKind, "requester_id": t.RequesterID, "group": t.Group, "resolved_at": now,
		})
		return err
	})
}

// AnswerSurvey records the requester's satisfaction score (1–5) for a
// resolved ticket, once. Invalid for a score outside 1..5, Conflict for a
// ticket that is not resolved or already answered.
func (s *CareService) AnswerSurvey(ctx context.Context, id string, score int, comment string) (err error) {
	defer anxin.Wrap(&err, "AnswerSurvey(%q)", id)
	if err := anxin.Authorize(ctx, anxin.ActionCareSurvey); err != nil {
		return err
	}
	if score < 1 || score > 5 {
		return anxin.Errorf(anxin.Invalid, "score must be between 1 and 5.")
	}
	if err := anxin.ValidateText("comment", comment, 2000); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		t, err := loadTicket(ctx, tx, id)
		if err != nil {
			return err
		}
		if t.Status != anxin.TicketResolved {
			return anxin.Errorf(anxin.Conflict, "Only a resolved ticket can be rated.")
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO care_surveys (ticket_id, grp, assignee_id, score, comment, answered_at) VALUES (?, ?, ?, ?, ?, ?)`,
			t.ID, t.Group, t.AssigneeID, score, comment, ms(tx.Now))
		if anxin.KindOf(mapError(err)) == anxin.Conflict {
			return anxin.Errorf(anxin.Conflict, "The survey for this ticket was already answered.")
		}
		return err
	})
}

// CSAT returns satisfaction (scores 4–5 ÷ answers) for tickets resolved in
// p, overall, per group and per agent, with the response rate.
func (s *CareService) CSAT(ctx context.Context, p anxin.Period) (*anxin.CSATReport, error) {
	if err := anxin.Authorize(ctx, anxin.ActionCareWork); err != nil {
		return nil, err
	}
	if !p.From.Before(p.To) {
		return nil, anxin.Errorf(anxin.Invalid, "The period must end after it starts.")
	}
	rep := &anxin.CSATReport{Period: p, Overall: anxin.CSATStat{Key: "all"}}
	rows, err := s.db.QueryContext(ctx, `SELECT t.grp, t.assignee_id, s.score FROM care_tickets t LEFT JOIN care_surveys s ON s.ticket_id = t.id
		WHERE t.resolved_at >= ? AND t.resolved_at < ?`, ms(p.From), ms(p.To))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	groups, agents := map[string]*anxin.CSATStat{}, map[string]*anxin.CSATStat{}
	add := func(m map[string]*anxin.CSATStat, k string, score sql.NullInt64) {
		st := m[k]
		if st == nil {
			st = &anxin.CSATStat{Key: k}
			m[k] = st
		}
		countCSAT(st, score)
	}
	for rows.Next() {
		var g, a string
		var score sql.NullInt64
		if err := rows.Scan(&g, &a, &score); err != nil {
			return nil, err
		}
		countCSAT(&rep.Overall, score)
		add(groups, g, score)
		if a != "" {
			add(agents, a, score)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	finishCSAT(&rep.Overall)
	for _, m := range []struct {
		src map[string]*anxin.CSATStat
		dst *[]anxin.CSATStat
	}{{groups, &rep.Groups}, {agents, &rep.Agents}} {
		for _, st := range m.src {
			finishCSAT(st)
			*m.dst = append(*m.dst, *st)
		}
		sort.Slice(*m.dst, func(i, j int) bool { return (*m.dst)[i].Key < (*m.dst)[j].Key })
	}
	return rep, nil
}

func countCSAT(st *anxin.CSATStat, score sql.NullInt64) {
	st.Resolved++
	if score.Valid {
		st.Answers++
		if score.Int64 >= 4 {
			st.Satisfied++
		}
	}
}

func finishCSAT(st *anxin.CSATStat) {
	if st.Answers > 0 {
		st.CSAT = float64(st.Satisfied) / float64(st.Answers)
	}
	if st.Resolved > 0 {
		st.Response = float64(st.Answers) / float64(st.Resolved)
	}
}

// SLAEvents returns escalations and breaches in p, newest first.
func (s *CareService) SLAEvents(ctx context.Context, p anxin.Period, limit int) ([]anxin.SLAEvent, error) {
	if err := anxin.Authorize(ctx, anxin.ActionCareWork); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, `SELECT ticket_id, grp, kind, event, at FROM care_sla_events WHERE at >= ? AND at < ? ORDER BY at DESC, id LIMIT ?`,
		ms(p.From), ms(p.To), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []anxin.SLAEvent
	for rows.Next() {
		var e anxin.SLAEvent
		var at int64
		if err := rows.Scan(&e.TicketID, &e.Group, &e.Kind, &e.Event, &at); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
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
