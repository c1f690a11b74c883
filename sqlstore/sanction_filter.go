package sqlstore

import (
	"context"
	"strconv"
	"strings"

	"anxin"
	"anxin/enforcement"
)

// checkSanctionFilter forces a merchant actor's own scope on f, trims its
// search and validates it: Invalid for an unknown source, type, subject
// type or status, a bad merchant id, or a search that is too long or holds
// control characters.
func checkSanctionFilter(ctx context.Context, f *anxin.SanctionFilter) error {
	if scope := anxin.MerchantScope(ctx); scope != "" {
		f.MerchantID, f.SubjectType = scope, anxin.SubjectMerchant
	}
	if err := anxin.ValidateOptionalID("merchant_id", f.MerchantID); err != nil {
		return err
	}
	if f.Source != "" && !contains(enforcement.Sources, f.Source) {
		return anxin.Errorf(anxin.Invalid, "source %q is not a sanction source (%s).", f.Source, strings.Join(enforcement.Sources, ", "))
	}
	if f.Type != "" && !contains(enforcement.Types, f.Type) {
		return anxin.Errorf(anxin.Invalid, "type %q is not a sanction type (%s).", f.Type, strings.Join(enforcement.Types, ", "))
	}
	switch f.SubjectType {
	case "", anxin.SubjectMerchant, anxin.SubjectInfluencer:
	default:
		return anxin.Errorf(anxin.Invalid, "subject_type must be merchant or influencer.")
	}
	switch f.Status {
	case "", anxin.SanctionActive, anxin.SanctionExpired, anxin.SanctionLifted, anxin.SanctionReversed:
	default:
		return anxin.Errorf(anxin.Invalid, "status must be active, expired, lifted or reversed.")
	}
	f.Query = strings.TrimSpace(f.Query)
	return anxin.ValidateText("q", f.Query, anxin.MaxSanctionQuery)
}

// sanctionWhere returns the conditions and arguments that select the
// sanctions f keeps at now (ms), without paging. Values are never pasted
// into the SQL; the search escapes LIKE's wildcards.
func sanctionWhere(f anxin.SanctionFilter, now int64) ([]string, []any) {
	var where []string
	var args []any
	add := func(cond string, v ...any) { where, args = append(where, cond), append(args, v...) }
	if f.MerchantID != "" {
		add("subject_id = ?", f.MerchantID)
	}
	if f.SubjectType != "" {
		add("subject_type = ?", f.SubjectType)
	}
	if f.Source != "" {
		add("source = ?", f.Source)
	}
	if f.Type != "" {
		add("type = ?", f.Type)
	}
	if f.Query != "" {
		esc := likeEscape(strings.ToLower(f.Query))
		add(`(LOWER(subject_id) LIKE ? ESCAPE '\' OR (subject_type = 'merchant' AND subject_id IN
			(SELECT id FROM merchants WHERE LOWER(name) LIKE ? ESCAPE '\')))`, esc+"%", "%"+esc+"%")
	}
	if f.Active {
		add("status = 'active' AND starts_at <= ? AND (ends_at IS NULL OR ends_at > ?) AND type <> 'deduct_deposit'", now, now)
	}
	switch f.Status {
	case anxin.SanctionActive:
		add("status = 'active' AND (ends_at IS NULL OR ends_at > ?)", now)
	case anxin.SanctionExpired:
		add("status = 'active' AND ends_at <= ?", now)
	case anxin.SanctionLifted, anxin.SanctionReversed:
		add("status = ?", f.Status)
	}
	return where, args
}

// enforcedScanMax bounds how many sanctioned merchants one page of
// FindEnforcedMerchants reads while looking for merchants in a state: a
// rare state then yields a short page with a next cursor, not a long query.
const enforcedScanMax = 2000

// FindEnforcedMerchants lists the shops with sanctions f keeps, most
// recently sanctioned first, with each one's state, points and standing
// sanctions (merchantEnforcement); state keeps those in one enforcement
// state. The cursor is the position in the sanctioned-merchant list where
// the next page starts. Merchant keys see only themselves. Role: platform,
// operator, reviewer, auditor, merchant.
func (s *GovernanceService) FindEnforcedMerchants(ctx context.Context, f anxin.SanctionFilter, state string) ([]*anxin.EnforcedMerchant, string, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadSanctions); err != nil {
		return nil, "", err
	}
	f.SubjectType = anxin.SubjectMerchant
	if err := checkSanctionFilter(ctx, &f); err != nil {
		return nil, "", err
	}
	if state != "" && !contains(enforcement.States, state) {
		return nil, "", anxin.Errorf(anxin.Invalid, "state must be one of %s.", strings.Join(enforcement.States, ", "))
	}
	offset := 0
	if f.Cursor != "" {
		n, err := strconv.Atoi(f.Cursor)
		if err != nil || n < 0 {
			return nil, "", anxin.Errorf(anxin.Invalid, "cursor is not one this list returned.")
		}
		offset = n
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 200)
	var out []*anxin.EnforcedMerchant
	next := ""
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		out, next = nil, ""
		where, args := sanctionWhere(f, ms(tx.Now))
		q := `SELECT subject_id, MIN(starts_at), MAX(created_at), COALESCE((SELECT name FROM merchants WHERE id = subject_id), '')
			FROM sanctions WHERE ` + strings.Join(where, " AND ") + `
			GROUP BY subject_id ORDER BY MAX(created_at) DESC, subject_id LIMIT ? OFFSET ?`
		pos, chunk := offset, limit+1
		for scanned := 0; scanned < enforcedScanMax; {
			batch, err := scanEnforced(ctx, tx, q, append(append([]any{}, args...), chunk, pos)...)
			if err != nil {
				return err
			}
			for i, m := range batch {
				e, err := merchantEnforcement(ctx, tx, m.MerchantID)
				if err != nil {
					return err
				}
				if state != "" && e.State != state {
					continue
				}
				if len(out) == limit {
					next = strconv.Itoa(pos + i)
					return nil
				}
				m.Enforcement = e
				out = append(out, m)
			}
			if len(batch) < chunk {
				return nil
			}
			pos, scanned = pos+len(batch), scanned+len(batch)
		}
		next = strconv.Itoa(pos)
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if out == nil {
		out = []*anxin.EnforcedMerchant{}
	}
	return out, next, nil
}

func scanEnforced(ctx context.Context, tx *Tx, q string, args ...any) ([]*anxin.EnforcedMerchant, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*anxin.EnforcedMerchant
	for rows.Next() {
		m := new(anxin.EnforcedMerchant)
		var since, last int64
		if err := rows.Scan(&m.MerchantID, &since, &last, &m.Name); err != nil {
			return nil, err
		}
		m.Since, m.LastAt = fromMS(since), fromMS(last)
		out = append(out, m)
	}
	return out, rows.Err()
}
