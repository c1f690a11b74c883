package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"anxin"
)

func init() { demoSteps = append(demoSteps, demoStep{"privacy", privacyDemo, privacyAfter}) }

// privacyRun is what the privacy step records for its summary.
type privacyRun struct {
	sealed, printed, late int
	shown                 []string
	served                int
	alert                 anxin.PrivacyAlert
	busiest               string
	access                *accessRun
	courier               func(o *anxin.Order, ref string) // queues a courier's reveal
}

// privacyDemo works as the marketplace's order pipeline does, every hour on
// the hour: it seals the buyer data (from World.PII, which no mirror entity
// carries) of the orders created in the hour before through PUT
// /v1/orders/{id}/pii, and prints the masked waybill (masked name, virtual
// number with extension) of every order that ships in the coming hour, at
// its ship time. On a weekday morning in the last days of the period it
// plants a bulk decrypt: a privacy officer grants the busiest merchant's
// key "ship" on all its orders, a second approves, and that key decrypts
// order after order until the exfiltration detector throttles it. The step
// fails if no alert is raised.
func privacyDemo(ctx context.Context, env *demoEnv) error {
	w := env.World
	run := &privacyRun{}
	env.privacyRun = run
	type job struct {
		o     *anxin.Order
		ready time.Time // when the mirror has what the call needs
	}
	var seal, print []job
	var orders []*anxin.Order
	for _, o := range w.Orders {
		if _, ok := w.PII[o.BuyerID]; !ok {
			continue
		}
		orders = append(orders, o)
		seal = append(seal, job{o, env.settled(o.CreatedAt)})
		if o.ShippedAt != nil && o.PaidAt != nil {
			// Printed at pickup, once the mirror has the payment and the
			// sealed data.
			print = append(print, job{o, latest(o.ShippedAt.Add(-time.Hour), env.settled(*o.PaidAt), env.settled(o.CreatedAt).Add(time.Hour))})
		}
	}
	slices.SortStableFunc(seal, func(a, b job) int { return a.ready.Compare(b.ready) })
	slices.SortStableFunc(print, func(a, b job) int { return a.ready.Compare(b.ready) })
	// take removes and returns the jobs ready by t.
	take := func(js *[]job, t time.Time) []*anxin.Order {
		var out []*anxin.Order
		for len(*js) > 0 && !(*js)[0].ready.After(t) {
			out = append(out, (*js)[0].o)
			*js = (*js)[1:]
		}
		return out
	}
	for _, d := range env.days() {
		for h := range 24 {
			hour := d.Add(time.Duration(h) * time.Hour)
			env.at(hour, func(ctx context.Context) error {
				now := env.Clock.Now()
				n, err := privacyEach(ctx, take(&seal, now), func(ctx context.Context, o *anxin.Order) error {
					p := w.PII[o.BuyerID]
					body, _ := json.Marshal(anxin.PIIInput{Name: p.Name, Phone: p.Phone, Address: p.Address})
					if err := env.do(ctx, "PUT", env.Platform, "/v1/orders/"+url.PathEscape(o.ID)+"/pii", bytes.NewReader(body), nil); err != nil {
						return fmt.Errorf("sealing order %s: %w", o.ID, err)
					}
					return nil
				})
				run.sealed += n
				if err != nil {
					return err
				}
				var mu sync.Mutex
				type printed struct {
					o   *anxin.Order
					ref string
				}
				var refs []printed
				n, err = privacyEach(ctx, take(&print, now.Add(time.Hour)), func(ctx context.Context, o *anxin.Order) error {
					var wb anxin.Waybill
					err := env.get(ctx, env.Platform, "/v1/orders/"+url.PathEscape(o.ID)+"/waybill", &wb)
					if anxin.KindOf(err) == anxin.Conflict {
						mu.Lock()
						run.late++ // delivered or cancelled before its hour came round
						mu.Unlock()
						return nil
					}
					if err != nil {
						return err
					}
					mu.Lock()
					refs = append(refs, printed{o, wb.RevealRef})
					if len(run.shown) < 3 {
						run.shown = append(run.shown, fmt.Sprintf("waybill %s: %s  %s  %s", wb.OrderID, wb.RecipientName, wb.Phone, wb.Region))
					}
					mu.Unlock()
					return nil
				})
				run.printed += n
				if run.courier != nil {
					slices.SortFunc(refs, func(a, b printed) int { return strings.Compare(a.o.ID, b.o.ID) })
					for _, p := range refs {
						run.courier(p.o, p.ref)
					}
				}
				return err
			})
		}
	}

	// The planted bulk decrypt, in office hours on a weekday near the end.
	day := w.Period.To.Add(-3 * 24 * time.Hour).In(anxin.MarketplaceTZ)
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, -1)
	}
	plant := time.Date(day.Year(), day.Month(), day.Day(), 10, 0, 0, 0, anxin.MarketplaceTZ)
	if plant.Before(w.Period.From) {
		plant = w.Period.From.Add(10 * time.Hour)
	}
	env.at(plant, func(ctx context.Context) error { return privacyPlant(ctx, env, orders) })
	return privacyAccess(ctx, env, orders)
}

// privacyEach calls fn on every order with four clients (SQLite takes one
// writer at a time, but the requests' encryption and HTTP work overlap) and
// returns how many succeeded and the first error.
func privacyEach(ctx context.Context, orders []*anxin.Order, fn func(context.Context, *anxin.Order) error) (int, error) {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		done     int
	)
	next := make(chan *anxin.Order)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range next {
				err := fn(ctx, o)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				} else if err == nil {
					done++
				}
				mu.Unlock()
			}
		}()
	}
	for _, o := range orders {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			break
		}
		next <- o
	}
	close(next)
	wg.Wait()
	return done, firstErr
}

// privacyPlant is the planted bulk decrypt.
func privacyPlant(ctx context.Context, env *demoEnv, orders []*anxin.Order) error {
	run := env.privacyRun
	perMerchant := map[string][]*anxin.Order{}
	busiest := ""
	for _, o := range orders {
		if o.CreatedAt.After(env.Clock.Now().Add(-6 * time.Hour)) {
			continue // not sealed yet
		}
		perMerchant[o.MerchantID] = append(perMerchant[o.MerchantID], o)
		if n, b := len(perMerchant[o.MerchantID]), len(perMerchant[busiest]); n > b || n == b && o.MerchantID < busiest {
			busiest = o.MerchantID
		}
	}
	if busiest == "" {
		return fmt.Errorf("no orders to decrypt")
	}
	run.busiest = busiest
	role := anxin.MerchantRole(busiest)
	mkey, err := env.key(ctx, role)
	if err != nil {
		return err
	}
	privacy, err := env.key(ctx, anxin.RolePrivacy)
	if err != nil {
		return err
	}
	// Two-person rule: one privacy officer requests the grant, a second one
	// approves it; until then it lets nobody decrypt.
	approver, err := env.key(ctx, anxin.RolePrivacy)
	if err != nil {
		return err
	}
	grant := anxin.PIIGrant{Role: role, Purpose: anxin.PurposeShip, OrderID: "*", ExpiresAt: env.Clock.Now().Add(12 * time.Hour), Note: "demo: shipping"}
	if err := env.post(ctx, privacy, "/v1/pii/grants", grant, &grant); err != nil {
		return err
	}
	if err := env.do(ctx, "POST", approver, "/v1/pii/grants/"+url.PathEscape(grant.ID)+"/approve", nil, &grant); err != nil {
		return err
	}
	for _, o := range perMerchant[busiest] {
		err := env.post(ctx, mkey, "/v1/orders/"+url.PathEscape(o.ID)+"/pii:decrypt", anxin.DecryptRequest{Purpose: anxin.PurposeShip}, nil)
		if err == nil {
			run.served++
			continue
		}
		if anxin.KindOf(err) != anxin.RateLimited {
			continue // a closed order: refused and audited, and still counted
		}
		var open struct {
			Alerts []anxin.PrivacyAlert `json:"alerts"`
		}
		if err := env.get(ctx, privacy, "/v1/privacy/alerts?status=open", &open); err != nil {
			return err
		}
		for _, a := range open.Alerts {
			if a.Role == string(role) {
				run.alert = a
			}
		}
		if run.alert.ID != "" {
			break
		}
		// The per-minute limit: wait a (simulated) minute and go on.
		env.Clock.Set(env.Clock.Now().Add(61 * time.Second))
	}
	return nil
}

func privacyAfter(ctx context.Context, env *demoEnv) error {
	run := env.privacyRun
	fmt.Fprintf(env.Out, "%-28s %10d orders\n", "personal data sealed", run.sealed)
	for _, s := range run.shown {
		fmt.Fprintln(env.Out, "  "+s)
	}
	fmt.Fprintf(env.Out, "%-28s %10d waybills at ship time (%d orders already delivered or cancelled when their hour came)\n", "masked waybills printed", run.printed, run.late)
	if run.alert.ID == "" {
		return fmt.Errorf("the planted bulk decrypt by merchant %s raised no alert", run.busiest)
	}
	fmt.Fprintf(env.Out, "%-28s %10d served\n", "planted bulk decrypt", run.served)
	fmt.Fprintf(env.Out, "  alert %s (%s): merchant %s's key throttled, case %s opened\n", run.alert.ID, run.alert.Kind, run.busiest, run.alert.CaseID)
	privacyAccessAfter(env)
	return nil
}
