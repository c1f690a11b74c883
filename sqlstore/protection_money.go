package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"anxin"
	"anxin/ledger"
	"anxin/protection"
)

// LedgerService implements anxin.LedgerService on the ledger tables.
type LedgerService struct{ db *DB }

// NewLedgerService returns a LedgerService on db.
func NewLedgerService(db *DB) *LedgerService { return &LedgerService{db: db} }

var _ anxin.LedgerService = (*LedgerService)(nil)

var merchantKinds = []ledger.Kind{ledger.KindMerchantPending, ledger.KindMerchantAvailable, ledger.KindMerchantDeposit, ledger.KindMerchantRecv}

// FindAccounts implements anxin.LedgerService. Merchant actors see only
// their own accounts.
func (s *LedgerService) FindAccounts(ctx context.Context, f anxin.LedgerFilter) ([]*anxin.LedgerAccount, string, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadLedger); err != nil {
		return nil, "", err
	}
	if m := anxin.MerchantScope(ctx); m != "" {
		f.MerchantID = m
	}
	where, args := []string{"1=1"}, []any{}
	if f.Account != "" {
		where, args = append(where, "account = ?"), append(args, f.Account)
	}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, f.Kind)
	}
	if f.MerchantID != "" {
		where, args = append(where, "owner = ? AND kind IN (?, ?, ?, ?)"), append(args, f.MerchantID,
			string(merchantKinds[0]), string(merchantKinds[1]), string(merchantKinds[2]), string(merchantKinds[3]))
	}
	if f.Cursor != "" {
		where, args = append(where, "account > ?"), append(args, f.Cursor)
	}
	limit := pageLimit(f.Limit)
	var out []*anxin.LedgerAccount
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		out = nil
		rows, err := tx.QueryContext(ctx, `SELECT account, kind, owner, currency, balance_fen, updated_at FROM ledger_balances WHERE `+
			strings.Join(where, " AND ")+` ORDER BY account, currency LIMIT ?`, append(args, limit+1)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a := new(anxin.LedgerAccount)
			var at int64
			if err := rows.Scan(&a.Account, &a.Kind, &a.Owner, &a.Currency, &a.BalanceFen, &at); err != nil {
				return err
			}
			a.UpdatedAt = fromMS(at)
			out = append(out, a)
		}
		return rows.Err()
	})
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].Account
	}
	return out, next, err
}

// FindPostings implements anxin.LedgerService, newest first. With Account
// set it returns the postings touching that account; merchant actors see
// only postings touching their own accounts.
func (s *LedgerService) FindPostings(ctx context.Context, f anxin.LedgerFilter) ([]*anxin.LedgerPosting, string, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadLedger); err != nil {
		return nil, "", err
	}
	where, args := []string{"1=1"}, []any{}
	if m := anxin.MerchantScope(ctx); m != "" {
		f.MerchantID = m
	}
	if f.MerchantID != "" {
		var accts []any
		for _, k := range merchantKinds {
			accts = append(accts, string(ledger.Owned(k, f.MerchantID)))
		}
		where, args = append(where, "id IN (SELECT posting_id FROM ledger_entries WHERE account IN (?, ?, ?, ?))"), append(args, accts...)
	}
	if f.Account != "" {
		where, args = append(where, "id IN (SELECT posting_id FROM ledger_entries WHERE account = ?)"), append(args, f.Account)
	}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, f.Kind)
	}
	if f.Cursor != "" {
		var seq int64
		if _, err := fmt.Sscan(f.Cursor, &seq); err != nil {
			return nil, "", anxin.Errorf(anxin.Invalid, "The cursor is malformed.")
		}
		where, args = append(where, "seq < ?"), append(args, seq)
	}
	limit := pageLimit(f.Limit)
	var out []*anxin.LedgerPosting
	var next string
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		out, next = nil, ""
		rows, err := tx.QueryContext(ctx, `SELECT id, seq, kind, ref, currency, memo, created_at FROM ledger_postings WHERE `+
			strings.Join(where, " AND ")+` ORDER BY seq DESC LIMIT ?`, append(args, limit+1)...)
		if err != nil {
			return err
		}
		var seqs []int64
		for rows.Next() {
			p := new(anxin.LedgerPosting)
			var seq, at int64
			if err := rows.Scan(&p.ID, &seq, &p.Kind, &p.Ref, &p.Currency, &p.Memo, &at); err != nil {
				rows.Close()
				return err
			}
			p.CreatedAt = fromMS(at)
			out, seqs = append(out, p), append(seqs, seq)
		}
		rows.Close()
		if len(out) > limit {
			out = out[:limit]
			next = fmt.Sprint(seqs[limit-1])
		}
		for _, p := range out {
			if p.Entries, err = postingEntries(ctx, tx, p.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return out, next, err
}

func postingEntries(ctx context.Context, tx *Tx, id string) ([]anxin.LedgerEntry, error) {
	rows, err := tx.QueryContext(ctx, `SELECT account, amount_fen FROM ledger_entries WHERE posting_id = ? ORDER BY line`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []anxin.LedgerEntry
	for rows.Next() {
		var e anxin.LedgerEntry
		if err := rows.Scan(&e.Account, &e.AmountFen); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// MerchantMoney implements anxin.LedgerService (CNY balances).
func (s *LedgerService) MerchantMoney(ctx context.Context, merchantID string) (*anxin.MerchantMoney, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadLedger); err != nil {
		return nil, err
	}
	if m := anxin.MerchantScope(ctx); m != "" && m != merchantID {
		return nil, anxin.Errorf(anxin.NotFound, "Merchant not found.")
	}
	if err := anxin.ValidateID("merchant_id", merchantID); err != nil {
		return nil, err
	}
	out := &anxin.MerchantMoney{MerchantID: merchantID, Currency: "CNY"}
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		for k, dst := range map[ledger.Kind]*int64{
			ledger.KindMerchantPending: &out.PendingFen, ledger.KindMerchantAvailable: &out.AvailableFen,
			ledger.KindMerchantDeposit: &out.DepositFen, ledger.KindMerchantRecv: &out.ReceivableFen,
		} {
			v, err := balance(ctx, tx, ledger.Owned(k, merchantID), out.Currency, false)
			if err != nil {
				return err
			}
			*dst = v
		}
		var cats string
		err := tx.QueryRowContext(ctx, `SELECT categories FROM merchants WHERE id = ?`, merchantID).Scan(&cats)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		out.DepositFloor = protection.DepositFloor(jsonStrings(cats))
		var at sql.NullInt64
		err = tx.QueryRowContext(ctx, `SELECT restricted, restricted_at FROM merchant_deposits WHERE merchant_id = ?`, merchantID).Scan(&out.Restricted, &at)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if out.Restricted {
			out.RestrictedAt = fromNullMS(at)
		}
		return nil
	})
	return out, err
}

// Fund implements anxin.LedgerService: money from outside the books into a
// pool, a merchant's deposit or available balance. The same key with the
// same fields returns the same posting; with different fields, Conflict.
func (s *LedgerService) Fund(ctx context.Context, f anxin.Funding) (_ *anxin.LedgerPosting, err error) {
	defer anxin.Wrap(&err, "Fund(%q)", f.Key)
	if err := anxin.Authorize(ctx, anxin.ActionManageLedger); err != nil {
		return nil, err
	}
	if err := anxin.ValidateID("key", f.Key); err != nil {
		return nil, err
	}
	if f.AmountFen <= 0 {
		return nil, anxin.Errorf(anxin.Invalid, "amount_fen must be positive.")
	}
	if err := anxin.ValidateAmount("amount_fen", f.AmountFen); err != nil {
		return nil, err
	}
	if err := anxin.ValidateText("memo", f.Memo, 1000); err != nil {
		return nil, err
	}
	if f.Currency == "" {
		f.Currency = "CNY"
	}
	if err := ledger.ValidCurrency(f.Currency); err != nil {
		return nil, ledgerError(err)
	}
	acct := ledger.Account(f.Account)
	if err := acct.Validate(); err != nil {
		return nil, ledgerError(err)
	}
	if !ledger.ExternallyFundable(acct.Kind()) {
		return nil, anxin.Errorf(anxin.Invalid, "Only pools, merchant deposits and merchant balances can be funded from outside the books.")
	}
	var id string
	err = s.db.TransactOpts(ctx, money, func(tx *Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT id, currency FROM ledger_postings WHERE ref = ?`, "topup:"+f.Key).Scan(&id, &cur)
		if err == nil {
			es, err := postingEntries(ctx, tx, id)
			if err != nil {
				return err
			}
			for _, e := range es {
				if e.AmountFen > 0 && (e.Account != f.Account || e.AmountFen != f.AmountFen || cur != f.Currency) {
					return anxin.Errorf(anxin.Conflict, "The key %s was already used for a different funding.", f.Key)
				}
			}
			return nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if ledger.SettlesReceivable(acct.Kind()) {
			// Money booked to a shop the mirror does not know could never be
			// settled or recovered: refuse it rather than open the account.
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM merchants WHERE id = ?`, acct.Owner()).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return anxin.Errorf(anxin.NotFound, "Merchant %s not found; fund only merchants the marketplace has sent.", acct.Owner())
			}
			if err != nil {
				return err
			}
		}
		p, err := ledger.Transfer(f.Currency, ledger.External("topups"), acct, f.AmountFen, f.Memo)
		if err != nil {
			return ledgerError(err)
		}
		if id, err = appendPosting(ctx, tx, "topup", "topup:"+f.Key, p); err != nil {
			return err
		}
		if ledger.SettlesReceivable(acct.Kind()) {
			return collectReceivable(ctx, tx, acct.Owner(), f.Currency)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out *anxin.LedgerPosting
	err = s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		var err error
		out, err = postingByID(ctx, tx, id)
		return err
	})
	return out, err
}

// postingByID loads one posting with its entries; NotFound if absent.
func postingByID(ctx context.Context, tx *Tx, id string) (*anxin.LedgerPosting, error) {
	p := &anxin.LedgerPosting{ID: id}
	var at int64
	err := tx.QueryRowContext(ctx, `SELECT kind, ref, currency, memo, created_at FROM ledger_postings WHERE id = ?`, id).Scan(&p.Kind, &p.Ref, &p.Currency, &p.Memo, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, anxin.Errorf(anxin.NotFound, "Posting not found.")
	}
	if err != nil {
		return nil, err
	}
	p.CreatedAt = fromMS(at)
	p.Entries, err = postingEntries(ctx, tx, id)
	return p, err
}

// collectReceivable pays down a merchant's receivable from its available
// balance, then (above the floor) its deposit, and re-checks the floor.
func collectReceivable(ctx context.Context, tx *Tx, merchantID, currency string) error {
	owed, err := balance(ctx, tx, ledger.RecoveryReceivable(merchantID), currency, true)
	if err != nil {
		return err
	}
	if owed < 0 {
		var src []ledger.Source
		for _, a := range []ledger.Account{ledger.Owned(ledger.KindMerchantAvailable, merchantID), ledger.Owned(ledger.KindMerchantDeposit, merchantID)} {
			b, err := balance(ctx, tx, a, currency, true)
			if err != nil {
				return err
			}
			src = append(src, ledger.Source{Account: a, Balance: b})
		}
		var takes []ledger.Take
		left := -owed
		for _, s := range src {
			if t := min(max(s.Balance, 0), left); t > 0 {
				takes, left = append(takes, ledger.Take{Account: s.Account, Amount: t}), left-t
			}
		}
		if len(takes) > 0 {
			p, err := ledger.RecoveryPosting(currency, takes, ledger.RecoveryReceivable(merchantID), "receivable collected")
			if err != nil {
				return ledgerError(err)
			}
			if _, err := appendPosting(ctx, tx, "collection", "collection:"+anxin.NewID("c"), p); err != nil {
				return err
			}
		}
	}
	return checkDepositFloor(ctx, tx, merchantID, currency)
}

// Reconcile implements anxin.LedgerService: every payout against its
// acknowledgement and its webhook. Mismatches: a failed payout, an
// acknowledged amount or posting id that differs from the books, a payout
// whose webhook is missing, and a payout unacknowledged after 24 hours.
func (s *LedgerService) Reconcile(ctx context.Context) (*anxin.Reconciliation, error) {
	if err := anxin.Authorize(ctx, anxin.ActionManageLedger); err != nil {
		return nil, err
	}
	out := &anxin.Reconciliation{}
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		*out = anxin.Reconciliation{Mismatches: []anxin.ReconMismatch{}}
		rows, err := tx.QueryContext(ctx, `SELECT p.id, p.amount_fen, p.posting_id, p.status, p.ack_posting, p.ack_amount, p.created_at, o.id
			FROM payouts p LEFT JOIN outbox o ON o.id = p.message_id ORDER BY p.created_at, p.id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		stale := ms(tx.Now.Add(-24 * time.Hour))
		for rows.Next() {
			var id, posting, status, ackPosting string
			var amount, ackAmount, at int64
			var msg sql.NullString
			if err := rows.Scan(&id, &amount, &posting, &status, &ackPosting, &ackAmount, &at, &msg); err != nil {
				return err
			}
			out.Payouts++
			bad := func(format string, args ...any) {
				out.Mismatches = append(out.Mismatches, anxin.ReconMismatch{PayoutID: id, Problem: fmt.Sprintf(format, args...)})
			}
			if !msg.Valid {
				bad("no payout webhook in the outbox")
			}
			switch status {
			case anxin.PayoutPaid:
				out.Paid++
				out.PaidFen += ackAmount
				if ackAmount != amount {
					bad("acknowledged %d fen, booked %d fen", ackAmount, amount)
				}
				if ackPosting != posting {
					bad("acknowledged posting %s, booked %s", ackPosting, posting)
				}
			case anxin.PayoutFailed:
				out.Failed++
				bad("the marketplace reported the payout failed")
			default:
				out.Pending++
				if at < stale {
					bad("not acknowledged within 24 h")
				}
			}
		}
		return rows.Err()
	})
	return out, err
}
