package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"anxin"
	"anxin/enforcement"
	"anxin/ledger"
	"anxin/protection"
)

// The ledger tables are append-only: appendPosting is the only writer of
// ledger_postings and ledger_entries, and it updates ledger_balances in the
// same transaction, so a balance is always the sum of its account's entries
// (anxin ledger verify checks exactly that). Inside an ingest the balance
// updates are deferred to the end of the transaction (deferBalances) and
// written once per account; balance() adds the pending changes, so reads in
// the transaction still see every posting.

// ledgerError maps engine errors to anxin kinds.
func ledgerError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ledger.ErrUnknownCurrency):
		return anxin.Errorf(anxin.Invalid, "The currency is not one Anxin books (ISO 4217, e.g. CNY).")
	case errors.Is(err, ledger.ErrOverflow):
		return anxin.Errorf(anxin.Invalid, "The amount is too large.")
	case errors.Is(err, ledger.ErrBadAmount), errors.Is(err, ledger.ErrBadAccount), errors.Is(err, ledger.ErrBadFormula):
		return anxin.Errorf(anxin.Invalid, "%s.", err.Error())
	}
	return err
}

// appendPosting validates p and stores it under a unique ref. If a posting
// with ref already exists it returns its id and stores nothing, which makes
// every booking idempotent.
func appendPosting(ctx context.Context, tx *Tx, kind, ref string, p ledger.Posting) (string, error) {
	var existing string
	err := tx.queryRowCached(ctx, `SELECT id FROM ledger_postings WHERE ref = ?`, ref).Scan(&existing)
	if err == nil {
		return existing, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	return insertPosting(ctx, tx, kind, ref, p)
}

// insertPosting is appendPosting for a ref that holds an id made by the
// caller's transaction (a payout's), so no posting can have it yet: it is
// not looked up first. The unique ref still refuses a second posting.
func insertPosting(ctx context.Context, tx *Tx, kind, ref string, p ledger.Posting) (string, error) {
	if err := p.Compact(); err != nil {
		return "", ledgerError(err)
	}
	if err := p.Validate(); err != nil {
		return "", ledgerError(err)
	}
	id := anxin.NewTimeID("pst", tx.Now)
	if _, err := tx.execCached(ctx, `INSERT INTO ledger_postings (id, kind, ref, currency, memo, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		id, kind, ref, p.Currency, p.Memo, ms(tx.Now)); err != nil {
		return "", err
	}
	if err := entryInsert.exec(ctx, tx, len(p.Entries), func(a []any, i int) []any {
		e := p.Entries[i]
		return append(a, id, i, string(e.Account), p.Currency, e.Amount)
	}); err != nil {
		return "", err
	}
	if pending, deferred := pendingBalances.get(tx); deferred {
		return id, addPending(pending, p)
	}
	for _, e := range p.Entries {
		bal, err := balance(ctx, tx, e.Account, p.Currency, false)
		if err != nil {
			return "", err
		}
		if _, err := ledger.Add(bal, e.Amount); err != nil {
			return "", ledgerError(err)
		}
		if _, err := tx.execCached(ctx, `INSERT INTO ledger_balances (account, currency, kind, owner, balance_fen, updated_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (account, currency) DO UPDATE SET balance_fen = ledger_balances.balance_fen + excluded.balance_fen, updated_at = excluded.updated_at`,
			string(e.Account), p.Currency, string(e.Account.Kind()), e.Account.Owner(), e.Amount, ms(tx.Now)); err != nil {
			return "", err
		}
	}
	return id, nil
}

// addPending adds a posting's entries to the deferred balance changes;
// flushBalances checks the sums against the stored balances for overflow.
func addPending(pending map[balanceKey]*balanceDelta, p ledger.Posting) error {
	for _, e := range p.Entries {
		k := balanceKey{string(e.Account), p.Currency}
		d := pending[k]
		if d == nil {
			d = &balanceDelta{account: e.Account}
			pending[k] = d
		}
		var err error
		if d.amount, err = ledger.Add(d.amount, e.Amount); err != nil {
			return ledgerError(err)
		}
	}
	return nil
}

// balance reads an account's balance (0 if it has none), including the
// transaction's pending changes. With lock it takes a row lock on
// PostgreSQL so a recovery's read-then-debit cannot interleave with another.
func balance(ctx context.Context, tx *Tx, a ledger.Account, currency string, lock bool) (int64, error) {
	vs, err := balances(ctx, tx, []ledger.Account{a}, currency, lock)
	if err != nil {
		return 0, err
	}
	return vs[0], nil
}

// balances is balance for several accounts, read by one statement. While
// balance changes are deferred nothing writes ledger_balances, so the
// stored balances read are kept in the transaction (storedBalances) and
// not read again; a row lock taken is kept with them.
func balances(ctx context.Context, tx *Tx, accts []ledger.Account, currency string, lock bool) ([]int64, error) {
	lock = lock && tx.Dialect() == Postgres
	pending, deferred := pendingBalances.get(tx)
	var known map[balanceKey]storedBalance
	if deferred {
		if known, _ = storedBalances.get(tx); known == nil {
			known = map[balanceKey]storedBalance{}
			storedBalances.set(tx, known)
		}
	}
	var missing []string
	for _, a := range accts {
		if b, ok := known[balanceKey{string(a), currency}]; !ok || lock && !b.locked {
			missing = append(missing, string(a))
		}
	}
	read := map[balanceKey]storedBalance{}
	if len(missing) > 0 {
		slices.Sort(missing)
		missing = slices.Compact(missing)
		for _, a := range missing {
			read[balanceKey{a, currency}] = storedBalance{locked: lock}
		}
		q := `SELECT account, balance_fen FROM ledger_balances WHERE currency = ? AND account IN (…)`
		if lock {
			// One order for every locking reader, so two cannot deadlock.
			q += ` ORDER BY account FOR UPDATE`
		}
		err := queryInWith(ctx, tx, q, []any{currency}, missing, func(r *sql.Rows) error {
			var a string
			var v int64
			if err := r.Scan(&a, &v); err != nil {
				return err
			}
			read[balanceKey{a, currency}] = storedBalance{v: v, locked: lock}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if deferred {
			maps.Copy(known, read)
		}
	}
	out := make([]int64, len(accts))
	for i, a := range accts {
		k := balanceKey{string(a), currency}
		b, ok := read[k]
		if !ok {
			b = known[k]
		}
		out[i] = b.v
		if d := pending[k]; d != nil {
			v, err := ledger.Add(b.v, d.amount)
			if err != nil {
				return nil, ledgerError(err)
			}
			out[i] = v
		}
	}
	return out, nil
}

// storedBalances holds the stored balances a transaction deferring its
// balance changes has read (see balances); flushBalances and a body rolled
// back to its savepoint drop them.
var storedBalances = &txState[map[balanceKey]storedBalance]{name: "stored balances"}

// storedBalance is a balance as ledger_balances holds it, and whether its
// row was read with a lock.
type storedBalance struct {
	v      int64
	locked bool
}

// pendingBalances holds a transaction's ledger balance changes not yet
// written, while deferBalances is in effect (see appendPosting).
var pendingBalances = &txState[map[balanceKey]*balanceDelta]{name: "ledger balances"}

type balanceKey struct{ account, currency string }

type balanceDelta struct {
	account ledger.Account
	amount  int64
}

// deferBalances makes appendPosting collect balance changes in the
// transaction instead of updating ledger_balances per entry; flushBalances
// writes them. Entries and postings are still written at once.
func (tx *Tx) deferBalances() {
	if _, ok := pendingBalances.get(tx); !ok {
		pendingBalances.set(tx, map[balanceKey]*balanceDelta{})
	}
}

// savePending snapshots the transaction's deferred balance changes (see
// deferBalances) and returns what puts them back, for a body of a group
// commit rolled back to its savepoint. Enforcement state the body may
// have touched is dropped from the cache wholesale when the group commits.
func (tx *Tx) savePending() (restore func()) {
	pending, deferred := pendingBalances.get(tx)
	if !deferred {
		return func() {}
	}
	saved := make(map[balanceKey]balanceDelta, len(pending))
	for k, d := range pending {
		saved[k] = *d
	}
	return func() {
		// A rollback to the savepoint also gives up the row locks taken
		// after it: read the balances again.
		if known, ok := storedBalances.get(tx); ok {
			clear(known)
		}
		clear(pending)
		for k, d := range saved {
			pending[k] = &d
		}
		if st, ok := cacheTxs.get(tx); ok && st.dirty != nil {
			st.all = true
		}
	}
}

var entryInsert = batch{
	head: `INSERT INTO ledger_entries (posting_id, line, account, currency, amount_fen)`,
	cols: 5,
}

var balanceUpsert = batch{
	head: `INSERT INTO ledger_balances (account, currency, kind, owner, balance_fen, updated_at)`,
	tail: `ON CONFLICT (account, currency) DO UPDATE SET balance_fen = ledger_balances.balance_fen + excluded.balance_fen, updated_at = excluded.updated_at`,
	cols: 6,
}

// flushBalances writes the pending balance changes, one row per account in
// account order (so concurrent flushes lock balances in one order), and
// ends deferral. An account whose changes sum to zero is written only when
// it has no balance row yet (it has entries, so it must have one): a pool
// that pays a claim and recovers it from escrow in the same transaction is
// left untouched, so concurrent transactions do not all update its row.
func (tx *Tx) flushBalances(ctx context.Context) error {
	pending, _ := pendingBalances.take(tx)
	storedBalances.take(tx)
	if len(pending) == 0 {
		return nil
	}
	keys := slices.SortedFunc(maps.Keys(pending), func(a, b balanceKey) int {
		if c := strings.Compare(a.account, b.account); c != 0 {
			return c
		}
		return strings.Compare(a.currency, b.currency)
	})
	// Refuse a sum past the int64 range before writing, as appendPosting
	// does per entry when not deferring. The stored values are read without
	// a lock; the update itself adds in SQL.
	accounts := make([]string, 0, len(keys))
	for _, k := range keys {
		accounts = append(accounts, k.account)
	}
	stored := make(map[balanceKey]bool, len(keys))
	err := queryIn(ctx, tx, `SELECT account, currency, balance_fen FROM ledger_balances WHERE account IN (…)`, slices.Compact(accounts), func(r *sql.Rows) error {
		var k balanceKey
		var v int64
		if err := r.Scan(&k.account, &k.currency, &v); err != nil {
			return err
		}
		if d := pending[k]; d != nil {
			stored[k] = true
			if _, err := ledger.Add(v, d.amount); err != nil {
				return ledgerError(err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	keys = slices.DeleteFunc(keys, func(k balanceKey) bool { return pending[k].amount == 0 && stored[k] })
	if len(keys) == 0 {
		return nil
	}
	return balanceUpsert.exec(ctx, tx, len(keys), func(args []any, i int) []any {
		k := keys[i]
		d := pending[k]
		return append(args, k.account, k.currency, string(d.account.Kind()), d.account.Owner(), d.amount, ms(tx.Now))
	})
}

// recoverFrom takes amount from the merchant's accounts in the recovery
// order and books it to credit, recording each take in recoveries. It
// returns the posting id and the shortfall booked to the receivable. ref
// holds the id of a payout made by the caller's transaction (see
// insertPosting).
func recoverFrom(ctx context.Context, tx *Tx, kind, ref, payoutID, merchantID, orderID, currency string, amount int64, credit ledger.Account, memo string) (string, int64, error) {
	order := ledger.RecoveryOrder(merchantID, orderID)
	bs, err := balances(ctx, tx, order, currency, true)
	if err != nil {
		return "", 0, err
	}
	src := make([]ledger.Source, len(order))
	for i, a := range order {
		src[i] = ledger.Source{Account: a, Balance: bs[i]}
	}
	takes, short, err := ledger.Recover(amount, src, ledger.RecoveryReceivable(merchantID))
	if err != nil {
		return "", 0, ledgerError(err)
	}
	p, err := ledger.RecoveryPosting(currency, takes, credit, memo)
	if err != nil {
		return "", 0, ledgerError(err)
	}
	id, err := insertPosting(ctx, tx, kind, ref, p)
	if err != nil {
		return "", 0, err
	}
	if payoutID != "" {
		for _, t := range takes {
			if _, err := tx.execCached(ctx, `INSERT INTO recoveries (id, payout_id, posting_id, account, amount_fen, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				anxin.NewID("rcv"), payoutID, id, string(t.Account), t.Amount, ms(tx.Now)); err != nil {
				return "", 0, err
			}
		}
	}
	if err := checkDepositFloor(ctx, tx, merchantID, currency); err != nil {
		return "", 0, err
	}
	return id, short, nil
}

// checkDepositFloor restricts a merchant's publishing when its deposit is
// below the floor for its categories (enqueueing merchant.restrict once), and
// lifts the restriction once it is topped up.
func checkDepositFloor(ctx context.Context, tx *Tx, merchantID, currency string) error {
	var cats string
	err := tx.queryRowCached(ctx, `SELECT categories FROM merchants WHERE id = ?`, merchantID).Scan(&cats)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	dep, err := balance(ctx, tx, ledger.Owned(ledger.KindMerchantDeposit, merchantID), currency, false)
	if err != nil {
		return err
	}
	var restricted, known bool
	var storedFloor int64
	err = tx.queryRowCached(ctx, `SELECT restricted, floor_fen FROM merchant_deposits WHERE merchant_id = ?`, merchantID).Scan(&restricted, &storedFloor)
	known = err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	v := protection.CheckDeposit(jsonStrings(cats), dep, restricted)
	floor := v.Floor
	if !known {
		if _, err := tx.execCached(ctx, `INSERT INTO merchant_deposits (merchant_id, floor_fen, restricted, updated_at) VALUES (?, ?, 0, ?)`, merchantID, floor, ms(tx.Now)); err != nil {
			return err
		}
	}
	switch v.Action {
	case protection.DepositRestrict:
		if _, err := tx.execCached(ctx, `UPDATE merchant_deposits SET floor_fen = ?, restricted = 1, restricted_at = ?, updated_at = ? WHERE merchant_id = ?`,
			floor, ms(tx.Now), ms(tx.Now), merchantID); err != nil {
			return err
		}
		facts := v.Facts
		_, err := issueSanction(ctx, tx, sanctionIssue{subjectType: anxin.SubjectMerchant, subjectID: merchantID, typ: anxin.SanctionRestrictListing,
			source: anxin.SourceDeposit, originType: "deposit", originID: merchantID + ":" + strconv.FormatInt(ms(tx.Now), 10), cause: "deposit_below_floor",
			reason: "The deposit is below the floor: publishing is restricted until it is topped up.", mode: enforcement.Queue,
			explain: enforcement.Explanation{Facts: facts, Automation: "fully", TermsGround: "Deposit rules: the deposit floor",
				Until: "until the deposit is topped up to the floor"},
			extra: map[string]any{"reason_code": "deposit_below_floor", "deposit_fen": dep, "floor_fen": floor, "until": "deposit topped up"}})
		return err
	case protection.DepositLift:
		if _, err := tx.execCached(ctx, `UPDATE merchant_deposits SET floor_fen = ?, restricted = 0, lifted_at = ?, updated_at = ? WHERE merchant_id = ?`,
			floor, ms(tx.Now), ms(tx.Now), merchantID); err != nil {
			return err
		}
		ss, err := loadSanctions(ctx, tx, `WHERE subject_id = ? AND source = 'deposit' AND status = 'active'`, merchantID)
		if err != nil {
			return err
		}
		if _, err := endSanctions(ctx, tx, ss, anxin.SanctionLifted, "deposit_topped_up"); err != nil {
			return err
		}
		_, err = Enqueue(ctx, tx, anxin.MessageNotify, merchantID, "deposit-lifted:"+merchantID+":"+strconv.FormatInt(ms(tx.Now), 10), map[string]any{
			"merchant_id": merchantID, "event": "restriction_lifted", "reason": "deposit_topped_up", "deposit_fen": dep, "floor_fen": floor,
		})
		return err
	}
	if !known || storedFloor == floor {
		// Nothing changed: the row is left alone, so the recoveries of one
		// merchant's claims do not all update it.
		return nil
	}
	_, err = tx.execCached(ctx, `UPDATE merchant_deposits SET floor_fen = ?, updated_at = ? WHERE merchant_id = ?`, floor, ms(tx.Now), merchantID)
	return err
}

// LedgerCheck is the result of VerifyLedger: what was checked and every
// problem found.
type LedgerCheck struct {
	Postings  int      `json:"postings"`
	Entries   int      `json:"entries"`
	Accounts  int      `json:"accounts"`
	Payouts   int      `json:"payouts"`
	Decisions int      `json:"decisions_approved"`
	Problems  []string `json:"problems"`
}

// OK reports whether the ledger passed every check.
func (c *LedgerCheck) OK() bool { return len(c.Problems) == 0 }

// VerifyLedger checks the books: every posting has at least two entries that
// sum to zero per currency; every stored balance equals the sum of its
// account's entries; no claim or trigger was paid twice; every payout has
// an approving decision of the same amount and a posting; every approving
// decision has its payout. It is read-only.
func (db *DB) VerifyLedger(ctx context.Context) (*LedgerCheck, error) {
	c := &LedgerCheck{}
	err := db.TransactOpts(ctx, TxOptions{ReadOnly: true, Serializable: true}, func(tx *Tx) error {
		*c = LedgerCheck{}
		one := func(q string, dst *int) error { return tx.QueryRowContext(ctx, q).Scan(dst) }
		for q, dst := range map[string]*int{
			`SELECT COUNT(*) FROM ledger_postings`: &c.Postings, `SELECT COUNT(*) FROM ledger_entries`: &c.Entries,
			`SELECT COUNT(*) FROM ledger_balances`: &c.Accounts, `SELECT COUNT(*) FROM payouts`: &c.Payouts,
			`SELECT COUNT(*) FROM claim_decisions WHERE outcome = 'approve'`: &c.Decisions,
		} {
			if err := one(q, dst); err != nil {
				return err
			}
		}
		problems := []struct{ q, format string }{
			{`SELECT e.posting_id, e.currency, SUM(e.amount_fen) FROM ledger_entries e GROUP BY e.posting_id, e.currency HAVING SUM(e.amount_fen) <> 0`,
				"posting %s does not balance in %s: entries sum to %s"},
			{`SELECT p.id, p.currency, CAST(COUNT(e.line) AS TEXT) FROM ledger_postings p LEFT JOIN ledger_entries e ON e.posting_id = p.id GROUP BY p.id, p.currency HAVING COUNT(e.line) < 2`,
				"posting %s (%s) has %s entries; at least two are needed"},
			{`SELECT e.posting_id, e.currency, p.currency FROM ledger_entries e JOIN ledger_postings p ON p.id = e.posting_id WHERE e.currency <> p.currency`,
				"posting %s has an entry in %s but is in %s"},
			{`SELECT claim_id, CAST(COUNT(*) AS TEXT), '' FROM payouts GROUP BY claim_id HAVING COUNT(*) > 1`,
				"claim %s was paid %s times%s"},
			{`SELECT trigger_key, CAST(COUNT(*) AS TEXT), '' FROM payouts GROUP BY trigger_key HAVING COUNT(*) > 1`,
				"trigger %s was paid %s times%s"},
			{`SELECT c.order_id, c.programme_id, CAST(COUNT(*) AS TEXT) FROM payouts p JOIN claims c ON c.id = p.claim_id GROUP BY c.order_id, c.programme_id HAVING COUNT(*) > 1`,
				"order %s was paid under programme %s %s times"},
			{`SELECT p.id, p.decision_id, '' FROM payouts p LEFT JOIN claim_decisions d ON d.id = p.decision_id AND d.claim_id = p.claim_id WHERE d.id IS NULL`,
				"payout %s has no decision (%s)%s"},
			{`SELECT p.id, d.outcome, CAST(d.amount_fen AS TEXT) FROM payouts p JOIN claim_decisions d ON d.id = p.decision_id WHERE d.outcome <> 'approve' OR d.amount_fen <> p.amount_fen`,
				"payout %s does not match its decision (%s, %s fen)"},
			{`SELECT p.id, p.posting_id, '' FROM payouts p LEFT JOIN ledger_postings l ON l.id = p.posting_id WHERE l.id IS NULL`,
				"payout %s has no posting %s%s"},
			{`SELECT d.id, d.claim_id, '' FROM claim_decisions d LEFT JOIN payouts p ON p.decision_id = d.id WHERE d.outcome = 'approve' AND p.id IS NULL`,
				"approving decision %s of claim %s has no payout%s"},
		}
		for _, pr := range problems {
			rows, err := tx.QueryContext(ctx, pr.q)
			if err != nil {
				return err
			}
			for rows.Next() {
				var a, b, s sql.NullString
				if err := rows.Scan(&a, &b, &s); err != nil {
					rows.Close()
					return err
				}
				c.Problems = append(c.Problems, fmt.Sprintf(pr.format, a.String, b.String, s.String))
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		// Balances against the sum of entries, both ways.
		sums := map[[2]string]int64{}
		rows, err := tx.queryCached(ctx, `SELECT account, currency, SUM(amount_fen) FROM ledger_entries GROUP BY account, currency`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var a, cur string
			var s int64
			if err := rows.Scan(&a, &cur, &s); err != nil {
				rows.Close()
				return err
			}
			sums[[2]string{a, cur}] = s
		}
		rows.Close()
		rows, err = tx.queryCached(ctx, `SELECT account, currency, balance_fen FROM ledger_balances`)
		if err != nil {
			return err
		}
		seen := map[[2]string]bool{}
		for rows.Next() {
			var a, cur string
			var b int64
			if err := rows.Scan(&a, &cur, &b); err != nil {
				rows.Close()
				return err
			}
			k := [2]string{a, cur}
			seen[k] = true
			if sums[k] != b {
				c.Problems = append(c.Problems, fmt.Sprintf("account %s balance %d %s differs from the sum of its entries %d", a, b, cur, sums[k]))
			}
		}
		rows.Close()
		var missing []string
		for k := range sums {
			if !seen[k] {
				missing = append(missing, fmt.Sprintf("account %s (%s) has entries but no balance", k[0], k[1]))
			}
		}
		sort.Strings(missing)
		c.Problems = append(c.Problems, missing...)
		return rows.Err()
	})
	return c, err
}
