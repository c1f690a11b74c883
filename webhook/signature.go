package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"anxin"
)

// The headers of every delivery.
const (
	HeaderID        = "Anxin-Webhook-Id" // the outbox message id: the same on every attempt
	HeaderTimestamp = "Anxin-Timestamp"  // unix seconds when the attempt was signed
	HeaderSignature = "Anxin-Signature"  // "t=<unix seconds>,v1=<hex HMAC-SHA256>"
	HeaderAttempt   = "Anxin-Attempt"    // 1, 2, … for this delivery
)

// DefaultTolerance is how far a signature's timestamp may be from the
// receiver's clock before Verify rejects it as stale.
const DefaultTolerance = 5 * time.Minute

// Errors returned by Verify. They carry anxin kinds (Invalid for a malformed
// header, Unauthorized for a stale or wrong signature) and are compared with
// errors.Is.
var (
	ErrMalformed = &anxin.Error{Kind: anxin.Invalid, Message: "The signature header is malformed."}
	ErrStale     = &anxin.Error{Kind: anxin.Unauthorized, Message: "The signature timestamp is outside the tolerance."}
	ErrMismatch  = &anxin.Error{Kind: anxin.Unauthorized, Message: "The signature does not match the body."}
)

// maxHeaderLen and maxSignatures bound the work Verify does on a hostile
// header.
const (
	maxHeaderLen  = 1024
	maxSignatures = 4
)

// mac returns HMAC-SHA256(secret, "<ts>.<body>").
func mac(secret string, ts int64, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(strconv.FormatInt(ts, 10)))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Sign returns the Anxin-Signature header value for body sent at unix time
// ts: "t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<body>")>". Signing the
// timestamp with the body stops a captured request from being replayed later
// under a fresh timestamp.
func Sign(secret string, ts int64, body []byte) string {
	return "t=" + strconv.FormatInt(ts, 10) + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

// Verify checks an Anxin-Signature header against the raw request body, as a
// receiver should before acting on a delivery. It returns nil when one of
// the header's v1 signatures is the HMAC of body under secret and the
// timestamp is within tolerance of now (either side); ErrMalformed for a
// header that does not parse; ErrStale for an old or future timestamp; and
// ErrMismatch otherwise. Comparison is constant-time. Unknown fields (a
// future "v2") are ignored, and several v1 values are accepted so a receiver
// can verify during a secret rotation.
//
// A valid signature proves origin and integrity, not uniqueness: dedupe on
// the Anxin-Webhook-Id header, which is the same for every attempt.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, sigs, err := parseHeader(header)
	if err != nil {
		return err
	}
	age := now.Sub(time.Unix(ts, 0))
	if age > tolerance || age < -tolerance {
		return ErrStale
	}
	want := mac(secret, ts, body)
	ok := 0
	for _, s := range sigs {
		ok |= boolBit(hmac.Equal(want, s))
	}
	if ok != 1 {
		return ErrMismatch
	}
	return nil
}

func boolBit(b bool) int {
	if b {
		return 1
	}
	return 0
}

// parseHeader splits "t=<ts>,v1=<hex>[,v1=<hex>…]" into the timestamp and
// the decoded v1 signatures. Exactly one t, at least one and at most
// maxSignatures v1 values of 64 hex digits; spaces around elements are
// allowed; other keys are skipped.
func parseHeader(h string) (int64, [][]byte, error) {
	if len(h) == 0 || len(h) > maxHeaderLen {
		return 0, nil, ErrMalformed
	}
	var ts int64
	seenT := false
	var sigs [][]byte
	for part := range strings.SplitSeq(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k == "" {
			return 0, nil, ErrMalformed
		}
		switch k {
		case "t":
			if seenT || len(v) == 0 || len(v) > 12 {
				return 0, nil, ErrMalformed
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 || v[0] == '+' {
				return 0, nil, ErrMalformed
			}
			ts, seenT = n, true
		case "v1":
			if len(v) != 2*sha256.Size || len(sigs) == maxSignatures {
				return 0, nil, ErrMalformed
			}
			b, err := hex.DecodeString(v)
			if err != nil {
				return 0, nil, ErrMalformed
			}
			sigs = append(sigs, b)
		}
	}
	if !seenT || len(sigs) == 0 {
		return 0, nil, ErrMalformed
	}
	return ts, sigs, nil
}
