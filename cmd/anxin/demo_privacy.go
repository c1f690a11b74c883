package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sync"
	"time"

	"anxin"
)

func init() { demoSteps = append(demoSteps, demoStep{"privacy", privacyDemo}) }

// privacyDemo seals every order's buyer data (from World.PII, which no
// mirror entity carries) through PUT /v1/orders/{id}/pii, prints the
// waybills of the orders still awaiting or in shipment (masked name, virtual
// number with extension; a few are shown), then plants a bulk
// decrypt: a privacy officer grants the busiest merchant's key "ship" on all
// its orders, and that key decrypts order after order until the
// exfiltration detector throttles it. The step fails if no alert is raised.
// It moves the clock to 10:00 the next morning first, so the planted access
// is judged on its volume rather than its hour.
func privacyDemo(ctx context.Context, env *demoEnv) error {
	w := env.World
	t := time.Now()
	var orders []*anxin.Order
	for _, o := range w.Orders {
		if _, ok := w.PII[o.BuyerID]; ok {
			orders = append(orders, o)
		}
	}
	// Four sealing clients: SQLite takes one writer at a time, but the
	// requests' encryption and HTTP work overlap.
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	next := make(chan *anxin.Order)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range next {
				p := w.PII[o.BuyerID]
				body, _ := json.Marshal(anxin.PIIInput{Name: p.Name, Phone: p.Phone, Address: p.Address})
				if err := env.do(ctx, "PUT", env.Platform, "/v1/orders/"+url.PathEscape(o.ID)+"/pii", bytes.NewReader(body), nil); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("sealing order %s: %w", o.ID, err)
					}
					mu.Unlock()
				}
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
	if firstErr != nil {
		return firstErr
	}
	progress(env.Out, "personal data sealed", len(orders), "orders", t)

	// Waybills for every order still awaiting or in shipment; a few shown.
	t = time.Now()
	printed := 0
	for _, o := range orders {
		if o.Status != anxin.OrderPaid && o.Status != anxin.OrderShipped {
			continue
		}
		var wb anxin.Waybill
		if err := env.get(ctx, env.Platform, "/v1/orders/"+url.PathEscape(o.ID)+"/waybill", &wb); err != nil {
			return err
		}
		if printed++; printed <= 3 {
			fmt.Fprintf(env.Out, "  waybill %s: %s  %s  %s\n", wb.OrderID, wb.RecipientName, wb.Phone, wb.Region)
		}
	}
	progress(env.Out, "masked waybills printed", printed, "waybills", t)

	// The planted bulk decrypt, in office hours.
	local := env.Clock.Now().In(anxin.MarketplaceTZ)
	env.Clock.Set(time.Date(local.Year(), local.Month(), local.Day()+1, 10, 0, 0, 0, anxin.MarketplaceTZ))
	perMerchant := map[string][]*anxin.Order{}
	busiest := ""
	for _, o := range orders {
		perMerchant[o.MerchantID] = append(perMerchant[o.MerchantID], o)
		if n, b := len(perMerchant[o.MerchantID]), len(perMerchant[busiest]); n > b || n == b && o.MerchantID < busiest {
			busiest = o.MerchantID
		}
	}
	if busiest == "" {
		return fmt.Errorf("no orders to decrypt")
	}
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
	t = time.Now()
	served, alert := 0, anxin.PrivacyAlert{}
	for _, o := range perMerchant[busiest] {
		err := env.post(ctx, mkey, "/v1/orders/"+url.PathEscape(o.ID)+"/pii:decrypt", anxin.DecryptRequest{Purpose: anxin.PurposeShip}, nil)
		if err == nil {
			served++
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
				alert = a
			}
		}
		if alert.ID != "" {
			break
		}
		// The per-minute limit: wait a (simulated) minute and go on.
		env.Clock.Set(env.Clock.Now().Add(61 * time.Second))
	}
	if alert.ID == "" {
		return fmt.Errorf("the planted bulk decrypt by merchant %s raised no alert", busiest)
	}
	progress(env.Out, "planted bulk decrypt", served, "served", t)
	fmt.Fprintf(env.Out, "  alert %s (%s): merchant %s's key throttled, case %s opened\n", alert.ID, alert.Kind, busiest, alert.CaseID)
	return nil
}
