package sqlstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"anxin"
)

// The privacy audit log is append-only and hash-chained: each row stores the
// hash of the row before it and SHA-256 over that hash and its own content,
// so editing, removing or reordering any row breaks the chain from there on.
// privacy_audit_head holds the last sequence number and hash; appends lock
// it (SELECT … FOR UPDATE on PostgreSQL; SQLite write transactions are
// already exclusive), so concurrent appends from several replicas form one
// chain. The head also catches removal of the newest rows.

const auditGenesis = "0000000000000000000000000000000000000000000000000000000000000000"

// auditHash is SHA-256 over the previous hash and the row's fields, each
// length-prefixed so no two different rows encode alike.
func auditHash(e *anxin.AuditEvent) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	put := func(s string) {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	put(e.PrevHash)
	put(strconv.FormatInt(e.Seq, 10))
	put(strconv.FormatInt(ms(e.At), 10))
	put(e.ActorKey)
	put(e.ActorRole)
	put(e.Action)
	put(e.OrderID)
	put(e.Purpose)
	put(e.Outcome)
	put(e.Detail)
	return hex.EncodeToString(h.Sum(nil))
}

// appendAudit appends e in tx, filling Seq, At, PrevHash and Hash, with the
// actor from ctx when e has none.
func appendAudit(ctx context.Context, tx *Tx, e *anxin.AuditEvent) error {
	if e.ActorKey == "" && e.ActorRole == "" {
		a := anxin.ActorFromContext(ctx)
		e.ActorKey, e.ActorRole = a.KeyID, string(a.Role)
	}
	q := `SELECT seq, hash FROM privacy_audit_head WHERE id = 1`
	if tx.Dialect() == Postgres {
		q += ` FOR UPDATE`
	}
	var seq int64
	var prev string
	if err := tx.QueryRowContext(ctx, q).Scan(&seq, &prev); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	e.Seq, e.At, e.PrevHash = seq+1, fromMS(ms(tx.Now)), prev
	e.Hash = auditHash(e)
	if _, err := tx.ExecContext(ctx, `INSERT INTO privacy_audit (seq, at, actor_key, actor_role, action, order_id, purpose, outcome, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.Seq, ms(e.At), e.ActorKey, e.ActorRole, e.Action, e.OrderID, e.Purpose, e.Outcome, e.Detail, e.PrevHash, e.Hash); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE privacy_audit_head SET seq = ?, hash = ? WHERE id = 1`, e.Seq, e.Hash)
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
	return s.db.VerifyAuditChain(ctx)
}

// VerifyAuditChain is VerifyAudit without authorization, for the CLI run by
// whoever holds the database credentials.
func (db *DB) VerifyAuditChain(ctx context.Context) (*anxin.AuditVerification, error) {
	v := &anxin.AuditVerification{OK: true}
	var headHash string
	if err := db.QueryRowContext(ctx, `SELECT seq, hash FROM privacy_audit_head WHERE id = 1`).Scan(&v.HeadSeq, &headHash); err != nil {
		return nil, mapError(err)
	}
	rows, err := db.QueryContext(ctx, `SELECT seq, at, actor_key, actor_role, action, order_id, purpose, outcome, detail, prev_hash, hash
		FROM privacy_audit ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	prevSeq, prevHash := int64(0), auditGenesis
	bad := func(seq int64, reason string) {
		if v.OK {
			v.OK, v.FirstBadSeq, v.Reason = false, seq, reason
		}
	}
	for rows.Next() {
		var e anxin.AuditEvent
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.ActorKey, &e.ActorRole, &e.Action, &e.OrderID, &e.Purpose, &e.Outcome, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		v.Rows++
		switch {
		case e.Seq != prevSeq+1:
			bad(prevSeq+1, fmt.Sprintf("row %d is missing (the next row is %d)", prevSeq+1, e.Seq))
		case e.PrevHash != prevHash:
			bad(e.Seq, fmt.Sprintf("row %d does not follow row %d (removed or reordered)", e.Seq, prevSeq))
		case auditHash(&e) != e.Hash:
			bad(e.Seq, fmt.Sprintf("row %d was edited (its content does not match its hash)", e.Seq))
		}
		prevSeq, prevHash = e.Seq, e.Hash
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if v.OK && (prevSeq != v.HeadSeq || prevHash != headHash) {
		bad(prevSeq+1, fmt.Sprintf("the log ends at row %d but the chain head is at row %d (rows removed from the end)", prevSeq, v.HeadSeq))
	}
	return v, nil
}
