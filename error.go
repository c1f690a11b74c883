package anxin

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind is the category of an error. Each kind maps to one HTTP status in the
// http package's error adapter. The set is fixed; adding a kind is a design
// change.
type Kind string

// The error kinds and the HTTP status each one becomes.
const (
	Invalid      Kind = "invalid"      // 400: malformed input or a field that fails validation
	Unauthorized Kind = "unauthorized" // 401: no valid credentials
	Forbidden    Kind = "forbidden"    // 403: the role may not do this
	NotFound     Kind = "not_found"    // 404: absent, or hidden from the actor
	Conflict     Kind = "conflict"     // 409: a concurrent or contradictory change
	TooLarge     Kind = "too_large"    // 413: a body or field over a documented limit
	RateLimited  Kind = "rate_limited" // 429: too many requests from one principal
	Unavailable  Kind = "unavailable"  // 503: a dependency (database, broker) is down
	Internal     Kind = "internal"     // 500: anything else
)

// Error is an error with a kind and a message that is safe to show a user.
// Details carries optional per-item errors (for example one per event of a
// rejected batch).
type Error struct {
	Kind    Kind
	Message string
	Details []ItemError
	// RetryAfter is, for RateLimited, how long the caller should wait
	// (the HTTP Retry-After header); zero means one second.
	RetryAfter time.Duration
}

// ItemError names one invalid item of a batch by its index and id.
type ItemError struct {
	Index   int    `json:"index"`
	ID      string `json:"id,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Kind, e.Message) }

// Errorf returns an *Error of the given kind with a formatted message. The
// message is shown to users: never put keys, DSNs or personal data in it.
// String arguments (of any string type) longer than MaxQuoted bytes are
// clipped with Clip, so a message quotes at most MaxQuoted bytes of an
// offending value however large the input was.
func Errorf(kind Kind, format string, args ...any) *Error {
	for i, a := range args {
		if v := reflect.ValueOf(a); v.Kind() == reflect.String && v.Len() > MaxQuoted {
			args = append([]any(nil), args...) // never edit the caller's slice
			args[i] = Clip(v.String())
		}
	}
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// MaxQuoted is the most bytes of an offending value an error message quotes.
const MaxQuoted = 200

// Clip returns s cut to at most MaxQuoted bytes on a rune boundary, with "…"
// appended when it was cut. Invalid UTF-8 is replaced so the result is
// valid in the clipped part.
func Clip(s string) string {
	if len(s) <= MaxQuoted {
		return s
	}
	cut := MaxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.ToValidUTF8(s[:cut], "\uFFFD") + "…"
}

// KindOf returns the kind of err: the kind of the first *Error in its chain,
// Internal for any other non-nil error, and "" for nil.
func KindOf(err error) Kind {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// MessageOf returns the user-safe message of err, or "Internal error." when
// err carries no *Error.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// Wrap adds context to *errp, if it is not nil, keeping the chain intact:
//
//	defer anxin.Wrap(&err, "DecideClaim(%q)", id)
func Wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}
