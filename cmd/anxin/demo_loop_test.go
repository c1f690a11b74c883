package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/sim"
	"anxin/sim/marketplace"
	"anxin/webhook"
)

// trimWorld keeps every keep-th order with its shipments, after-sales,
// complaints and events, so that a test runs the demo in seconds; the
// merchants and listings, which the loop acts on, stay whole.
func trimWorld(w *sim.World, keep int) {
	orders := map[string]bool{}
	var os []*anxin.Order
	for i, o := range w.Orders {
		if i%keep == 0 {
			orders[o.ID] = true
			os = append(os, o)
		}
	}
	w.Orders = os
	w.Shipments = slices.DeleteFunc(w.Shipments, func(s *anxin.Shipment) bool { return !orders[s.OrderID] })
	w.AfterSales = slices.DeleteFunc(w.AfterSales, func(a *anxin.AfterSale) bool { return !orders[a.OrderID] })
	w.Complaints = slices.DeleteFunc(w.Complaints, func(c sim.Complaint) bool { return c.OrderID != "" && !orders[c.OrderID] })
	w.Events = slices.DeleteFunc(w.Events, func(e *anxin.Event) bool {
		var ref struct {
			ID      string `json:"id"`
			OrderID string `json:"order_id"`
		}
		json.Unmarshal(e.Data, &ref)
		if ref.OrderID == "" {
			ref.OrderID = ref.ID
		}
		return !orders[ref.OrderID]
	})
}

// TestDemoLoopAgrees runs the demo on a trimmed small World with the steps
// that make Anxin act on the marketplace (governance, IP, protection) and
// checks the closed loop: the marketplace applied each delivered action
// exactly once, the counts the demo prints are its counts, every listing
// Anxin delisted or blocked is off sale as the marketplace reported it, and
// every merchant under an active publishing sanction is restricted. A forged
// delivery is refused and changes nothing.
func TestDemoLoopAgrees(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo")
	}
	savedWorld, savedSteps := demoWorld, demoSteps
	t.Cleanup(func() { demoWorld, demoSteps = savedWorld, savedSteps })
	demoWorld = func(cfg sim.Config) *sim.World {
		w := sim.Generate(cfg)
		trimWorld(w, 20)
		return w
	}
	demoSteps = nil
	for _, s := range savedSteps {
		if s.name == "governance" || s.name == "ip" || s.name == "protection" {
			demoSteps = append(demoSteps, s)
		}
	}
	var env *demoEnv
	var deliveredByType map[string]int
	var forged string // what the forged delivery's check found wrong, "" when all held
	demoSteps = append(demoSteps, demoStep{"loop test", func(ctx context.Context, e *demoEnv) error {
		env = e
		return nil
	}, func(ctx context.Context, e *demoEnv) error {
		if _, err := e.drainDeliveries(ctx, time.Minute); err != nil {
			return err
		}
		forged = forgeDelivery(ctx, e)
		var err error
		deliveredByType, err = deliveredTypes(ctx, e)
		if err != nil {
			return err
		}
		return checkAgreement(t, ctx, e)
	}})

	dir := filepath.Join(t.TempDir(), "demo")
	start := time.Now()
	code, out := runCaptured(t, "demo", "--scale", "small", "--seed", "7", "--days", "7", "--no-serve", "--data", dir)
	t.Logf("demo took %v", time.Since(start))
	if code != 0 {
		t.Fatalf("anxin demo exited %d; output:\n%s", code, out)
	}
	for line := range strings.Lines(out) {
		if strings.Contains(line, "marketplace") || strings.HasPrefix(line, "webhooks delivered") {
			t.Log(strings.TrimSpace(line))
		}
	}
	if forged != "" {
		t.Error(forged)
	}
	c := env.loop.Market.Counts()
	if c.Delist == 0 || c.Pay == 0 {
		t.Errorf("counts = %+v; the demo should delist and pay", c)
	}
	// Exactly once: every delivered message of a type the marketplace acts
	// on was applied once, whatever the retries.
	want := map[string]int{
		"delist":   deliveredByType[anxin.MessageDelistListing] + deliveredByType[anxin.MessageBanListing] + deliveredByType[anxin.MessageInterceptListing],
		"restrict": deliveredByType[anxin.MessageRestrictMerchant] + deliveredByType[anxin.MessageShieldShop] + deliveredByType[anxin.MessageClearOutMerchant],
		"pay":      deliveredByType[anxin.MessagePayBuyer],
	}
	got := map[string]int{"delist": c.Delist, "restrict": c.Restrict, "pay": c.Pay}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("%s applied %d times; Anxin delivered %d such messages", k, got[k], want[k])
		}
	}
	// The printed line is the marketplace's own counts.
	var n, dl, rs, py, lf, rj int
	i := strings.Index(out, "marketplace applied ")
	if i < 0 {
		t.Fatalf("the demo did not print what the marketplace applied; output:\n%s", out)
	}
	if _, err := fmt.Sscanf(out[i:], "marketplace applied %d actions (delist %d, restrict %d, pay %d, lift %d), rejected %d", &n, &dl, &rs, &py, &lf, &rj); err != nil {
		t.Fatalf("parse %q: %v", out[i:min(len(out), i+120)], err)
	}
	if n != c.Applied() || dl != c.Delist || rs != c.Restrict || py != c.Pay || lf != c.Lift || rj != c.Rejected {
		t.Errorf("printed %d (%d, %d, %d, %d) rejected %d; the marketplace counted %+v", n, dl, rs, py, lf, rj, c)
	}
	if rj != 1 {
		t.Errorf("rejected %d; want 1 (the forged delivery)", rj)
	}
	if !strings.Contains(out, "marketplace agrees           yes:") {
		t.Errorf("the demo does not say the marketplace agrees; output:\n%s", out)
	}
}

// checkAgreement reads Anxin's view through the API and compares it with
// the marketplace's data.
func checkAgreement(t *testing.T, ctx context.Context, e *demoEnv) error {
	listings, merchants := e.loop.Market.Statuses()
	var blocked, restricted int
	err := pages(ctx, e, "/v1/listings", func(l demoListingView) {
		if l.Status != listings[l.ID] {
			t.Errorf("listing %s: Anxin's mirror has %q, the marketplace %q", l.ID, l.Status, listings[l.ID])
		}
		if l.AnxinStatus == anxin.ListingDelisted || l.AnxinStatus == anxin.ListingBlocked {
			blocked++
			if l.Status != "delisted" && l.Status != "banned" && l.Status != "held" {
				t.Errorf("listing %s is %s by Anxin but %q as the marketplace reported it", l.ID, l.AnxinStatus, l.Status)
			}
		}
	})
	if err != nil {
		return err
	}
	err = pages(ctx, e, "/v1/sanctions?active=true&subject_type=merchant", func(s anxin.Sanction) {
		if s.Type != anxin.SanctionRestrictListing && s.Type != anxin.SanctionClearOut {
			return
		}
		restricted++
		var m anxin.Merchant
		if err := e.get(ctx, e.Platform, "/v1/merchants/"+s.SubjectID, &m); err != nil {
			t.Errorf("merchant %s: %v", s.SubjectID, err)
			return
		}
		if m.Status != "restricted" && m.Status != "cleared" || m.Status != merchants[m.ID] {
			t.Errorf("merchant %s under %s is %q in Anxin's mirror and %q in the marketplace; want restricted (or cleared) in both", m.ID, s.Type, m.Status, merchants[m.ID])
		}
	})
	if blocked == 0 {
		t.Error("Anxin delisted or blocked no listing; the loop was not exercised")
	}
	t.Logf("%d listings delisted or blocked, %d publishing sanctions active", blocked, restricted)
	return err
}

// deliveredTypes counts the delivered deliveries by message type.
func deliveredTypes(ctx context.Context, e *demoEnv) (map[string]int, error) {
	out := map[string]int{}
	cursor := ""
	for {
		var page struct {
			Deliveries []anxin.Delivery `json:"deliveries"`
			NextCursor string           `json:"next_cursor"`
		}
		if err := e.get(ctx, e.Operator, "/v1/webhooks/deliveries?state=delivered&limit=500&cursor="+cursor, &page); err != nil {
			return nil, err
		}
		for _, d := range page.Deliveries {
			out[d.MessageType]++
		}
		if page.NextCursor == "" || len(page.Deliveries) == 0 {
			return out, nil
		}
		cursor = page.NextCursor
	}
}

// forgeDelivery posts a listing.delist for a listing that is on sale,
// signed with another secret, to the marketplace and returns what went
// wrong: the answer must be 401 and nothing may change, there or in
// Anxin's mirror.
func forgeDelivery(ctx context.Context, e *demoEnv) string {
	var target anxin.Listing
	for _, l := range e.World.Listings {
		if c, ok := e.loop.Market.Listing(l.ID); ok && c.Status == "live" {
			target = c
			break
		}
	}
	before := e.loop.Market.Counts()
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("not-the-secret-anxin-issued-!!!!"))
	id := "msg_forged"
	body, _ := json.Marshal(webhook.Envelope{ID: id, Type: anxin.MessageDelistListing, SubjectID: target.ID, CreatedAt: e.Clock.Now(),
		Payload: json.RawMessage(`{"listing_id":"` + target.ID + `"}`)})
	ts := e.Clock.Now().Unix()
	sig, _ := webhook.SignStandard(secret, id, ts, body)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.loop.URL, strings.NewReader(string(body)))
	req.Header.Set(webhook.HeaderStandardID, id)
	req.Header.Set(webhook.HeaderStandardTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(webhook.HeaderStandardSignature, sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "forged delivery: " + err.Error()
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		return fmt.Sprintf("a forged delivery was answered %d; want 401", resp.StatusCode)
	}
	if c, _ := e.loop.Market.Listing(target.ID); c.Status != "live" {
		return "the forged delivery delisted " + target.ID + " in the marketplace"
	}
	var mirrored demoListingView
	if err := e.get(ctx, e.Platform, "/v1/listings/"+target.ID, &mirrored); err != nil {
		return err.Error()
	}
	if mirrored.Status != "live" {
		return "after the forged delivery Anxin's mirror has " + target.ID + " as " + mirrored.Status
	}
	after := e.loop.Market.Counts()
	if after.Rejected != before.Rejected+1 || after.Applied() != before.Applied() {
		return fmt.Sprintf("after the forged delivery counts went from %+v to %+v; want one more rejected, nothing applied", before, after)
	}
	return ""
}

var _ marketplace.Reporter = (*marketplace.APIReporter)(nil)

func TestSpreadKeepsThePeriod(t *testing.T) {
	xs := make([]int, 1000)
	for i := range xs {
		xs[i] = i
	}
	for _, tc := range []struct {
		n          int
		len, first int
		last       int
	}{
		{600, 600, 0, 998},
		{1000, 1000, 0, 999},
		{2000, 1000, 0, 999},
		{1, 1, 0, 0},
		{3, 3, 0, 666},
	} {
		got := spread(xs, tc.n)
		if len(got) != tc.len || got[0] != tc.first || got[len(got)-1] != tc.last {
			t.Errorf("spread(1000, %d) = %d items %d…%d; want %d items %d…%d", tc.n, len(got), got[0], got[len(got)-1], tc.len, tc.first, tc.last)
		}
		for i := 1; i < len(got); i++ {
			if got[i] <= got[i-1] {
				t.Fatalf("spread(1000, %d) is not in order at %d", tc.n, i)
			}
		}
	}
}
