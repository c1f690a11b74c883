package sqlstore

import (
	"context"
	"strings"

	"anxin"
)

// SearchAudit lists the audit events matching f, newest first, at most
// f.Limit (default 100, at most 1000); pass the last row's Seq as BeforeSeq
// for the next page. Roles: auditor, privacy. Invalid for a malformed id, a
// negative cursor or a period that ends before it starts.
func (s *VaultService) SearchAudit(ctx context.Context, f anxin.AuditFilter) ([]*anxin.AuditEvent, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadAudit); err != nil {
		return nil, err
	}
	if f.OrderID != "" {
		if err := anxin.ValidateID("order_id", f.OrderID); err != nil {
			return nil, err
		}
	}
	if len(f.ActorKey) > 128 || len(f.Action) > 64 || len(f.Outcome) > 64 {
		return nil, anxin.Errorf(anxin.Invalid, "A filter value is too long.")
	}
	if f.BeforeSeq < 0 {
		return nil, anxin.Errorf(anxin.Invalid, "The cursor must not be negative.")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return nil, anxin.Errorf(anxin.Invalid, "The period ends before it starts.")
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if f.ActorKey != "" {
		add("actor_key = ?", f.ActorKey)
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.OrderID != "" {
		add("order_id = ?", f.OrderID)
	}
	if f.Outcome != "" {
		add("outcome = ?", f.Outcome)
	}
	if !f.From.IsZero() {
		add("at >= ?", ms(f.From))
	}
	if !f.To.IsZero() {
		add("at < ?", ms(f.To))
	}
	if f.BeforeSeq > 0 {
		add("seq < ?", f.BeforeSeq)
	}
	tail := ""
	if len(where) > 0 {
		tail = "WHERE " + strings.Join(where, " AND ") + " "
	}
	args = append(args, f.Limit)
	return s.db.auditRows(ctx, tail+"ORDER BY seq DESC LIMIT ?", args...)
}
