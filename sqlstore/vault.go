package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"anxin"
	"anxin/privacy"
	"anxin/vault"
)

// PrivacyConfig tunes the privacy service. Zero fields take the defaults of
// doc/domain.md, Privacy.
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
