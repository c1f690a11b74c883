package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"anxin"
	"anxin/privacy"
	"anxin/vault"
)

// Waybills and virtual numbers (AXB with extension). A waybill never carries
// the buyer's real number: the courier dials the virtual number X and the
// extension, and the telephony gateway asks RouteCall where to connect. A
// binding lives until delivery plus BindingTTL (or cancellation, or
// BindingMax after creation); after that the call goes nowhere.

// Waybill returns the label data for a paid or shipped order: the masked
// name, a virtual number with extension (or the masked phone when no number
// is free), the full delivery address and a reveal reference for the courier
// app. Roles: platform, merchant (own orders). Decrypting the address is
// audited as a waybill access. Conflict when the order is not awaiting or in
// shipment; NotFound without sealed data.
func (s *VaultService) Waybill(ctx context.Context, orderID string) (*anxin.Waybill, error) {
	if err := anxin.Authorize(ctx, anxin.ActionPrintWaybill); err != nil {
		return nil, err
	}
	if err := anxin.ValidateID("order id", orderID); err != nil {
		return nil, err
	}
	var out *anxin.Waybill
	err := s.audited(ctx, func(tx *Tx) (error, error) {
		ev := anxin.AuditEvent{Action: "waybill", OrderID: orderID, Purpose: anxin.PurposeShip}
		o, err := scopedOrder(ctx, tx, orderID)
		if err != nil {
			return refuse(ctx, tx, ev, err)
		}
		if o.CancelledAt.Valid || o.DeliveredAt.Valid || (o.Status != anxin.OrderPaid && o.Status != anxin.OrderShipped) {
			return refuse(ctx, tx, ev, anxin.Errorf(anxin.Conflict, "The order is not awaiting or in shipment (status %s).", o.Status))
		}
		r, err := loadRecord(ctx, tx, orderID)
		if err != nil {
			return refuse(ctx, tx, ev, err)
		}
		p, err := s.open(ctx, tx, r, anxin.FieldAddress)
		if err != nil {
			if vault.IsTampered(err) {
				return refuse(ctx, tx, ev, err)
			}
			return nil, err
		}
		w := &anxin.Waybill{OrderID: orderID, RecipientName: r.MaskedName, Address: p.Address.String(), Region: p.Address.Masked(),
			PrintedAt: fromMS(ms(tx.Now))}
		x, ext, exp, err := s.bind(ctx, tx, o, r)
		if err != nil {
			return nil, err
		}
		if x != "" {
			w.PhoneMode, w.VirtualNumber, w.Extension, w.BindingExpiry = "virtual", x, ext, &exp
			w.Phone = x + " 转 " + ext
		} else {
			w.PhoneMode, w.Phone = "masked", r.MaskedPhone
		}
		w.RevealRef = anxin.NewID("rv")
		w.QRPayload = "anxin:waybill:v1:" + orderID + ":" + w.RevealRef
		if _, err := tx.ExecContext(ctx, `INSERT INTO privacy_waybills (id, order_id, phone_mode, reveal_ref, printed_at) VALUES (?, ?, ?, ?, ?)`,
			anxin.NewID("wb"), orderID, w.PhoneMode, w.RevealRef, ms(tx.Now)); err != nil {
			return nil, err
		}
		ev.Outcome, ev.Detail = "allowed", "phone_mode="+w.PhoneMode
		if err := appendAudit(ctx, tx, &ev); err != nil {
			return nil, err
		}
		out = w
		return nil, nil
	})
	return out, err
}

// bindingExpiry is when an order's binding stops routing.
func (s *VaultService) bindingExpiry(o *piiOrder, created int64) int64 {
	exp := created + s.Config.BindingMax.Milliseconds()
	if o.DeliveredAt.Valid {
		exp = min(exp, o.DeliveredAt.Int64+s.Config.BindingTTL.Milliseconds())
	}
	if o.CancelledAt.Valid {
		exp = min(exp, o.CancelledAt.Int64)
	}
	return exp
}

// extensionSpace is 10^ExtensionDigits.
var extensionSpace = func() uint64 {
	n := uint64(1)
	for range privacy.ExtensionDigits {
		n *= 10
	}
	return n
}()

// bind returns the order's live binding or makes one; "" when the pool is
// empty or full.
func (s *VaultService) bind(ctx context.Context, tx *Tx, o *piiOrder, r *record) (x, ext string, exp time.Time, err error) {
	var created int64
	err = tx.QueryRowContext(ctx, `SELECT x_number, extension, created_at FROM virtual_bindings WHERE order_id = ? AND released_at IS NULL AND expires_at > ?
		ORDER BY created_at DESC LIMIT 1`, o.ID, ms(tx.Now)).Scan(&x, &ext, &created)
	if err == nil {
		return x, ext, fromMS(s.bindingExpiry(o, created)), nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", "", time.Time{}, err
	}
	pool := s.Config.VirtualNumbers
	if len(pool) == 0 {
		return "", "", time.Time{}, nil
	}
	// Free bindings that have expired so their extensions can be reused.
	if _, err := tx.ExecContext(ctx, `UPDATE virtual_bindings SET released_at = ? WHERE released_at IS NULL AND expires_at <= ?`, ms(tx.Now), ms(tx.Now)); err != nil {
		return "", "", time.Time{}, err
	}
	// Candidates are derived from the order id, so allocation is
	// deterministic and needs no shared counter.
	seed := sha256.Sum256([]byte(o.ID))
	for attempt := uint64(0); attempt < 64; attempt++ {
		h := binary.BigEndian.Uint64(seed[:8]) + attempt*7919
		x = pool[h%uint64(len(pool))]
		ext = fmt.Sprintf("%0*d", privacy.ExtensionDigits, (h/uint64(len(pool)))%extensionSpace)
		var n, onNumber int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM virtual_bindings WHERE x_number = ? AND extension = ? AND released_at IS NULL`, x, ext).Scan(&n); err != nil {
			return "", "", time.Time{}, err
		}
		if n > 0 {
			continue
		}
		// A full number keeps guessing improbable: see privacy.MaxBindingsPerNumber.
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM virtual_bindings WHERE x_number = ? AND released_at IS NULL`, x).Scan(&onNumber); err != nil {
			return "", "", time.Time{}, err
		}
		if onNumber >= privacy.MaxBindingsPerNumber {
			continue
		}
		exp := s.bindingExpiry(o, ms(tx.Now))
		if _, err := tx.ExecContext(ctx, `INSERT INTO virtual_bindings (id, order_id, record_id, x_number, extension, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			anxin.NewID("vb"), o.ID, r.ID, x, ext, ms(tx.Now), exp); err != nil {
			return "", "", time.Time{}, err
		}
		return x, ext, fromMS(exp), nil
	}
	return "", "", time.Time{}, nil
}

// RouteCall tells the telephony gateway where a call to number and
// extension goes: the buyer's real number, only while the binding is live
// (before delivery + BindingTTL, not cancelled), and nothing else (no order
// id: the courier needs a phone to ring). Afterwards it returns NotFound:
// the call goes nowhere. Role: platform. Audited either way.
//
// Threat: sweeping extensions to collect buyers' phones. Failed attempts
// are counted per caller key and per virtual number in route_limits (so all
// replicas share them); past Config.Route's free failures the key or number
// is refused with RateLimited and a growing Retry-After, and the key's
// AlertAfter-th failure raises a route_sweep privacy alert that opens a case
// and suspends the key, as the other exfiltration detectors do. See package
// privacy for the arithmetic.
func (s *VaultService) RouteCall(ctx context.Context, number, extension string) (*anxin.VirtualRoute, error) {
	if err := anxin.Authorize(ctx, anxin.ActionRouteCall); err != nil {
		return nil, err
	}
	if len(number) < 5 || len(number) > 20 || strings.Trim(number, "0123456789") != "" {
		return nil, anxin.Errorf(anxin.Invalid, "number must be 5 to 20 digits.")
	}
	if len(extension) < 1 || len(extension) > privacy.ExtensionDigits || strings.Trim(extension, "0123456789") != "" {
		return nil, anxin.Errorf(anxin.Invalid, "extension must be 1 to 6 digits.")
	}
	actor := anxin.ActorFromContext(ctx)
	limits := s.Config.Route
	var out *anxin.VirtualRoute
	err := s.audited(ctx, func(tx *Tx) (error, error) {
		ev := anxin.AuditEvent{Action: "route", Purpose: anxin.PurposeDelivery, Detail: "number=" + number + " ext=" + extension}
		if err := s.checkThrottle(ctx, tx, actor); err != nil {
			return refuse(ctx, tx, ev, err)
		}
		byKey, err := loadRouteCounter(ctx, tx, "key", actor.KeyID)
		if err != nil {
			return nil, err
		}
		byNumber, err := loadRouteCounter(ctx, tx, "number", number)
		if err != nil {
			return nil, err
		}
		if wait := max(limits.Blocked(byKey, tx.Now), limits.Blocked(byNumber, tx.Now)); wait > 0 {
			e := anxin.Errorf(anxin.RateLimited, "Too many calls to extensions that are not live; retry in %d seconds.", int64((wait+time.Second-1)/time.Second))
			e.RetryAfter = wait
			return refuse(ctx, tx, ev, e)
		}
		gone := anxin.Errorf(anxin.NotFound, "No live binding for this number and extension; the call goes nowhere.")
		fail := func() (error, error) {
			byKey, byNumber = limits.Fail(byKey, tx.Now), limits.Fail(byNumber, tx.Now)
			if err := saveRouteCounter(ctx, tx, "key", actor.KeyID, byKey); err != nil {
				return nil, err
			}
			if err := saveRouteCounter(ctx, tx, "number", number, byNumber); err != nil {
				return nil, err
			}
			if limits.Alert(byKey) {
				if _, err := s.raise(ctx, tx, actor, "route_sweep", map[string]any{
					"failed_routes_by_key": byKey.Failures, "failed_routes_on_number": byNumber.Failures, "threshold": limits.AlertAfter}); err != nil {
					return nil, err
				}
			}
			return refuse(ctx, tx, ev, gone)
		}
		var orderID string
		var created int64
		err = tx.QueryRowContext(ctx, `SELECT order_id, created_at FROM virtual_bindings WHERE x_number = ? AND extension = ? AND released_at IS NULL`,
			number, extension).Scan(&orderID, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return fail()
		}
		if err != nil {
			return nil, err
		}
		ev.OrderID = orderID
		o, err := scopedOrder(ctx, tx, orderID)
		if err != nil {
			return fail()
		}
		exp := s.bindingExpiry(o, created)
		if ms(tx.Now) >= exp {
			if _, err := tx.ExecContext(ctx, `UPDATE virtual_bindings SET released_at = ?, expires_at = ? WHERE order_id = ? AND released_at IS NULL`, ms(tx.Now), exp, orderID); err != nil {
				return nil, err
			}
			return fail()
		}
		r, err := loadRecord(ctx, tx, orderID)
		if err != nil {
			return fail()
		}
		p, err := s.open(ctx, tx, r, anxin.FieldPhone)
		if err != nil {
			if vault.IsTampered(err) {
				return refuse(ctx, tx, ev, err)
			}
			return nil, err
		}
		ev.Outcome = "allowed"
		if err := appendAudit(ctx, tx, &ev); err != nil {
			return nil, err
		}
		out = &anxin.VirtualRoute{Number: number, Extension: extension, Target: p.Phone, ExpiresAt: fromMS(exp)}
		return nil, nil
	})
	return out, err
}

// loadRouteCounter reads (and on PostgreSQL locks) the failure counter of
// one caller key or virtual number; an absent row is a zero counter.
func loadRouteCounter(ctx context.Context, tx *Tx, scope, subject string) (privacy.RouteCounter, error) {
	if _, err := tx.ExecContext(ctx, `INSERT INTO route_limits (scope, subject) VALUES (?, ?) ON CONFLICT (scope, subject) DO NOTHING`, scope, subject); err != nil {
		return privacy.RouteCounter{}, err
	}
	q := `SELECT failures, last_failure_at, blocked_until FROM route_limits WHERE scope = ? AND subject = ?`
	if tx.Dialect() == Postgres {
		q += ` FOR UPDATE`
	}
	var c privacy.RouteCounter
	var last, blocked int64
	if err := tx.QueryRowContext(ctx, q, scope, subject).Scan(&c.Failures, &last, &blocked); err != nil {
		return privacy.RouteCounter{}, err
	}
	c.LastFailure, c.BlockedUntil = fromMS(last), fromMS(blocked)
	return c, nil
}

func saveRouteCounter(ctx context.Context, tx *Tx, scope, subject string, c privacy.RouteCounter) error {
	_, err := tx.ExecContext(ctx, `UPDATE route_limits SET failures = ?, last_failure_at = ?, blocked_until = ? WHERE scope = ? AND subject = ?`,
		c.Failures, ms(c.LastFailure), ms(c.BlockedUntil), scope, subject)
	return err
}
