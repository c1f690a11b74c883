// Package vault seals buyers' personal data: envelope encryption with
// AES-256-GCM, data keys wrapped by a versioned key-encryption key (KEK),
// key rotation by re-wrapping data keys only, keyed blind indexes for search
// without decryption, and the masking rules for display and waybills.
//
// It does no storage I/O of its own (the KEK implementations read their key
// file or call a KMS); sqlstore keeps the sealed records, wrapped keys and
// indexes. Keys and nonces always come from crypto/rand, with no test hook.
//
//	v := vault.New(kek)
//	dk, err := v.NewDataKey(ctx, "dk_1")      // fresh AES-256 key, wrapped by the current KEK version
//	blob, err := dk.Seal("pii_1", "phone", "13812345678")
//	plain, err := v.Open(ctx, dk.Wrapped, "pii_1", "phone", blob)
//
// Threat model: a copy of the database (backup, stolen disk, SQL injection)
// yields only ciphertext, wrapped keys and HMAC digests; the KEK lives
// outside the database. Each field is bound to its record id and field name
// as associated data, so a ciphertext moved to another record or field fails
// to open instead of revealing another buyer's data under the wrong order.
package vault

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"sync"

	"anxin"
)

// KeySize is the size of data keys and KEK versions: AES-256.
const KeySize = 32

// WrappedKey is a data key as stored: its id, the KEK version that wraps it
// and the wrapped bytes. It is safe to store and log (it reveals nothing
// without the KEK).
type WrappedKey struct {
	ID         string
	KEKVersion uint32
	Wrapped    []byte
}

// KEK is a key-encryption key with versions. Wrap always uses the current
// version; Unwrap uses the version named. The aad (the data key's id) is
// bound to the wrapped key so wrapped keys cannot be swapped between
// records. Implementations must be safe for concurrent use. Errors: Invalid
// when the wrapped key fails authentication, NotFound when the version is
// unknown or retired, Unavailable when an external KMS cannot be reached.
type KEK interface {
	// Current returns the version new data keys are wrapped with.
	Current(ctx context.Context) (uint32, error)
	// Versions returns every version the KEK can still unwrap, ascending.
	Versions(ctx context.Context) ([]uint32, error)
	Wrap(ctx context.Context, dek, aad []byte) (version uint32, wrapped []byte, err error)
	Unwrap(ctx context.Context, version uint32, wrapped, aad []byte) ([]byte, error)
}

// Rotator is a KEK that can make a new version and forget old ones. The file
// KEK and the transit adapter implement it; the environment KEK does not
// (its versions are set by whoever sets the variable).
type Rotator interface {
	// Rotate creates a new current version and returns it.
	Rotate(ctx context.Context) (uint32, error)
	// Retire forgets a version that is not current. Callers must first make
	// sure no stored data key is wrapped by it (sqlstore checks).
	Retire(ctx context.Context, version uint32) error
}

// Vault seals and opens fields with data keys wrapped by a KEK. Unwrapped
// data keys are cached (bounded) so opening many fields of one record, or
// the same record again, costs one AES-GCM operation per field. It is safe
// for concurrent use.
type Vault struct {
	kek KEK

	mu    sync.RWMutex
	cache map[string]cachedKey // data key id → AEAD
}

type cachedKey struct {
	version uint32
	wrapped []byte // a re-wrapped key is cached afresh
	aead    cipher.AEAD
}

// maxCache bounds the unwrapped-key cache; when full it is emptied (cheap,
// and keys are re-unwrapped on demand).
const maxCache = 1 << 16

// New returns a Vault over kek.
func New(kek KEK) *Vault {
	return &Vault{kek: kek, cache: map[string]cachedKey{}}
}

// KEK returns the vault's key-encryption key.
func (v *Vault) KEK() KEK { return v.kek }

// DataKey is an unwrapped data key ready to seal fields, with its wrapped
// form for storage. It is safe for concurrent use.
type DataKey struct {
	Wrapped WrappedKey
	aead    cipher.AEAD
}

// NewDataKey makes a fresh random data key with the given id and wraps it
// with the KEK's current version.
func (v *Vault) NewDataKey(ctx context.Context, id string) (*DataKey, error) {
	var dek [KeySize]byte
	if _, err := rand.Read(dek[:]); err != nil {
		return nil, err
	}
	ver, wrapped, err := v.kek.Wrap(ctx, dek[:], []byte(id))
	if err != nil {
		return nil, err
	}
	aead, err := newAEAD(dek[:])
	if err != nil {
		return nil, err
	}
	wk := WrappedKey{ID: id, KEKVersion: ver, Wrapped: wrapped}
	v.put(wk, aead)
	return &DataKey{Wrapped: wk, aead: aead}, nil
}

// DataKey returns the unwrapped form of a stored data key, from the cache
// when possible.
func (v *Vault) DataKey(ctx context.Context, wk WrappedKey) (*DataKey, error) {
	aead, err := v.aead(ctx, wk)
	if err != nil {
		return nil, err
	}
	return &DataKey{Wrapped: wk, aead: aead}, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(block)
}

func (v *Vault) put(wk WrappedKey, aead cipher.AEAD) {
	v.mu.Lock()
	if len(v.cache) >= maxCache {
		clear(v.cache)
	}
	v.cache[wk.ID] = cachedKey{version: wk.KEKVersion, wrapped: bytes.Clone(wk.Wrapped), aead: aead}
	v.mu.Unlock()
}

func (v *Vault) aead(ctx context.Context, wk WrappedKey) (cipher.AEAD, error) {
	v.mu.RLock()
	c, ok := v.cache[wk.ID]
	v.mu.RUnlock()
	if ok && c.version == wk.KEKVersion && bytes.Equal(c.wrapped, wk.Wrapped) {
		return c.aead, nil
	}
	dek, err := v.kek.Unwrap(ctx, wk.KEKVersion, wk.Wrapped, []byte(wk.ID))
	if err != nil {
		return nil, err
	}
	if len(dek) != KeySize {
		return nil, ErrTampered
	}
	aead, err := newAEAD(dek)
	clear(dek)
	if err != nil {
		return nil, err
	}
	v.put(wk, aead)
	return aead, nil
}

// Forget drops a data key from the cache (after its record is deleted).
func (v *Vault) Forget(id string) {
	v.mu.Lock()
	delete(v.cache, id)
	v.mu.Unlock()
}

// Rewrap unwraps wk with its KEK version and wraps it again with the
// current version. The data key itself, and so every field it sealed, stays
// the same: rotation never decrypts records.
func (v *Vault) Rewrap(ctx context.Context, wk WrappedKey) (WrappedKey, error) {
	dek, err := v.kek.Unwrap(ctx, wk.KEKVersion, wk.Wrapped, []byte(wk.ID))
	if err != nil {
		return WrappedKey{}, err
	}
	defer clear(dek)
	ver, wrapped, err := v.kek.Wrap(ctx, dek, []byte(wk.ID))
	if err != nil {
		return WrappedKey{}, err
	}
	return WrappedKey{ID: wk.ID, KEKVersion: ver, Wrapped: wrapped}, nil
}

// ErrTampered is returned when a sealed field or wrapped key fails
// authentication: it was edited, truncated, or moved to another record or
// field. Its message reveals nothing about the content.
var ErrTampered = &anxin.Error{Kind: anxin.Invalid, Message: "The sealed data failed its integrity check (tampered, or moved from another record)."}

// blobPrefix starts every sealed field: format version 1.
const blobPrefix = "s1."

var b64 = base64.RawURLEncoding

// aad binds a field to its record and name.
func aad(dst []byte, recordID, field string) []byte {
	dst = append(dst, "anxin.vault.v1\x00"...)
	dst = append(dst, recordID...)
	dst = append(dst, 0)
	return append(dst, field...)
}

// Seal encrypts plaintext for (recordID, field) and returns the sealed blob,
// "s1." followed by base64url(nonce ‖ ciphertext ‖ tag). A fresh random
// nonce is used every time, so sealing the same value twice gives different
// blobs.
func (k *DataKey) Seal(recordID, field, plaintext string) (string, error) {
	var ab [128]byte
	a := aad(ab[:0], recordID, field)
	ct := k.aead.Seal(nil, nil, []byte(plaintext), a)
	out := make([]byte, len(blobPrefix)+b64.EncodedLen(len(ct)))
	copy(out, blobPrefix)
	b64.Encode(out[len(blobPrefix):], ct)
	return string(out), nil
}

// Open decrypts a blob sealed by this key for (recordID, field).
func (k *DataKey) Open(recordID, field, blob string) (string, error) {
	raw, err := DecodeBlob(blob)
	if err != nil {
		return "", err
	}
	var ab [128]byte
	pt, err := k.aead.Open(raw[:0], nil, raw, aad(ab[:0], recordID, field))
	if err != nil {
		return "", ErrTampered
	}
	return string(pt), nil
}

// Open decrypts a blob with the stored data key wk. It returns ErrTampered
// (Invalid) when the blob or key was altered or moved.
func (v *Vault) Open(ctx context.Context, wk WrappedKey, recordID, field, blob string) (string, error) {
	k, err := v.DataKey(ctx, wk)
	if err != nil {
		return "", err
	}
	return k.Open(recordID, field, blob)
}

// minBlob is the smallest valid sealed payload: nonce and tag.
const minBlob = 12 + 16

// DecodeBlob parses a sealed blob's envelope and returns the raw nonce,
// ciphertext and tag. It returns ErrTampered for anything malformed; it
// never panics on hostile input.
func DecodeBlob(blob string) ([]byte, error) {
	if len(blob) < len(blobPrefix) || blob[:len(blobPrefix)] != blobPrefix || len(blob) > 1<<20 {
		return nil, ErrTampered
	}
	raw, err := b64.DecodeString(blob[len(blobPrefix):])
	if err != nil || len(raw) < minBlob {
		return nil, ErrTampered
	}
	return raw, nil
}

// IsTampered reports whether err is the integrity failure.
func IsTampered(err error) bool { return errors.Is(err, ErrTampered) }

// NewSecret makes a random 32-byte secret (for example the blind-index root
// key) wrapped like a data key, and returns both forms. The caller stores
// the wrapped form and must not store or log the secret.
func (v *Vault) NewSecret(ctx context.Context, id string) (WrappedKey, []byte, error) {
	secret := make([]byte, KeySize)
	if _, err := rand.Read(secret); err != nil {
		return WrappedKey{}, nil, err
	}
	ver, wrapped, err := v.kek.Wrap(ctx, secret, []byte(id))
	if err != nil {
		return WrappedKey{}, nil, err
	}
	return WrappedKey{ID: id, KEKVersion: ver, Wrapped: wrapped}, secret, nil
}

// UnwrapSecret returns the secret of a wrapped key made by NewSecret.
func (v *Vault) UnwrapSecret(ctx context.Context, wk WrappedKey) ([]byte, error) {
	s, err := v.kek.Unwrap(ctx, wk.KEKVersion, wk.Wrapped, []byte(wk.ID))
	if err != nil {
		return nil, err
	}
	if len(s) != KeySize {
		return nil, ErrTampered
	}
	return s, nil
}
