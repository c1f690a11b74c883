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
