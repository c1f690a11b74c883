package http

import (
	"net/http"
	"net/url"
	"strings"

	"anxin"
	"anxin/counterfeit"
)

// The IP notices pages: a list filtered by brand, state and reason that
// names brands and reasons instead of codes and links each notice to its
// listing, its merchant and its own page; and a notice's page with its
// evidence, timeline and decision.

var noticeStates = []string{"", anxin.NoticeFiled, anxin.NoticeTakenDown, anxin.NoticeCountered, anxin.NoticeReinstated, anxin.NoticeUpheld, anxin.NoticeRejected}

type noticeRow struct {
	*anxin.Notice
	BrandName    string
	ReasonTitle  string
	MerchantName string // "" when the mirror does not know the merchant or the actor may not read it
	ListingTitle string
}

// mirrorNames looks up merchants' names and listings' titles in the
// mirror once per id for one page; a lookup that fails (unknown id, no
// access) leaves the label empty, since a page must not fail over a label.
type mirrorNames struct {
	s         *Server
	r         *http.Request
	merchants map[string]string
	listings  map[string]string
}

func (s *Server) mirrorNames(r *http.Request) *mirrorNames {
	return &mirrorNames{s: s, r: r, merchants: map[string]string{}, listings: map[string]string{}}
}

func (m *mirrorNames) merchant(id string) string {
	if n, ok := m.merchants[id]; ok || id == "" {
		return n
	}
	m.merchants[id] = m.s.merchantName(m.r, id)
	return m.merchants[id]
}

func (m *mirrorNames) listing(id string) string {
	if t, ok := m.listings[id]; ok || id == "" || m.s.Marketplace == nil {
		return t
	}
	if l, err := m.s.Marketplace.FindListing(m.r.Context(), id); err == nil {
		m.listings[id] = l.Title
	} else {
		m.listings[id] = ""
	}
	return m.listings[id]
}

func (m *mirrorNames) row(n *anxin.Notice, brands, reasons map[string]string) noticeRow {
	return noticeRow{Notice: n, BrandName: brands[n.BrandID], ReasonTitle: reasons[n.Reason],
		MerchantName: m.merchant(n.MerchantID), ListingTitle: m.listing(n.ListingID)}
}

type option struct{ Value, Label string }

// noticeLabels returns brand id → name and reason code → title.
func (s *Server) noticeLabels(r *http.Request) (map[string]string, map[string]string, error) {
	brands := map[string]string{}
	bs, err := s.IP.FindBrands(r.Context())
	if err != nil {
		return nil, nil, err
	}
	for _, b := range bs {
		brands[b.ID] = b.Name
	}
	reasons := map[string]string{}
	for _, rc := range counterfeit.Reasons {
		reasons[rc.Code] = rc.Title
	}
	return brands, reasons, nil
}

func (s *Server) handleNoticesPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderNotices(w, r, "")
}

func (s *Server) renderNotices(w http.ResponseWriter, r *http.Request, flash string) error {
	q := r.URL.Query()
	f := anxin.NoticeFilter{State: q.Get("state"), BrandID: strings.TrimSpace(q.Get("brand")), Reason: q.Get("reason"),
		Page: anxin.Page{Cursor: q.Get("cursor"), Limit: 100}}
	brands, reasons, err := s.noticeLabels(r)
	if err != nil {
		return err
	}
	if !inList(noticeStates, f.State) {
		return anxin.Errorf(anxin.Invalid, "Unknown notice state %q.", f.State)
	}
	if _, ok := reasons[f.Reason]; f.Reason != "" && !ok {
		return anxin.Errorf(anxin.Invalid, "Unknown reason %q.", f.Reason)
	}
	if err := anxin.ValidateOptionalID("brand", f.BrandID); err != nil {
		return err
	}
	ns, next, err := s.IP.FindNotices(r.Context(), f)
	if err != nil {
		return err
	}
	names := s.mirrorNames(r)
	rows := make([]noticeRow, len(ns))
	for i, n := range ns {
		rows[i] = names.row(n, brands, reasons)
	}
	var brandOpts, reasonOpts []option
	for id, name := range brands {
		brandOpts = append(brandOpts, option{id, name})
	}
	sortOptions(brandOpts)
	for _, rc := range counterfeit.Reasons {
		reasonOpts = append(reasonOpts, option{rc.Code, rc.Title})
	}
	nextURL := ""
	if next != "" {
		nq := url.Values{"state": {f.State}, "brand": {f.BrandID}, "reason": {f.Reason}, "cursor": {next}}
		nextURL = "/console/ip/notices?" + nq.Encode()
	}
	csv := url.Values{}
	for k, v := range map[string]string{"state": f.State, "brand_id": f.BrandID, "reason": f.Reason} {
		if v != "" {
			csv.Set(k, v)
		}
	}
	csvURL := "/console/export/notices.csv"
	if len(csv) > 0 {
		csvURL += "?" + csv.Encode()
	}
	return s.renderFlash(w, r, "ip_notices", map[string]any{
		"Notices": rows, "NextURL": nextURL, "CSVURL": csvURL, "Filter": f, "Brands": brandOpts, "Reasons": reasonOpts, "States": noticeStates,
		"CanDecide": anxin.Can(anxin.ActorFromContext(r.Context()).Role, anxin.ActionDecideNotice),
	}, flash)
}

func sortOptions(o []option) {
	for i := 1; i < len(o); i++ {
		for j := i; j > 0 && o[j].Label < o[j-1].Label; j-- {
			o[j], o[j-1] = o[j-1], o[j]
		}
	}
}

func (s *Server) handleNoticePage(w http.ResponseWriter, r *http.Request) error {
	return s.renderNotice(w, r, r.PathValue("id"), "")
}

func (s *Server) renderNotice(w http.ResponseWriter, r *http.Request, id, flash string) error {
	n, err := s.IP.FindNotice(r.Context(), id)
	if err != nil {
		return err
	}
	brands, reasons, err := s.noticeLabels(r)
	if err != nil {
		return err
	}
	return s.renderFlash(w, r, "ip_notice", map[string]any{
		"N":         s.mirrorNames(r).row(n, brands, reasons),
		"CanDecide": anxin.Can(anxin.ActorFromContext(r.Context()).Role, anxin.ActionDecideNotice),
	}, flash)
}

// handleNoticeDecidePage takes a notice down or rejects it (a rejection
// needs its reason) and shows the notice again. A second post of the same
// form finds the notice already decided and says so instead of acting.
func (s *Server) handleNoticeDecidePage(w http.ResponseWriter, r *http.Request) error {
	accept := r.PostFormValue("accept") == "true"
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if !accept && reason == "" {
		return anxin.Errorf(anxin.Invalid, "A rejection needs its reason; it is shown to the rights holder.")
	}
	id := r.PathValue("id")
	if cur, err := s.IP.FindNotice(r.Context(), id); err == nil && cur.State != anxin.NoticeFiled {
		return s.renderNotice(w, r, id, "Notice "+id+" was already decided ("+cur.State+"); nothing was changed.")
	}
	n, err := s.IP.DecideNotice(r.Context(), id, accept, reason)
	if err != nil {
		return err
	}
	return s.renderNotice(w, r, n.ID, "Notice "+n.ID+" is now "+n.State+".")
}
