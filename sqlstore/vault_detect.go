package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"anxin"
)

// Exfiltration detection. Leaks of buyers' data come from people with
// legitimate access, so every decrypt and lookup is checked against the
// principal's own history before it is served:
//
//   - bulk_decrypt: more decrypts in the trailing hour than
//     max(BulkFloor, BulkFactor × the principal's hourly average over the
//     previous seven days);
//   - decrypts_exceed_orders (merchants): more distinct orders decrypted in
//     24 hours than OrderFactor × the orders it was paid for or shipped in
//     that time, plus OrderSlack;
//   - lookup_sweep: more blind-index searches in the trailing hour than
//     SweepPerHour (phone-number sweeps);
//   - odd_hours: at least OddHoursMin accesses in the trailing hour between
//     00:00 and OddHoursEnd marketplace time by a principal with no access
//     in those hours over the previous seven days.
//
// A hit raises an alert with its evidence (counts, thresholds), throttles
// the principal (decrypts and searches refused until a privacy officer
// resolves the alert), opens a case and notifies the marketplace through the
// outbox. The access that tripped it is refused.

// DetectConfig holds the detector's thresholds.
type DetectConfig struct {
	BulkFloor    int     // default 40 decrypts an hour
	BulkFactor   float64 // default 4
	OrderFactor  float64 // default 2
	OrderSlack   int     // default 20
	SweepPerHour int     // default 30
	OddHoursEnd  int     // default 6 (00:00–05:59)
	OddHoursMin  int     // default 3
}

func (c *DetectConfig) defaults() {
	if c.BulkFloor <= 0 {
		c.BulkFloor = 40
	}
	if c.BulkFactor <= 0 {
		c.BulkFactor = 4
	}
	if c.OrderFactor <= 0 {
		c.OrderFactor = 2
	}
	if c.OrderSlack <= 0 {
		c.OrderSlack = 20
	}
	if c.SweepPerHour <= 0 {
		c.SweepPerHour = 30
	}
	if c.OddHoursEnd <= 0 {
		c.OddHoursEnd = 6
	}
	if c.OddHoursMin <= 0 {
		c.OddHoursMin = 3
	}
}

// checkThrottle refuses a principal an open alert has throttled.
func (s *VaultService) checkThrottle(ctx context.Context, tx *Tx, actor anxin.Actor) error {
	var alertID string
	err := tx.QueryRowContext(ctx, `SELECT alert_id FROM privacy_throttles WHERE principal = ?`, actor.KeyID).Scan(&alertID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return anxin.Errorf(anxin.RateLimited, "Access to personal data for this key is suspended pending a privacy review (alert %s).", alertID)
}

// detect evaluates the rules for one more access of kind action ("decrypt"
// or "search") and raises at most one alert; it returns the alert id or "".
func (s *VaultService) detect(ctx context.Context, tx *Tx, actor anxin.Actor, action, orderID string) (string, error) {
	c := s.Config.Detect
	now := ms(tx.Now)
	hourAgo := now - time.Hour.Milliseconds()
	weekAgo := now - 7*24*time.Hour.Milliseconds()
	var err error
	count := func(q string, args ...any) int64 {
		var n int64
		if err == nil {
			err = tx.QueryRowContext(ctx, q, args...).Scan(&n)
		}
		return n
	}
	lastHour := count(`SELECT COUNT(*) FROM privacy_audit WHERE actor_key = ? AND action = ? AND at > ?`, actor.KeyID, action, hourAgo) + 1
	if err != nil {
		return "", err
	}
	switch action {
	case "decrypt":
		prior := count(`SELECT COUNT(*) FROM privacy_audit WHERE actor_key = ? AND action = 'decrypt' AND outcome = 'allowed' AND at > ? AND at <= ?`, actor.KeyID, weekAgo, hourAgo)
		if err != nil {
			return "", err
		}
		baseline := float64(prior) / (7 * 24)
		threshold := max(float64(c.BulkFloor), c.BulkFactor*baseline)
		if float64(lastHour) > threshold {
			return s.raise(ctx, tx, actor, "bulk_decrypt", map[string]any{
				"decrypts_last_hour": lastHour, "hourly_baseline_7d": baseline, "threshold": threshold})
		}
		if m := anxin.MerchantScope(ctx); m != "" {
			dayAgo := now - 24*time.Hour.Milliseconds()
			distinct := count(`SELECT COUNT(DISTINCT order_id) FROM privacy_audit WHERE actor_key = ? AND action = 'decrypt' AND at > ? AND order_id <> ?`, actor.KeyID, dayAgo, orderID) + 1
			orders := count(`SELECT COUNT(*) FROM orders WHERE merchant_id = ? AND ((paid_at IS NOT NULL AND paid_at > ?) OR (shipped_at IS NOT NULL AND shipped_at > ?))`, m, dayAgo, dayAgo)
			if err != nil {
				return "", err
			}
			limit := c.OrderFactor*float64(orders) + float64(c.OrderSlack)
			if float64(distinct) > limit {
				return s.raise(ctx, tx, actor, "decrypts_exceed_orders", map[string]any{
					"orders_decrypted_24h": distinct, "orders_paid_or_shipped_24h": orders, "threshold": limit})
			}
		}
	case "search":
		if lastHour > int64(c.SweepPerHour) {
			return s.raise(ctx, tx, actor, "lookup_sweep", map[string]any{
				"searches_last_hour": lastHour, "threshold": c.SweepPerHour})
		}
	}
	if h := tx.Now.In(anxin.MarketplaceTZ).Hour(); h < c.OddHoursEnd {
		odd := count(`SELECT COUNT(*) FROM privacy_audit WHERE actor_key = ? AND action IN ('decrypt', 'search') AND at > ?`, actor.KeyID, hourAgo) + 1
		if err != nil {
			return "", err
		}
		if odd >= int64(c.OddHoursMin) {
			usual, err := s.usedOddHours(ctx, tx, actor, weekAgo, hourAgo)
			if err != nil {
				return "", err
			}
			if !usual {
				return s.raise(ctx, tx, actor, "odd_hours", map[string]any{
					"accesses_last_hour": odd, "local_hour": h, "odd_hour_accesses_prior_7d": 0})
			}
		}
	}
	return "", nil
}

// usedOddHours reports whether the principal accessed personal data in the
// odd hours during [from, to).
func (s *VaultService) usedOddHours(ctx context.Context, tx *Tx, actor anxin.Actor, from, to int64) (bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT at FROM privacy_audit WHERE actor_key = ? AND action IN ('decrypt', 'search') AND at > ? AND at <= ? ORDER BY at DESC LIMIT 5000`,
		actor.KeyID, from, to)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	for rows.Next() {
		var at int64
		if err := rows.Scan(&at); err != nil {
			return false, err
		}
		if fromMS(at).In(anxin.MarketplaceTZ).Hour() < s.Config.Detect.OddHoursEnd {
			return true, nil
		}
	}
	return false, rows.Err()
}

// raise opens an alert (unless one of that kind is already open for the
// principal), a case and a throttle, and notifies through the outbox.
func (s *VaultService) raise(ctx context.Context, tx *Tx, actor anxin.Actor, kind string, evidence map[string]any) (string, error) {
	var existing string
	err := tx.QueryRowContext(ctx, `SELECT id FROM privacy_alerts WHERE principal = ? AND kind = ? AND status = 'open'`, actor.KeyID, kind).Scan(&existing)
	if err == nil {
		return existing, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	ev, _ := json.Marshal(evidence)
	id, caseID := anxin.NewID("pal"), anxin.NewID("pcase")
	if _, err := tx.ExecContext(ctx, `INSERT INTO privacy_alerts (id, principal, role, kind, status, evidence, case_id, opened_at) VALUES (?, ?, ?, ?, 'open', ?, ?, ?)`,
		id, actor.KeyID, string(actor.Role), kind, string(ev), caseID, ms(tx.Now)); err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO privacy_cases (id, alert_id, principal, kind, status, opened_at) VALUES (?, ?, ?, ?, 'open', ?)`,
		caseID, id, actor.KeyID, kind, ms(tx.Now)); err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO privacy_throttles (principal, alert_id, since) VALUES (?, ?, ?) ON CONFLICT (principal) DO NOTHING`,
		actor.KeyID, id, ms(tx.Now)); err != nil {
		return "", err
	}
	if _, err := Enqueue(ctx, tx, anxin.MessageNotify, actor.KeyID, "privacy_alert:"+id, map[string]any{
		"event": "privacy.case_opened", "case_id": caseID, "alert_id": id, "principal": actor.KeyID,
		"role": string(actor.Role), "kind": kind, "evidence": json.RawMessage(ev)}); err != nil {
		return "", err
	}
	if err := appendAudit(ctx, tx, &anxin.AuditEvent{Action: "alert", Outcome: "raised", Detail: "kind=" + kind + " alert=" + id}); err != nil {
		return "", err
	}
	return id, nil
}

// FindAlerts lists alerts, newest first, optionally by status (open,
// resolved). Roles: privacy, auditor.
func (s *VaultService) FindAlerts(ctx context.Context, status string) ([]*anxin.PrivacyAlert, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadAlerts); err != nil {
		return nil, err
	}
	if status != "" && status != "open" && status != "resolved" {
		return nil, anxin.Errorf(anxin.Invalid, "status must be open or resolved.")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, principal, role, kind, status, evidence, case_id, opened_at, resolved_at, resolution
		FROM privacy_alerts WHERE (? = '' OR status = ?) ORDER BY opened_at DESC, id LIMIT 500`, status, status)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*anxin.PrivacyAlert
	for rows.Next() {
		a := new(anxin.PrivacyAlert)
		var ev string
		var opened int64
		var resolved sql.NullInt64
		if err := rows.Scan(&a.ID, &a.Principal, &a.Role, &a.Kind, &a.Status, &ev, &a.CaseID, &opened, &resolved, &a.Resolution); err != nil {
			return nil, err
		}
		a.Evidence, a.OpenedAt, a.ResolvedAt = json.RawMessage(ev), fromMS(opened), fromNullMS(resolved)
		out = append(out, a)
	}
	return out, rows.Err()
}

// ResolveAlert closes an open alert and its case. "false_positive" lifts
// the throttle; "confirmed" keeps the key throttled (revoke it). NotFound if
// the alert is absent or already resolved. Role: privacy.
func (s *VaultService) ResolveAlert(ctx context.Context, id, resolution, note string) error {
	if err := anxin.Authorize(ctx, anxin.ActionManageAlerts); err != nil {
		return err
	}
	if err := anxin.ValidateID("alert id", id); err != nil {
		return err
	}
	if resolution != "confirmed" && resolution != "false_positive" {
		return anxin.Errorf(anxin.Invalid, "resolution must be confirmed or false_positive.")
	}
	note = strings.TrimSpace(note)
	if len(note) > 500 || strings.ContainsAny(note, "\r\n") || !utf8.ValidString(note) {
		return anxin.Errorf(anxin.Invalid, "The note must be one line of at most 500 bytes.")
	}
	detail := "alert=" + id + " resolution=" + resolution
	if note != "" {
		detail += " note=" + strconv.Quote(note)
	}
	return s.db.Transact(ctx, func(tx *Tx) error {
		var principal, caseID string
		err := tx.QueryRowContext(ctx, `SELECT principal, case_id FROM privacy_alerts WHERE id = ? AND status = 'open'`, id).Scan(&principal, &caseID)
		if errors.Is(err, sql.ErrNoRows) {
			return anxin.Errorf(anxin.NotFound, "Open alert not found.")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE privacy_alerts SET status = 'resolved', resolved_at = ?, resolution = ?, resolved_by = ? WHERE id = ?`,
			ms(tx.Now), resolution, anxin.ActorFromContext(ctx).KeyID, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE privacy_cases SET status = 'closed', closed_at = ? WHERE id = ?`, ms(tx.Now), caseID); err != nil {
			return err
		}
		if resolution == "false_positive" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM privacy_throttles WHERE principal = ? AND alert_id = ?`, principal, id); err != nil {
				return err
			}
			// Another open alert for the principal keeps it throttled.
			var other string
			err := tx.QueryRowContext(ctx, `SELECT id FROM privacy_alerts WHERE principal = ? AND status = 'open' ORDER BY opened_at LIMIT 1`, principal).Scan(&other)
			if err == nil {
				if _, err := tx.ExecContext(ctx, `INSERT INTO privacy_throttles (principal, alert_id, since) VALUES (?, ?, ?) ON CONFLICT (principal) DO NOTHING`, principal, other, ms(tx.Now)); err != nil {
					return err
				}
			} else if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		return appendAudit(ctx, tx, &anxin.AuditEvent{Action: "resolve_alert", Outcome: "allowed", Detail: detail})
	})
}
