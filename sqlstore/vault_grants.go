package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"anxin"
	"anxin/privacy"
)

// Grants follow the two-person rule of package privacy: a privacy key
// requests one (CreateGrant), a second, different privacy key approves it
// (ApproveGrant), and only then does it let its role decrypt; it never
// serves the key that requested it. The rules live in package privacy; this
// file loads the facts and persists the outcome, auditing every step,
// refusals included.

const grantColumns = `id, role, purpose, order_id, expires_at, note, created_by, created_at, revoked_at, approved_by, approved_at`

func scanGrant(sc interface{ Scan(...any) error }) (*anxin.PIIGrant, error) {
	g := new(anxin.PIIGrant)
	var role string
	var exp, created int64
	var revoked, approved sql.NullInt64
	if err := sc.Scan(&g.ID, &role, &g.Purpose, &g.OrderID, &exp, &g.Note, &g.CreatedBy, &created, &revoked, &g.ApprovedBy, &approved); err != nil {
		return nil, err
	}
	g.Role, g.ExpiresAt, g.CreatedAt, g.RevokedAt, g.ApprovedAt = anxin.Role(role), fromMS(exp), fromMS(created), fromNullMS(revoked), fromNullMS(approved)
	return g, nil
}

// CreateGrant stores a decrypt grant request, pending until a second privacy
// key approves it, and audits it; an invalid request is refused and audited
// too, and nothing is stored. Role: privacy. A wildcard grant must expire
// within 24 hours.
func (s *VaultService) CreateGrant(ctx context.Context, g *anxin.PIIGrant) error {
	if err := anxin.Authorize(ctx, anxin.ActionManageGrants); err != nil {
		return err
	}
	if g == nil {
		return anxin.Errorf(anxin.Invalid, "A grant is required.")
	}
	actor := anxin.ActorFromContext(ctx)
	return s.audited(ctx, func(tx *Tx) (error, error) {
		ev := anxin.AuditEvent{Action: "grant", OrderID: g.OrderID, Purpose: g.Purpose, Detail: "role=" + string(g.Role)}
		if len(ev.Detail) > 160 || anxin.ValidateOptionalID("order id", g.OrderID) != nil && g.OrderID != "*" {
			ev.Detail, ev.OrderID = "malformed", ""
		}
		if err := privacy.CheckRequest(actor, g, tx.Now); err != nil {
			if len(ev.Purpose) > 32 {
				ev.Purpose = ""
			}
			return refuse(ctx, tx, ev, err)
		}
		g.ID = anxin.NewID("grt")
		g.CreatedBy = actor.KeyID
		g.CreatedAt = fromMS(ms(tx.Now))
		g.ExpiresAt = fromMS(ms(g.ExpiresAt))
		g.ApprovedBy, g.ApprovedAt, g.RevokedAt = "", nil, nil
		g.Status = privacy.Status(g, tx.Now)
		if _, err := tx.ExecContext(ctx, `INSERT INTO pii_grants (id, role, purpose, order_id, expires_at, note, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			g.ID, string(g.Role), g.Purpose, g.OrderID, ms(g.ExpiresAt), g.Note, g.CreatedBy, ms(tx.Now)); err != nil {
			return nil, err
		}
		ev.Outcome = "requested"
		ev.Detail += " grant=" + g.ID
		return nil, appendAudit(ctx, tx, &ev)
	})
}

// ApproveGrant makes a pending grant take effect and audits it. Role:
// privacy, and a key other than the requester's. Forbidden for the
// requester or another role, Conflict for a replayed approval or a revoked
// or expired grant, NotFound for an unknown grant; each refusal is audited
// and changes nothing.
func (s *VaultService) ApproveGrant(ctx context.Context, id string) (*anxin.PIIGrant, error) {
	if err := anxin.Authorize(ctx, anxin.ActionManageGrants); err != nil {
		return nil, err
	}
	if err := anxin.ValidateID("grant id", id); err != nil {
		return nil, err
	}
	actor := anxin.ActorFromContext(ctx)
	var out *anxin.PIIGrant
	err := s.audited(ctx, func(tx *Tx) (error, error) {
		ev := anxin.AuditEvent{Action: "approve_grant", Detail: "grant=" + id}
		q := `SELECT ` + grantColumns + ` FROM pii_grants WHERE id = ?`
		if tx.Dialect() == Postgres {
			q += ` FOR UPDATE`
		}
		g, err := scanGrant(tx.QueryRowContext(ctx, q, id))
		if errors.Is(err, sql.ErrNoRows) {
			return refuse(ctx, tx, ev, anxin.Errorf(anxin.NotFound, "Grant not found."))
		}
		if err != nil {
			return nil, err
		}
		ev.OrderID, ev.Purpose, ev.Detail = g.OrderID, g.Purpose, "role="+string(g.Role)+" grant="+id+" requested_by="+g.CreatedBy
		if err := privacy.CheckApproval(actor, g, tx.Now); err != nil {
			return refuse(ctx, tx, ev, err)
		}
		// The WHERE clause makes a concurrent second approval a no-op.
		r, err := tx.ExecContext(ctx, `UPDATE pii_grants SET approved_by = ?, approved_at = ? WHERE id = ? AND approved_by = '' AND revoked_at IS NULL`,
			actor.KeyID, ms(tx.Now), id)
		if err != nil {
			return nil, err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return refuse(ctx, tx, ev, anxin.Errorf(anxin.Conflict, "The grant was approved or revoked concurrently."))
		}
		at := fromMS(ms(tx.Now))
		g.ApprovedBy, g.ApprovedAt = actor.KeyID, &at
		g.Status = privacy.Status(g, tx.Now)
		ev.Outcome = "allowed"
		if err := appendAudit(ctx, tx, &ev); err != nil {
			return nil, err
		}
		out = g
		return nil, nil
	})
	return out, err
}

// FindGrants lists grants, newest first; activeOnly leaves out revoked and
// expired ones (pending ones stay, for approval). Role: privacy.
func (s *VaultService) FindGrants(ctx context.Context, activeOnly bool) ([]*anxin.PIIGrant, error) {
	if err := anxin.Authorize(ctx, anxin.ActionManageGrants); err != nil {
		return nil, err
	}
	now := s.db.Clock.Now()
	q := `SELECT ` + grantColumns + ` FROM pii_grants`
	var args []any
	if activeOnly {
		q += ` WHERE revoked_at IS NULL AND expires_at > ?`
		args = append(args, ms(now))
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY created_at DESC, id LIMIT 1000`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*anxin.PIIGrant
	for rows.Next() {
		g, err := scanGrant(rows)
		if err != nil {
			return nil, err
		}
		g.Status = privacy.Status(g, now)
		out = append(out, g)
	}
	return out, rows.Err()
}

// grantCandidates loads the live grants that could serve a decrypt by role
// for purpose and orderID; privacy.PickGrant chooses.
func grantCandidates(ctx context.Context, tx *Tx, role anxin.Role, purpose, orderID string) ([]*anxin.PIIGrant, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+grantColumns+` FROM pii_grants WHERE role = ? AND purpose = ? AND (order_id = ? OR order_id = '*')
		AND revoked_at IS NULL AND expires_at > ? ORDER BY expires_at DESC LIMIT 100`, string(role), purpose, orderID, ms(tx.Now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*anxin.PIIGrant
	for rows.Next() {
		g, err := scanGrant(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// RevokeGrant revokes a live grant (pending or approved) and audits it. Any
// privacy key may revoke: stopping access needs no second person. NotFound
// if absent or already revoked. Role: privacy.
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
