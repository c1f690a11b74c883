// Package anxin is the vocabulary of the Anxin trust, safety and
// buyer-protection engine: the domain types, their validation, the error
// kinds, the clock and the actor making a request.
//
// The root package imports only the standard library. Engines (lexicon,
// rules, ledger, vault, graph, hashbank) compute over these values; adapters
// (sqlstore, http, webhook) store and serve them; cmd/anxin wires them.
//
//	actor := anxin.Actor{KeyID: "key_1", Role: anxin.RoleOperator}
//	ctx = anxin.NewContextWithActor(ctx, actor)
//	if err := anxin.Authorize(ctx, anxin.ActionReadMarketplace, ""); err != nil { ... }
package anxin

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"strings"
	"time"
)

// Clock tells the time. Everything that is stored or decides an outcome takes
// its time from a Clock so tests can pin it to the second.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock, in UTC.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// Version is the binary's version, set at build time with
// -ldflags "-X anxin.Version=...".
var Version = "dev"

// NewID returns an opaque random identifier with the given prefix, e.g.
// "evt_k3j…". IDs are 20 random bytes from crypto/rand in lower-case base32,
// so they cannot be counted or guessed.
func NewID(prefix string) string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	s := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
	if prefix == "" {
		return s
	}
	return prefix + "_" + s
}

// timeIDEncoding is base32 over the same 32 characters as NewID's, in
// ASCII order, so that the text of an id sorts as its bytes do.
var timeIDEncoding = base32.NewEncoding("234567abcdefghijklmnopqrstuvwxyz").WithPadding(base32.NoPadding)

// NewTimeID returns an identifier of the same shape as NewID's (prefix,
// "_", 24 characters of [a-z2-7]) that sorts by t: 6 bytes of t's Unix
// milliseconds, then 9 random bytes from crypto/rand. Rows keyed by such ids
// are appended at the end of their index instead of at a random page,
// which is what makes a write-heavy table (decisions) cheap to insert into.
// The id reveals its creation time to the millisecond (callers store and
// return that time anyway) but still cannot be counted or guessed: 72
// random bits follow the time. Ids made in the same millisecond sort
// among themselves at random.
func NewTimeID(prefix string, t time.Time) string {
	var b [15]byte
	m := uint64(t.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(m)
		m >>= 8
	}
	_, _ = rand.Read(b[6:])
	s := timeIDEncoding.EncodeToString(b[:])
	if prefix == "" {
		return s
	}
	return prefix + "_" + s
}

// MarketplaceTZ is the marketplace's time zone, used for "next day 00:00",
// calendar years and quarters. It defaults to Asia/Shanghai (UTC+8, no DST).
var MarketplaceTZ = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}()

type ctxKey int

const actorKey ctxKey = 0

// NewContextWithActor returns a copy of ctx that carries actor.
func NewContextWithActor(ctx context.Context, actor Actor) context.Context {
	return context.WithValue(ctx, actorKey, actor)
}

// ActorFromContext returns the actor carried by ctx, or the zero Actor (no
// role, so every Authorize check fails) when there is none.
func ActorFromContext(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey).(Actor)
	return a
}
