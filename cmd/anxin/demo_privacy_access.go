package main

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"anxin"
)

// accessRun counts the legitimate decrypts the privacy step makes through
// grants, by purpose, and the alerts the privacy officers resolve.
type accessRun struct {
	served, refused     map[string]int
	confirmed, falsePos int
}

// Daily caps on the legitimate decrypts, so that they stay a small,
// plausible share of the orders (a few a day for each team).
const (
	demoAfterSalesPerDay = 3
	demoCarePerDay       = 3
	demoDeliveryPerDay   = 2
	demoLegalRequests    = 3
)

// privacyAccess queues the decrypts people make for their work, each under
// a grant for its order that one privacy officer requests and a second
// approves: a merchant's after-sales staff open the buyer's address to
// arrange a return (the simulator's return and exchange requests), care
// agents call the buyer about a delivery or after-sales complaint (the
// simulator's complaints), the courier's reveal at a failed virtual-number
// call (a few printed waybills a day, before delivery), and the legal team
// answering a public-security request about buyers the simulator marks as
// fraudulent. One night a care agent on the night shift works three urgent
// complaints, which the odd-hours detector flags. The privacy officers work
// the open alerts at 11:00 and 16:00: the planted bulk decrypt is
// confirmed, any other alert is marked a false positive, each with a note.
func privacyAccess(ctx context.Context, env *demoEnv, orders []*anxin.Order) error {
	w := env.World
	run := &accessRun{served: map[string]int{}, refused: map[string]int{}}
	env.privacyRun.access = run
	var officers [3]string
	for i := range officers {
		k, err := env.key(ctx, anxin.RolePrivacy)
		if err != nil {
			return err
		}
		officers[i] = k
	}
	careKey, err := env.key(ctx, anxin.RoleCare)
	if err != nil {
		return err
	}
	byID := map[string]*anxin.Order{}
	for _, o := range orders {
		byID[o.ID] = o
	}
	r := env.rand("privacy-access")
	perDay := map[string]int{}
	merchantKeys := map[string]string{} // one after-sales key per shop
	// capped reports whether purpose has used its quota for t's day.
	capped := func(purpose string, t time.Time, n int) bool {
		k := purpose + t.In(anxin.MarketplaceTZ).Format("2006-01-02")
		if perDay[k] >= n {
			return true
		}
		perDay[k]++
		return false
	}
	// ready is the earliest time the order's data is sealed.
	ready := func(o *anxin.Order) time.Time { return env.settled(o.CreatedAt).Add(time.Hour) }
	queue := func(at time.Time, role anxin.Role, key, purpose, ref string, o *anxin.Order, note string) {
		env.at(at, func(ctx context.Context) error {
			return privacyDecrypt(ctx, env, officers, role, key, purpose, ref, o, note)
		})
	}
	for _, a := range w.AfterSales {
		o := byID[a.OrderID]
		if o == nil || a.Kind != "return_refund" && a.Kind != "exchange" {
			continue
		}
		at := officeAfter(latest(env.settled(a.CreatedAt), ready(o)), between(r, 30*time.Minute, 4*time.Hour))
		if capped(anxin.PurposeAfterSales, at, demoAfterSalesPerDay) {
			continue
		}
		mk, ok := merchantKeys[o.MerchantID]
		if !ok {
			if mk, err = env.key(ctx, anxin.MerchantRole(o.MerchantID)); err != nil {
				return err
			}
			merchantKeys[o.MerchantID] = mk
		}
		queue(at, anxin.MerchantRole(o.MerchantID), mk, anxin.PurposeAfterSales, "", o, "return pickup for after-sale "+a.ID)
	}
	for _, c := range w.Complaints {
		o := byID[c.OrderID]
		if o == nil || c.Topic != "logistics" && c.Topic != "after_sales" {
			continue
		}
		at := officeAfter(latest(env.settled(c.At), ready(o)), between(r, 15*time.Minute, 2*time.Hour))
		if capped(anxin.PurposeCare, at, demoCarePerDay) {
			continue
		}
		queue(at, anxin.RoleCare, careKey, anxin.PurposeCare, "", o, "calling the buyer about complaint "+c.ID)
	}
	legal := 0
	for _, o := range orders {
		if legal == demoLegalRequests || !w.Truth.FraudulentBuyers[o.BuyerID] {
			continue
		}
		legal++
		at := officeAfter(latest(ready(o), w.Period.From.Add(time.Duration(legal)*7*24*time.Hour)), between(r, time.Hour, 6*time.Hour))
		queue(at, anxin.RolePrivacy, officers[2], anxin.PurposeLegal, "", o, "public-security request about a buyer reported for claim fraud")
	}
	privacyNightShift(env, officers, orders)
	env.daily([]time.Duration{11 * time.Hour, 16 * time.Hour}, func(ctx context.Context) error {
		return privacyResolveAlerts(ctx, env, officers[0])
	})
	env.privacyRun.courier = func(o *anxin.Order, ref string) {
		// The courier's call through the virtual number fails and the
		// delivery app reveals the phone, an hour or two before delivery.
		if o.DeliveredAt == nil {
			return
		}
		at := o.DeliveredAt.Add(-between(r, time.Hour, 2*time.Hour))
		if !at.After(env.Clock.Now()) || capped(anxin.PurposeDelivery, at, demoDeliveryPerDay) {
			return
		}
		queue(at, anxin.RolePlatform, env.Platform, anxin.PurposeDelivery, ref, o, "courier reveal for a failed call")
	}
	return nil
}

// privacyDecrypt has one officer request a grant for role, purpose and the
// order, a second approve it, and key decrypt the order for purpose. A
// refusal (a closed order) is counted, not an error: it is audited.
func privacyDecrypt(ctx context.Context, env *demoEnv, officers [3]string, role anxin.Role, key, purpose, ref string, o *anxin.Order, note string) error {
	run := env.privacyRun.access
	grant := anxin.PIIGrant{Role: role, Purpose: purpose, OrderID: o.ID, ExpiresAt: env.Clock.Now().Add(7 * 24 * time.Hour), Note: "demo: " + note}
	if err := env.post(ctx, officers[0], "/v1/pii/grants", grant, &grant); err != nil {
		return fmt.Errorf("grant for %s on %s: %w", purpose, o.ID, err)
	}
	if err := env.do(ctx, "POST", officers[1], "/v1/pii/grants/"+url.PathEscape(grant.ID)+"/approve", nil, &grant); err != nil {
		return fmt.Errorf("approving grant %s: %w", grant.ID, err)
	}
	err := env.post(ctx, key, "/v1/orders/"+url.PathEscape(o.ID)+"/pii:decrypt", anxin.DecryptRequest{Purpose: purpose, RevealRef: ref}, nil)
	switch anxin.KindOf(err) {
	case "":
		run.served[purpose]++
	case anxin.Forbidden, anxin.RateLimited:
		run.refused[purpose]++
	default:
		return fmt.Errorf("decrypt for %s on %s: %w", purpose, o.ID, err)
	}
	return nil
}

// privacyNightShift plants the legitimate night: on the night into the
// period's middle Wednesday, a care agent who has never worked nights calls
// the buyers of three parcels in transit (grants approved the evening
// before) at 02:00–02:10, which trips the odd-hours detector.
func privacyNightShift(env *demoEnv, officers [3]string, orders []*anxin.Order) {
	p := env.World.Period
	night := p.From.Add(p.To.Sub(p.From) / 2).In(anxin.MarketplaceTZ)
	for night.Weekday() != time.Wednesday {
		night = night.AddDate(0, 0, 1)
	}
	at := time.Date(night.Year(), night.Month(), night.Day(), 2, 0, 0, 0, anxin.MarketplaceTZ)
	evening := at.Add(-6 * time.Hour)
	var transit []*anxin.Order
	for _, o := range orders {
		if len(transit) < 5 && o.ShippedAt != nil && o.DeliveredAt != nil && o.ShippedAt.Before(evening.Add(-6*time.Hour)) && o.DeliveredAt.After(at.Add(6*time.Hour)) {
			transit = append(transit, o)
		}
	}
	var grants []string
	env.at(evening, func(ctx context.Context) error {
		for _, o := range transit {
			g := anxin.PIIGrant{Role: anxin.RoleCare, Purpose: anxin.PurposeCare, OrderID: o.ID, ExpiresAt: env.Clock.Now().Add(24 * time.Hour), Note: "demo: night shift, urgent delivery complaint"}
			if err := env.post(ctx, officers[0], "/v1/pii/grants", g, &g); err != nil {
				return err
			}
			if err := env.do(ctx, "POST", officers[1], "/v1/pii/grants/"+url.PathEscape(g.ID)+"/approve", nil, nil); err != nil {
				return err
			}
			grants = append(grants, g.ID)
		}
		return nil
	})
	var nightKey string
	for i, o := range transit {
		env.at(at.Add(time.Duration(i)*2*time.Minute), func(ctx context.Context) error {
			if nightKey == "" {
				k, err := env.key(ctx, anxin.RoleCare)
				if err != nil {
					return err
				}
				nightKey = k
			}
			run := env.privacyRun.access
			err := env.post(ctx, nightKey, "/v1/orders/"+url.PathEscape(o.ID)+"/pii:decrypt", anxin.DecryptRequest{Purpose: anxin.PurposeCare}, nil)
			switch anxin.KindOf(err) {
			case "":
				run.served[anxin.PurposeCare]++
			case anxin.Forbidden, anxin.RateLimited:
				run.refused[anxin.PurposeCare]++ // the detector throttled the key
			default:
				return err
			}
			return nil
		})
	}
}

// privacyResolveAlerts is a privacy officer's round of the open alerts:
// the demo planted one exfiltration (the bulk decrypt by run.busiest's
// key), which is confirmed; every other alert came from legitimate work and
// is resolved as a false positive.
func privacyResolveAlerts(ctx context.Context, env *demoEnv, officer string) error {
	run := env.privacyRun
	var open struct {
		Alerts []anxin.PrivacyAlert `json:"alerts"`
	}
	if err := env.get(ctx, officer, "/v1/privacy/alerts?status=open", &open); err != nil {
		return err
	}
	for _, a := range open.Alerts {
		res, note := "false_positive", "Checked against the tickets and grants: legitimate work, throttle lifted."
		if run.busiest != "" && a.Role == string(anxin.MerchantRole(run.busiest)) {
			res, note = "confirmed", "Bulk decrypt far beyond the shop's orders: key revoked, merchant informed."
		}
		if err := env.post(ctx, officer, "/v1/privacy/alerts/"+url.PathEscape(a.ID)+"/resolve", map[string]string{"resolution": res, "note": note}, nil); err != nil {
			return fmt.Errorf("resolving alert %s: %w", a.ID, err)
		}
		if res == "confirmed" {
			run.access.confirmed++
		} else {
			run.access.falsePos++
		}
	}
	return nil
}

func privacyAccessAfter(env *demoEnv) {
	run := env.privacyRun.access
	fmt.Fprintf(env.Out, "  decrypts through grants:")
	for _, p := range []string{anxin.PurposeAfterSales, anxin.PurposeCare, anxin.PurposeDelivery, anxin.PurposeLegal} {
		fmt.Fprintf(env.Out, " %s %d (refused %d)", p, run.served[p], run.refused[p])
	}
	fmt.Fprintf(env.Out, "\n  alerts resolved: %d confirmed, %d false positives\n", run.confirmed, run.falsePos)
}
