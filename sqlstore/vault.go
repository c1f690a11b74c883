package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"anxin"
	"anxin/privacy"
	"anxin/vault"
)

// PrivacyConfig tunes the privacy service. Zero fields take the defaults of
// DOMAIN §18.
type PrivacyConfig struct {
	DecryptsPerMinute int           // allowed decrypts per principal per minute (default 30)
	BindingTTL        time.Duration // virtual number live after delivery (default 30 days)
	BindingMax        time.Duration // hard cap on a binding from its creation (default 100 days)
	OpenAfterDelivery time.Duration // decrypts allowed after delivery (default 15 days)
	// VirtualNumbers is the pool of X numbers for AXB bindings; empty means
	// waybills fall back to the masked phone.
	VirtualNumbers []string
	Detect         DetectConfig
	Route          privacy.RouteLimits // failed call routing (see package privacy)
}

func (c *PrivacyConfig) defaults() {
	if c.DecryptsPerMinute <= 0 {
		c.DecryptsPerMinute = 30
	}
	if c.BindingTTL <= 0 {
		c.BindingTTL = 30 * 24 * time.Hour
	}
	if c.BindingMax <= 0 {
		c.BindingMax = 100 * 24 * time.Hour
	}
	if c.OpenAfterDelivery <= 0 {
		c.OpenAfterDelivery = 15 * 24 * time.Hour
	}
	c.Detect.defaults()
	c.Route.Defaults()
}

// DefaultVirtualNumbers is a small pool of virtual (170-prefix) numbers for
// the embedded default.
var DefaultVirtualNumbers = []string{"17000000001", "17000000002", "17000000003", "17000000004"}

// VaultService implements anxin.PrivacyService: sealed personal records,
// masked views, waybills with virtual numbers, scoped decrypts, blind-index
// search, grants, the hash-chained audit log and exfiltration alerts.
type VaultService struct {
	db     *DB
	vault  *vault.Vault
	Config PrivacyConfig

	ixMu sync.Mutex
	ix   *vault.Indexer

	akMu sync.Mutex
	ak   *vault.AuditKeys // loaded from a committed row
	akID string           // the wrapped secret ak came from
}

var _ anxin.PrivacyService = (*VaultService)(nil)

// Vault returns the sealing engine the service uses.
func (s *VaultService) Vault() *vault.Vault { return s.vault }

// NewVaultService returns a VaultService on db sealing with v. The first
// VaultService made on a DB also keys that DB's privacy audit chain, which
// KeyService appends key events to.
func NewVaultService(db *DB, v *vault.Vault, cfg PrivacyConfig) *VaultService {
	cfg.defaults()
	s := &VaultService{db: db, vault: v, Config: cfg}
	if db.audit == nil {
		db.audit = s // the audit chain's keys come from this service's KEK
	}
	return s
}

// errTampered is the vault's integrity failure, audited as "tampered".
var errTampered = vault.ErrTampered

const indexKeyID = "vault_index_key"

// indexer loads (or creates once) the blind-index root secret, a wrapped key
// in vault_data_keys, and derives the per-kind keys.
func (s *VaultService) indexer(ctx context.Context) (*vault.Indexer, error) {
	s.ixMu.Lock()
	defer s.ixMu.Unlock()
	if s.ix != nil {
		return s.ix, nil
	}
	wk, err := s.db.loadWrappedKey(ctx, indexKeyID)
	if anxin.KindOf(err) == anxin.NotFound {
		nk, _, nerr := s.vault.NewSecret(ctx, indexKeyID)
		if nerr != nil {
			return nil, nerr
		}
		err = s.db.Transact(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO vault_data_keys (id, purpose, kek_version, wrapped, created_at) VALUES (?, 'index', ?, ?, ?)
				ON CONFLICT (id) DO NOTHING`, nk.ID, int64(nk.KEKVersion), b64(nk.Wrapped), ms(tx.Now))
			return err
		})
		if err != nil {
			return nil, err
		}
		wk, err = s.db.loadWrappedKey(ctx, indexKeyID) // another replica may have won
	}
	if err != nil {
		return nil, err
	}
	secret, err := s.vault.UnwrapSecret(ctx, wk)
	if err != nil {
		return nil, err
	}
	ix, err := vault.NewIndexer(secret)
	clear(secret)
	if err != nil {
		return nil, err
	}
	s.ix = ix
	return ix, nil
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func (db *DB) loadWrappedKey(ctx context.Context, id string) (vault.WrappedKey, error) {
	var ver int64
	var wrapped string
	err := db.QueryRowContext(ctx, `SELECT kek_version, wrapped FROM vault_data_keys WHERE id = ?`, id).Scan(&ver, &wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return vault.WrappedKey{}, anxin.Errorf(anxin.NotFound, "Data key not found.")
	}
	if err != nil {
		return vault.WrappedKey{}, mapError(err)
	}
	raw, err := base64.StdEncoding.DecodeString(wrapped)
	if err != nil {
		return vault.WrappedKey{}, errTampered
	}
	return vault.WrappedKey{ID: id, KEKVersion: uint32(ver), Wrapped: raw}, nil
}

// piiOrder is what privacy needs of a mirrored order.
type piiOrder struct {
	ID          string
	MerchantID  string
	Status      string
	PIIRef      string
	CreatedAt   int64
	PaidAt      sql.NullInt64
	ShippedAt   sql.NullInt64
	DeliveredAt sql.NullInt64
	CancelledAt sql.NullInt64
}

var errOrderNotFound = anxin.Errorf(anxin.NotFound, "Order not found.")

// scopedOrder reads an order and hides it (NotFound) from merchants other
// than its own.
func scopedOrder(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id string) (*piiOrder, error) {
	if err := anxin.ValidateID("order id", id); err != nil {
		return nil, err
	}
	o := &piiOrder{ID: id}
	err := q.QueryRowContext(ctx, `SELECT merchant_id, status, pii_ref, created_at, paid_at, shipped_at, delivered_at, cancelled_at FROM orders WHERE id = ?`, id).
		Scan(&o.MerchantID, &o.Status, &o.PIIRef, &o.CreatedAt, &o.PaidAt, &o.ShippedAt, &o.DeliveredAt, &o.CancelledAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errOrderNotFound
	}
	if err != nil {
		return nil, mapError(err)
	}
	if m := anxin.MerchantScope(ctx); m != "" && m != o.MerchantID {
		return nil, errOrderNotFound
	}
	return o, nil
}

// record is a sealed personal record.
type record struct {
	ID, OrderID, MerchantID, DataKeyID                string
	NameSealed, PhoneSealed, AddressSealed, ExtraSeal string
	MaskedName, MaskedPhone, MaskedAddress            string
	UpdatedAt                                         int64
}

var errNoPII = anxin.Errorf(anxin.NotFound, "The order has no sealed personal data.")

func loadRecord(ctx context.Context, tx *Tx, orderID string) (*record, error) {
	r := &record{OrderID: orderID}
	err := tx.QueryRowContext(ctx, `SELECT id, merchant_id, data_key_id, name_sealed, phone_sealed, address_sealed, extra_sealed,
		masked_name, masked_phone, masked_address, updated_at FROM vault_records WHERE order_id = ?`, orderID).
		Scan(&r.ID, &r.MerchantID, &r.DataKeyID, &r.NameSealed, &r.PhoneSealed, &r.AddressSealed, &r.ExtraSeal,
			&r.MaskedName, &r.MaskedPhone, &r.MaskedAddress, &r.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoPII
	}
	return r, err
}

func (r *record) masked() *anxin.MaskedPII {
	return &anxin.MaskedPII{OrderID: r.OrderID, PIIRef: r.ID, Name: r.MaskedName, Phone: r.MaskedPhone,
		Address: r.MaskedAddress, HasExtra: r.ExtraSeal != "", UpdatedAt: fromMS(r.UpdatedAt)}
}

// audited runs fn in one transaction. fn returns a refusal — an error for
// the caller that must not roll back the audit event fn appended for it —
// or a hard error, which rolls everything back.
func (s *VaultService) audited(ctx context.Context, fn func(tx *Tx) (refusal error, err error)) error {
	var refusal error
	err := s.db.Transact(ctx, func(tx *Tx) error {
		var err error
		refusal, err = fn(tx)
		return err
	})
	if err != nil {
		return err
	}
	return refusal
}

// refuse appends the audit event for a refusal and hands the refusal back.
func refuse(ctx context.Context, tx *Tx, e anxin.AuditEvent, refusal error) (error, error) {
	e.Outcome = outcomeOf(refusal)
	if err := appendAudit(ctx, tx, &e); err != nil {
		return nil, err
	}
	return refusal, nil
}

// sealed is an order's personal data validated, normalised and sealed,
// ready to store.
type sealed struct {
	recordID                   string
	key                        *vault.DataKey
	name, phone, address, extr string
	maskedName, maskedPhone    string
	maskedAddress              string
	digests                    map[string]string // kind → digest
}

func (s *VaultService) seal(ctx context.Context, recordID string, in *anxin.PIIInput) (*sealed, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	name, err := vault.NormalizeName(in.Name)
	if err != nil {
		return nil, err
	}
	phone, err := vault.NormalizePhone(in.Phone)
	if err != nil {
		return nil, err
	}
	addr, err := vault.ParseAddress(in.Address)
	if err != nil {
		return nil, err
	}
	ix, err := s.indexer(ctx)
	if err != nil {
		return nil, err
	}
	dk, err := s.vault.NewDataKey(ctx, anxin.NewID("dk"))
	if err != nil {
		return nil, err
	}
	addrJSON, _ := json.Marshal(addr)
	out := &sealed{recordID: recordID, key: dk,
		maskedName: vault.MaskName(in.Name), maskedPhone: vault.MaskPhone(phone), maskedAddress: addr.Masked(),
		digests: map[string]string{
			vault.IndexPhone: ix.Digest(vault.IndexPhone, phone),
			vault.IndexLast4: ix.Digest(vault.IndexLast4, vault.PhoneLast4(phone)),
			vault.IndexName:  ix.Digest(vault.IndexName, name),
		}}
	if out.name, err = dk.Seal(recordID, anxin.FieldName, strings.TrimSpace(in.Name)); err != nil {
		return nil, err
	}
	if out.phone, err = dk.Seal(recordID, anxin.FieldPhone, phone); err != nil {
		return nil, err
	}
	if out.address, err = dk.Seal(recordID, anxin.FieldAddress, string(addrJSON)); err != nil {
		return nil, err
	}
	if len(in.Extra) > 0 {
		ej, _ := json.Marshal(in.Extra)
		if out.extr, err = dk.Seal(recordID, anxin.FieldExtra, string(ej)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SealPII seals an order's name, phone and address (and extra personal
// fields), indexes them blind, stores masked copies and sets the order's
// pii_ref. Sealing again replaces the data under the same pii_ref with a new
// data key. Role: platform. Invalid for a malformed phone or address (the
// refusal is audited; nothing is stored); NotFound for an unknown order.
func (s *VaultService) SealPII(ctx context.Context, orderID string, in *anxin.PIIInput) (*anxin.MaskedPII, error) {
	if err := anxin.Authorize(ctx, anxin.ActionSealPII); err != nil {
		return nil, err
	}
	if in == nil {
		return nil, anxin.Errorf(anxin.Invalid, "A body with name, phone and address is required.")
	}
	if err := anxin.ValidateID("order id", orderID); err != nil {
		return nil, err
	}
	var recordID string
	err := s.db.QueryRowContext(ctx, `SELECT id FROM vault_records WHERE order_id = ?`, orderID).Scan(&recordID)
	if errors.Is(err, sql.ErrNoRows) {
		recordID = anxin.NewID("pii")
	} else if err != nil {
		return nil, mapError(err)
	}
	ev := anxin.AuditEvent{Action: "seal", OrderID: orderID}
	sd, sealErr := s.seal(ctx, recordID, in)
	var out *anxin.MaskedPII
	err = s.audited(ctx, func(tx *Tx) (error, error) {
		if sealErr != nil {
			ev.Detail = "malformed input"
			return refuse(ctx, tx, ev, sealErr)
		}
		o, err := scopedOrder(ctx, tx, orderID)
		if err != nil {
			return refuse(ctx, tx, ev, err)
		}
		var oldKey string
		err = tx.QueryRowContext(ctx, `SELECT data_key_id FROM vault_records WHERE id = ?`, recordID).Scan(&oldKey)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		var otherRecord string
		if err := tx.QueryRowContext(ctx, `SELECT id FROM vault_records WHERE order_id = ?`, orderID).Scan(&otherRecord); err == nil && otherRecord != recordID {
			return nil, anxin.Errorf(anxin.Conflict, "The order's personal data was sealed concurrently; retry.")
		}
		wk := sd.key.Wrapped
		if _, err := tx.ExecContext(ctx, `INSERT INTO vault_data_keys (id, purpose, kek_version, wrapped, created_at) VALUES (?, 'record', ?, ?, ?)`,
			wk.ID, int64(wk.KEKVersion), b64(wk.Wrapped), ms(tx.Now)); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO vault_records (id, order_id, merchant_id, data_key_id, name_sealed, phone_sealed, address_sealed, extra_sealed,
				masked_name, masked_phone, masked_address, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET data_key_id = excluded.data_key_id, name_sealed = excluded.name_sealed, phone_sealed = excluded.phone_sealed,
				address_sealed = excluded.address_sealed, extra_sealed = excluded.extra_sealed, masked_name = excluded.masked_name,
				masked_phone = excluded.masked_phone, masked_address = excluded.masked_address, updated_at = excluded.updated_at`,
			recordID, orderID, o.MerchantID, wk.ID, sd.name, sd.phone, sd.address, sd.extr,
			sd.maskedName, sd.maskedPhone, sd.maskedAddress, ms(tx.Now), ms(tx.Now)); err != nil {
			return nil, err
		}
		if oldKey != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM vault_data_keys WHERE id = ?`, oldKey); err != nil {
				return nil, err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM vault_index WHERE record_id = ?`, recordID); err != nil {
			return nil, err
		}
		for _, kind := range []string{vault.IndexPhone, vault.IndexLast4, vault.IndexName} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO vault_index (kind, digest, record_id, order_id, merchant_id) VALUES (?, ?, ?, ?, ?)`,
				kind, sd.digests[kind], recordID, orderID, o.MerchantID); err != nil {
				return nil, err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET pii_ref = ? WHERE id = ?`, recordID, orderID); err != nil {
			return nil, err
		}
		fields := "name,phone,address"
		if sd.extr != "" {
			fields += ",extra"
		}
		ev.Detail, ev.Outcome = "fields="+fields, "allowed"
		if err := appendAudit(ctx, tx, &ev); err != nil {
			return nil, err
		}
		r, err := loadRecord(ctx, tx, orderID)
		if err != nil {
			return nil, err
		}
		out = r.masked()
		return nil, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MaskedPII returns the masked view of an order's personal data. Roles:
// platform, merchant (own orders), care, operator, privacy. It decrypts
// nothing.
func (s *VaultService) MaskedPII(ctx context.Context, orderID string) (*anxin.MaskedPII, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadMaskedPII); err != nil {
		return nil, err
	}
	var out *anxin.MaskedPII
	err := s.db.TransactOpts(ctx, TxOptions{ReadOnly: true}, func(tx *Tx) error {
		if _, err := scopedOrder(ctx, tx, orderID); err != nil {
			return err
		}
		r, err := loadRecord(ctx, tx, orderID)
		if err != nil {
			return err
		}
		out = r.masked()
		return nil
	})
	return out, err
}

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

// VaultStatus reports the KEK versions, how many data keys each still
// wraps, and how many are stale (older than current). Roles: privacy,
// auditor.
func (s *VaultService) VaultStatus(ctx context.Context) (*anxin.VaultStatus, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadVaultState); err != nil {
		return nil, err
	}
	return s.Status(ctx)
}

// Status is VaultStatus without authorization, for the CLI.
func (s *VaultService) Status(ctx context.Context) (*anxin.VaultStatus, error) {
	kek := s.vault.KEK()
	cur, err := kek.Current(ctx)
	if err != nil {
		return nil, err
	}
	vers, err := kek.Versions(ctx)
	if err != nil {
		return nil, err
	}
	st := &anxin.VaultStatus{CurrentVersion: cur}
	use := map[uint32]int64{}
	rows, err := s.db.QueryContext(ctx, `SELECT kek_version, COUNT(*) FROM vault_data_keys GROUP BY kek_version`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var v, n int64
		if err := rows.Scan(&v, &n); err != nil {
			rows.Close()
			return nil, err
		}
		use[uint32(v)] = n
	}
	rows.Close()
	for _, v := range vers {
		if _, ok := use[v]; !ok {
			use[v] = 0
		}
	}
	for v, n := range use {
		st.Versions = append(st.Versions, anxin.KEKVersionUse{Version: v, DataKeys: n, Current: v == cur, InKEK: slices.Contains(vers, v)})
		if v < cur {
			st.StaleDataKeys += n
		}
	}
	slices.SortFunc(st.Versions, func(a, b anxin.KEKVersionUse) int { return int(a.Version) - int(b.Version) })
	st.Records, err = s.db.count(ctx, `SELECT COUNT(*) FROM vault_records`)
	return st, err
}

// RotateResult says what a rotation did.
type RotateResult struct {
	NewVersion uint32 // 0 when the KEK was not rotated (only re-wrapped)
	Rewrapped  int
}

// Rotate makes a new KEK version when the KEK can rotate (and newVersion is
// set), then re-wraps every data key wrapped by an older version, in
// batches, each batch its own transaction. Records are never decrypted; the
// server keeps serving throughout (a key is updated only if nobody re-wrapped
// it meanwhile). Run it again, or retire, when it reports keys left.
func (s *VaultService) Rotate(ctx context.Context, newVersion bool) (RotateResult, error) {
	var res RotateResult
	if newVersion {
		if r, ok := s.vault.KEK().(vault.Rotator); ok {
			v, err := r.Rotate(ctx)
			if err != nil {
				return res, err
			}
			res.NewVersion = v
		}
	}
	cur, err := s.vault.KEK().Current(ctx)
	if err != nil {
		return res, err
	}
	for {
		rows, err := s.db.QueryContext(ctx, `SELECT id, kek_version, wrapped FROM vault_data_keys WHERE kek_version < ? ORDER BY id LIMIT 500`, int64(cur))
		if err != nil {
			return res, err
		}
		var batch []vault.WrappedKey
		for rows.Next() {
			var id, w string
			var v int64
			if err := rows.Scan(&id, &v, &w); err != nil {
				rows.Close()
				return res, err
			}
			raw, err := base64.StdEncoding.DecodeString(w)
			if err != nil {
				rows.Close()
				return res, errTampered
			}
			batch = append(batch, vault.WrappedKey{ID: id, KEKVersion: uint32(v), Wrapped: raw})
		}
		rows.Close()
		if len(batch) == 0 {
			return res, nil
		}
		fresh := make([]vault.WrappedKey, len(batch))
		for i, wk := range batch {
			if fresh[i], err = s.vault.Rewrap(ctx, wk); err != nil {
				return res, err
			}
		}
		n := 0
		err = s.db.Transact(ctx, func(tx *Tx) error {
			n = 0
			for i, wk := range fresh {
				r, err := tx.ExecContext(ctx, `UPDATE vault_data_keys SET kek_version = ?, wrapped = ?, rewrapped_at = ? WHERE id = ? AND kek_version = ?`,
					int64(wk.KEKVersion), b64(wk.Wrapped), ms(tx.Now), wk.ID, int64(batch[i].KEKVersion))
				if err != nil {
					return err
				}
				c, _ := r.RowsAffected()
				n += int(c)
			}
			return nil
		})
		if err != nil {
			return res, err
		}
		res.Rewrapped += n
		if n == 0 {
			return res, anxin.Errorf(anxin.Conflict, "Data keys changed during rotation; run it again.")
		}
	}
}

// Retire forgets every KEK version older than current that no data key
// uses any more, and returns the versions retired and those still in use.
// Conflict-free: a version still used is kept and reported.
func (s *VaultService) Retire(ctx context.Context) (retired, inUse []uint32, err error) {
	r, ok := s.vault.KEK().(vault.Rotator)
	if !ok {
		return nil, nil, anxin.Errorf(anxin.Invalid, "This KEK cannot retire versions itself; remove old versions from ANXIN_VAULT_KEK once \"anxin vault status\" shows them unused.")
	}
	st, err := s.Status(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, v := range st.Versions {
		if v.Current || !v.InKEK {
			continue
		}
		if v.DataKeys > 0 {
			inUse = append(inUse, v.Version)
			continue
		}
		if err := r.Retire(ctx, v.Version); err != nil {
			return retired, inUse, err
		}
		retired = append(retired, v.Version)
	}
	return retired, inUse, nil
}
