package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"anxin"
)

// The Standard Webhooks headers, sent on every delivery beside the Anxin
// ones so that receivers can verify with the Standard Webhooks libraries
// that exist for most languages.
const (
	HeaderStandardID        = "webhook-id"        // the message id, as Anxin-Webhook-Id
	HeaderStandardTimestamp = "webhook-timestamp" // unix seconds
	HeaderStandardSignature = "webhook-signature" // "v1,<base64 HMAC-SHA256>", space-separated when several
)

// SecretPrefix starts every signing secret Anxin issues: "whsec_" followed
// by the base64 of the key bytes. The Standard Webhooks signature is keyed
// by those bytes; the Anxin-Signature header by the whole secret string.
const SecretPrefix = "whsec_"

// ErrSecretForm is returned for a secret that is not "whsec_<base64>" of
// 24 to 64 bytes.
var ErrSecretForm = &anxin.Error{Kind: anxin.Invalid, Message: `The webhook secret must be "whsec_" followed by the base64 of 24 to 64 bytes.`}

// SecretKey returns the key bytes of a "whsec_…" secret. Standard and URL
// base64 alphabets are accepted, with or without padding.
func SecretKey(secret string) ([]byte, error) {
	rest, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok || len(rest) > 100 {
		return nil, ErrSecretForm
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(rest); err == nil {
			if len(b) < 24 || len(b) > 64 {
				return nil, ErrSecretForm
			}
			return b, nil
		}
	}
	return nil, ErrSecretForm
}

// standardMAC returns HMAC-SHA256(key, "<id>.<ts>.<body>").
func standardMAC(key []byte, id string, ts int64, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write([]byte(strconv.FormatInt(ts, 10)))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// SignStandard returns the webhook-signature header value for the message
// id sent at unix time ts: "v1,<base64 HMAC-SHA256(key, "<id>.<ts>.<body>")>",
// the key being the secret's decoded bytes. ErrSecretForm for a secret not
// in the whsec_ form.
func SignStandard(secret, id string, ts int64, body []byte) (string, error) {
	key, err := SecretKey(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(standardMAC(key, id, ts, body)), nil
}

// VerifyStandard checks the three Standard Webhooks headers against the raw
// body: nil when one of the space-separated v1 signatures matches and the
// timestamp is within tolerance of now. Errors as Verify (ErrMalformed,
// ErrStale, ErrMismatch), and ErrSecretForm for a bad secret. Comparison is
// constant-time; other versions ("v1a,…") are skipped.
func VerifyStandard(secret, id, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := SecretKey(secret)
	if err != nil {
		return err
	}
	if id == "" || len(id) > 256 || len(timestamp) == 0 || len(timestamp) > 12 || len(signature) == 0 || len(signature) > maxHeaderLen {
		return ErrMalformed
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || ts <= 0 || timestamp[0] == '+' {
		return ErrMalformed
	}
	if age := now.Sub(time.Unix(ts, 0)); age > tolerance || age < -tolerance {
		return ErrStale
	}
	want := standardMAC(key, id, ts, body)
	ok, n := 0, 0
	for part := range strings.FieldsSeq(signature) {
		version, sig, found := strings.Cut(part, ",")
		if !found {
			return ErrMalformed
		}
		if version != "v1" {
			continue
		}
		if n++; n > maxSignatures {
			return ErrMalformed
		}
		b, err := base64.StdEncoding.DecodeString(sig)
		if err != nil || len(b) != sha256.Size {
			return ErrMalformed
		}
		ok |= boolBit(hmac.Equal(want, b))
	}
	if n == 0 {
		return ErrMalformed
	}
	if ok != 1 {
		return ErrMismatch
	}
	return nil
}
