package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"anxin"
	"anxin/ledger"
	"anxin/protection"
)

// AppealWindow is how long after a decision either party may appeal.
const AppealWindow = protection.AppealWindow

// AddEvidence implements anxin.ProtectionService. The file's bytes must be
// what its declared type says (sniffed); only its hash and size are kept.
// Adding the last required evidence re-runs adjudication.
func (s *ProtectionService) AddEvidence(ctx context.Context, claimID, kind, contentType string, data []byte) (_ *anxin.Claim, err error) {
	defer anxin.Wrap(&err, "AddEvidence(%q)", claimID)
	if err := anxin.Authorize(ctx, anxin.ActionRespondClaim); err != nil {
		return nil, err
	}
	sum, err := anxin.EvidenceFile(kind, contentType, protection.EvidenceKinds[kind], data)
	if err != nil {
		return nil, err
	}
	err = s.db.TransactOpts(ctx, money, func(tx *Tx) error {
		r, err := loadClaimRow(ctx, tx, claimID)
		if err != nil {
			return err
		}
		if err := scopeClaim(ctx, r.merchantID); err != nil {
			return err
		}
		if r.status == anxin.ClaimApproved || r.status == anxin.ClaimDenied {
			return anxin.Errorf(anxin.Conflict, "Claim %s is decided; evidence can be added to an appeal only.", claimID)
		}
		var n int
		if err := tx.queryRowCached(ctx, `SELECT COUNT(*) FROM claim_evidence WHERE claim_id = ? AND sha256 = ?`, claimID, sum).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return anxin.Errorf(anxin.Conflict, "This file is already attached to claim %s.", claimID)
		}
		if _, err := tx.execCached(ctx, `INSERT INTO claim_evidence (id, claim_id, kind, content_type, sha256, size_bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			anxin.NewID("evd"), claimID, kind, contentType, sum, len(data), ms(tx.Now)); err != nil {
			return err
		}
		return s.adjudicate(ctx, tx, claimID)
	})
	if err != nil {
		return nil, err
	}
	return s.FindClaim(ctx, claimID)
}

// RespondClaim implements anxin.ProtectionService: the merchant accepts or
// rejects within its window, once. Conflict outside the window or on a
// second response.
func (s *ProtectionService) RespondClaim(ctx context.Context, claimID, response, note string) (_ *anxin.Claim, err error) {
	defer anxin.Wrap(&err, "RespondClaim(%q)", claimID)
	if err := anxin.Authorize(ctx, anxin.ActionRespondClaim); err != nil {
		return nil, err
	}
	if response != "accept" && response != "reject" {
		return nil, anxin.Errorf(anxin.Invalid, "response must be accept or reject.")
	}
	if err := anxin.ValidateText("note", note, 4000); err != nil {
		return nil, err
	}
	err = s.db.TransactOpts(ctx, money, func(tx *Tx) error {
		r, err := loadClaimRow(ctx, tx, claimID)
		if err != nil {
			return err
		}
		if err := scopeClaim(ctx, r.merchantID); err != nil {
			return err
		}
		if r.status != anxin.ClaimOpen || r.deadline == nil || r.response != "" {
			return anxin.Errorf(anxin.Conflict, "Claim %s is not waiting for the merchant's response.", claimID)
		}
		if !tx.Now.Before(*r.deadline) {
			return anxin.Errorf(anxin.Conflict, "The merchant's response window closed at %s.", r.deadline.Format(time.RFC3339))
		}
		if _, err := tx.execCached(ctx, `UPDATE claims SET merchant_response = ?, merchant_note = ?, updated_at = ? WHERE id = ?`, response, note, ms(tx.Now), claimID); err != nil {
			return err
		}
		if err := CancelJob(ctx, tx, JobClaimDeadline, claimID); err != nil {
			return err
		}
		return s.adjudicate(ctx, tx, claimID)
	})
	if err != nil {
		return nil, err
	}
	return s.FindClaim(ctx, claimID)
}

// DecideClaim implements anxin.ProtectionService. On an escalated claim it
// approves (and pays) or denies. On an appealed claim the same outcome
// upholds the decision; the other overturns it: a denied claim is then paid,
// and an approved one is reversed for the merchant at the guarantee fund's
// expense (the buyer keeps the money unless fraud is shown). The person who
// decides an appeal may not be the one who made the decision appealed.
func (s *ProtectionService) DecideClaim(ctx context.Context, claimID, outcome, reason string, amountFen int64) (_ *anxin.Claim, err error) {
	defer anxin.Wrap(&err, "DecideClaim(%q, %s)", claimID, outcome)
	if err := anxin.Authorize(ctx, anxin.ActionDecideClaim); err != nil {
		return nil, err
	}
	if err := anxin.ValidateText("reason", reason, 1000); err != nil {
		return nil, err
	}
	if err := anxin.ValidateAmount("amount_fen", amountFen); err != nil {
		return nil, err
	}
	by := anxin.ActorFromContext(ctx).KeyID
	err = s.db.TransactOpts(ctx, money, func(tx *Tx) error {
		r, err := loadClaimRow(ctx, tx, claimID)
		if err != nil {
			return err
		}
		c, err := s.fullCase(ctx, tx, r)
		if err != nil {
			return err
		}
		switch r.status {
		case anxin.ClaimEscalated:
			d, perr := protection.Decide(c, outcome, reason, amountFen)
			if perr != nil {
				return protectionErr(perr)
			}
			return s.apply(ctx, tx, r, c, d, by)
		case anxin.ClaimAppealed:
			return s.decideAppeal(ctx, tx, r, c, outcome, reason, amountFen, by)
		}
		return anxin.Errorf(anxin.Conflict, "Claim %s is %s; only escalated or appealed claims are decided by a person.", claimID, r.status)
	})
	if err != nil {
		return nil, err
	}
	return s.FindClaim(ctx, claimID)
}

func (s *ProtectionService) decideAppeal(ctx context.Context, tx *Tx, r *claimRow, c *protection.Case, outcome, reason string, amountFen int64, by string) error {
	var prior, priorBy string
	if err := tx.queryRowCached(ctx, `SELECT outcome, decided_by FROM claim_decisions WHERE claim_id = ? AND outcome IN ('approve', 'deny', 'uphold', 'overturn')
		ORDER BY seq DESC LIMIT 1`, r.id).Scan(&prior, &priorBy); err != nil {
		return err
	}
	var paid bool
	if err := tx.queryRowCached(ctx, `SELECT COUNT(*) > 0 FROM payouts WHERE claim_id = ?`, r.id).Scan(&paid); err != nil {
		return err
	}
	ad, err := protection.DecideAppeal(protection.AppealFacts{PriorDecidedBy: priorBy, DecidedBy: by, Paid: paid}, outcome, reason)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE claim_appeals SET status = ?, decided_at = ? WHERE claim_id = ?`, ad.Result, ms(tx.Now), r.id); err != nil {
		return err
	}
	if ad.Pay {
		d, perr := protection.Decide(c, outcome, ad.Reason, amountFen)
		if perr != nil {
			return protectionErr(perr)
		}
		return s.apply(ctx, tx, r, c, d, by)
	}
	if ad.ReverseRecovery {
		if err := reverseRecovery(ctx, tx, r.id); err != nil {
			return err
		}
	}
	var seq int
	if err := tx.queryRowCached(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM claim_decisions WHERE claim_id = ?`, r.id).Scan(&seq); err != nil {
		return err
	}
	if _, err := tx.execCached(ctx, `INSERT INTO claim_decisions (id, claim_id, seq, outcome, reason, statement, amount_fen, decided_by, automated, created_at)
		VALUES (?, ?, ?, ?, ?, ?, 0, ?, 0, ?)`, anxin.NewID("dec"), r.id, seq, ad.Record, ad.Code, ad.Statement, by, ms(tx.Now)); err != nil {
		return err
	}
	_, err = tx.execCached(ctx, `UPDATE claims SET status = ?, reason = ?, statement = ?, decided_at = ?, updated_at = ? WHERE id = ?`,
		ad.Status, ad.Code, ad.Statement, ms(tx.Now), ms(tx.Now), r.id)
	return err
}

// reverseRecovery gives a merchant back what was recovered from it for a
// claim whose approval was overturned; the guarantee fund bears the payout.
func reverseRecovery(ctx context.Context, tx *Tx, claimID string) error {
	var payoutID, currency string
	if err := tx.queryRowCached(ctx, `SELECT id, currency FROM payouts WHERE claim_id = ?`, claimID).Scan(&payoutID, &currency); err != nil {
		return err
	}
	rows, err := tx.queryCached(ctx, `SELECT account, amount_fen FROM recoveries WHERE payout_id = ? ORDER BY created_at, id`, payoutID)
	if err != nil {
		return err
	}
	p := ledger.Posting{Currency: currency, Memo: "appeal overturned: recovery returned to the merchant"}
	var sum int64
	for rows.Next() {
		var a string
		var v int64
		if err := rows.Scan(&a, &v); err != nil {
			rows.Close()
			return err
		}
		p.Entries = append(p.Entries, ledger.Entry{Account: ledger.Account(a), Amount: v})
		if sum, err = ledger.Add(sum, v); err != nil {
			rows.Close()
			return ledgerError(err)
		}
	}
	rows.Close()
	if sum == 0 {
		return nil // funded by a pool: nothing was taken from the merchant
	}
	p.Entries = append(p.Entries, ledger.Entry{Account: ledger.GuaranteeFund, Amount: -sum})
	_, err = appendPosting(ctx, tx, "reversal", "reversal:"+payoutID, p)
	return err
}

// AppealClaim implements anxin.ProtectionService: the merchant appeals an
// approved claim, the buyer (through the platform) a denied one, once, within
// 30 days of the decision.
func (s *ProtectionService) AppealClaim(ctx context.Context, claimID, reason string) (_ *anxin.Claim, err error) {
	defer anxin.Wrap(&err, "AppealClaim(%q)", claimID)
	if err := anxin.Authorize(ctx, anxin.ActionAppealClaim); err != nil {
		return nil, err
	}
	if strings.TrimSpace(reason) == "" {
		return nil, anxin.Errorf(anxin.Invalid, "An appeal needs a reason.")
	}
	if err := anxin.ValidateText("reason", reason, 4000); err != nil {
		return nil, err
	}
	appellant := protection.AppellantBuyer
	if anxin.MerchantScope(ctx) != "" {
		appellant = protection.AppellantMerchant
	}
	err = s.db.TransactOpts(ctx, money, func(tx *Tx) error {
		r, err := loadClaimRow(ctx, tx, claimID)
		if err != nil {
			return err
		}
		if err := scopeClaim(ctx, r.merchantID); err != nil {
			return err
		}
		var n int
		if err := tx.queryRowCached(ctx, `SELECT COUNT(*) FROM claim_appeals WHERE claim_id = ?`, claimID).Scan(&n); err != nil {
			return err
		}
		var decided sql.NullInt64
		if err := tx.queryRowCached(ctx, `SELECT decided_at FROM claims WHERE id = ?`, claimID).Scan(&decided); err != nil {
			return err
		}
		f := protection.AppealFiling{ClaimID: claimID, Status: r.status, Appellant: appellant, Appealed: n > 0, Now: tx.Now}
		if decided.Valid {
			f.DecidedAt = fromMS(decided.Int64)
		}
		if err := protection.CheckAppeal(f); err != nil {
			return err
		}
		if _, err := tx.execCached(ctx, `INSERT INTO claim_appeals (claim_id, appellant, reason, status, created_at) VALUES (?, ?, ?, 'open', ?)`,
			claimID, appellant, reason, ms(tx.Now)); err != nil {
			return err
		}
		_, err = tx.execCached(ctx, `UPDATE claims SET status = ?, updated_at = ? WHERE id = ?`, anxin.ClaimAppealed, ms(tx.Now), claimID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.FindClaim(ctx, claimID)
}

// FindPayouts implements anxin.ProtectionService, newest first.
func (s *ProtectionService) FindPayouts(ctx context.Context, f anxin.ClaimFilter) ([]*anxin.Payout, string, error) {
	return findScoped(ctx, s.db, f, findPayouts)
}

func findPayouts(ctx context.Context, tx *Tx, f anxin.ClaimFilter, claimID string) ([]*anxin.Payout, string, error) {
	where, args := claimFilterSQL(f, "claim_id", claimID)
	limit := pageLimit(f.Limit)
	rows, err := tx.queryCached(ctx, `SELECT id, claim_id, decision_id, order_id, buyer_id, merchant_id, programme_id, amount_fen, currency, funding, form,
		posting_id, message_id, status, ack_note, acked_at, created_at FROM payouts WHERE `+where+` ORDER BY id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []*anxin.Payout
	for rows.Next() {
		p := new(anxin.Payout)
		var acked sql.NullInt64
		var at int64
		if err := rows.Scan(&p.ID, &p.ClaimID, &p.DecisionID, &p.OrderID, &p.BuyerID, &p.MerchantID, &p.ProgrammeID, &p.AmountFen, &p.Currency,
			&p.Funding, &p.Form, &p.PostingID, &p.MessageID, &p.Status, &p.AckNote, &acked, &at); err != nil {
			return nil, "", err
		}
		p.AckedAt, p.CreatedAt = fromNullMS(acked), fromMS(at)
		out = append(out, p)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, rows.Err()
}

// AckPayout implements anxin.ProtectionService. The acknowledgement carries
// the posting id from the webhook and the amount the marketplace paid; a
// mismatch is recorded and reported by Reconcile rather than refused, since
// the marketplace's money already moved.
func (s *ProtectionService) AckPayout(ctx context.Context, id string, ack anxin.PayoutAck) (_ *anxin.Payout, err error) {
	defer anxin.Wrap(&err, "AckPayout(%q)", id)
	if err := anxin.Authorize(ctx, anxin.ActionAckPayout); err != nil {
		return nil, err
	}
	if ack.Status != anxin.PayoutPaid && ack.Status != anxin.PayoutFailed {
		return nil, anxin.Errorf(anxin.Invalid, "status must be paid or failed.")
	}
	if err := anxin.ValidateID("posting_id", ack.PostingID); err != nil {
		return nil, err
	}
	if err := anxin.ValidateAmount("amount_fen", ack.AmountFen); err != nil {
		return nil, err
	}
	if err := anxin.ValidateText("note", ack.Note, 1000); err != nil {
		return nil, err
	}
	var out *anxin.Payout
	err = s.db.TransactOpts(ctx, money, func(tx *Tx) error {
		var status, posting string
		var amount int64
		err = tx.queryRowCached(ctx, `SELECT status, ack_posting, ack_amount FROM payouts WHERE id = ?`, id).Scan(&status, &posting, &amount)
		if errors.Is(err, sql.ErrNoRows) {
			return anxin.Errorf(anxin.NotFound, "Payout not found.")
		}
		if err != nil {
			return err
		}
		err = nil
		switch {
		case status == anxin.PayoutPending:
			if _, err := tx.execCached(ctx, `UPDATE payouts SET status = ?, ack_posting = ?, ack_amount = ?, ack_note = ?, acked_at = ? WHERE id = ?`,
				ack.Status, ack.PostingID, ack.AmountFen, ack.Note, ms(tx.Now), id); err != nil {
				return err
			}
		case status == ack.Status && posting == ack.PostingID && amount == ack.AmountFen:
			// The same acknowledgement again: nothing changes.
		default:
			return anxin.Errorf(anxin.Conflict, "Payout %s was already acknowledged as %s.", id, status)
		}
		got, _, err := findPayoutByID(ctx, tx, id)
		out = got
		return err
	})
	return out, err
}

func findPayoutByID(ctx context.Context, tx *Tx, id string) (*anxin.Payout, bool, error) {
	var claimID string
	if err := tx.queryRowCached(ctx, `SELECT claim_id FROM payouts WHERE id = ?`, id).Scan(&claimID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, false, anxin.Errorf(anxin.NotFound, "Payout not found.")
		}
		return nil, false, err
	}
	ps, _, err := findPayouts(ctx, tx, anxin.ClaimFilter{}, claimID)
	if err != nil || len(ps) == 0 {
		return nil, false, err
	}
	return ps[0], true, nil
}
