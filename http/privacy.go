package http

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"anxin"

	"github.com/prometheus/client_golang/prometheus"
)

// privacyMetrics count accesses to personal data. Labels are drawn from
// fixed sets (purpose, action, outcome kind), never from request values, so
// no personal data can reach /metrics.
type privacyMetrics struct {
	decrypts *prometheus.CounterVec
	accesses *prometheus.CounterVec
}

func (s *Server) registerPrivacyRoutes() {
	s.privacy = &privacyMetrics{
		decrypts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "anxin_pii_decrypts_total", Help: "Decrypt calls by purpose and outcome (allowed or the refusal kind).",
		}, []string{"purpose", "outcome"}),
		accesses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "anxin_pii_accesses_total", Help: "Other personal-data accesses (seal, waybill, search, route) by outcome.",
		}, []string{"action", "outcome"}),
	}
	s.Metrics.MustRegister(s.privacy.decrypts, s.privacy.accesses)

	s.handle("PUT /v1/orders/{id}/pii", s.api(s.handlePIISeal))
	s.handle("GET /v1/orders/{id}/pii", s.api(s.handlePIIMasked))
	s.handle("GET /v1/orders/{id}/waybill", s.api(s.handleWaybill))
	s.handle("POST /v1/orders/{id}/pii:decrypt", s.api(s.handlePIIDecrypt))
	s.handle("GET /v1/pii/search", s.api(s.handlePIISearch))
	s.handle("GET /v1/pii/grants", s.api(s.handleGrantList))
	s.handle("POST /v1/pii/grants", s.api(s.handleGrantCreate))
	s.handle("POST /v1/pii/grants/{id}/approve", s.api(s.handleGrantApprove))
	s.handle("DELETE /v1/pii/grants/{id}", s.api(s.handleGrantRevoke))
	s.handle("POST /v1/virtual-numbers/{call}", s.api(s.handleRouteCall))
	s.handle("GET /v1/privacy/audit", s.api(s.handleAuditList))
	s.handle("GET /v1/privacy/audit/verify", s.api(s.handleAuditVerify))
	s.handle("GET /v1/privacy/alerts", s.api(s.handleAlertList))
	s.handle("POST /v1/privacy/alerts/{id}/resolve", s.api(s.handleAlertResolve))
	s.handle("GET /v1/vault/status", s.api(s.handleVaultStatus))
}

// outcomeLabel maps an error to a fixed metric label.
func outcomeLabel(err error) string {
	if err == nil {
		return "allowed"
	}
	return string(anxin.KindOf(err))
}

func (s *Server) countAccess(action string, err error) {
	if s.privacy != nil {
		s.privacy.accesses.WithLabelValues(action, outcomeLabel(err)).Inc()
	}
}

func (s *Server) privacyService() (anxin.PrivacyService, error) {
	if s.Privacy == nil {
		return nil, anxin.Errorf(anxin.Unavailable, "The privacy vault is not configured.")
	}
	return s.Privacy, nil
}

func (s *Server) handlePIISeal(w http.ResponseWriter, r *http.Request) error {
	p, err := s.privacyService()
	if err != nil {
		return err
	}
	var in anxin.PIIInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	m, err := p.SealPII(r.Context(), r.PathValue("id"), &in)
	s.countAccess("seal", err)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) handlePIIMasked(w http.ResponseWriter, r *http.Request) error {
	p, err := s.privacyService()
	if err != nil {
		return err
	}
	m, err := p.MaskedPII(r.Context(), r.PathValue("id"))
	return reply(w, http.StatusOK, m, err)
}

func (s *Server) handleWaybill(w http.ResponseWriter, r *http.Request) error {
	p, err := s.privacyService()
	if err != nil {
		return err
	}
	wb, err := p.Waybill(r.Context(), r.PathValue("id"))
	s.countAccess("waybill", err)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wb)
	return nil
}

func (s *Server) handlePIIDecrypt(w http.ResponseWriter, r *http.Request) error {
	p, err := s.privacyService()
	if err != nil {
		return err
	}
	var req anxin.DecryptRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	out, err := p.DecryptPII(r.Context(), r.PathValue("id"), req)
	if s.privacy != nil {
		purpose := req.Purpose
		if !slices.Contains(anxin.Purposes, purpose) {
			purpose = "invalid"
		}
		s.privacy.decrypts.WithLabelValues(purpose, outcomeLabel(err)).Inc()
	}
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handlePIISearch(w http.ResponseWriter, r *http.Request) error {
	p, err := s.privacyService()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	res, err := p.SearchPII(r.Context(), anxin.PIISearch{Phone: q.Get("phone"), Last4: q.Get("last4"), Name: q.Get("name")})
	s.countAccess("search", err)
	if err != nil {
		return err
	}
	if res == nil {
		res = []*anxin.MaskedPII{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": res})
	return nil
}

func (s *Server) handleGrantList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.privacyService()
	if err != nil {
		return err
	}
	gs, err := p.FindGrants(r.Context(), r.URL.Query().Get("active") == "true")
	if err != nil {
		return err
	}
	if gs == nil {
		gs = []*anxin.PIIGrant{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"grants": gs})
	return nil
}

func (s *Server) handleGrantCreate(w http.ResponseWriter, r *http.Request) error {
	p, err := s.privacyService()
	if err != nil {
		return err
	}
	var g anxin.PIIGrant
	if err := readJSON(r, &g); err != nil {
		return err
	}
	g.ID, g.CreatedBy, g.RevokedAt, g.ApprovedBy, g.ApprovedAt, g.Status = "", "", nil, "", nil, ""
	if err := p.CreateGrant(r.Context(), &g); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, g)
	return nil
}

func (s *Server) handleGrantRevoke(w http.ResponseWriter, r *http.Request) error {
	p, err := s.privacyService()
	if err != nil {
		return err
	}
	if err := p.RevokeGrant(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleRouteCall serves POST /v1/virtual-numbers/{number}:route. The
// router matches whole segments only, so the ":route" suffix is checked here.
func (s *Server) handleRouteCall(w http.ResponseWriter, r *http.Request) error {
	p, err := s.privacyService()
	if err != nil {
		return err
	}
	number, ok := strings.CutSuffix(r.PathValue("call"), ":route")
	if !ok {
		return anxin.Errorf(anxin.NotFound, "Unknown virtual-number operation; use POST /v1/virtual-numbers/{number}:route.")
	}
	var in struct {
		Extension string `json:"extension"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	route, err := p.RouteCall(r.Context(), number, in.Extension)
	s.countAccess("route", err)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, route)
	return nil
}

func (s *Server) handleAuditList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.privacyService()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	after, limit := int64(0), 100
	if v := q.Get("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			return anxin.Errorf(anxin.Invalid, "after must be a non-negative sequence number.")
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			return anxin.Errorf(anxin.Invalid, "limit must be between 1 and 1000.")
		}
	}
	var evs []*anxin.AuditEvent
	if order := q.Get("order_id"); order != "" {
		evs, err = p.FindOrderAudit(r.Context(), order, after, limit)
	} else {
		evs, err = p.FindAudit(r.Context(), after, limit)
	}
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []*anxin.AuditEvent{}
	}
	next := int64(0)
	if len(evs) == limit {
		next = evs[len(evs)-1].Seq
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": evs, "next_after": next})
	return nil
}

func (s *Server) handleAuditVerify(w http.ResponseWriter, r *http.Request) error {
	p, err := s.privacyService()
	if err != nil {
		return err
	}
	v, err := p.VerifyAudit(r.Context())
	return reply(w, http.StatusOK, v, err)
}

func (s *Server) handleAlertList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.privacyService()
	if err != nil {
		return err
	}
	as, err := p.FindAlerts(r.Context(), r.URL.Query().Get("status"))
	if err != nil {
		return err
	}
	if as == nil {
		as = []*anxin.PrivacyAlert{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": as})
	return nil
}

func (s *Server) handleAlertResolve(w http.ResponseWriter, r *http.Request) error {
	p, err := s.privacyService()
	if err != nil {
		return err
	}
	var in struct {
		Resolution string `json:"resolution"`
		Note       string `json:"note"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if err := p.ResolveAlert(r.Context(), r.PathValue("id"), in.Resolution, in.Note); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleVaultStatus(w http.ResponseWriter, r *http.Request) error {
	p, err := s.privacyService()
	if err != nil {
		return err
	}
	st, err := p.VaultStatus(r.Context())
	return reply(w, http.StatusOK, st, err)
}
