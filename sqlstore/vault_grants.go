package sqlstore

import (
	"context"
	"database/sql"

	"anxin"
)

// CreateGrant stores a decrypt grant and audits it; an invalid request is
// refused and audited too. Role: privacy.
func (s *VaultService) CreateGrant(ctx context.Context, g *anxin.PIIGrant) error {
	if err := anxin.Authorize(ctx, anxin.ActionManageGrants); err != nil {
		return err
	}
	if g == nil {
		return anxin.Errorf(anxin.Invalid, "A grant is required.")
	}
	return s.audited(ctx, func(tx *Tx) (error, error) {
		ev := anxin.AuditEvent{Action: "grant", OrderID: g.OrderID, Purpose: g.Purpose, Detail: "role=" + string(g.Role)}
		if len(ev.Detail) > 160 || anxin.ValidateOptionalID("order id", g.OrderID) != nil && g.OrderID != "*" {
			ev.Detail, ev.OrderID = "malformed", ""
		}
		if err := g.Validate(tx.Now); err != nil {
			if len(ev.Purpose) > 32 {
				ev.Purpose = ""
			}
			return refuse(ctx, tx, ev, err)
		}
		g.ID = anxin.NewID("grt")
		g.CreatedBy = anxin.ActorFromContext(ctx).KeyID
		g.CreatedAt = fromMS(ms(tx.Now))
		g.ExpiresAt = fromMS(ms(g.ExpiresAt))
		if _, err := tx.ExecContext(ctx, `INSERT INTO pii_grants (id, role, purpose, order_id, expires_at, note, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			g.ID, string(g.Role), g.Purpose, g.OrderID, ms(g.ExpiresAt), g.Note, g.CreatedBy, ms(tx.Now)); err != nil {
			return nil, err
		}
		ev.Outcome = "allowed"
		ev.Detail += " grant=" + g.ID
		return nil, appendAudit(ctx, tx, &ev)
	})
}

// FindGrants lists grants, newest first; activeOnly leaves out revoked and
// expired ones. Role: privacy.
func (s *VaultService) FindGrants(ctx context.Context, activeOnly bool) ([]*anxin.PIIGrant, error) {
	if err := anxin.Authorize(ctx, anxin.ActionManageGrants); err != nil {
		return nil, err
	}
	q := `SELECT id, role, purpose, order_id, expires_at, note, created_by, created_at, revoked_at FROM pii_grants`
	var args []any
	if activeOnly {
		q += ` WHERE revoked_at IS NULL AND expires_at > ?`
		args = append(args, ms(s.db.Clock.Now()))
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY created_at DESC, id LIMIT 1000`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*anxin.PIIGrant
	for rows.Next() {
		g := new(anxin.PIIGrant)
		var role string
		var exp, created int64
		var revoked sql.NullInt64
		if err := rows.Scan(&g.ID, &role, &g.Purpose, &g.OrderID, &exp, &g.Note, &g.CreatedBy, &created, &revoked); err != nil {
			return nil, err
		}
		g.Role, g.ExpiresAt, g.CreatedAt, g.RevokedAt = anxin.Role(role), fromMS(exp), fromMS(created), fromNullMS(revoked)
		out = append(out, g)
	}
	return out, rows.Err()
}

// RevokeGrant revokes a live grant and audits it. NotFound if absent or
// already revoked. Role: privacy.
func (s *VaultService) RevokeGrant(ctx context.Context, id string) error {
	if err := anxin.Authorize(ctx, anxin.ActionManageGrants); err != nil {
		return err
	}
	if err := anxin.ValidateID("grant id", id); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		var role, purpose, order string
		err := tx.QueryRowContext(ctx, `SELECT role, purpose, order_id FROM pii_grants WHERE id = ? AND revoked_at IS NULL`, id).Scan(&role, &purpose, &order)
		if err == sql.ErrNoRows {
			return anxin.Errorf(anxin.NotFound, "Grant not found.")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE pii_grants SET revoked_at = ? WHERE id = ?`, ms(tx.Now), id); err != nil {
			return err
		}
		return appendAudit(ctx, tx, &anxin.AuditEvent{Action: "revoke_grant", OrderID: order, Purpose: purpose, Outcome: "allowed", Detail: "role=" + role + " grant=" + id})
	})
}
