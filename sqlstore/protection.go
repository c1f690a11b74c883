package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"anxin"
	"anxin/ledger"
	"anxin/protection"
)

// ProtectionService implements anxin.ProtectionService: claims, their
// automatic and human decisions, payouts and programmes. Money-moving
// methods run at SERIALIZABLE (TxOptions{Serializable: true}); a decision,
// its postings, its payout row and its webhook commit together.
type ProtectionService struct {
	db     *DB
	Guards protection.Guards

	// BeforePayout, when set, is called inside the deciding transaction after
	// the approving decision is written and before the payout is booked. The
	// crash tests use it to kill the process exactly there.
	BeforePayout func(claimID string)

	// ClaimLanes is how many group commits of filed claims may run at once
	// (default 1), a claim going to the lane of its order. SQLite has one
	// writer. On PostgreSQL, 4 lanes of 32 concurrent claims failed one in
	// three groups with serialization failures (the decisions read index
	// ranges the others insert into: a buyer's recent claims, payouts of
	// the order) and were no faster than one lane, which had none.
	ClaimLanes int

	claims groupCommit
}

// claimGroup is the most claims one group commit decides. On PostgreSQL
// each body is a subtransaction (its savepoint), and past 64 of them a
// transaction's subtransactions no longer fit the shared snapshot cache.
const claimGroup = 64

// NewProtectionService returns a ProtectionService on db.
func NewProtectionService(db *DB) *ProtectionService {
	s := &ProtectionService{db: db, Guards: protection.DefaultGuards}
	s.claims.setup = groupSetup{
		opts: money, maxGroup: claimGroup, save: (*Tx).savePending,
		begin: (*Tx).deferBalances, end: (*Tx).flushBalances,
	}
	return s
}

// claimTx runs fn, the deciding transaction of one claim, in a group commit
// of claims (see groupCommit): many concurrent decisions share one COMMIT,
// and the pools' balances they all touch are written once per group
// (deferBalances). fn may run more than once and alone or with others; a
// failing fn is rolled back alone.
func (s *ProtectionService) claimTx(ctx context.Context, key string, fn func(tx *Tx) error) error {
	return s.claims.run(ctx, s.db, max(s.ClaimLanes, 1), key, fn)
}

var _ anxin.ProtectionService = (*ProtectionService)(nil)

var money = TxOptions{Serializable: true}

func jsonStrings(s string) []string {
	var out []string
	_ = json.Unmarshal([]byte(s), &out)
	return out
}

// protectionErr maps an engine refusal to Invalid.
func protectionErr(e *protection.Error) error {
	if e == nil {
		return nil
	}
	return anxin.Errorf(anxin.Invalid, "%s", e.Message)
}

// FileClaim implements anxin.ProtectionService.
func (s *ProtectionService) FileClaim(ctx context.Context, in anxin.ClaimInput) (c *anxin.Claim, created bool, err error) {
	defer anxin.Wrap(&err, "FileClaim(%q)", in.Key)
	if err := anxin.Authorize(ctx, anxin.ActionFileClaim); err != nil {
		return nil, false, err
	}
	if err := in.Validate(); err != nil {
		return nil, false, err
	}
	var id string
	err = s.claimTx(ctx, in.OrderID, func(tx *Tx) error {
		var err error
		id, created, err = s.fileClaim(ctx, tx, in, "buyer")
		return err
	})
	if err != nil {
		return nil, false, err
	}
	c, err = s.FindClaim(ctx, id)
	return c, created, err
}

// fileClaim stores a claim and adjudicates it. An existing claim with the
// same key is returned when its fields match (Conflict otherwise).
func (s *ProtectionService) fileClaim(ctx context.Context, tx *Tx, in anxin.ClaimInput, source string) (string, bool, error) {
	var id, order, buyer, prog, typ string
	err := tx.queryRowCached(ctx, `SELECT id, order_id, buyer_id, programme_id, type FROM claims WHERE idem_key = ?`, in.Key).Scan(&id, &order, &buyer, &prog, &typ)
	if err == nil {
		if order != in.OrderID || buyer != in.BuyerID || prog != in.ProgrammeID || typ != in.Type {
			return "", false, anxin.Errorf(anxin.Conflict, "The key %s was already used for a different claim.", in.Key)
		}
		return id, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", false, err
	}
	f, err := loadFacts(ctx, tx, in.OrderID)
	if err != nil {
		return "", false, err
	}
	if source == "buyer" && f.order.BuyerID != in.BuyerID {
		// Threat: probing other buyers' orders. The message does not confirm
		// whose order it is.
		return "", false, anxin.Errorf(anxin.Invalid, "The order %s was not placed by buyer %s.", in.OrderID, in.BuyerID)
	}
	p, err := coveredProgramme(ctx, tx, f, in.ProgrammeID)
	if err != nil {
		return "", false, err
	}
	cs := s.caseFor(f, p, in.Type, in.BuyerID, tx.Now)
	cs.TriggeredByEvent = source == "event"
	if r := protection.CheckFiling(cs); r != nil {
		return "", false, protectionErr(r)
	}
	var existing string
	err = tx.queryRowCached(ctx, `SELECT id FROM claims WHERE order_id = ? AND programme_id = ?`, in.OrderID, in.ProgrammeID).Scan(&existing)
	if err == nil {
		return "", false, anxin.Errorf(anxin.Conflict, "Order %s already has claim %s under programme %s.", in.OrderID, existing, in.ProgrammeID)
	} else if !errors.Is(err, sql.ErrNoRows) {
		return "", false, err
	}
	id = anxin.NewID("clm")
	var deadline any
	if h := p.Auto.MerchantResponseHours; h > 0 && source == "buyer" && p.Kind != protection.KindInstantRefund {
		deadline = ms(tx.Now.Add(time.Duration(h) * time.Hour))
	}
	if _, err := tx.execCached(ctx, `INSERT INTO claims (id, idem_key, order_id, buyer_id, merchant_id, programme_id, programme_version, type, source, status,
		currency, merchant_deadline, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, in.Key, in.OrderID, f.order.BuyerID, f.order.MerchantID, p.ID, p.Version, in.Type, source, anxin.ClaimOpen,
		f.currency, deadline, ms(tx.Now), ms(tx.Now)); err != nil {
		return "", false, err
	}
	if deadline != nil {
		if err := Schedule(ctx, tx, JobClaimDeadline, id, fromMS(deadline.(int64)), map[string]string{"claim_id": id}); err != nil {
			return "", false, err
		}
	}
	// Adjudicate with what was just read and written: the claim is the row
	// inserted above, with no evidence, decision or payout yet.
	r := &claimRow{id: id, key: in.Key, orderID: in.OrderID, buyerID: f.order.BuyerID, merchantID: f.order.MerchantID, programmeID: p.ID,
		typ: in.Type, source: source, status: anxin.ClaimOpen, currency: f.currency, version: p.Version, createdAt: fromMS(ms(tx.Now)), fresh: true}
	if deadline != nil {
		d := fromMS(deadline.(int64))
		r.deadline = &d
	}
	c, err := s.caseOf(ctx, tx, r, f, p)
	if err != nil {
		return "", false, err
	}
	if err := s.apply(ctx, tx, r, c, protection.Adjudicate(c), "auto"); err != nil {
		return "", false, err
	}
	return id, true, nil
}

// coveredProgramme returns the programme version that covered the order at
// payment time, as loadFacts read its coverage. Invalid when the order was
// not covered by it.
func coveredProgramme(ctx context.Context, tx *Tx, f *orderFacts, programmeID string) (*protection.Programme, error) {
	version, ok := f.coverage[programmeID]
	if !ok {
		if _, err := programmeVersion(ctx, tx, programmeID, 0); err != nil {
			return nil, err
		}
		return nil, anxin.Errorf(anxin.Invalid, "The order was not covered by programme %s when it was paid.", programmeID)
	}
	return programmeVersion(ctx, tx, programmeID, version)
}

// storedProgramme is a programme version's row as stored.
type storedProgramme struct {
	config string
	active bool
}

// programmeVersion loads a programme version (0: the latest). NotFound if
// absent. A stored version is never updated or deleted (SaveProgramme adds
// the next one), so a given version read once is kept for the life of the
// pool and parsed from there; the latest is read every time.
func programmeVersion(ctx context.Context, tx *Tx, id string, version int) (*protection.Programme, error) {
	var row storedProgramme
	v := version
	var cached any
	if version > 0 {
		cached, _ = tx.db.programmes.Load(programmeKey{id, version})
	}
	if cached != nil {
		row = cached.(storedProgramme)
	} else {
		q := `SELECT config, version, active FROM protection_programmes WHERE id = ? AND version = ?`
		args := []any{id, version}
		if version == 0 {
			q = `SELECT config, version, active FROM protection_programmes WHERE id = ? ORDER BY version DESC LIMIT 1`
			args = args[:1]
		}
		err := tx.queryRowCached(ctx, q, args...).Scan(&row.config, &v, &row.active)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, anxin.Errorf(anxin.NotFound, "Programme %s not found.", id)
		}
		if err != nil {
			return nil, err
		}
		if version > 0 {
			tx.db.programmes.Store(programmeKey{id, version}, row)
		}
	}
	p := new(protection.Programme)
	if err := json.Unmarshal([]byte(row.config), p); err != nil {
		return nil, err
	}
	p.Version, p.Active = v, row.active
	return p, nil
}

func (s *ProtectionService) caseFor(f *orderFacts, p *protection.Programme, claimType, buyerID string, now time.Time) *protection.Case {
	return &protection.Case{
		Programme: p, ClaimType: claimType, BuyerID: buyerID, Order: f.order, Standing: f.standing,
		Enrolled: f.enrolled[p.ID], Guards: s.Guards, Now: now,
	}
}

// claimRow is the stored state of a claim that adjudication reads.
type claimRow struct {
	id, key, orderID, buyerID, merchantID, programmeID, typ, source, status, currency string
	version                                                                           int
	response                                                                          string
	deadline                                                                          *time.Time
	returnPickedUp                                                                    bool
	createdAt                                                                         time.Time
	// fresh: the claim was inserted by this transaction, so it has no
	// evidence, decisions or payouts to read.
	fresh bool
}

func loadClaimRow(ctx context.Context, tx *Tx, id string) (*claimRow, error) {
	r := &claimRow{}
	var deadline sql.NullInt64
	var created int64
	err := tx.queryRowCached(ctx, `SELECT id, idem_key, order_id, buyer_id, merchant_id, programme_id, programme_version, type, source, status, currency,
		merchant_response, merchant_deadline, return_picked_up, created_at FROM claims WHERE id = ?`, id).Scan(
		&r.id, &r.key, &r.orderID, &r.buyerID, &r.merchantID, &r.programmeID, &r.version, &r.typ, &r.source, &r.status, &r.currency,
		&r.response, &deadline, &r.returnPickedUp, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, anxin.Errorf(anxin.NotFound, "Claim not found.")
	}
	r.deadline, r.createdAt = fromNullMS(deadline), fromMS(created)
	return r, err
}

// fullCase assembles the adjudication case of a stored claim.
func (s *ProtectionService) fullCase(ctx context.Context, tx *Tx, r *claimRow) (*protection.Case, error) {
	f, err := loadFacts(ctx, tx, r.orderID)
	if err != nil {
		return nil, err
	}
	p, err := programmeVersion(ctx, tx, r.programmeID, r.version)
	if err != nil {
		return nil, err
	}
	return s.caseOf(ctx, tx, r, f, p)
}

// caseOf is fullCase on the order's facts and the claim's programme
// version already read.
func (s *ProtectionService) caseOf(ctx context.Context, tx *Tx, r *claimRow, f *orderFacts, p *protection.Programme) (*protection.Case, error) {
	c := s.caseFor(f, p, r.typ, r.buyerID, tx.Now)
	c.TriggeredByEvent = r.source == "event"
	c.MerchantResponse, c.ReturnPickedUp = r.response, r.returnPickedUp
	if r.deadline != nil {
		c.MerchantDeadline = *r.deadline
	}
	if !r.fresh {
		if err := loadEvidence(ctx, tx, r.id, c); err != nil {
			return nil, err
		}
	}
	g := c.Guards
	if g.VelocityMax == 0 {
		g = protection.DefaultGuards
	}
	since := ms(r.createdAt.Add(-time.Duration(g.VelocityWindowHours) * time.Hour))
	if err := tx.queryRowCached(ctx, `SELECT COUNT(*) FROM claims WHERE buyer_id = ? AND source = 'buyer' AND created_at >= ? AND created_at <= ? AND id <> ?`,
		r.buyerID, since, ms(r.createdAt), r.id).Scan(&c.BuyerRecentClaims); err != nil {
		return nil, err
	}
	if p.Auto.BuyerQuotaFen > 0 {
		qs := ms(tx.Now.Add(-time.Duration(p.Auto.QuotaWindowDays) * 24 * time.Hour))
		if err := tx.queryRowCached(ctx, `SELECT COALESCE(SUM(p.amount_fen), 0) FROM payouts p JOIN claim_decisions d ON d.id = p.decision_id
			WHERE p.buyer_id = ? AND p.programme_id = ? AND p.created_at >= ? AND d.automated = 1`, r.buyerID, p.ID, qs).Scan(&c.BuyerQuotaUsedFen); err != nil {
			return nil, err
		}
	}
	// Refund-like payouts already made on the order: they bound what is left.
	if err := tx.queryRowCached(ctx, `SELECT COALESCE(SUM(amount_fen), 0) FROM payouts WHERE order_id = ? AND refund_like = 1`, r.orderID).Scan(&c.OrderPaidFen); err != nil {
		return nil, err
	}
	return c, nil
}

// loadEvidence adds a claim's evidence to its case.
func loadEvidence(ctx context.Context, tx *Tx, claimID string, c *protection.Case) error {
	rows, err := tx.queryCached(ctx, `SELECT e.kind, e.sha256, EXISTS (SELECT 1 FROM claim_evidence o WHERE o.sha256 = e.sha256 AND o.claim_id <> e.claim_id)
		FROM claim_evidence e WHERE e.claim_id = ? ORDER BY e.created_at, e.id`, claimID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e protection.Evidence
		if err := rows.Scan(&e.Kind, &e.SHA256, &e.Duplicate); err != nil {
			return err
		}
		c.Evidence = append(c.Evidence, e)
	}
	return rows.Err()
}

// adjudicate runs the engine on a stored open claim and applies its outcome.
func (s *ProtectionService) adjudicate(ctx context.Context, tx *Tx, id string) error {
	r, err := loadClaimRow(ctx, tx, id)
	if err != nil {
		return err
	}
	if r.status != anxin.ClaimOpen {
		return nil
	}
	c, err := s.fullCase(ctx, tx, r)
	if err != nil {
		return err
	}
	d := protection.Adjudicate(c)
	return s.apply(ctx, tx, r, c, d, "auto")
}

// apply records a decision: pending updates the claim's reason only;
// approve, deny and escalate append a decision (with its statement of
// reasons), and approve pays.
func (s *ProtectionService) apply(ctx context.Context, tx *Tx, r *claimRow, c *protection.Case, d protection.Decision, by string) error {
	stmt := d.Statement(c.Programme)
	if d.Outcome == protection.Pending {
		_, err := tx.execCached(ctx, `UPDATE claims SET reason = ?, statement = ?, updated_at = ? WHERE id = ?`, d.Reason, stmt, ms(tx.Now), r.id)
		return err
	}
	seq := 1
	if !r.fresh {
		if err := tx.queryRowCached(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM claim_decisions WHERE claim_id = ?`, r.id).Scan(&seq); err != nil {
			return err
		}
	}
	decID := anxin.NewID("dec")
	if _, err := tx.execCached(ctx, `INSERT INTO claim_decisions (id, claim_id, seq, outcome, reason, statement, amount_fen, decided_by, automated, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, decID, r.id, seq, d.Outcome, d.Reason, stmt, approvedAmount(d), by, b2i(d.Automated), ms(tx.Now)); err != nil {
		return err
	}
	status := map[string]string{protection.Approve: anxin.ClaimApproved, protection.Deny: anxin.ClaimDenied, protection.Escalate: anxin.ClaimEscalated}[d.Outcome]
	decided := any(ms(tx.Now))
	if d.Outcome == protection.Escalate {
		decided = nil
	}
	if _, err := tx.execCached(ctx, `UPDATE claims SET status = ?, reason = ?, statement = ?, amount_fen = ?, automated = ?, decided_at = ?, updated_at = ? WHERE id = ?`,
		status, d.Reason, stmt, approvedAmount(d), b2i(d.Automated && d.Outcome != protection.Escalate), decided, ms(tx.Now), r.id); err != nil {
		return err
	}
	if d.Outcome == protection.Approve {
		if s.BeforePayout != nil {
			s.BeforePayout(r.id)
		}
		return s.pay(ctx, tx, r, c.Programme, decID, d)
	}
	return nil
}

func approvedAmount(d protection.Decision) int64 {
	if d.Outcome == protection.Approve {
		return d.AmountFen
	}
	return 0
}

// pay books a payout for an approved claim and sends it to the marketplace.
// The payout row is unique per claim, per trigger and per decision, so a
// retried or concurrent decision fails instead of paying twice.
func (s *ProtectionService) pay(ctx context.Context, tx *Tx, r *claimRow, p *protection.Programme, decisionID string, d protection.Decision) error {
	if d.AmountFen <= 0 || d.AmountFen > anxin.MaxAmountFen {
		return anxin.Errorf(anxin.Invalid, "The payout amount %d is out of range.", d.AmountFen)
	}
	var err error
	if !r.fresh {
		var existing string
		err = tx.queryRowCached(ctx, `SELECT id FROM payouts WHERE claim_id = ?`, r.id).Scan(&existing)
		if err == nil {
			return anxin.Errorf(anxin.Conflict, "Claim %s was already paid (payout %s).", r.id, existing)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	payoutID := anxin.NewID("pay")
	buyer := ledger.BuyerPayout(r.buyerID)
	memo := fmt.Sprintf("claim %s under %s v%d", r.id, p.ID, p.Version)
	route, perr := protection.PayoutRoute(p.Funding)
	if perr != nil {
		return protectionErr(perr)
	}
	var postingID string
	if route.FromMerchant {
		postingID, _, err = recoverFrom(ctx, tx, "payout", "payout:"+payoutID, payoutID, r.merchantID, r.orderID, r.currency, d.AmountFen, buyer, memo)
	} else {
		var tp ledger.Posting
		if tp, err = ledger.Transfer(r.currency, route.From, buyer, d.AmountFen, memo+route.Note); err != nil {
			return ledgerError(err)
		}
		postingID, err = insertPosting(ctx, tx, "payout", "payout:"+payoutID, tp)
		if err == nil && route.Recover {
			_, _, err = recoverFrom(ctx, tx, "recovery", "recovery:"+payoutID, payoutID, r.merchantID, r.orderID, r.currency, d.AmountFen, route.From, "recovery of "+memo)
		}
	}
	if err != nil {
		return err
	}
	trigger := "claim:" + r.id
	if r.source == "event" {
		trigger = r.key
	}
	msgID, err := Enqueue(ctx, tx, anxin.MessagePayBuyer, r.orderID, payoutID, map[string]any{
		"payout_id": payoutID, "claim_id": r.id, "order_id": r.orderID, "buyer_id": r.buyerID,
		"amount_fen": d.AmountFen, "currency": r.currency, "form": d.Form, "posting_id": postingID,
		"programme_id": p.ID, "ack_url": "/v1/payouts/" + payoutID + "/ack",
	})
	if err != nil {
		return err
	}
	_, err = tx.execCached(ctx, `INSERT INTO payouts (id, claim_id, trigger_key, decision_id, order_id, buyer_id, merchant_id, programme_id, amount_fen, currency,
		funding, form, refund_like, posting_id, message_id, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		payoutID, r.id, trigger, decisionID, r.orderID, r.buyerID, r.merchantID, p.ID, d.AmountFen, r.currency,
		string(p.Funding), d.Form, b2i(!p.AllowOverOrder), postingID, msgID, anxin.PayoutPending, ms(tx.Now))
	return err
}

// b2i stores a bool in an INTEGER column (portable across both dialects).
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
