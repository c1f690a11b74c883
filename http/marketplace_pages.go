package http

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"anxin"
)

// The mirror's console pages: merchants, listings and orders, each a
// filtered, paginated list and a detail page; an order's page shows its
// timeline of events and carrier scans. The service applies the actor's
// scope, so a merchant session sees only its own records.

func (s *Server) registerMarketplacePages() {
	s.handle("GET /console/merchants", s.page(s.handleMerchantsPage))
	s.handle("GET /console/merchants/{id}", s.page(s.handleMerchantPage))
	s.handle("GET /console/listings", s.page(s.handleListingsPage))
	s.handle("GET /console/listings/{id}", s.page(s.handleListingPage))
	s.handle("GET /console/orders", s.page(s.handleOrdersPage))
	s.handle("GET /console/orders/{id}", s.page(s.handleOrderPage))
}

// listPage is what every list template receives.
type listPage[T any] struct {
	Items    []T
	Filter   anxin.MarketplaceFilter
	Statuses []string
	NextURL  string // "" on the last page
	TZ       *time.Location
}

// nextURL keeps the filter and moves the cursor.
func nextURL(r *http.Request, next string) string {
	if next == "" {
		return ""
	}
	q := r.URL.Query()
	q.Set("cursor", next)
	return r.URL.Path + "?" + q.Encode()
}

func (s *Server) mirrorPage(r *http.Request) (anxin.MarketplaceService, anxin.MarketplaceFilter, error) {
	svc, err := mirror(r, anxin.ActionReadMarketplace, func() anxin.MarketplaceService { return s.Marketplace })
	if err != nil {
		return nil, anxin.MarketplaceFilter{}, err
	}
	f, err := marketplaceFilter(r)
	if err == nil {
		f.Query = strings.TrimSpace(r.URL.Query().Get("q"))
		if len(f.Query) > 200 {
			err = anxin.Errorf(anxin.Invalid, "The search text is longer than 200 bytes.")
		}
	}
	return svc, f, err
}

func (s *Server) handleMerchantsPage(w http.ResponseWriter, r *http.Request) error {
	svc, f, err := s.mirrorPage(r)
	if err != nil {
		return err
	}
	items, next, err := svc.FindMerchants(r.Context(), f)
	if err != nil {
		return err
	}
	return s.render(w, r, "marketplace_merchants", listPage[*anxin.Merchant]{Items: items, Filter: f,
		Statuses: []string{"active", "restricted", "cleared"}, NextURL: nextURL(r, next), TZ: anxin.MarketplaceTZ})
}

func (s *Server) handleListingsPage(w http.ResponseWriter, r *http.Request) error {
	svc, f, err := s.mirrorPage(r)
	if err != nil {
		return err
	}
	items, next, err := svc.FindListings(r.Context(), f)
	if err != nil {
		return err
	}
	return s.render(w, r, "marketplace_listings", listPage[*anxin.Listing]{Items: items, Filter: f,
		Statuses: []string{"live", "held", "delisted", "banned"}, NextURL: nextURL(r, next), TZ: anxin.MarketplaceTZ})
}

func (s *Server) handleOrdersPage(w http.ResponseWriter, r *http.Request) error {
	svc, f, err := s.mirrorPage(r)
	if err != nil {
		return err
	}
	items, next, err := svc.FindOrders(r.Context(), f)
	if err != nil {
		return err
	}
	return s.render(w, r, "marketplace_orders", listPage[*anxin.Order]{Items: items, Filter: f,
		Statuses: []string{anxin.OrderCreated, anxin.OrderPaid, anxin.OrderShipped, anxin.OrderDelivered, anxin.OrderCancelled},
		NextURL:  nextURL(r, next), TZ: anxin.MarketplaceTZ})
}

func (s *Server) handleMerchantPage(w http.ResponseWriter, r *http.Request) error {
	svc, _, err := s.mirrorPage(r)
	if err != nil {
		return err
	}
	m, err := svc.FindMerchant(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	f := anxin.MarketplaceFilter{MerchantID: m.ID, Page: anxin.Page{Limit: 20}}
	listings, moreListings, err := svc.FindListings(r.Context(), f)
	if err != nil {
		return err
	}
	orders, moreOrders, err := svc.FindOrders(r.Context(), f)
	if err != nil {
		return err
	}
	q := url.Values{"merchant_id": {m.ID}}.Encode()
	enf, statuses, err := s.anxinView(r, m.ID, listings) // sanction_pages.go
	if err != nil {
		return err
	}
	return s.render(w, r, "marketplace_merchant", map[string]any{
		"Merchant": m, "Listings": listings, "Orders": orders, "TZ": anxin.MarketplaceTZ,
		"Enforcement": enf, "AnxinStatus": statuses, "Query": q,
		"MoreListings": moreListings != "", "MoreOrders": moreOrders != "",
		"ListingsURL": "/console/listings?" + q, "OrdersURL": "/console/orders?" + q,
	})
}

func (s *Server) handleListingPage(w http.ResponseWriter, r *http.Request) error {
	svc, _, err := s.mirrorPage(r)
	if err != nil {
		return err
	}
	l, err := svc.FindListing(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	_, statuses, err := s.anxinView(r, "", []*anxin.Listing{l})
	if err != nil {
		return err
	}
	history, err := s.listingHistory(r, l.ID) // case_pages.go
	if err != nil {
		return err
	}
	return s.render(w, r, "marketplace_listing", map[string]any{"Listing": l, "TZ": anxin.MarketplaceTZ, "AnxinStatus": statuses[l.ID],
		"MerchantName": s.merchantName(r, l.MerchantID), "History": history, "ShowHistory": history != nil})
}

func (s *Server) handleOrderPage(w http.ResponseWriter, r *http.Request) error {
	svc, _, err := s.mirrorPage(r)
	if err != nil {
		return err
	}
	o, err := svc.FindOrder(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	timeline, err := svc.FindOrderTimeline(r.Context(), o.ID)
	if err != nil {
		return err
	}
	return s.render(w, r, "marketplace_order", map[string]any{"Order": o, "Timeline": timeline, "TZ": anxin.MarketplaceTZ})
}
