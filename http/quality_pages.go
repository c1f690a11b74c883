package http

import (
	"net/http"

	"anxin"
)

func (s *Server) registerQualityPages() {
	s.handle("GET /console/quality", s.page(s.handleQualityPage))
	s.handle("GET /console/quality/monitors/{id}", s.page(s.handleQualityMonitorPage))
}

func (s *Server) quality() (anxin.QualityService, error) {
	if s.Quality == nil {
		return nil, anxin.Errorf(anxin.Unavailable, "The quality watch is not configured.")
	}
	return s.Quality, nil
}

func (s *Server) handleQualityPage(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.quality()
	if err != nil {
		return err
	}
	monitors, err := svc.FindMonitors(r.Context())
	if err != nil {
		return err
	}
	alerts, err := svc.FindAlerts(r.Context(), 100)
	if err != nil {
		return err
	}
	campaigns, err := svc.FindCampaigns(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, "quality_watch", map[string]any{"Monitors": monitors, "Alerts": alerts, "Campaigns": campaigns})
}

func (s *Server) handleQualityMonitorPage(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.quality()
	if err != nil {
		return err
	}
	series, err := svc.Series(r.Context(), r.PathValue("id"), 60)
	if err != nil {
		return err
	}
	return s.render(w, r, "quality_monitor", map[string]any{"ID": r.PathValue("id"), "Points": series.Points})
}
