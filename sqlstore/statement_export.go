package sqlstore

import (
	"context"

	"anxin"
)

// FindStatementsIssued lists the statements of reasons issued in [from, to),
// oldest first, for export (the DSA Transparency Database wants every one).
// Only roles that may list every statement may export; merchants may not.
// The cursor is opaque and stable while statements are only added.
func (s *GovernanceService) FindStatementsIssued(ctx context.Context, p anxin.Period, page anxin.Page) ([]*anxin.Statement, string, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadStatements); err != nil {
		return nil, "", err
	}
	if anxin.MerchantScope(ctx) != "" {
		return nil, "", anxin.Errorf(anxin.Forbidden, "Merchants cannot export statements of reasons.")
	}
	if !p.From.Before(p.To) {
		return nil, "", anxin.Errorf(anxin.Invalid, "from must be before to.")
	}
	limit, offset := govPage(page)
	var out []*anxin.Statement
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		var err error
		out, err = statementsWhere(ctx, tx, `WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id LIMIT ? OFFSET ?`,
			ms(p.From), ms(p.To), limit+1, offset)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, next := govPageNext(out, limit, offset)
	return out, next, nil
}
