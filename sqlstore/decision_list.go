package sqlstore

import (
	"context"

	"anxin"
)

// FindDecisions lists stored decisions, newest first, for analysts and
// exports (GET /v1/decisions). A merchant key sees only its own.
func (s *GovernanceService) FindDecisions(ctx context.Context, f anxin.DecisionFilter) ([]*anxin.Decision, string, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadGovernance); err != nil {
		return nil, "", err
	}
	switch f.SubjectType {
	case "", "listing", "content":
	default:
		return nil, "", anxin.Errorf(anxin.Invalid, "subject_type must be listing or content.")
	}
	outcome := -1
	if f.Outcome != "" {
		o, err := anxin.ParseOutcome(f.Outcome)
		if err != nil {
			return nil, "", err
		}
		outcome = int(o)
	}
	if err := anxin.ValidateOptionalID("merchant_id", f.MerchantID); err != nil {
		return nil, "", err
	}
	if scope := anxin.MerchantScope(ctx); scope != "" {
		f.MerchantID = scope
	}
	from, to := int64(0), int64(1)<<62
	if !f.From.IsZero() {
		from = ms(f.From)
	}
	if !f.To.IsZero() {
		to = ms(f.To)
	}
	limit, offset := govPage(f.Page)
	var out []*anxin.Decision
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		ids, err := scanIDs(tx.QueryContext(ctx, `SELECT id FROM gov_decisions
			WHERE (? = '' OR subject_type = ?) AND (? < 0 OR outcome = ?) AND (? = '' OR merchant_id = ?) AND created_at >= ? AND created_at < ?
			ORDER BY created_at DESC, id LIMIT ? OFFSET ?`,
			f.SubjectType, f.SubjectType, outcome, outcome, f.MerchantID, f.MerchantID, from, to, limit+1, offset))
		if err != nil {
			return err
		}
		out = make([]*anxin.Decision, 0, len(ids))
		for _, id := range ids {
			d, _, err := findDecision(ctx, tx, id)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	out, next := govPageNext(out, limit, offset)
	return out, next, nil
}
