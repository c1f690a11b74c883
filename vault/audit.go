package vault

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"time"

	"anxin"
)

// AuditKeys key the privacy audit log. Chain is the HMAC-SHA256 key of the
// row chain; Sign is the Ed25519 key that signs checkpoints (anchors) of the
// chain head. Both are derived with HKDF-SHA256 from one 32-byte root secret
// that exists outside memory only wrapped by the KEK (see NewSecret), so
// nobody who can write to the database but lacks the KEK can recompute a
// row's MAC or forge a checkpoint. Threat: deleting the newest rows and
// rewriting the head to hide recent decrypts; with an unkeyed hash anyone
// with write access could recompute the chain.
type AuditKeys struct {
	Chain []byte
	Sign  ed25519.PrivateKey
}

// DeriveAuditKeys derives the audit keys from the root secret. Invalid if the
// secret is not KeySize bytes.
func DeriveAuditKeys(secret []byte) (*AuditKeys, error) {
	if len(secret) != KeySize {
		return nil, anxin.Errorf(anxin.Invalid, "The audit root secret is %d bytes; want %d.", len(secret), KeySize)
	}
	chain, err := hkdf.Key(sha256.New, secret, nil, "anxin audit chain v2", 32)
	if err != nil {
		return nil, err
	}
	seed, err := hkdf.Key(sha256.New, secret, nil, "anxin audit checkpoint v1", ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	return &AuditKeys{Chain: chain, Sign: ed25519.NewKeyFromSeed(seed)}, nil
}

// Public returns the checkpoint verification key.
func (k *AuditKeys) Public() ed25519.PublicKey { return k.Sign.Public().(ed25519.PublicKey) }

// MAC returns the hex HMAC-SHA256 of fields, each length-prefixed so that no
// two different field lists encode alike.
func (k *AuditKeys) MAC(fields ...string) string {
	m := hmac.New(sha256.New, k.Chain)
	var n [binary.MaxVarintLen64]byte
	for _, f := range fields {
		m.Write(n[:binary.PutUvarint(n[:], uint64(len(f)))])
		m.Write([]byte(f))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// EqualMAC compares two hex MACs in constant time.
func EqualMAC(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }

// checkpointMessage is what a checkpoint signature covers.
func checkpointMessage(c *anxin.AuditCheckpoint) []byte {
	return []byte("anxin-audit-checkpoint-v1\n" + strconv.FormatInt(c.Seq, 10) + "\n" + c.Hash + "\n" +
		strconv.FormatInt(c.KeyedFrom, 10) + "\n" + strconv.FormatInt(c.At.UnixMilli(), 10) + "\n")
}

// SignCheckpoint fills c's PublicKey and Signature.
func (k *AuditKeys) SignCheckpoint(c *anxin.AuditCheckpoint) {
	c.At = c.At.UTC().Truncate(time.Millisecond)
	c.Version = 1
	c.PublicKey = base64.StdEncoding.EncodeToString(k.Public())
	c.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(k.Sign, checkpointMessage(c)))
}

// VerifyCheckpoint checks that c was signed by these keys. Invalid, naming
// the problem, when it was not: a checkpoint from another vault, or edited
// after signing.
func (k *AuditKeys) VerifyCheckpoint(c *anxin.AuditCheckpoint) error {
	if c.Version != 1 {
		return anxin.Errorf(anxin.Invalid, "The checkpoint has version %d; this binary reads version 1.", c.Version)
	}
	sig, err := base64.StdEncoding.DecodeString(c.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return anxin.Errorf(anxin.Invalid, "The checkpoint's signature is malformed.")
	}
	if c.PublicKey != base64.StdEncoding.EncodeToString(k.Public()) {
		return anxin.Errorf(anxin.Invalid, "The checkpoint was signed by another audit key than this vault's (a different vault, or the audit key was replaced).")
	}
	if !ed25519.Verify(k.Public(), checkpointMessage(c), sig) {
		return anxin.Errorf(anxin.Invalid, "The checkpoint's signature does not verify: it was edited after it was signed.")
	}
	return nil
}
