package sqlstore_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
	"anxin/vault"
)

// TestRouteSweepThrottled guesses 200 extensions on one virtual number
// through two replicas in turn: the failure counters live in the database,
// so the fifth wrong guess blocks the key on both, every later guess is
// refused with a Retry-After, the tenth failure raises a route_sweep alert
// with a case and suspends the key (even the right extension is refused
// then), and the number itself is blocked for other keys.
func TestRouteSweepThrottled(t *testing.T) {
	t0 := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	clock := anxintest.NewClock(t0)
	sqltest.RunReplicas(t, clock, 2, func(t *testing.T, dbs []*sqlstore.DB) {
		clock.Set(t0)
		kek, err := vault.OpenFileKEK(filepath.Join(t.TempDir(), "vault.kek"))
		if err != nil {
			t.Fatal(err)
		}
		cfg := sqlstore.PrivacyConfig{VirtualNumbers: []string{"17000000001"}}
		replicas := []*sqlstore.VaultService{sqlstore.NewVaultService(dbs[0], vault.New(kek), cfg), sqlstore.NewVaultService(dbs[1], vault.New(kek), cfg)}
		s := replicas[0]
		platform := asKey(anxin.RolePlatform)
		addOrder(t, dbs[0], "o1", "m1", anxin.OrderPaid, t0)
		if _, err := s.SealPII(platform, "o1", &samplePII); err != nil {
			t.Fatal(err)
		}
		w, err := s.Waybill(platform, "o1")
		if err != nil || len(w.Extension) != 6 {
			t.Fatalf("Waybill = %+v, %v; want a six-digit extension", w, err)
		}
		// The sweeper: another platform key (a stolen or misused one).
		sweeper := anxin.NewContextWithActor(t.Context(), anxin.Actor{KeyID: "key_sweeper", Role: anxin.RolePlatform})
		notFound, limited := 0, 0
		for i := 0; i < 200; i++ {
			ext := fmt.Sprintf("%06d", i)
			if ext == w.Extension {
				continue
			}
			_, err := replicas[i%2].RouteCall(sweeper, w.VirtualNumber, ext)
			switch anxin.KindOf(err) {
			case anxin.NotFound:
				notFound++
			case anxin.RateLimited:
				limited++
				var e *anxin.Error
				if ae, ok := err.(*anxin.Error); ok {
					e = ae
				}
				if e == nil || e.RetryAfter < 50*time.Second || e.RetryAfter > time.Minute {
					t.Fatalf("guess %d refused with %#v; want a Retry-After of about a minute", i, err)
				}
			default:
				t.Fatalf("guess %d = %v", i, err)
			}
		}
		if notFound != 5 || limited < 194 {
			t.Fatalf("200 guesses: %d answered not found, %d rate limited; want 5 and the rest", notFound, limited)
		}
		// The number is blocked for every caller, also the gateway's own key.
		if _, err := s.RouteCall(platform, w.VirtualNumber, w.Extension); anxin.KindOf(err) != anxin.RateLimited {
			t.Fatalf("RouteCall on the blocked number = %v; want RateLimited", err)
		}
		// Waiting out each block, the sweeper reaches ten failures: alert.
		for i := 0; i < 5; i++ {
			clock.Set(clock.Now().Add(time.Minute<<i + time.Second)) // 1, 2, 4, 8, 16 minutes
			if _, err := replicas[i%2].RouteCall(sweeper, w.VirtualNumber, fmt.Sprintf("%06d", 900+i)); anxin.KindOf(err) != anxin.NotFound {
				t.Fatalf("guess after the block = %v; want NotFound", err)
			}
		}
		alerts, err := s.FindAlerts(asKey(anxin.RolePrivacy), "open")
		if err != nil || len(alerts) != 1 || alerts[0].Kind != "route_sweep" || alerts[0].Principal != "key_sweeper" || alerts[0].CaseID == "" {
			t.Fatalf("alerts = %+v, %v; want one route_sweep alert with a case", alerts, err)
		}
		clock.Set(clock.Now().Add(33 * time.Minute)) // the number's last block (32 minutes) is over
		if _, err := s.RouteCall(sweeper, w.VirtualNumber, w.Extension); anxin.KindOf(err) != anxin.RateLimited {
			t.Fatalf("suspended key routing the right extension = %v; want RateLimited", err)
		}
		// The gateway's key, unblocked once the number's block is over, routes.
		r, err := replicas[1].RouteCall(platform, w.VirtualNumber, w.Extension)
		if err != nil || r.Target != "13812345678" {
			t.Fatalf("RouteCall by the gateway = %+v, %v", r, err)
		}
		if v, err := s.VerifyAuditChain(t.Context(), nil); err != nil || !v.OK {
			t.Fatalf("audit chain = %+v, %v", v, err)
		}
	})
}
