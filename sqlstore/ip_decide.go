package sqlstore

import (
	"context"
	"strings"

	"anxin"
	"anxin/counterfeit"
)

// DecideNotice is the IP team's decision on a filed notice: accept takes the
// link down; reject closes it and counts against the filer's acceptance
// rate. Conflict if the notice is no longer filed.
func (s *IPService) DecideNotice(ctx context.Context, id string, accept bool, why string) (*anxin.Notice, error) {
	if err := anxin.Authorize(ctx, anxin.ActionDecideNotice); err != nil {
		return nil, err
	}
	if err := anxin.ValidateText("reason", why, 1024); err != nil {
		return nil, err
	}
	var out *anxin.Notice
	err := s.db.Transact(ctx, func(tx *Tx) error {
		n, _, err := loadNotice(ctx, tx, id)
		if err != nil {
			return err
		}
		if n.State != anxin.NoticeFiled {
			return anxin.Errorf(anxin.Conflict, "The notice is %s, not awaiting a decision.", n.State)
		}
		reason, err := counterfeit.LookupReason(n.Reason)
		if err != nil {
			return err
		}
		if accept {
			if why == "" {
				why = "The IP team found the notice valid (" + reason.Title + ")."
			}
			if err := takedown(ctx, tx, n, reason, why); err != nil {
				return err
			}
		} else {
			if why == "" {
				return anxin.Errorf(anxin.Invalid, "A rejection needs a reason the rights holder can read.")
			}
			now := tx.Now
			n.State, n.Decision, n.ClosedAt = anxin.NoticeRejected, why, &now
			if _, err := tx.ExecContext(ctx, `UPDATE notices SET state = ?, decision = ?, closed_at = ? WHERE id = ?`, n.State, why, ms(now), id); err != nil {
				return err
			}
		}
		out = n
		return nil
	})
	return out, err
}

// CounterNotice is the merchant's answer to a takedown: the listing is
// reinstated after CounterNoticeBusinessDays unless the rights holder
// reports legal action meanwhile. NotFound for another merchant's notice;
// Conflict unless the link is down; Invalid without a statement.
func (s *IPService) CounterNotice(ctx context.Context, id, statement string) (*anxin.Notice, error) {
	if err := anxin.Authorize(ctx, anxin.ActionCounterNotice); err != nil {
		return nil, err
	}
	if strings.TrimSpace(statement) == "" {
		return nil, anxin.Errorf(anxin.Invalid, "A counter-notice needs a statement.")
	}
	if err := anxin.ValidateText("statement", statement, 4096); err != nil {
		return nil, err
	}
	var out *anxin.Notice
	err := s.db.Transact(ctx, func(tx *Tx) error {
		n, _, err := loadNotice(ctx, tx, id)
		if err != nil {
			return err
		}
		if !visible(ctx, n) {
			return anxin.Errorf(anxin.NotFound, "Notice not found.")
		}
		if n.State != anxin.NoticeTakenDown {
			return anxin.Errorf(anxin.Conflict, "Only a notice whose link was taken down can be countered; this one is %s.", n.State)
		}
		window := counterfeit.AddBusinessDays(*n.TakedownAt, counterfeit.CounterNoticeBusinessDays)
		if tx.Now.After(window) {
			return anxin.Errorf(anxin.Conflict, "The counter-notice window closed on %s.", window.In(anxin.MarketplaceTZ).Format("2006-01-02"))
		}
		now := tx.Now
		at := counterfeit.AddBusinessDays(now, counterfeit.CounterNoticeBusinessDays)
		n.State, n.CounterAt, n.CounterStatement, n.ReinstateAt = anxin.NoticeCountered, &now, statement, &at
		if _, err := tx.ExecContext(ctx, `UPDATE notices SET state = ?, counter_at = ?, counter_statement = ?, reinstate_at = ? WHERE id = ?`,
			n.State, ms(now), statement, ms(at), id); err != nil {
			return err
		}
		if _, err := Enqueue(ctx, tx, anxin.MessageNotify, n.ID, "counter:"+n.ID, map[string]any{
			"to": "rights_holder:" + n.RightsHolderID, "notice_id": n.ID, "event": "counter_notice",
			"reinstate_at": at, "statement": "The merchant counter-noticed; the link returns on the reinstatement date unless you report legal action.",
		}); err != nil {
			return err
		}
		out = n
		return Schedule(ctx, tx, JobIPReinstate, n.ID, at, nil)
	})
	return out, err
}

// ReportLegalAction is the rights holder's report that it took legal
// action after a counter-notice: the link stays down for good.
func (s *IPService) ReportLegalAction(ctx context.Context, id, ref string) (*anxin.Notice, error) {
	if err := anxin.Authorize(ctx, anxin.ActionFileNotice); err != nil {
		return nil, err
	}
	if ref == "" || anxin.ValidateText("case_ref", ref, 256) != nil {
		return nil, anxin.Errorf(anxin.Invalid, "case_ref (the court or authority case reference) is required.")
	}
	var out *anxin.Notice
	err := s.db.Transact(ctx, func(tx *Tx) error {
		n, _, err := loadNotice(ctx, tx, id)
		if err != nil {
			return err
		}
		if !visible(ctx, n) {
			return anxin.Errorf(anxin.NotFound, "Notice not found.")
		}
		if n.State != anxin.NoticeCountered {
			return anxin.Errorf(anxin.Conflict, "Legal action is reported after a counter-notice; this notice is %s.", n.State)
		}
		now := tx.Now
		n.State, n.LegalAction, n.ClosedAt = anxin.NoticeUpheld, true, &now
		n.Decision = "The rights holder reported legal action (" + ref + "); the link stays down."
		if _, err := tx.ExecContext(ctx, `UPDATE notices SET state = ?, legal_action = 1, decision = ?, closed_at = ? WHERE id = ?`, n.State, n.Decision, ms(now), id); err != nil {
			return err
		}
		out = n
		return CancelJob(ctx, tx, JobIPReinstate, id)
	})
	return out, err
}

// HandleReinstate is the JobIPReinstate handler: a countered notice whose
// window passed without legal action is closed and the listing restored.
func (s *IPService) HandleReinstate(ctx context.Context, tx *Tx, j *anxin.Job) error {
	n, _, err := loadNotice(ctx, tx, j.Key)
	if err != nil {
		if anxin.KindOf(err) == anxin.NotFound {
			return nil
		}
		return err
	}
	if n.State != anxin.NoticeCountered || n.LegalAction {
		return nil
	}
	now := tx.Now
	if _, err := tx.ExecContext(ctx, `UPDATE notices SET state = ?, decision = ?, closed_at = ? WHERE id = ?`, anxin.NoticeReinstated,
		"Reinstated: no legal action was reported within the counter-notice period.", ms(now), n.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE listings SET status = 'live', updated_at = ? WHERE id = ?`, ms(now), n.ListingID); err != nil {
		return err
	}
	_, err = Enqueue(ctx, tx, anxin.MessageRestoreListing, n.ListingID, "reinstate:"+n.ID, map[string]any{
		"listing_id": n.ListingID, "merchant_id": n.MerchantID, "notice_id": n.ID,
		"statement": "Reinstated after a counter-notice: the rights holder reported no legal action in time.",
	})
	return err
}

// RightsHolders returns every rights holder's figures over the 180 days
// before now.
func (s *IPService) RightsHolders(ctx context.Context) ([]anxin.RightsHolderStats, error) {
	if err := anxin.Authorize(ctx, anxin.ActionDecideNotice); err != nil {
		return nil, err
	}
	since := ms(s.db.Clock.Now()) - 180*86400_000
	rows, err := s.db.QueryContext(ctx, `SELECT rights_holder_id, COUNT(*),
		SUM(CASE WHEN state IN ('taken_down', 'countered', 'upheld', 'reinstated') THEN 1 ELSE 0 END),
		SUM(CASE WHEN state = 'rejected' THEN 1 ELSE 0 END)
		FROM notices WHERE filed_at >= ? GROUP BY rights_holder_id ORDER BY rights_holder_id`, since)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []anxin.RightsHolderStats
	for rows.Next() {
		var r anxin.RightsHolderStats
		if err := rows.Scan(&r.RightsHolderID, &r.Notices, &r.Accepted, &r.Rejected); err != nil {
			return nil, err
		}
		if d := r.Accepted + r.Rejected; d > 0 {
			r.AcceptanceRate = float64(r.Accepted) / float64(d)
		}
		r.Eligible = r.AcceptanceRate >= 0.9 && r.Accepted+r.Rejected >= 5
		out = append(out, r)
	}
	return out, rows.Err()
}
