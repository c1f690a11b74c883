package vault

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sync"
)

// Blind-index kinds.
const (
	IndexPhone = "phone" // the normalised 11-digit phone
	IndexLast4 = "last4" // the phone's last four digits
	IndexName  = "name"  // the normalised name
)

// Indexer computes blind indexes: HMAC-SHA256 under a key derived (HKDF) per
// kind from a root index secret that is itself a data key wrapped by the
// KEK. Equal inputs give equal digests, so the store can look an order up by
// phone without decrypting anything; without the secret the digests cannot
// be reversed even for small spaces such as four digits. It is safe for
// concurrent use.
type Indexer struct {
	pools map[string]*sync.Pool
}

// NewIndexer derives the per-kind keys from secret (32 random bytes).
func NewIndexer(secret []byte) (*Indexer, error) {
	ix := &Indexer{pools: map[string]*sync.Pool{}}
	for _, kind := range []string{IndexPhone, IndexLast4, IndexName} {
		key, err := hkdf.Key(sha256.New, secret, nil, "anxin blind index v1 "+kind, 32)
		if err != nil {
			return nil, err
		}
		ix.pools[kind] = &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}
	}
	return ix, nil
}

// Digest returns the hex blind index of a normalised value (the first 16
// bytes of the HMAC: 128 bits is ample against collisions). It panics on an
// unknown kind, which is a programming error.
func (ix *Indexer) Digest(kind, normalized string) string {
	p := ix.pools[kind]
	h := p.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(normalized))
	var sum [32]byte
	out := hex.EncodeToString(h.Sum(sum[:0])[:16])
	p.Put(h)
	return out
}
