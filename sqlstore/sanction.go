package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"anxin"
	"anxin/enforcement"
)

// The one sanction model's storage: every source issues sanctions through
// planSanction and storeSanction (or issueSanction, both at once), and
// everything that restricts a merchant or an influencer reads the sanctions
// table. The decisions (overlap, state, gate, appeals) are package
// enforcement's; these functions load facts and persist effects.

// sanctionAppealDays is the appeal window of sanctions issued outside a
// governance decision (governance uses GovernanceService.AppealWindowDays).
const sanctionAppealDays = 30

// sanctionWebhook maps a sanction type to the webhook the marketplace
// receives when it is issued.
var sanctionWebhook = map[string]string{
	anxin.SanctionWarning:           anxin.MessageNotify,
	anxin.SanctionRestrictListing:   anxin.MessageRestrictMerchant,
	anxin.SanctionShieldShop:        anxin.MessageShieldShop,
	anxin.SanctionFreezePayout:      anxin.MessageFreezePayout,
	anxin.SanctionDeductDeposit:     anxin.MessageDeductDeposit,
	anxin.SanctionClearOut:          anxin.MessageClearOutMerchant,
	anxin.SanctionRestrictStreaming: anxin.MessagePenaliseInfluencer,
}

const sanctionCols = `id, subject_type, subject_id, type, source, origin_type, origin_id, cause, statement_id, status, reasons,
	appeal_deadline, starts_at, ends_at, ended_at, end_reason, created_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanSanction(r rowScanner, now int64) (*anxin.Sanction, error) {
	s := new(anxin.Sanction)
	var reasons string
	var dl, end, ended sql.NullInt64
	var start, at int64
	if err := r.Scan(&s.ID, &s.SubjectType, &s.SubjectID, &s.Type, &s.Source, &s.OriginType, &s.OriginID, &s.Cause, &s.StatementID,
		&s.Status, &reasons, &dl, &start, &end, &ended, &s.EndReason, &at); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(reasons), &s.Reasons); err != nil {
		return nil, err
	}
	s.AppealDeadline, s.StartsAt, s.EndsAt, s.EndedAt, s.CreatedAt = fromNullMS(dl), fromMS(start), fromNullMS(end), fromNullMS(ended), fromMS(at)
	if s.SubjectType == anxin.SubjectMerchant {
		s.MerchantID = s.SubjectID
	}
	if s.Status == anxin.SanctionActive && end.Valid && end.Int64 <= now {
		s.Status = anxin.SanctionExpired
	}
	// Rows migrated from the older paths carry only the facts: the
	// restriction and the appeal path follow from the row itself.
	if s.Reasons.Restriction == "" {
		s.Reasons.Restriction = enforcement.Restriction(s)
	}
	s.AppealPath = enforcement.AppealPath(s.ID)
	if s.Reasons.HowToAppeal == "" {
		s.Reasons.HowToAppeal = "Appeal this sanction: " + s.AppealPath + "."
	}
	return s, nil
}

// loadSanctions returns the sanctions a WHERE/ORDER/LIMIT clause selects.
func loadSanctions(ctx context.Context, tx *Tx, where string, args ...any) ([]*anxin.Sanction, error) {
	rows, err := tx.queryCached(ctx, `SELECT `+sanctionCols+` FROM sanctions `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*anxin.Sanction{}
	for rows.Next() {
		s, err := scanSanction(rows, ms(tx.Now))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// standingSanctions returns a subject's sanctions in force or queued (not
// yet ended), newest first.
func standingSanctions(ctx context.Context, tx *Tx, subjectID string) ([]*anxin.Sanction, error) {
	return loadSanctions(ctx, tx, `WHERE subject_id = ? AND status = 'active' AND (ends_at IS NULL OR ends_at > ?) ORDER BY created_at DESC, id`,
		subjectID, ms(tx.Now))
}

// sanctionIssue is what a source knows when it issues a sanction.
type sanctionIssue struct {
	subjectType, subjectID string
	typ, source            string
	originType, originID   string
	cause                  string
	days                   int // 0: open-ended (or one-off)
	explain                enforcement.Explanation
	reason                 string // the user-facing sentence of the statement
	statementID            string // set by governance, whose decision writes its own statement
	decidedBy              string // the key of the person who decided, for a manual sanction
	windowDays             int
	mode                   enforcement.Mode
	extra                  map[string]any // more webhook payload
}

// planSanction builds the sanction and asks the engine how it fits beside
// the subject's standing sanctions. Errors are the engine's (Invalid,
// Conflict; enforcement.Covered for one already covered).
func planSanction(ctx context.Context, tx *Tx, in sanctionIssue) (*anxin.Sanction, error) {
	s := &anxin.Sanction{ID: anxin.NewID("san"), SubjectType: in.subjectType, SubjectID: in.subjectID, Type: in.typ, Source: in.source,
		OriginType: in.originType, OriginID: in.originID, Cause: in.cause, Status: anxin.SanctionActive, StatementID: in.statementID,
		StartsAt: tx.Now, CreatedAt: tx.Now}
	if in.days > 0 && !enforcement.OneOff(in.typ) {
		end := tx.Now.AddDate(0, 0, in.days)
		s.EndsAt = &end
	}
	if err := anxin.ValidateID("subject_id", in.subjectID); err != nil {
		return nil, err
	}
	if err := lockSubject(ctx, tx, in.subjectID); err != nil {
		return nil, err
	}
	others, err := standingSanctions(ctx, tx, in.subjectID)
	if err != nil {
		return nil, err
	}
	placed, err := enforcement.Admit(others, s, in.mode)
	if err != nil {
		return nil, err
	}
	if placed.StatementID == "" {
		placed.StatementID = anxin.NewID("sor")
	}
	window := in.windowDays
	if window == 0 {
		window = sanctionAppealDays
	}
	enforcement.Explain(placed, in.explain, window)
	return placed, nil
}

// storeSanction writes a planned sanction, its statement (unless the
// issuer wrote one: writeStatement false), its webhook and, for a timed
// one, its end job.
func storeSanction(ctx context.Context, tx *Tx, s *anxin.Sanction, in sanctionIssue, writeStatement bool) error {
	if writeStatement {
		st := enforcement.Statement(s, in.reason)
		st.DecidedBy = in.decidedBy
		if _, err := tx.execCached(ctx, `INSERT INTO gov_statements (id, version, previous_id, merchant_id, target_type, target_id, outcome, appeal_deadline, body, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, st.ID, st.Version, st.PreviousID, st.MerchantID, st.TargetType, st.TargetID, int(st.Outcome),
			msPtr(st.AppealDeadline), govJSON(st), ms(tx.Now)); err != nil {
			return err
		}
	}
	tx.touchEnforcement(ctx, s.SubjectID, true)
	if _, err := tx.execCached(ctx, `INSERT INTO sanctions (`+sanctionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '', ?)`,
		s.ID, s.SubjectType, s.SubjectID, s.Type, s.Source, s.OriginType, s.OriginID, s.Cause, s.StatementID, s.Status, govJSON(s.Reasons),
		msPtr(s.AppealDeadline), ms(s.StartsAt), msPtr(s.EndsAt), ms(s.CreatedAt)); err != nil {
		return err
	}
	payload := map[string]any{"sanction_id": s.ID, "statement_id": s.StatementID, "action": s.Type, "source": s.Source,
		"target_type": s.SubjectType, "target_id": s.SubjectID, "merchant_id": s.MerchantID, "starts_at": s.StartsAt, "ends_at": s.EndsAt,
		"reason": in.reason, "origin_type": s.OriginType, "origin_id": s.OriginID, "restriction": s.Reasons.Restriction,
		"how_to_appeal": s.Reasons.HowToAppeal}
	if s.OriginType == "decision" {
		payload["decision_id"] = s.OriginID
	}
	if s.Type == anxin.SanctionDeductDeposit {
		payload["reason_code"], payload["amount"] = "penalty", "all"
	}
	for k, v := range in.extra {
		payload[k] = v
	}
	if _, err := Enqueue(ctx, tx, sanctionWebhook[s.Type], s.SubjectID, s.ID, payload); err != nil {
		return err
	}
	if s.EndsAt != nil {
		return Schedule(ctx, tx, JobSanctionEnd, s.ID, *s.EndsAt, map[string]string{"enforcement_id": s.ID})
	}
	return nil
}

// issueSanction plans and stores a sanction with its own statement. A
// sanction already covered (enforcement.Covered) returns (nil, nil): the
// restriction is in force already and nothing is stored.
func issueSanction(ctx context.Context, tx *Tx, in sanctionIssue) (*anxin.Sanction, error) {
	s, err := planSanction(ctx, tx, in)
	if enforcement.Covered(err) && in.mode == enforcement.Queue {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s, storeSanction(ctx, tx, s, in, true)
}

// endSanctions ends the listed sanctions still active (lifted or
// reversed), cancels their end jobs and tells the marketplace with
// enforcement.reverse. It returns how many it ended.
func endSanctions(ctx context.Context, tx *Tx, ss []*anxin.Sanction, status, reason string) (int, error) {
	n := 0
	for _, s := range ss {
		tx.touchEnforcement(ctx, s.SubjectID, true)
		r, err := tx.ExecContext(ctx, `UPDATE sanctions SET status = ?, ended_at = ?, end_reason = ? WHERE id = ? AND status = 'active'`,
			status, ms(tx.Now), reason, s.ID)
		if err != nil {
			return n, err
		}
		if k, err := r.RowsAffected(); err != nil {
			return n, err
		} else if k == 0 {
			continue
		}
		n++
		if err := CancelJob(ctx, tx, JobSanctionEnd, s.ID); err != nil {
			return n, err
		}
		if _, err := Enqueue(ctx, tx, anxin.MessageReverseEnforcement, s.SubjectID, "reverse:"+s.ID, map[string]any{
			"sanction_id": s.ID, "statement_id": s.StatementID, "action": s.Type, "source": s.Source, "target_type": s.SubjectType,
			"target_id": s.SubjectID, "merchant_id": s.MerchantID, "enforcement_id": s.ID, "status": status, "reason": reason}); err != nil {
			return n, err
		}
	}
	return n, nil
}

// findSanction reads one sanction. NotFound if absent.
func findSanction(ctx context.Context, tx *Tx, id string) (*anxin.Sanction, error) {
	s, err := scanSanction(tx.QueryRowContext(ctx, `SELECT `+sanctionCols+` FROM sanctions WHERE id = ?`, id), ms(tx.Now))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, anxin.Errorf(anxin.NotFound, "Sanction not found.")
	}
	return s, err
}

// sanctionCursor pages a sanction list newest first by (created_at, id).
func sanctionCursor(c string) (int64, string, error) {
	if c == "" {
		return 0, "", nil
	}
	at, id, ok := strings.Cut(c, ".")
	n, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || anxin.ValidateID("cursor", id) != nil {
		return 0, "", anxin.Errorf(anxin.Invalid, "cursor is not one this list returned.")
	}
	return n, id, nil
}

// lockSubject serialises the transactions that plan sanctions on one
// subject until they end. Admit decides an overlap from the standing
// sanctions it is shown; on PostgreSQL two transactions at read committed
// would both read none and both store theirs, so each first takes a
// transaction-scoped advisory lock on the subject. SQLite has one writer,
// which serialises them already.
func lockSubject(ctx context.Context, tx *Tx, subjectID string) error {
	if tx.Dialect() != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext(?))`, "sanction:"+subjectID)
	return err
}
