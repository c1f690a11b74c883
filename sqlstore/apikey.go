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
	"sync"
	"time"

	"anxin"
)

// API keys look like "ak_<id>_<secret>": the id finds the row, the secret is
// 32 random bytes. Only SHA-256 of the whole key is stored; a key is shown
// once, when it is created. SHA-256 (not a slow password hash) is right here
// because the secret has 256 bits of entropy: there is nothing to brute-force.

// KeyService stores API keys.
//
// Authenticate keeps keys it has verified in memory, by the SHA-256 of the
// key (never the key itself), for CacheTTL: a request with a cached key
// costs one hash and a map lookup instead of a database read. A key revoked
// through this KeyService stops working at once; a key revoked elsewhere
// (another replica, `anxin keys revoke`) stops working on this replica
// within CacheTTL, which is why the TTL is short.
type KeyService struct {
	db *DB
	// CacheTTL is how long a verified key is trusted without reading the
	// database again: the bound on how long a key revoked on another
	// replica keeps working here. Default DefaultKeyCacheTTL; zero or
	// negative turns the cache off.
	CacheTTL time.Duration

	mu    sync.Mutex
	cache map[[32]byte]cachedKey
	gen   uint64 // bumped by each local revocation
}

// DefaultKeyCacheTTL is KeyService.CacheTTL unless set otherwise.
const DefaultKeyCacheTTL = 2 * time.Second

// maxCachedKeys bounds the cache; beyond it, keys are verified in the
// database until expired entries are swept.
const maxCachedKeys = 10000

type cachedKey struct {
	actor   anxin.Actor
	expires time.Time // wall clock: it paces re-reads and decides nothing stored
}

// NewKeyService returns a KeyService on db.
func NewKeyService(db *DB) *KeyService {
	return &KeyService{db: db, CacheTTL: DefaultKeyCacheTTL}
}

func hashKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// cached returns the actor of a key verified less than CacheTTL ago.
// On a miss it also returns the revocation generation, for remember.
func (s *KeyService) cached(sum [32]byte, now time.Time) (anxin.Actor, uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.cache[sum]
	if !ok || !now.Before(c.expires) {
		return anxin.Actor{}, s.gen, false
	}
	return c.actor, s.gen, true
}

// remember caches a key read from the database, unless a local revocation
// happened since the read began (gen): the read may predate it.
func (s *KeyService) remember(sum [32]byte, a anxin.Actor, now time.Time, gen uint64) {
	if s.CacheTTL <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen != s.gen {
		return
	}
	if s.cache == nil {
		s.cache = map[[32]byte]cachedKey{}
	}
	if len(s.cache) >= maxCachedKeys {
		for k, c := range s.cache {
			if !now.Before(c.expires) {
				delete(s.cache, k)
			}
		}
		if len(s.cache) >= maxCachedKeys {
			return
		}
	}
	s.cache[sum] = cachedKey{actor: a, expires: now.Add(s.CacheTTL)}
}

// forget drops every cached entry of key id (after a local revocation).
func (s *KeyService) forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	for k, c := range s.cache {
		if c.actor.KeyID == id {
			delete(s.cache, k)
		}
	}
}

// CreateKey creates a key with a role and returns the plaintext key, which
// is never stored. The actor in ctx must be allowed to create that role
// (anxin.CheckKeyChange: never a key more powerful than itself; privileged
// roles only by an admin key or a local process, a ctx without an actor).
// The creation is appended to the privacy audit chain, naming the creator,
// when the DB's chain is keyed (a VaultService exists on it, as in anxin
// serve and anxin keys). Invalid if the role is unknown or the name
// malformed, Forbidden if the actor may not create the role; nothing is
// created then.
func (s *KeyService) CreateKey(ctx context.Context, name string, role anxin.Role) (string, *anxin.Actor, error) {
	if err := anxin.CheckKeyChange(ctx, role); err != nil {
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
		if _, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, hash, name, role, created_at) VALUES (?, ?, ?, ?, ?)`,
			id, hashKey(key), name, string(role), ms(tx.Now)); err != nil {
			return err
		}
		return s.auditKeyEvent(ctx, tx, "key_create", id, role)
	})
	if err != nil {
		return "", nil, err
	}
	return key, &anxin.Actor{KeyID: id, Name: name, Role: role}, nil
}

// auditKeyEvent appends a key creation or revocation to the audit chain,
// naming the acting key (or "local") and the key and role acted on.
func (s *KeyService) auditKeyEvent(ctx context.Context, tx *Tx, action, id string, role anxin.Role) error {
	if s.db.audit == nil {
		return nil
	}
	return appendAudit(ctx, tx, &anxin.AuditEvent{Action: action, Outcome: "allowed", Detail: "key=" + id + " role=" + string(role)})
}

// Authenticate returns the actor for a presented key, or Unauthorized. The
// comparison is constant-time over the stored hash. A key verified less
// than CacheTTL ago is answered from memory (see KeyService).
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
	sum := sha256.Sum256([]byte(key))
	now := time.Now()
	a, gen, ok := s.cached(sum, now)
	if ok {
		return &a, nil
	}
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
	if subtle.ConstantTimeCompare([]byte(hash), []byte(hex.EncodeToString(sum[:]))) != 1 || revoked.Valid {
		return nil, unauth
	}
	a.Role = anxin.Role(role)
	s.remember(sum, a, now, gen)
	return &a, nil
}

// RevokeKey revokes a key by id. The actor in ctx must be allowed to create
// a key of the revoked key's role (so an operator cannot lock out privacy
// officers or admins); the revocation is audited like CreateKey. NotFound if
// absent or already revoked, Forbidden if the actor may not. The key stops
// working on this KeyService when RevokeKey returns and within CacheTTL on
// other replicas.
func (s *KeyService) RevokeKey(ctx context.Context, id string) error {
	if err := anxin.ValidateID("key id", id); err != nil {
		return err
	}
	defer s.forget(id)
	return s.db.Transact(ctx, func(tx *Tx) error {
		var role string
		err := tx.QueryRowContext(ctx, `SELECT role FROM api_keys WHERE id = ? AND revoked_at IS NULL`, id).Scan(&role)
		if errors.Is(err, sql.ErrNoRows) {
			return anxin.Errorf(anxin.NotFound, "Key not found.")
		}
		if err != nil {
			return err
		}
		if err := anxin.CheckKeyChange(ctx, anxin.Role(role)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, ms(tx.Now), id); err != nil {
			return err
		}
		return s.auditKeyEvent(ctx, tx, "key_revoke", id, anxin.Role(role))
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
