package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"anxin"
)

// scopeClaim returns NotFound when a merchant actor asks for another
// merchant's claim.
func scopeClaim(ctx context.Context, merchantID string) error {
	if m := anxin.MerchantScope(ctx); m != "" && m != merchantID {
		return anxin.Errorf(anxin.NotFound, "Claim not found.")
	}
	return nil
}

// FindClaim implements anxin.ProtectionService: the claim with its evidence,
// decisions, appeal and payout.
func (s *ProtectionService) FindClaim(ctx context.Context, id string) (*anxin.Claim, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadClaims); err != nil {
		return nil, err
	}
	var c *anxin.Claim
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		cs, _, err := findClaims(ctx, tx, anxin.ClaimFilter{}, id)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			return anxin.Errorf(anxin.NotFound, "Claim not found.")
		}
		c = cs[0]
		if err := scopeClaim(ctx, c.MerchantID); err != nil {
			return err
		}
		return claimDetails(ctx, tx, c)
	})
	return c, err
}

func claimDetails(ctx context.Context, tx *Tx, c *anxin.Claim) error {
	rows, err := tx.queryCached(ctx, `SELECT id, kind, content_type, sha256, size_bytes, created_at FROM claim_evidence WHERE claim_id = ? ORDER BY created_at, id`, c.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		e := &anxin.ClaimEvidence{ClaimID: c.ID}
		var at int64
		if err := rows.Scan(&e.ID, &e.Kind, &e.ContentType, &e.SHA256, &e.SizeBytes, &at); err != nil {
			rows.Close()
			return err
		}
		e.CreatedAt = fromMS(at)
		c.Evidence = append(c.Evidence, e)
	}
	rows.Close()
	rows, err = tx.queryCached(ctx, `SELECT id, seq, outcome, reason, statement, amount_fen, decided_by, automated, created_at FROM claim_decisions WHERE claim_id = ? ORDER BY seq`, c.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		d := &anxin.ClaimDecision{ClaimID: c.ID}
		var at int64
		if err := rows.Scan(&d.ID, &d.Seq, &d.Outcome, &d.Reason, &d.Statement, &d.AmountFen, &d.DecidedBy, &d.Automated, &at); err != nil {
			rows.Close()
			return err
		}
		d.CreatedAt = fromMS(at)
		c.Decisions = append(c.Decisions, d)
	}
	rows.Close()
	a := &anxin.ClaimAppeal{ClaimID: c.ID}
	var at int64
	var decided sql.NullInt64
	err = tx.queryRowCached(ctx, `SELECT appellant, reason, status, created_at, decided_at FROM claim_appeals WHERE claim_id = ?`, c.ID).Scan(&a.Appellant, &a.Reason, &a.Status, &at, &decided)
	if err == nil {
		a.CreatedAt, a.DecidedAt = fromMS(at), fromNullMS(decided)
		c.Appeal = a
	} else if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	ps, _, err := findPayouts(ctx, tx, anxin.ClaimFilter{}, c.ID)
	if err != nil {
		return err
	}
	if len(ps) > 0 {
		c.Payout = ps[0]
	}
	return nil
}

// FindClaims implements anxin.ProtectionService, newest first.
func (s *ProtectionService) FindClaims(ctx context.Context, f anxin.ClaimFilter) ([]*anxin.Claim, string, error) {
	return findScoped(ctx, s.db, f, findClaims)
}

// findScoped authorizes a claim-filtered list, forces a merchant actor's
// scope and runs find in a read-only transaction.
func findScoped[T any](ctx context.Context, db *DB, f anxin.ClaimFilter, find func(context.Context, *Tx, anxin.ClaimFilter, string) ([]T, string, error)) ([]T, string, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadClaims); err != nil {
		return nil, "", err
	}
	if m := anxin.MerchantScope(ctx); m != "" {
		f.MerchantID = m
	}
	var out []T
	var next string
	err := db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		var err error
		out, next, err = find(ctx, tx, f, "")
		return err
	})
	return out, next, err
}

// claimFilterSQL turns a filter (plus an exact match on col when val is set)
// into WHERE conditions and arguments.
func claimFilterSQL(f anxin.ClaimFilter, col, val string) (string, []any) {
	where, args := []string{"1=1"}, []any{}
	add := func(cond, v string) {
		if v != "" {
			where, args = append(where, cond), append(args, v)
		}
	}
	add(col+" = ?", val)
	add("order_id = ?", f.OrderID)
	add("buyer_id = ?", f.BuyerID)
	add("merchant_id = ?", f.MerchantID)
	add("programme_id = ?", f.ProgrammeID)
	add("status = ?", f.Status)
	add("id < ?", f.Cursor)
	return strings.Join(where, " AND "), args
}

// findClaims and findPayouts run through the statement cache: a filter
// makes one of a few statement texts (claimFilterSQL), and FindClaim reads
// one after every claim filed.
func findClaims(ctx context.Context, tx *Tx, f anxin.ClaimFilter, id string) ([]*anxin.Claim, string, error) {
	where, args := claimFilterSQL(f, "id", id)
	limit := pageLimit(f.Limit)
	rows, err := tx.queryCached(ctx, `SELECT id, idem_key, order_id, buyer_id, merchant_id, programme_id, programme_version, type, source, status, reason, statement,
		amount_fen, currency, automated, merchant_response, merchant_deadline, return_picked_up, created_at, decided_at
		FROM claims WHERE `+where+` ORDER BY id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []*anxin.Claim
	for rows.Next() {
		c := new(anxin.Claim)
		var deadline, decided sql.NullInt64
		var created int64
		if err := rows.Scan(&c.ID, &c.Key, &c.OrderID, &c.BuyerID, &c.MerchantID, &c.ProgrammeID, &c.ProgrammeVersion, &c.Type, &c.Source, &c.Status,
			&c.Reason, &c.Statement, &c.AmountFen, &c.Currency, &c.Automated, &c.MerchantResponse, &deadline, &c.ReturnPickedUp, &created, &decided); err != nil {
			return nil, "", err
		}
		c.MerchantDeadline, c.CreatedAt, c.DecidedAt = fromNullMS(deadline), fromMS(created), fromNullMS(decided)
		out = append(out, c)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, rows.Err()
}
