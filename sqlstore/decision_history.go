package sqlstore

import (
	"context"
	"encoding/json"

	"anxin"
)

// SubjectHistory returns the decisions on one listing or content item,
// newest first, with the text each one checked (the decision's snapshot)
// and the review case it opened. Invalid for an unknown subject type, a bad
// id or a limit outside 1 to 200; a merchant key sees only decisions on its
// own subjects. Role: operator, reviewer, auditor.
func (s *GovernanceService) SubjectHistory(ctx context.Context, subjectType, subjectID string, limit int) ([]*anxin.DecisionRecord, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadGovernance); err != nil {
		return nil, err
	}
	if subjectType != "listing" && subjectType != "content" {
		return nil, anxin.Errorf(anxin.Invalid, "subject_type must be listing or content.")
	}
	if err := anxin.ValidateID("subject_id", subjectID); err != nil {
		return nil, err
	}
	if limit < 1 || limit > 200 {
		return nil, anxin.Errorf(anxin.Invalid, "limit must be 1 to 200.")
	}
	var out []*anxin.DecisionRecord
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		ids, err := scanIDs(tx.QueryContext(ctx, `SELECT id FROM gov_decisions WHERE subject_type = ? AND subject_id = ?
			ORDER BY created_at DESC, id LIMIT ?`, subjectType, subjectID, limit))
		if err != nil {
			return err
		}
		out = make([]*anxin.DecisionRecord, 0, len(ids))
		for _, id := range ids {
			d, snap, err := findDecision(ctx, tx, id)
			if err != nil {
				return err
			}
			if !govVisible(ctx, d.MerchantID) {
				continue
			}
			rec := &anxin.DecisionRecord{Decision: d, Checked: checkedText(snap)}
			if d.CaseID != "" {
				c, _, err := findCase(ctx, tx, d.CaseID)
				if err != nil && anxin.KindOf(err) != anxin.NotFound {
					return err
				}
				rec.Case = c
			}
			out = append(out, rec)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkedText reads the fields a check read from a decision's snapshot (a
// listing check or a content item); nil when the snapshot holds no text.
func checkedText(snapshot string) *anxin.CheckedText {
	var c anxin.CheckedText
	if json.Unmarshal([]byte(snapshot), &c) != nil || c == (anxin.CheckedText{}) {
		return nil
	}
	return &c
}
