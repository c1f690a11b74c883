package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"anxin"
	"anxin/vault"
)

// The privacy audit log is append-only and chained: each row stores the
// MAC of the row before it and HMAC-SHA256 over that MAC and its own
// content, under a key derived from a secret wrapped by the vault's KEK
// (vault.AuditKeys). Editing, removing or reordering any row breaks the
// chain from there on, and nobody without the KEK can recompute it.
// privacy_audit_head holds the last sequence number, its MAC and a MAC of
// the head itself; appends lock it (SELECT … FOR UPDATE on PostgreSQL;
// SQLite write transactions are already exclusive), so concurrent appends
// from several replicas form one chain.
//
// Rows before keyed_from (written before migration 0510) keep their plain
// SHA-256 chain; the first keyed row's MAC covers the last of them, so they
// cannot be changed unnoticed either once one keyed row follows.
//
// What the database alone cannot show is a rollback to an earlier, genuine
// state (the newest rows deleted and an older head restored from a copy):
// checkpoints signed with the audit key and kept outside the database catch
// that (Checkpoint, VerifyAuditChain with an anchor, the audit.checkpoint
// webhook).

const auditGenesis = "0000000000000000000000000000000000000000000000000000000000000000"

// The root secret of the audit keys is stored wrapped by the KEK in
// vault_data_keys (KEK rotation re-wraps it like every data key) under the
// id auditKeyPrefix + keyed_from. The id is the wrapping's associated data,
// so the keyed boundary is bound to the key: moving keyed_from to pass keyed
// rows off as unkeyed ones (re-chained with plain SHA-256, which anyone can
// compute) makes the key unloadable instead.
const auditKeyPrefix = "vault_audit_key_"

func auditKeyID(keyedFrom int64) string { return auditKeyPrefix + strconv.FormatInt(keyedFrom, 10) }

// auditKeySource supplies the audit keys inside a transaction.
type auditKeySource interface {
	auditKeys(ctx context.Context, tx *Tx) (*vault.AuditKeys, error)
}

// auditHash is the unkeyed SHA-256 of rows before keyed_from, each field
// length-prefixed so no two different rows encode alike.
func auditHash(e *anxin.AuditEvent) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, s := range auditFields(e) {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func auditFields(e *anxin.AuditEvent) []string {
	return []string{e.PrevHash, strconv.FormatInt(e.Seq, 10), strconv.FormatInt(ms(e.At), 10), e.ActorKey, e.ActorRole,
		e.Action, e.OrderID, e.Purpose, e.Outcome, e.Detail}
}

// auditMAC is the keyed MAC of a row from keyed_from on.
func auditMAC(k *vault.AuditKeys, e *anxin.AuditEvent) string {
	return k.MAC(append([]string{"row"}, auditFields(e)...)...)
}

// headMAC is the MAC of the chain head.
func headMAC(k *vault.AuditKeys, seq int64, hash string, keyedFrom int64) string {
	return k.MAC("head", strconv.FormatInt(seq, 10), hash, strconv.FormatInt(keyedFrom, 10))
}

// auditKeys loads the audit keys, creating the root secret on first use.
// It refuses (Conflict) when the stored secret belongs to another keyed
// boundary, and refuses to create a new secret once keyed rows exist (the
// head has a MAC): a missing secret then means the database was tampered
// with, and a fresh key would only hide that. A key created in tx is not
// cached, since tx may still roll back.
func (s *VaultService) auditKeys(ctx context.Context, tx *Tx) (*vault.AuditKeys, error) {
	s.akMu.Lock()
	defer s.akMu.Unlock()
	var keyedFrom int64
	var mac string
	if err := tx.QueryRowContext(ctx, `SELECT keyed_from, mac FROM privacy_audit_head WHERE id = 1`).Scan(&keyedFrom, &mac); err != nil {
		return nil, fmt.Errorf("audit head: %w", err)
	}
	id := auditKeyID(keyedFrom)
	if s.ak != nil && s.akID == id {
		return s.ak, nil
	}
	var stored string
	err := tx.QueryRowContext(ctx, `SELECT id FROM vault_data_keys WHERE purpose = 'audit' ORDER BY created_at LIMIT 1`).Scan(&stored)
	created := false
	switch {
	case err == nil && stored != id:
		return nil, anxin.Errorf(anxin.Conflict, "The audit log's keyed boundary was moved to row %d, but its key was made for row %s: rows were passed off as unkeyed.",
			keyedFrom, stored[len(auditKeyPrefix):])
	case errors.Is(err, sql.ErrNoRows):
		if mac != "" {
			return nil, anxin.Errorf(anxin.Conflict, "The audit key is missing from the database although keyed audit rows exist: restore it before the log can be extended or verified.")
		}
		nk, secret, err := s.vault.NewSecret(ctx, id)
		if err != nil {
			return nil, err
		}
		clear(secret)
		if _, err := tx.ExecContext(ctx, `INSERT INTO vault_data_keys (id, purpose, kek_version, wrapped, created_at) VALUES (?, 'audit', ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`, nk.ID, int64(nk.KEKVersion), b64(nk.Wrapped), ms(tx.Now)); err != nil {
			return nil, err
		}
		created = true
	case err != nil:
		return nil, err
	}
	wk, err := loadWrappedKeyTx(ctx, tx, id) // another replica may have won the insert
	if err != nil {
		return nil, err
	}
	secret, err := s.vault.UnwrapSecret(ctx, wk)
	if err != nil {
		return nil, err
	}
	k, err := vault.DeriveAuditKeys(secret)
	clear(secret)
	if err != nil {
		return nil, err
	}
	if !created {
		s.ak, s.akID = k, id
	}
	return k, nil
}

var errNoAuditKey = anxin.Errorf(anxin.Unavailable, "The audit log's key is not configured (the vault's KEK is needed to append audit events).")

// appendAudit appends e in tx, filling Seq, At, PrevHash and Hash, with the
// actor from ctx when e has none (LocalActor when ctx has none either).
func appendAudit(ctx context.Context, tx *Tx, e *anxin.AuditEvent) error {
	if tx.db.audit == nil {
		return errNoAuditKey
	}
	if e.ActorKey == "" && e.ActorRole == "" {
		a := anxin.ActorFromContext(ctx)
		if a == (anxin.Actor{}) {
			a = anxin.LocalActor
		}
		e.ActorKey, e.ActorRole = a.KeyID, string(a.Role)
	}
	q := `SELECT seq, hash, keyed_from FROM privacy_audit_head WHERE id = 1`
	if tx.Dialect() == Postgres {
		q += ` FOR UPDATE`
	}
	var seq, keyedFrom int64
	var prev string
	if err := tx.QueryRowContext(ctx, q).Scan(&seq, &prev, &keyedFrom); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	keys, err := tx.db.audit.auditKeys(ctx, tx)
	if err != nil {
		return err
	}
	e.Seq, e.At, e.PrevHash = seq+1, fromMS(ms(tx.Now)), prev
	e.Hash = auditMAC(keys, e)
	if _, err := tx.ExecContext(ctx, `INSERT INTO privacy_audit (seq, at, actor_key, actor_role, action, order_id, purpose, outcome, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.Seq, ms(e.At), e.ActorKey, e.ActorRole, e.Action, e.OrderID, e.Purpose, e.Outcome, e.Detail, e.PrevHash, e.Hash); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE privacy_audit_head SET seq = ?, hash = ?, mac = ? WHERE id = 1`, e.Seq, e.Hash, headMAC(keys, e.Seq, e.Hash, keyedFrom))
	return err
}

// outcomeOf names a refusal for the audit log.
func outcomeOf(err error) string {
	if err == nil {
		return "allowed"
	}
	if errors.Is(err, errTampered) {
		return "tampered"
	}
	return string(anxin.KindOf(err))
}

// FindAudit lists audit events after afterSeq, oldest first, at most limit
// (default 100, at most 1000). Roles: auditor, privacy.
func (s *VaultService) FindAudit(ctx context.Context, afterSeq int64, limit int) ([]*anxin.AuditEvent, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadAudit); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	return s.db.auditRows(ctx, `WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq, limit)
}

func (db *DB) auditRows(ctx context.Context, tail string, args ...any) ([]*anxin.AuditEvent, error) {
	rows, err := db.QueryContext(ctx, `SELECT seq, at, actor_key, actor_role, action, order_id, purpose, outcome, detail, prev_hash, hash
		FROM privacy_audit `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*anxin.AuditEvent
	for rows.Next() {
		e := new(anxin.AuditEvent)
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.ActorKey, &e.ActorRole, &e.Action, &e.OrderID, &e.Purpose, &e.Outcome, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// VerifyAudit walks the whole chain and reports the first row that was
// edited, removed or reordered. Roles: auditor, privacy.
func (s *VaultService) VerifyAudit(ctx context.Context) (*anxin.AuditVerification, error) {
	if err := anxin.Authorize(ctx, anxin.ActionReadAudit); err != nil {
		return nil, err
	}
	return s.VerifyAuditChain(ctx, nil)
}

// readAuditKeys returns the audit keys in a transaction of their own (which
// may create the root secret on a fresh database).
func (s *VaultService) readAuditKeys(ctx context.Context) (*vault.AuditKeys, error) {
	var k *vault.AuditKeys
	err := s.db.Transact(ctx, func(tx *Tx) error {
		var err error
		k, err = s.auditKeys(ctx, tx)
		return err
	})
	return k, err
}

// VerifyAuditChain is VerifyAudit without authorization, for the CLI run by
// whoever holds the database credentials and the KEK. With an anchor (a
// checkpoint from Checkpoint, kept outside the database) it also reports
// rows removed or rewritten after the checkpoint even when the head was
// rewritten to match: the anchor's signature must verify under this vault's
// audit key, the anchored row must still exist with the anchored MAC, and
// the keyed boundary must not have moved.
func (s *VaultService) VerifyAuditChain(ctx context.Context, anchor *anxin.AuditCheckpoint) (*anxin.AuditVerification, error) {
	keys, err := s.readAuditKeys(ctx)
	if anxin.KindOf(err) == anxin.Conflict {
		return &anxin.AuditVerification{OK: false, Reason: anxin.MessageOf(err)}, nil
	}
	if err != nil {
		return nil, err
	}
	db := s.db
	v := &anxin.AuditVerification{OK: true}
	var headHash, headMac string
	if err := db.QueryRowContext(ctx, `SELECT seq, hash, keyed_from, mac FROM privacy_audit_head WHERE id = 1`).Scan(&v.HeadSeq, &headHash, &v.KeyedFrom, &headMac); err != nil {
		return nil, mapError(err)
	}
	bad := func(seq int64, reason string) {
		if v.OK {
			v.OK, v.FirstBadSeq, v.Reason = false, seq, reason
		}
	}
	var anchorHash string // the stored MAC of the anchored row, once seen
	if anchor != nil {
		v.AnchorSeq = anchor.Seq
		if err := keys.VerifyCheckpoint(anchor); err != nil {
			bad(anchor.Seq, "the anchor is not valid: "+anxin.MessageOf(err))
			return v, nil
		}
		if anchor.KeyedFrom != v.KeyedFrom {
			bad(min(anchor.KeyedFrom, v.KeyedFrom), fmt.Sprintf("the keyed boundary moved from row %d (anchor) to row %d: rows were re-chained without the key", anchor.KeyedFrom, v.KeyedFrom))
		}
	}
	rows, err := db.QueryContext(ctx, `SELECT seq, at, actor_key, actor_role, action, order_id, purpose, outcome, detail, prev_hash, hash
		FROM privacy_audit ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	prevSeq, prevHash := int64(0), auditGenesis
	for rows.Next() {
		var e anxin.AuditEvent
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.ActorKey, &e.ActorRole, &e.Action, &e.OrderID, &e.Purpose, &e.Outcome, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		v.Rows++
		want := auditHash(&e)
		if e.Seq >= v.KeyedFrom {
			want = auditMAC(keys, &e)
		}
		switch {
		case e.Seq != prevSeq+1:
			bad(prevSeq+1, fmt.Sprintf("row %d is missing (the next row is %d)", prevSeq+1, e.Seq))
		case e.PrevHash != prevHash:
			bad(e.Seq, fmt.Sprintf("row %d does not follow row %d (removed or reordered)", e.Seq, prevSeq))
		case !vault.EqualMAC(want, e.Hash):
			bad(e.Seq, fmt.Sprintf("row %d was edited (its content does not match its MAC)", e.Seq))
		}
		if anchor != nil && e.Seq == anchor.Seq {
			anchorHash = e.Hash
		}
		prevSeq, prevHash = e.Seq, e.Hash
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if prevSeq != v.HeadSeq || prevHash != headHash {
		bad(prevSeq+1, fmt.Sprintf("the log ends at row %d but the chain head is at row %d (rows removed from the end)", prevSeq, v.HeadSeq))
	}
	switch {
	case v.HeadSeq >= v.KeyedFrom && !vault.EqualMAC(headMac, headMAC(keys, v.HeadSeq, headHash, v.KeyedFrom)):
		bad(v.HeadSeq, fmt.Sprintf("the chain head (row %d) was rewritten: its MAC does not match (rows removed from the end and the head recomputed)", v.HeadSeq))
	case v.HeadSeq < v.KeyedFrom && headMac != "":
		bad(v.HeadSeq+1, "the chain head has a MAC but no keyed rows: keyed rows were removed")
	case v.KeyedFrom > v.HeadSeq+1:
		bad(v.HeadSeq+1, fmt.Sprintf("the keyed boundary (row %d) lies beyond the head (row %d)", v.KeyedFrom, v.HeadSeq))
	}
	if anchor != nil {
		switch {
		case prevSeq < anchor.Seq:
			bad(prevSeq+1, fmt.Sprintf("the log ends at row %d, before row %d of the checkpoint of %s: rows were removed (truncated)", prevSeq, anchor.Seq, anchor.At.Format("2006-01-02 15:04:05Z07:00")))
		case anchorHash == "":
			bad(anchor.Seq, fmt.Sprintf("row %d of the checkpoint of %s is missing", anchor.Seq, anchor.At.Format("2006-01-02 15:04:05Z07:00")))
		case !vault.EqualMAC(anchorHash, anchor.Hash):
			bad(anchor.Seq, fmt.Sprintf("row %d differs from the checkpoint of %s: rows up to it were edited, removed or reordered and the chain rewritten", anchor.Seq, anchor.At.Format("2006-01-02 15:04:05Z07:00")))
		}
	}
	return v, nil
}

// Checkpoint signs the chain head as it is now, for keeping outside the
// database. It first verifies the whole chain and refuses (Conflict) to
// sign a broken one, so a checkpoint never vouches for tampering. No
// authorization: for the CLI (anxin audit anchor).
func (s *VaultService) Checkpoint(ctx context.Context) (*anxin.AuditCheckpoint, error) {
	v, err := s.VerifyAuditChain(ctx, nil)
	if err != nil {
		return nil, err
	}
	if !v.OK {
		return nil, anxin.Errorf(anxin.Conflict, "The audit log is broken at row %d (%s); it is not anchored.", v.FirstBadSeq, v.Reason)
	}
	var c *anxin.AuditCheckpoint
	err = s.db.Transact(ctx, func(tx *Tx) error {
		var err error
		c, err = s.checkpointTx(ctx, tx)
		return err
	})
	return c, err
}

// checkpointTx signs the head read in tx after checking the head's MAC, so
// a rewritten head is never signed (the job does not walk the whole chain).
func (s *VaultService) checkpointTx(ctx context.Context, tx *Tx) (*anxin.AuditCheckpoint, error) {
	keys, err := s.auditKeys(ctx, tx)
	if err != nil {
		return nil, err
	}
	c := &anxin.AuditCheckpoint{At: tx.Now}
	var mac string
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash, keyed_from, mac FROM privacy_audit_head WHERE id = 1`).Scan(&c.Seq, &c.Hash, &c.KeyedFrom, &mac); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, anxin.Errorf(anxin.Conflict, "The audit head is missing.")
		}
		return nil, err
	}
	if c.Seq >= c.KeyedFrom && !vault.EqualMAC(mac, headMAC(keys, c.Seq, c.Hash, c.KeyedFrom)) {
		return nil, anxin.Errorf(anxin.Conflict, "The audit head at row %d does not carry a valid MAC; it is not anchored.", c.Seq)
	}
	keys.SignCheckpoint(c)
	return c, nil
}
