package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"anxin"
	"anxin/care"
)

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
