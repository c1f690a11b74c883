package http

import (
	"net/http"
	"strconv"

	"anxin"
)

// The one enforcement model's API: sanctions from every source, their
// appeals, and Anxin's own view of merchants and listings beside the
// marketplace's.

func (s *Server) registerSanctionRoutes() {
	s.handle("GET /v1/sanctions", s.api(s.handleSanctionList))
	s.handle("POST /v1/sanctions", s.api(s.handleSanctionIssue))
	s.handle("GET /v1/sanctions/{id}", s.api(s.handleSanctionView))
	s.handle("POST /v1/sanctions/{id}/appeals", s.api(s.handleSanctionAppeal))
}

func (s *Server) sanctions() (anxin.SanctionService, error) {
	if s.Sanctions == nil {
		return nil, anxin.Errorf(anxin.Unavailable, "Enforcement is not configured.")
	}
	return s.Sanctions, nil
}

// handleSanctionList serves GET /v1/sanctions?merchant_id=&subject_type=&source=&type=&active=true.
func (s *Server) handleSanctionList(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.sanctions()
	if err != nil {
		return err
	}
	page, err := pageFromQuery(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := anxin.SanctionFilter{MerchantID: q.Get("merchant_id"), SubjectType: q.Get("subject_type"), Source: q.Get("source"), Type: q.Get("type"),
		Status: q.Get("status"), Query: q.Get("q"), Page: page}
	if v := q.Get("active"); v != "" {
		if f.Active, err = strconv.ParseBool(v); err != nil {
			return anxin.Errorf(anxin.Invalid, "active must be true or false.")
		}
	}
	items, next, err := svc.FindSanctions(r.Context(), f)
	return reply(w, http.StatusOK, map[string]any{"items": items, "next_cursor": next}, err)
}

func (s *Server) handleSanctionView(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.sanctions()
	if err != nil {
		return err
	}
	sc, err := svc.FindSanction(r.Context(), r.PathValue("id"))
	return reply(w, http.StatusOK, sc, err)
}

func (s *Server) handleSanctionIssue(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.sanctions()
	if err != nil {
		return err
	}
	var in anxin.SanctionRequest
	if err := readJSON(r, &in); err != nil {
		return err
	}
	sc, err := svc.IssueSanction(r.Context(), in)
	return reply(w, http.StatusCreated, sc, err)
}

func (s *Server) handleSanctionAppeal(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.sanctions()
	if err != nil {
		return err
	}
	var in struct {
		Text string `json:"text"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	a, err := svc.FileSanctionAppeal(r.Context(), r.PathValue("id"), in.Text)
	return reply(w, http.StatusCreated, a, err)
}

// merchantView is a mirrored merchant with Anxin's enforcement view: status
// is what the marketplace last reported, enforcement what Anxin decided.
type merchantView struct {
	*anxin.Merchant
	Enforcement *anxin.Enforcement `json:"enforcement,omitempty"`
}

// listingView is a mirrored listing with Anxin's own status beside the
// marketplace's status.
type listingView struct {
	*anxin.Listing
	anxin.ListingStatus
}

func (s *Server) handleMerchantView(w http.ResponseWriter, r *http.Request) error {
	svc, err := mirror(r, anxin.ActionReadMarketplace, func() anxin.MarketplaceService { return s.Marketplace })
	if err != nil {
		return err
	}
	m, err := svc.FindMerchant(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	v := merchantView{Merchant: m}
	if s.Sanctions != nil && anxin.Authorize(r.Context(), anxin.ActionReadSanctions) == nil {
		if v.Enforcement, err = s.Sanctions.MerchantEnforcement(r.Context(), m.ID); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// listingViews adds Anxin's status to listings the actor may already see.
func (s *Server) listingViews(r *http.Request, ls []*anxin.Listing) ([]listingView, error) {
	out := make([]listingView, len(ls))
	ids := make([]string, len(ls))
	for i, l := range ls {
		out[i], ids[i] = listingView{Listing: l, ListingStatus: anxin.ListingStatus{Status: anxin.ListingAllowed}}, l.ID
	}
	if s.Sanctions == nil || len(ls) == 0 {
		return out, nil
	}
	st, err := s.Sanctions.ListingStatuses(r.Context(), ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if v, ok := st[out[i].ID]; ok {
			out[i].ListingStatus = v
		}
	}
	return out, nil
}

func (s *Server) handleListingView(w http.ResponseWriter, r *http.Request) error {
	svc, err := mirror(r, anxin.ActionReadMarketplace, func() anxin.MarketplaceService { return s.Marketplace })
	if err != nil {
		return err
	}
	l, err := svc.FindListing(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	vs, err := s.listingViews(r, []*anxin.Listing{l})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, vs[0])
	return nil
}

func (s *Server) handleListingList(w http.ResponseWriter, r *http.Request) error {
	svc, err := mirror(r, anxin.ActionReadMarketplace, func() anxin.MarketplaceService { return s.Marketplace })
	if err != nil {
		return err
	}
	f, err := marketplaceFilter(r)
	if err != nil {
		return err
	}
	items, next, err := svc.FindListings(r.Context(), f)
	if err != nil {
		return err
	}
	vs, err := s.listingViews(r, items)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": vs, "next_cursor": next})
	return nil
}
