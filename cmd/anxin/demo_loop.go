package main

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"anxin"
	"anxin/sim/marketplace"
)

// The demo's closed loop: the simulated marketplace receives Anxin's
// webhooks on a loopback port, verifies and applies them to its own data
// (sim/marketplace) and reports the new state back through the API, as a
// real integration does. The sender delivers whenever the demo runs due
// timers, so every action reaches the marketplace at its simulated time;
// before the report the demo drains what is left and checks that the
// marketplace's data and Anxin's view agree.

// demoLoopTypes are the message types the demo marketplace subscribes to:
// the ones it acts on (and a few under merchant.* it only counts).
var demoLoopTypes = []string{"listing.*", "merchant.*", anxin.MessagePayBuyer, anxin.MessageReverseEnforcement}

// demoDrainTimeout bounds the final drain of the webhook deliveries.
const demoDrainTimeout = 2 * time.Minute

// marketLoop is the running receiver.
type marketLoop struct {
	Market *marketplace.Marketplace
	URL    string // where Anxin delivers
	srv    *http.Server
}

// startMarketLoop starts the marketplace's receiver on a loopback port,
// registers it as a webhook endpoint with the operator key and seeds it
// with the World's merchants and listings.
func startMarketLoop(ctx context.Context, env *demoEnv) (*marketLoop, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	loop := &marketLoop{URL: "http://" + ln.Addr().String() + "/anxin/webhooks"}
	var hook anxin.Webhook
	if err := env.post(ctx, env.Operator, "/v1/webhooks", map[string]any{"url": loop.URL, "types": demoLoopTypes}, &hook); err != nil {
		ln.Close()
		return nil, err
	}
	loop.Market = marketplace.New(hook.Secret, &marketplace.APIReporter{BaseURL: env.BaseURL, Key: env.Platform, Client: env.client}, env.Clock.Now)
	loop.Market.Seed(env.World.Merchants, env.World.Listings)
	loop.Market.PayAfter = demoPayAfter
	mux := http.NewServeMux()
	mux.Handle("POST /anxin/webhooks", loop.Market)
	loop.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go loop.srv.Serve(ln)
	return loop, nil
}

// Close stops the receiver.
func (l *marketLoop) Close() error {
	if l == nil {
		return nil
	}
	return l.srv.Close()
}

// current returns items with the marketplace's own record in place of each
// listing and merchant it holds: what the marketplace sends in an upsert
// carries the status Anxin's actions gave it.
func (l *marketLoop) current(path string, items []any) []any {
	if l == nil || (path != "listings" && path != "merchants") {
		return items
	}
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = it
		switch v := it.(type) {
		case *anxin.Listing:
			if c, ok := l.Market.Listing(v.ID); ok {
				out[i] = &c
			}
		case *anxin.Merchant:
			if c, ok := l.Market.Merchant(v.ID); ok {
				out[i] = &c
			}
		}
	}
	return out
}

// deliver runs the webhook sender until it finds nothing due and returns
// how many attempts it made.
func (e *demoEnv) deliver(ctx context.Context) (int, error) {
	if e.loop == nil {
		return 0, nil
	}
	total := 0
	for {
		n, err := e.Main.Sender.Tick(ctx)
		total += n
		if err != nil || n == 0 {
			if err == nil {
				_, err = e.loop.Market.Settle(ctx, false)
			}
			return total, err
		}
	}
}

// demoPayAfter is how long the simulated marketplace's payment rail takes
// to refund a buyer: 1 to 30 minutes, drawn from the payout's id.
func demoPayAfter(payoutID string) time.Duration {
	h := fnv.New32a()
	h.Write([]byte(payoutID))
	return time.Duration(1+h.Sum32()%30) * time.Minute
}

// drainDeliveries delivers until no delivery is pending, or for at most
// timeout, and returns the delivery counts by state.
func (e *demoEnv) drainDeliveries(ctx context.Context, timeout time.Duration) (map[string]int64, error) {
	stop := time.Now().Add(timeout)
	for {
		if _, err := e.deliver(ctx); err != nil {
			return nil, err
		}
		counts, err := e.Main.Sender.Store.DeliveryCounts(ctx)
		if err != nil || counts[anxin.DeliveryPending] == 0 || time.Now().After(stop) {
			return counts, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// loopAgreement is the comparison of the marketplace's data with Anxin's
// view after the drain.
type loopAgreement struct {
	Listings, Merchants int      // compared
	Delisted            int      // listings Anxin has delisted or blocked
	Restricted          int      // merchants under an active publishing sanction
	Problems            []string // disagreements, the first few
	problemCount        int
}

func (a *loopAgreement) problem(format string, args ...any) {
	a.problemCount++
	if len(a.Problems) < 5 {
		a.Problems = append(a.Problems, fmt.Sprintf(format, args...))
	}
}

// OK reports whether everything agreed.
func (a *loopAgreement) OK() bool { return a.problemCount == 0 }

// demoListingView is a listing as GET /v1/listings answers it.
type demoListingView struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	AnxinStatus string `json:"anxin_status"`
}

// pages reads every page of a list route into each.
func pages[T any](ctx context.Context, e *demoEnv, path string, each func(T)) error {
	cursor := ""
	for {
		var page struct {
			Items      []T    `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		if err := e.get(ctx, e.Platform, path+sep+"limit=500&cursor="+url.QueryEscape(cursor), &page); err != nil {
			return err
		}
		for _, it := range page.Items {
			each(it)
		}
		if page.NextCursor == "" || len(page.Items) == 0 {
			return nil
		}
		cursor = page.NextCursor
	}
}

// checkLoop compares, through the API, Anxin's view with the marketplace's
// data: every listing and merchant as Anxin's mirror has it must carry the
// marketplace's status; every listing Anxin delisted or blocked must be off
// sale there (delisted, banned or held); and every merchant under an active
// publishing sanction (restrict_listing or clear_out) must be restricted or
// cleared there.
func (e *demoEnv) checkLoop(ctx context.Context) (*loopAgreement, error) {
	a := &loopAgreement{}
	listings, merchants := e.loop.Market.Statuses()
	offSale := map[string]bool{"delisted": true, "banned": true, "held": true}
	err := pages(ctx, e, "/v1/listings", func(l demoListingView) {
		a.Listings++
		if own, ok := listings[l.ID]; ok && own != l.Status {
			a.problem("listing %s is %s in the marketplace but %s in Anxin's mirror", l.ID, own, l.Status)
		}
		if l.AnxinStatus == anxin.ListingDelisted || l.AnxinStatus == anxin.ListingBlocked {
			a.Delisted++
			if !offSale[l.Status] {
				a.problem("listing %s is %s by Anxin but %s in the marketplace", l.ID, l.AnxinStatus, l.Status)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	mirror := map[string]string{}
	err = pages(ctx, e, "/v1/merchants", func(m anxin.Merchant) {
		a.Merchants++
		mirror[m.ID] = m.Status
		if own, ok := merchants[m.ID]; ok && own != m.Status {
			a.problem("merchant %s is %s in the marketplace but %s in Anxin's mirror", m.ID, own, m.Status)
		}
	})
	if err != nil {
		return nil, err
	}
	sanctioned := map[string]bool{}
	err = pages(ctx, e, "/v1/sanctions?active=true&subject_type=merchant", func(s anxin.Sanction) {
		if s.Type != anxin.SanctionRestrictListing && s.Type != anxin.SanctionClearOut || sanctioned[s.SubjectID] {
			return
		}
		sanctioned[s.SubjectID] = true
		a.Restricted++
		if st := mirror[s.SubjectID]; st != "restricted" && st != "cleared" {
			a.problem("merchant %s is under %s sanction %s but %q in the marketplace", s.SubjectID, s.Type, s.ID, st)
		}
	})
	return a, err
}

// loopAfter drains the deliveries, prints what the marketplace applied and
// whether it agrees with Anxin; a disagreement fails the demo.
func (e *demoEnv) loopAfter(ctx context.Context) error {
	t := time.Now()
	counts, err := e.drainDeliveries(ctx, demoDrainTimeout)
	if err != nil {
		return err
	}
	// Refunds still on their way at the end are confirmed now.
	if _, err := e.loop.Market.Settle(ctx, true); err != nil {
		return err
	}
	c := e.loop.Market.Counts()
	ignored := 0
	for _, n := range c.Ignored {
		ignored += n
	}
	fmt.Fprintf(e.Out, "%-28s %10d deliveries to the marketplace in the period; %d pending, %d dead after the drain (%.1fs)\n",
		"webhooks delivered", counts[anxin.DeliveryDelivered], counts[anxin.DeliveryPending], counts[anxin.DeliveryDead], time.Since(t).Seconds())
	fmt.Fprintf(e.Out, "%-28s %10d publishes refused on the check's block answer\n", "marketplace held", c.Refused)
	fmt.Fprintf(e.Out, "%-28s marketplace applied %d actions (delist %d, restrict %d, pay %d, lift %d), rejected %d; %d repeats not applied again, %d messages only counted\n",
		"", c.Applied(), c.Delist, c.Restrict, c.Pay, c.Lift, c.Rejected, c.Repeated, ignored)
	a, err := e.checkLoop(ctx)
	if err != nil {
		return err
	}
	if !a.OK() {
		fmt.Fprintf(e.Out, "%-28s NO: %d disagreements, first: %s\n", "marketplace agrees", a.problemCount, strings.Join(a.Problems, "; "))
		return errors.New("the marketplace's data and Anxin's view disagree: " + strings.Join(a.Problems, "; "))
	}
	fmt.Fprintf(e.Out, "%-28s yes: %d listings and %d merchants as Anxin sees them; %d listings delisted or blocked, %d merchants under a publishing sanction\n",
		"marketplace agrees", a.Listings, a.Merchants, a.Delisted, a.Restricted)
	return nil
}
