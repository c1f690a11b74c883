package anxintest

import (
	"context"
	"sync"
	"testing"
	"time"

	"anxin"
)

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	c := NewClock(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Fatalf("Now() = %v; want %v", got, t0)
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { c.Advance(time.Minute) })
	}
	wg.Wait()
	if got, want := c.Now(), t0.Add(10*time.Minute); !got.Equal(want) {
		t.Fatalf("after 10 concurrent Advance(1m): Now() = %v; want %v", got, want)
	}
	c.Set(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Fatalf("after Set: Now() = %v; want %v", got, t0)
	}
}

func TestAs(t *testing.T) {
	a := anxin.ActorFromContext(As(context.Background(), anxin.RoleCare))
	if a.Role != anxin.RoleCare || a.KeyID != "key_care" {
		t.Fatalf("As(care) actor = %+v", a)
	}
}
