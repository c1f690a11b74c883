// Package anxintest holds what tests across Anxin share: a settable clock
// and small helpers for actors. It imports only the root package, so the
// tests of every package, sqlstore's own included, can use it.
//
//	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
//	db := sqltest.OpenSQLite(t, clock)
//	clock.Advance(72 * time.Hour) // the claim window closes
package anxintest

import (
	"context"
	"sync"
	"time"

	"anxin"
)

// Clock is an anxin.Clock that stands still until told to move. It is safe
// for concurrent use: a database, a job runner and a webhook sender may
// share one.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

var _ anxin.Clock = (*Clock)(nil)

// NewClock returns a clock that reads t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t, forward or back.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Advance moves the clock forward by d (back for a negative d).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// As returns ctx carrying an actor of role whose key id is "key_" + role.
func As(ctx context.Context, role anxin.Role) context.Context {
	return anxin.NewContextWithActor(ctx, anxin.Actor{KeyID: "key_" + string(role), Role: role})
}
