package http

import (
	"net/http"
	"strconv"

	"anxin"
)

func (s *Server) registerQualityRoutes() {
	s.handle("POST /v1/quality/monitors", s.api(s.handleQualityMonitorCreate))
	s.handle("GET /v1/quality/monitors", s.api(s.handleQualityMonitors))
	s.handle("GET /v1/quality/monitors/{id}/series", s.api(s.handleQualitySeries))
	s.handle("POST /v1/quality/evaluate", s.api(s.handleQualityEvaluate))
	s.handle("POST /v1/quality/history", s.api(s.handleQualityHistory))
	s.handle("GET /v1/quality/alerts", s.api(s.handleQualityAlerts))
	s.handle("POST /v1/quality/campaigns", s.api(s.handleQualityCampaignCreate))
	s.handle("GET /v1/quality/campaigns", s.api(s.handleQualityCampaigns))
	s.handle("GET /v1/quality/campaigns/{id}", s.api(s.handleQualityCampaign))
	s.handle("POST /v1/quality/campaigns/{id}/enforce", s.api(s.handleQualityEnforce))
}

// qualityCall is serviceCall on the quality service.
func (s *Server) qualityCall(w http.ResponseWriter, r *http.Request, action anxin.Action, status int, fn func(svc anxin.QualityService) (any, error)) error {
	return serviceCall(w, r, action, status, s.Quality, "The quality watch", fn)
}

func (s *Server) handleQualityMonitorCreate(w http.ResponseWriter, r *http.Request) error {
	return s.qualityCall(w, r, anxin.ActionQualityManage, http.StatusCreated, func(svc anxin.QualityService) (any, error) {
		var m anxin.QualityMonitor
		if err := readJSON(r, &m); err != nil {
			return nil, err
		}
		err := svc.CreateMonitor(r.Context(), &m)
		return m, err
	})
}

func (s *Server) handleQualityMonitors(w http.ResponseWriter, r *http.Request) error {
	return s.qualityCall(w, r, anxin.ActionQualityRead, http.StatusOK, func(svc anxin.QualityService) (any, error) {
		ms, err := svc.FindMonitors(r.Context())
		if ms == nil {
			ms = []*anxin.QualityMonitor{}
		}
		return map[string]any{"monitors": ms}, err
	})
}

func (s *Server) handleQualitySeries(w http.ResponseWriter, r *http.Request) error {
	return s.qualityCall(w, r, anxin.ActionQualityRead, http.StatusOK, func(svc anxin.QualityService) (any, error) {
		days := 30
		if v := r.URL.Query().Get("days"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 120 {
				return nil, anxin.Errorf(anxin.Invalid, "days must be between 1 and 120.")
			}
			days = n
		}
		return svc.Series(r.Context(), r.PathValue("id"), days)
	})
}

func (s *Server) handleQualityEvaluate(w http.ResponseWriter, r *http.Request) error {
	return s.qualityCall(w, r, anxin.ActionQualityManage, http.StatusOK, func(svc anxin.QualityService) (any, error) {
		var in struct {
			Day string `json:"day"`
		}
		if err := readJSON(r, &in); err != nil {
			return nil, err
		}
		as, err := svc.Evaluate(r.Context(), in.Day)
		if as == nil {
			as = []*anxin.QualityAlert{}
		}
		return map[string]any{"alerts": as}, err
	})
}

// handleQualityHistory imports one series' daily aggregates from before
// the mirror. The whole block is validated before anything is stored, and
// re-importing a day replaces it, so a retried import changes nothing.
func (s *Server) handleQualityHistory(w http.ResponseWriter, r *http.Request) error {
	return s.qualityCall(w, r, anxin.ActionQualityManage, http.StatusOK, func(svc anxin.QualityService) (any, error) {
		var h anxin.QualityHistory
		if err := readJSON(r, &h); err != nil {
			return nil, err
		}
		n, err := svc.ImportHistory(r.Context(), &h)
		return map[string]any{"imported": n}, err
	})
}

func (s *Server) handleQualityAlerts(w http.ResponseWriter, r *http.Request) error {
	return s.qualityCall(w, r, anxin.ActionQualityRead, http.StatusOK, func(svc anxin.QualityService) (any, error) {
		pg, err := pageFromQuery(r)
		if err != nil {
			return nil, err
		}
		as, err := svc.FindAlerts(r.Context(), pg.Limit)
		if as == nil {
			as = []*anxin.QualityAlert{}
		}
		return map[string]any{"alerts": as}, err
	})
}

func (s *Server) handleQualityCampaignCreate(w http.ResponseWriter, r *http.Request) error {
	return s.qualityCall(w, r, anxin.ActionQualityManage, http.StatusCreated, func(svc anxin.QualityService) (any, error) {
		var c anxin.Campaign
		if err := readJSON(r, &c); err != nil {
			return nil, err
		}
		err := svc.CreateCampaign(r.Context(), &c)
		return c, err
	})
}

func (s *Server) handleQualityCampaigns(w http.ResponseWriter, r *http.Request) error {
	return s.qualityCall(w, r, anxin.ActionQualityRead, http.StatusOK, func(svc anxin.QualityService) (any, error) {
		cs, err := svc.FindCampaigns(r.Context())
		if cs == nil {
			cs = []*anxin.Campaign{}
		}
		return map[string]any{"campaigns": cs}, err
	})
}

func (s *Server) handleQualityCampaign(w http.ResponseWriter, r *http.Request) error {
	return s.qualityCall(w, r, anxin.ActionQualityRead, http.StatusOK, func(svc anxin.QualityService) (any, error) {
		return svc.FindCampaign(r.Context(), r.PathValue("id"))
	})
}

func (s *Server) handleQualityEnforce(w http.ResponseWriter, r *http.Request) error {
	return s.qualityCall(w, r, anxin.ActionQualityManage, http.StatusOK, func(svc anxin.QualityService) (any, error) {
		n, err := svc.EnforceCampaign(r.Context(), r.PathValue("id"))
		return map[string]any{"merchants_actioned": n}, err
	})
}
