package http

import (
	"context"
	"net/http"
	"strconv"

	"anxin"
)

// The marketplace mirror's API: batch upserts (body {"items":[...]}, at most
// anxin.MaxBatch items, validated whole) and cursor-paginated reads. Merchant
// keys read only their own records.

func (s *Server) registerMarketplaceRoutes() {
	m := func() anxin.MarketplaceService { return s.Marketplace }
	s.handle("POST /v1/merchants", s.api(upsert(m, anxin.MarketplaceService.UpsertMerchants)))
	s.handle("POST /v1/influencers", s.api(upsert(m, anxin.MarketplaceService.UpsertInfluencers)))
	s.handle("POST /v1/buyers", s.api(upsert(m, anxin.MarketplaceService.UpsertBuyers)))
	s.handle("POST /v1/listings", s.api(upsert(m, anxin.MarketplaceService.UpsertListings)))
	s.handle("POST /v1/content", s.api(upsert(m, anxin.MarketplaceService.UpsertContent)))
	s.handle("POST /v1/orders", s.api(upsert(m, anxin.MarketplaceService.UpsertOrders)))
	s.handle("POST /v1/shipments", s.api(upsert(m, anxin.MarketplaceService.UpsertShipments)))
	s.handle("POST /v1/aftersales", s.api(upsert(m, anxin.MarketplaceService.UpsertAfterSales)))

	s.handle("GET /v1/merchants", s.api(list(m, anxin.MarketplaceService.FindMerchants)))
	s.handle("GET /v1/listings", s.api(s.handleListingList)) // with anxin_status, sanctions.go
	s.handle("GET /v1/orders", s.api(list(m, anxin.MarketplaceService.FindOrders)))
	s.handle("GET /v1/merchants/{id}", s.api(s.handleMerchantView)) // with enforcement, sanctions.go
	s.handle("GET /v1/listings/{id}", s.api(s.handleListingView))   // with anxin_status, sanctions.go
	s.handle("GET /v1/orders/{id}", s.api(find(m, anxin.MarketplaceService.FindOrder)))
	s.handle("GET /v1/shipments/{id}", s.api(find(m, anxin.MarketplaceService.FindShipment)))
}

// mirror authorizes action, then returns the service, or Unavailable when
// the server was built without one.
func mirror(r *http.Request, action anxin.Action, get func() anxin.MarketplaceService) (anxin.MarketplaceService, error) {
	if err := anxin.Authorize(r.Context(), action); err != nil {
		return nil, err
	}
	svc := get()
	if svc == nil {
		return nil, anxin.Errorf(anxin.Unavailable, "The marketplace mirror is not configured.")
	}
	return svc, nil
}

// upsert returns a handler for a batch upsert: authorize, decode
// {"items":[...]}, store, answer {"upserted": n}.
func upsert[T any](get func() anxin.MarketplaceService, store func(anxin.MarketplaceService, context.Context, []*T) error) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		svc, err := mirror(r, anxin.ActionWriteMarketplace, get)
		if err != nil {
			return err
		}
		var in struct {
			Items []*T `json:"items"`
		}
		if err := readJSON(r, &in); err != nil {
			return err
		}
		if err := store(svc, r.Context(), in.Items); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]int{"upserted": len(in.Items)})
		return nil
	}
}

// list returns a handler for a paginated list with ?merchant_id, ?status,
// ?cursor and ?limit.
func list[T any](get func() anxin.MarketplaceService, find func(anxin.MarketplaceService, context.Context, anxin.MarketplaceFilter) ([]T, string, error)) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		svc, err := mirror(r, anxin.ActionReadMarketplace, get)
		if err != nil {
			return err
		}
		f, err := marketplaceFilter(r)
		if err != nil {
			return err
		}
		items, next, err := find(svc, r.Context(), f)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": items, "next_cursor": next})
		return nil
	}
}

// find returns a handler for a lookup by the {id} path value.
func find[T any](get func() anxin.MarketplaceService, find func(anxin.MarketplaceService, context.Context, string) (T, error)) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		svc, err := mirror(r, anxin.ActionReadMarketplace, get)
		if err != nil {
			return err
		}
		v, err := find(svc, r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

// marketplaceFilter reads the list query parameters. Invalid for a limit
// that is not a number or an id or status that is malformed.
func marketplaceFilter(r *http.Request) (anxin.MarketplaceFilter, error) {
	q := r.URL.Query()
	f := anxin.MarketplaceFilter{MerchantID: q.Get("merchant_id"), Status: q.Get("status")}
	f.Cursor = q.Get("cursor")
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return f, anxin.Errorf(anxin.Invalid, "limit must be a whole number from 1 to 500.")
		}
		f.Limit = n
	}
	if err := anxin.ValidateOptionalID("merchant_id", f.MerchantID); err != nil {
		return f, err
	}
	if err := anxin.ValidateOptionalID("status", f.Status); err != nil {
		return f, err
	}
	return f, nil
}
