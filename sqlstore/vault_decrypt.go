package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"anxin"
	"anxin/privacy"
	"anxin/vault"
)

// opened is decrypted personal data, kept in memory only.
type opened struct {
	Name, Phone string
	Address     vault.Address
	Extra       map[string]string
}

// open decrypts the requested fields of r.
func (s *VaultService) open(ctx context.Context, tx *Tx, r *record, fields ...string) (*opened, error) {
	wk, err := loadWrappedKeyTx(ctx, tx, r.DataKeyID)
	if err != nil {
		return nil, err
	}
	dk, err := s.vault.DataKey(ctx, wk)
	if err != nil {
		return nil, err
	}
	o := &opened{}
	for _, f := range fields {
		switch f {
		case anxin.FieldName:
			if o.Name, err = dk.Open(r.ID, f, r.NameSealed); err != nil {
				return nil, err
			}
		case anxin.FieldPhone:
			if o.Phone, err = dk.Open(r.ID, f, r.PhoneSealed); err != nil {
				return nil, err
			}
		case anxin.FieldAddress:
			a, err := dk.Open(r.ID, f, r.AddressSealed)
			if err != nil {
				return nil, err
			}
			if json.Unmarshal([]byte(a), &o.Address) != nil {
				return nil, errTampered
			}
		case anxin.FieldExtra:
			if r.ExtraSeal == "" {
				continue
			}
			e, err := dk.Open(r.ID, f, r.ExtraSeal)
			if err != nil {
				return nil, err
			}
			if json.Unmarshal([]byte(e), &o.Extra) != nil {
				return nil, errTampered
			}
		}
	}
	return o, nil
}

func loadWrappedKeyTx(ctx context.Context, tx *Tx, id string) (vault.WrappedKey, error) {
	var ver int64
	var wrapped string
	err := tx.QueryRowContext(ctx, `SELECT kek_version, wrapped FROM vault_data_keys WHERE id = ?`, id).Scan(&ver, &wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return vault.WrappedKey{}, errTampered
	}
	if err != nil {
		return vault.WrappedKey{}, err
	}
	raw, err := base64.StdEncoding.DecodeString(wrapped)
	if err != nil {
		return vault.WrappedKey{}, errTampered
	}
	return vault.WrappedKey{ID: id, KEKVersion: uint32(ver), Wrapped: raw}, nil
}

// orderOpen reports whether decrypts for fulfilment are still allowed: the
// order is paid or shipped, delivered less than OpenAfterDelivery ago, or has
// an after-sale request still open.
func (s *VaultService) orderOpen(ctx context.Context, tx *Tx, o *piiOrder) (bool, error) {
	d := privacy.OrderDates{Status: o.Status}
	for _, f := range []struct {
		v  sql.NullInt64
		to *time.Time
	}{{o.PaidAt, &d.PaidAt}, {o.DeliveredAt, &d.DeliveredAt}, {o.CancelledAt, &d.CancelledAt}} {
		if f.v.Valid {
			*f.to = fromMS(f.v.Int64)
		}
	}
	if privacy.OrderOpen(d, s.Config.OpenAfterDelivery, tx.Now) {
		return true, nil
	}
	var n int64
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM aftersales WHERE order_id = ? AND status NOT IN ('closed', 'refunded', 'rejected')`, o.ID).Scan(&n)
	return n > 0, err
}

// DecryptPII returns an order's personal data in plaintext for a stated
// purpose. It needs: a role allowed that purpose, fields the purpose reveals
// (privacy.DecryptFields), a live grant for the caller's role, purpose and
// order (or "*") approved by a second privacy key and not requested by the
// caller's own key (privacy.PickGrant), the order in the caller's scope
// and still open (except for legal requests), the caller under its
// per-minute limit and not throttled by an alert, and for the courier's
// delivery purpose the waybill's reveal reference. Every call is audited,
// refusals included. A sealed field that fails its integrity check is
// refused (Invalid) and audited as tampered; nothing is revealed.
func (s *VaultService) DecryptPII(ctx context.Context, orderID string, req anxin.DecryptRequest) (*anxin.RevealedPII, error) {
	actor := anxin.ActorFromContext(ctx)
	ev := anxin.AuditEvent{Action: "decrypt", OrderID: orderID, Purpose: req.Purpose}
	if len(ev.Purpose) > 32 {
		ev.Purpose = ev.Purpose[:32]
	}
	if err := anxin.Authorize(ctx, anxin.ActionDecryptPII); err != nil {
		if actor.Role != "" && anxin.ValidateID("order id", orderID) == nil {
			s.audited(ctx, func(tx *Tx) (error, error) { return refuse(ctx, tx, ev, err) })
		}
		return nil, err
	}
	if err := anxin.ValidateID("order id", orderID); err != nil {
		return nil, err
	}
	var out *anxin.RevealedPII
	err := s.audited(ctx, func(tx *Tx) (error, error) {
		if err := req.Validate(); err != nil {
			ev.Purpose = ""
			return refuse(ctx, tx, ev, err)
		}
		fields, ferr := privacy.DecryptFields(req.Purpose, req.Fields)
		if ferr == nil {
			req.Fields = fields
		}
		ev.Detail = "fields=" + strings.Join(req.Fields, ",")
		if ferr != nil {
			return refuse(ctx, tx, ev, ferr)
		}
		if err := privacy.CheckPurpose(actor.Role, req.Purpose); err != nil {
			return refuse(ctx, tx, ev, err)
		}
		o, err := scopedOrder(ctx, tx, orderID)
		if err != nil {
			return refuse(ctx, tx, ev, err)
		}
		if err := s.checkThrottle(ctx, tx, actor); err != nil {
			return refuse(ctx, tx, ev, err)
		}
		var recent int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM privacy_audit WHERE actor_key = ? AND action = 'decrypt' AND at > ? AND outcome = 'allowed'`,
			actor.KeyID, ms(tx.Now)-60_000).Scan(&recent); err != nil {
			return nil, err
		}
		if err := privacy.CheckRate(recent, s.Config.DecryptsPerMinute); err != nil {
			return refuse(ctx, tx, ev, err)
		}
		candidates, err := grantCandidates(ctx, tx, actor.Role, req.Purpose, orderID)
		if err != nil {
			return nil, err
		}
		g, err := privacy.PickGrant(actor, candidates, req.Purpose, orderID, tx.Now)
		if err != nil {
			return refuse(ctx, tx, ev, err)
		}
		grantID := g.ID
		ev.Detail += " grant=" + grantID
		// Every granted attempt counts toward the detector, also those refused
		// below for a closed order: probing closed orders is suspicious too.
		raised, err := s.detect(ctx, tx, actor, "decrypt", orderID)
		if err != nil {
			return nil, err
		}
		if raised != "" {
			return refuse(ctx, tx, ev, anxin.Errorf(anxin.RateLimited, "Unusual access volume: decrypts for this key are suspended pending a privacy review (alert %s).", raised))
		}
		if privacy.NeedsOpenOrder(req.Purpose) {
			open, err := s.orderOpen(ctx, tx, o)
			if err != nil {
				return nil, err
			}
			if err := privacy.CheckOrderOpen(req.Purpose, open); err != nil {
				return refuse(ctx, tx, ev, err)
			}
		}
		if privacy.NeedsWaybill(req.Purpose) {
			var n int64
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM privacy_waybills WHERE order_id = ? AND reveal_ref = ?`, orderID, req.RevealRef).Scan(&n); err != nil {
				return nil, err
			}
			if err := privacy.CheckWaybill(req.Purpose, n > 0); err != nil {
				return refuse(ctx, tx, ev, err)
			}
		}
		r, err := loadRecord(ctx, tx, orderID)
		if err != nil {
			return refuse(ctx, tx, ev, err)
		}
		p, err := s.open(ctx, tx, r, req.Fields...)
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
		out = &anxin.RevealedPII{OrderID: orderID, Purpose: req.Purpose, Name: p.Name, Phone: p.Phone, Extra: p.Extra, AuditSeq: ev.Seq}
		if p.Address.District != "" {
			out.Address = p.Address.String()
		}
		return nil, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SearchPII finds orders by blind index: the full phone, its last four
// digits or the name, exactly one. Merchants find only their own orders.
// Results are masked; nothing is decrypted. At most 50 results. Roles: care,
// merchant. Every search is audited (the kind, never the value) and counts
// toward the lookup-sweep detector.
func (s *VaultService) SearchPII(ctx context.Context, q anxin.PIISearch) ([]*anxin.MaskedPII, error) {
	if err := anxin.Authorize(ctx, anxin.ActionSearchPII); err != nil {
		return nil, err
	}
	var kind, norm string
	var err error
	n := 0
	if q.Phone != "" {
		n++
		kind = vault.IndexPhone
		norm, err = vault.NormalizePhone(q.Phone)
	}
	if q.Last4 != "" {
		n++
		kind, norm = vault.IndexLast4, q.Last4
		if len(q.Last4) != 4 || strings.Trim(q.Last4, "0123456789") != "" {
			err = anxin.Errorf(anxin.Invalid, "last4 must be exactly four digits.")
		}
	}
	if q.Name != "" {
		n++
		kind = vault.IndexName
		norm, err = vault.NormalizeName(q.Name)
	}
	if n != 1 {
		return nil, anxin.Errorf(anxin.Invalid, "Search by exactly one of phone, last4 or name.")
	}
	if err != nil {
		return nil, err
	}
	ix, err := s.indexer(ctx)
	if err != nil {
		return nil, err
	}
	digest := ix.Digest(kind, norm)
	actor := anxin.ActorFromContext(ctx)
	var out []*anxin.MaskedPII
	err = s.audited(ctx, func(tx *Tx) (error, error) {
		out = nil
		ev := anxin.AuditEvent{Action: "search", Detail: "kind=" + kind}
		if err := s.checkThrottle(ctx, tx, actor); err != nil {
			return refuse(ctx, tx, ev, err)
		}
		raised, err := s.detect(ctx, tx, actor, "search", "")
		if err != nil {
			return nil, err
		}
		if raised != "" {
			return refuse(ctx, tx, ev, anxin.Errorf(anxin.RateLimited, "Unusual lookup volume: searches for this key are suspended pending a privacy review (alert %s).", raised))
		}
		query := `SELECT r.order_id FROM vault_index i JOIN vault_records r ON r.id = i.record_id WHERE i.kind = ? AND i.digest = ?`
		args := []any{kind, digest}
		if m := anxin.MerchantScope(ctx); m != "" {
			query += ` AND i.merchant_id = ?`
			args = append(args, m)
		}
		rows, err := tx.QueryContext(ctx, query+` ORDER BY r.order_id LIMIT 50`, args...)
		if err != nil {
			return nil, err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, id := range ids {
			r, err := loadRecord(ctx, tx, id)
			if err != nil {
				return nil, err
			}
			out = append(out, r.masked())
		}
		ev.Outcome = "allowed"
		ev.Detail += " results=" + itoa(len(out))
		return nil, appendAudit(ctx, tx, &ev)
	})
	return out, err
}
