package http

import (
	"net/http"

	"anxin"
)

// The one enforcement model's console pages: the sanctions list (penalised
// and cleared-out shops, filtered by source, type and whether in force) and
// Anxin's view on the merchant and listing pages.

func (s *Server) registerSanctionPages() {
	s.handle("GET /console/sanctions", s.page(s.handleSanctionsPage))
	s.handle("GET /console/enforcement", s.page(s.handleEnforcementListPage))
}

// anxinView returns the merchant's enforcement (when merchantID is set and
// the actor may read sanctions) and Anxin's status of each listing; both
// are empty when the server has no sanction service.
func (s *Server) anxinView(r *http.Request, merchantID string, ls []*anxin.Listing) (*anxin.Enforcement, map[string]anxin.ListingStatus, error) {
	statuses := map[string]anxin.ListingStatus{}
	if s.Sanctions == nil || anxin.Authorize(r.Context(), anxin.ActionReadSanctions) != nil {
		return nil, statuses, nil
	}
	var enf *anxin.Enforcement
	var err error
	if merchantID != "" {
		if enf, err = s.Sanctions.MerchantEnforcement(r.Context(), merchantID); err != nil {
			return nil, nil, err
		}
	}
	ids := make([]string, len(ls))
	for i, l := range ls {
		ids[i] = l.ID
	}
	if statuses, err = s.Sanctions.ListingStatuses(r.Context(), ids); err != nil {
		return nil, nil, err
	}
	return enf, statuses, nil
}

func (s *Server) handleSanctionsPage(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.sanctions()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := anxin.SanctionFilter{MerchantID: q.Get("merchant_id"), Source: q.Get("source"), Type: q.Get("type"),
		Active: q.Get("active") != "all", Page: anxin.Page{Cursor: q.Get("cursor"), Limit: 100}}
	items, next, err := svc.FindSanctions(r.Context(), f)
	if err != nil {
		return err
	}
	return s.render(w, r, "enforcement_sanctions", map[string]any{
		"Items": items, "Filter": f, "All": !f.Active, "NextURL": nextURL(r, next), "TZ": anxin.MarketplaceTZ,
		"Sources": sanctionSources, "Types": sanctionTypes,
	})
}

var (
	sanctionSources = []string{anxin.SourceGovernance, anxin.SourceIP, anxin.SourceSampling, anxin.SourceQuality, anxin.SourceDeposit, anxin.SourcePrivacy, anxin.SourceManual}
	sanctionTypes   = []string{anxin.SanctionWarning, anxin.SanctionRestrictListing, anxin.SanctionShieldShop, anxin.SanctionFreezePayout,
		anxin.SanctionDeductDeposit, anxin.SanctionClearOut, anxin.SanctionRestrictStreaming}
	enforcementStates = []string{anxin.StateWarned, anxin.StateRestricted, anxin.StateShielded, anxin.StateFrozen, anxin.StateClearedOut, anxin.StateGoodStanding}
)

// handleEnforcementListPage lists the penalised and cleared-out shops: one
// row per merchant with its state, standing sanctions and points, filtered
// by state, sanction source and type and a merchant id or name search. By
// default only sanctions in force count; "all" lists every shop ever
// sanctioned.
func (s *Server) handleEnforcementListPage(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.sanctions()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := anxin.SanctionFilter{Source: q.Get("source"), Type: q.Get("type"), Query: q.Get("q"), Active: q.Get("show") != "all",
		Page: anxin.Page{Cursor: q.Get("cursor"), Limit: 50}}
	state := q.Get("state")
	items, next, err := svc.FindEnforcedMerchants(r.Context(), f, state)
	if err != nil {
		return err
	}
	return s.render(w, r, "enforcement_merchants", map[string]any{
		"Items": items, "Filter": f, "State": state, "All": !f.Active, "NextURL": nextURL(r, next),
		"Sources": sanctionSources, "Types": sanctionTypes, "States": enforcementStates,
	})
}
