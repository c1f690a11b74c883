package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"

	"anxin"
)

// API keys look like "ak_<id>_<secret>": the id finds the row, the secret is
// 32 random bytes. Only SHA-256 of the whole key is stored; a key is shown
// once, when it is created. SHA-256 (not a slow password hash) is right here
// because the secret has 256 bits of entropy: there is nothing to brute-force.

// KeyService stores API keys.
type KeyService struct{ db *DB }

// NewKeyService returns a KeyService on db.
func NewKeyService(db *DB) *KeyService { return &KeyService{db: db} }

func hashKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// CreateKey creates a key with a role and returns the plaintext key, which
// is never stored. Invalid if the role is unknown.
func (s *KeyService) CreateKey(ctx context.Context, name string, role anxin.Role) (string, *anxin.Actor, error) {
	if err := role.Validate(); err != nil {
		return "", nil, err
	}
	if err := anxin.ValidateText("name", name, anxin.MaxNameLen); err != nil {
		return "", nil, err
	}
	id := anxin.NewID("")[:16]
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return "", nil, err
	}
	key := "ak_" + id + "_" + base64.RawURLEncoding.EncodeToString(secret[:])
	err := s.db.Transact(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, hash, name, role, created_at) VALUES (?, ?, ?, ?, ?)`,
			id, hashKey(key), name, string(role), ms(tx.Now))
		return err
	})
	if err != nil {
		return "", nil, err
	}
	return key, &anxin.Actor{KeyID: id, Name: name, Role: role}, nil
}

// Authenticate returns the actor for a presented key, or Unauthorized. The
// comparison is constant-time over the stored hash.
func (s *KeyService) Authenticate(ctx context.Context, key string) (*anxin.Actor, error) {
	unauth := anxin.Errorf(anxin.Unauthorized, "The API key is missing, malformed or revoked.")
	rest, ok := strings.CutPrefix(key, "ak_")
	if !ok || len(key) > 200 {
		return nil, unauth
	}
	id, _, ok := strings.Cut(rest, "_")
	if !ok || id == "" {
		return nil, unauth
	}
	var a anxin.Actor
	var hash, role string
	var revoked sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT id, hash, name, role, revoked_at FROM api_keys WHERE id = ?`, id).
		Scan(&a.KeyID, &hash, &a.Name, &role, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, unauth
	}
	if err != nil {
		return nil, mapError(err)
	}
	if subtle.ConstantTimeCompare([]byte(hash), []byte(hashKey(key))) != 1 || revoked.Valid {
		return nil, unauth
	}
	a.Role = anxin.Role(role)
	return &a, nil
}

// RevokeKey revokes a key by id. NotFound if absent.
func (s *KeyService) RevokeKey(ctx context.Context, id string) error {
	return s.db.Transact(ctx, func(tx *Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, ms(tx.Now), id)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return anxin.Errorf(anxin.NotFound, "Key not found.")
		}
		return nil
	})
}

// FindKeys lists keys (never their secrets).
func (s *KeyService) FindKeys(ctx context.Context) ([]*anxin.Actor, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, role FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*anxin.Actor
	for rows.Next() {
		a := new(anxin.Actor)
		var role string
		if err := rows.Scan(&a.KeyID, &a.Name, &role); err != nil {
			return nil, err
		}
		a.Role = anxin.Role(role)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Console sessions: the cookie holds a random token; only its SHA-256 is
// stored, with a CSRF token bound to the session.

// CreateSession starts a console session for the key and returns the
// session token and its CSRF token.
func (s *KeyService) CreateSession(ctx context.Context, keyID string, ttlHours int) (token, csrf string, err error) {
	var b [32]byte
	rand.Read(b[:])
	token = base64.RawURLEncoding.EncodeToString(b[:])
	rand.Read(b[:])
	csrf = base64.RawURLEncoding.EncodeToString(b[:])
	err = s.db.Transact(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO console_sessions (id_hash, key_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			hashKey(token), keyID, csrf, ms(tx.Now), ms(tx.Now)+int64(ttlHours)*3600_000)
		return err
	})
	return token, csrf, err
}

// Session returns the actor and CSRF token for a live session token, or
// Unauthorized.
func (s *KeyService) Session(ctx context.Context, token string) (*anxin.Actor, string, error) {
	var a anxin.Actor
	var role, csrf string
	var expires int64
	var revoked sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT k.id, k.name, k.role, k.revoked_at, s.csrf, s.expires_at
		FROM console_sessions s JOIN api_keys k ON k.id = s.key_id WHERE s.id_hash = ?`, hashKey(token)).
		Scan(&a.KeyID, &a.Name, &role, &revoked, &csrf, &expires)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (revoked.Valid || expires < ms(s.db.Clock.Now()))) {
		return nil, "", anxin.Errorf(anxin.Unauthorized, "Your session has ended; please sign in again.")
	}
	if err != nil {
		return nil, "", mapError(err)
	}
	a.Role = anxin.Role(role)
	return &a, csrf, nil
}

// EndSession deletes a session.
func (s *KeyService) EndSession(ctx context.Context, token string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM console_sessions WHERE id_hash = ?`, hashKey(token))
	return err
}
