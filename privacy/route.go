package privacy

import (
	"time"
)

// Virtual-number routing. A waybill carries a virtual number and an
// extension instead of the buyer's phone; the telephony gateway asks Anxin
// where a call to number+extension goes. Guessing extensions is the attack:
// every live binding found reveals a buyer's real phone. The defence is the
// size of the extension space against the number of guesses allowed.
//
// Arithmetic (defaults): extensions have ExtensionDigits = 6 digits, 10^6
// per number, and a number holds at most MaxBindingsPerNumber = 1,000 live
// bindings, so one guess finds a live binding with probability at most
// 1,000 / 10^6 = 0.1 %. The FreeFailures = 5th failed guess (counted per
// caller key and per number, forgotten an hour after the last failure or
// block)
// blocks the key or number for BaseBlock = 1 min, each further one for twice
// as long up to MaxBlock = 24 h (answers 429 with Retry-After meanwhile), so
// ten failures take at least 1+2+4+8+16 = 31 minutes, and the key's
// AlertAfter = 10th
// failure raises a privacy alert that suspends the key until a privacy
// officer reviews it. One key therefore makes at most 10 failed guesses
// before suspension: the chance that it finds even one live binding is at
// most 1 − (1 − 0.001)^10 ≈ 1 %, and it learns one phone number, not a
// sweep. The 10,000-guess sweep of four-digit extensions that used to answer
// every live binding in a minute is now answered 429 from its sixth guess.

// ExtensionDigits is the length of new extensions. Four-digit extensions of
// bindings made before still route until they expire.
const ExtensionDigits = 6

// MaxBindingsPerNumber caps the live bindings on one virtual number, which
// bounds the density of live extensions a guess can hit; beyond it waybills
// fall back to the masked phone.
const MaxBindingsPerNumber = 1000

// RouteLimits are the thresholds of failed routing attempts.
type RouteLimits struct {
	FreeFailures int           // failures allowed in Window before blocking (default 5)
	Window       time.Duration // failures older than this, with no block running, are forgotten (default 1 h)
	BaseBlock    time.Duration // the first block (default 1 min), doubling per further failure
	MaxBlock     time.Duration // the longest block (default 24 h)
	AlertAfter   int           // failures by one key that raise a privacy alert (default 10)
}

// Defaults fills zero fields with the defaults.
func (l *RouteLimits) Defaults() {
	if l.FreeFailures <= 0 {
		l.FreeFailures = 5
	}
	if l.Window <= 0 {
		l.Window = time.Hour
	}
	if l.BaseBlock <= 0 {
		l.BaseBlock = time.Minute
	}
	if l.MaxBlock <= 0 {
		l.MaxBlock = 24 * time.Hour
	}
	if l.AlertAfter <= 0 {
		l.AlertAfter = 10
	}
}

// RouteCounter is the failure state of one caller key or one virtual
// number, kept in the database so that every replica sees it.
type RouteCounter struct {
	Failures     int64
	LastFailure  time.Time
	BlockedUntil time.Time
}

// Blocked returns how long c is still blocked at now (0 when not).
func (l RouteLimits) Blocked(c RouteCounter, now time.Time) time.Duration {
	if now.Before(c.BlockedUntil) {
		return c.BlockedUntil.Sub(now)
	}
	return 0
}

// Fail returns c after one more failure at now: failures are forgotten
// first when the last one, or the end of the last block, is more than
// Window ago; past FreeFailures each failure
// from the FreeFailures-th on blocks for BaseBlock × 2^(failures −
// FreeFailures), at most MaxBlock.
func (l RouteLimits) Fail(c RouteCounter, now time.Time) RouteCounter {
	quietSince := c.LastFailure
	if c.BlockedUntil.After(quietSince) {
		quietSince = c.BlockedUntil
	}
	if now.Sub(quietSince) > l.Window {
		c.Failures = 0
	}
	c.Failures++
	c.LastFailure = now
	if over := c.Failures - int64(l.FreeFailures); over >= 0 {
		block := l.MaxBlock
		if over <= 40 {
			if b := l.BaseBlock << over; b > 0 && b < l.MaxBlock {
				block = b
			}
		}
		c.BlockedUntil = now.Add(block)
	}
	return c
}

// Alert reports whether a key's counter warrants a privacy alert.
func (l RouteLimits) Alert(c RouteCounter) bool { return c.Failures >= int64(l.AlertAfter) }
