package http

import (
	"net/http"
	"net/url"

	"anxin"
)

func (s *Server) registerSamplingPages() {
	s.handle("GET /console/sampling", s.page(s.handleSamplingPage))
	s.handle("GET /console/sampling/plans/{id}", s.page(s.handleSamplingPlanPage))
	s.handle("POST /console/sampling/plans/{id}/draw", s.page(s.handleSamplingDrawForm))
}

func (s *Server) sampling() (anxin.SamplingService, error) {
	if s.Sampling == nil {
		return nil, anxin.Errorf(anxin.Unavailable, "Quality sampling is not configured.")
	}
	return s.Sampling, nil
}

func (s *Server) handleSamplingPage(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.sampling()
	if err != nil {
		return err
	}
	plans, err := svc.FindPlans(r.Context())
	if err != nil {
		return err
	}
	labs, err := svc.FindLabs(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, "sampling_plans", map[string]any{"Plans": plans, "Labs": labs})
}

func (s *Server) handleSamplingPlanPage(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.sampling()
	if err != nil {
		return err
	}
	p, err := svc.FindPlan(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	samples, err := svc.FindSamples(r.Context(), p.ID)
	if err != nil {
		return err
	}
	rates, err := svc.PassRates(r.Context(), p.ID)
	if err != nil {
		return err
	}
	flash := ""
	if r.URL.Query().Get("done") == "draw" {
		flash = "Samples drawn; purchase requests sent."
	}
	return s.renderFlash(w, r, "sampling_plan", map[string]any{"Plan": p, "Samples": samples, "Rates": rates,
		"Manage": anxin.Can(anxin.ActorFromContext(r.Context()).Role, anxin.ActionSamplingManage)}, flash)
}

func (s *Server) handleSamplingDrawForm(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.sampling()
	if err != nil {
		return err
	}
	if _, err := svc.Draw(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/console/sampling/plans/"+url.PathEscape(r.PathValue("id"))+"?done=draw", http.StatusSeeOther)
	return nil
}
