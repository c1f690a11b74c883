package http

import (
	"net/http"

	"anxin"
)

func (s *Server) registerSamplingRoutes() {
	s.handle("POST /v1/sampling/plans", s.api(s.handleSamplingPlanCreate))
	s.handle("GET /v1/sampling/plans", s.api(s.handleSamplingPlans))
	s.handle("GET /v1/sampling/plans/{id}", s.api(s.handleSamplingPlan))
	s.handle("POST /v1/sampling/plans/{id}/draw", s.api(s.handleSamplingDraw))
	s.handle("GET /v1/sampling/plans/{id}/samples", s.api(s.handleSamplingSamples))
	s.handle("GET /v1/sampling/plans/{id}/pass-rates", s.api(s.handleSamplingPassRates))
	s.handle("GET /v1/sampling/labs", s.api(s.handleSamplingLabs))
	s.handle("PUT /v1/sampling/labs/{id}", s.api(s.handleSamplingLabPut))
	s.handle("GET /v1/sampling/samples/{id}", s.api(s.handleSamplingSample))
	s.handle("POST /v1/sampling/samples/{id}/purchase", s.api(s.handleSamplingPurchase))
	s.handle("POST /v1/sampling/samples/{id}/assign", s.api(s.handleSamplingAssign))
	s.handle("POST /v1/sampling/samples/{id}/track", s.api(s.handleSamplingTrack))
	s.handle("POST /v1/sampling/samples/{id}/results", s.api(s.handleSamplingResult))
	s.handle("POST /v1/sampling/samples/{id}/retest", s.api(s.handleSamplingRetest))
}

// samplingCall is serviceCall on the sampling service.
func (s *Server) samplingCall(w http.ResponseWriter, r *http.Request, action anxin.Action, status int, fn func(svc anxin.SamplingService) (any, error)) error {
	return serviceCall(w, r, action, status, s.Sampling, "Quality sampling", fn)
}

func (s *Server) handleSamplingPlanCreate(w http.ResponseWriter, r *http.Request) error {
	return s.samplingCall(w, r, anxin.ActionSamplingManage, http.StatusCreated, func(svc anxin.SamplingService) (any, error) {
		var p anxin.SamplingPlan
		if err := readJSON(r, &p); err != nil {
			return nil, err
		}
		err := svc.CreatePlan(r.Context(), &p)
		return p, err
	})
}

func (s *Server) handleSamplingPlans(w http.ResponseWriter, r *http.Request) error {
	return s.samplingCall(w, r, anxin.ActionSamplingRead, http.StatusOK, func(svc anxin.SamplingService) (any, error) {
		ps, err := svc.FindPlans(r.Context())
		if ps == nil {
			ps = []*anxin.SamplingPlan{}
		}
		return map[string]any{"plans": ps}, err
	})
}

func (s *Server) handleSamplingPlan(w http.ResponseWriter, r *http.Request) error {
	return s.samplingCall(w, r, anxin.ActionSamplingRead, http.StatusOK, func(svc anxin.SamplingService) (any, error) {
		return svc.FindPlan(r.Context(), r.PathValue("id"))
	})
}

func (s *Server) handleSamplingDraw(w http.ResponseWriter, r *http.Request) error {
	return s.samplingCall(w, r, anxin.ActionSamplingManage, http.StatusOK, func(svc anxin.SamplingService) (any, error) {
		return svc.Draw(r.Context(), r.PathValue("id"))
	})
}

func (s *Server) handleSamplingSamples(w http.ResponseWriter, r *http.Request) error {
	return s.samplingCall(w, r, anxin.ActionSamplingRead, http.StatusOK, func(svc anxin.SamplingService) (any, error) {
		if _, err := svc.FindPlan(r.Context(), r.PathValue("id")); err != nil {
			return nil, err
		}
		xs, err := svc.FindSamples(r.Context(), r.PathValue("id"))
		if xs == nil {
			xs = []*anxin.Sample{}
		}
		return map[string]any{"samples": xs}, err
	})
}

func (s *Server) handleSamplingPassRates(w http.ResponseWriter, r *http.Request) error {
	return s.samplingCall(w, r, anxin.ActionSamplingRead, http.StatusOK, func(svc anxin.SamplingService) (any, error) {
		if _, err := svc.FindPlan(r.Context(), r.PathValue("id")); err != nil {
			return nil, err
		}
		pr, err := svc.PassRates(r.Context(), r.PathValue("id"))
		if pr == nil {
			pr = []anxin.PassRate{}
		}
		return map[string]any{"pass_rates": pr}, err
	})
}

func (s *Server) handleSamplingLabs(w http.ResponseWriter, r *http.Request) error {
	return s.samplingCall(w, r, anxin.ActionSamplingRead, http.StatusOK, func(svc anxin.SamplingService) (any, error) {
		ls, err := svc.FindLabs(r.Context())
		if ls == nil {
			ls = []*anxin.Lab{}
		}
		return map[string]any{"labs": ls}, err
	})
}

func (s *Server) handleSamplingLabPut(w http.ResponseWriter, r *http.Request) error {
	return s.samplingCall(w, r, anxin.ActionSamplingManage, http.StatusOK, func(svc anxin.SamplingService) (any, error) {
		var l anxin.Lab
		if err := readJSON(r, &l); err != nil {
			return nil, err
		}
		l.ID = r.PathValue("id")
		err := svc.PutLab(r.Context(), &l)
		return l, err
	})
}

func (s *Server) handleSamplingSample(w http.ResponseWriter, r *http.Request) error {
	action := anxin.ActionSamplingRead
	if !anxin.Can(anxin.ActorFromContext(r.Context()).Role, action) {
		action = anxin.ActionSamplingRetest // merchants read their own samples
	}
	return s.samplingCall(w, r, action, http.StatusOK, func(svc anxin.SamplingService) (any, error) {
		return svc.FindSample(r.Context(), r.PathValue("id"))
	})
}

func (s *Server) handleSamplingPurchase(w http.ResponseWriter, r *http.Request) error {
	return s.samplingCall(w, r, anxin.ActionSamplingManage, http.StatusOK, func(svc anxin.SamplingService) (any, error) {
		var in struct {
			OrderID     string `json:"order_id"`
			PurchaseFen int64  `json:"purchase_fen"`
			FreightFen  int64  `json:"freight_fen"`
		}
		if err := readJSON(r, &in); err != nil {
			return nil, err
		}
		return svc.RecordPurchase(r.Context(), r.PathValue("id"), in.OrderID, in.PurchaseFen, in.FreightFen)
	})
}

func (s *Server) handleSamplingAssign(w http.ResponseWriter, r *http.Request) error {
	return s.samplingCall(w, r, anxin.ActionSamplingManage, http.StatusOK, func(svc anxin.SamplingService) (any, error) {
		var in struct {
			LabID string `json:"lab_id"`
		}
		if r.ContentLength != 0 {
			if err := readJSON(r, &in); err != nil {
				return nil, err
			}
		}
		return svc.AssignLab(r.Context(), r.PathValue("id"), in.LabID)
	})
}

func (s *Server) handleSamplingTrack(w http.ResponseWriter, r *http.Request) error {
	return s.samplingCall(w, r, anxin.ActionSamplingManage, http.StatusOK, func(svc anxin.SamplingService) (any, error) {
		var in struct {
			Status     string `json:"status"`
			TrackingNo string `json:"tracking_no"`
		}
		if err := readJSON(r, &in); err != nil {
			return nil, err
		}
		return svc.Track(r.Context(), r.PathValue("id"), in.Status, in.TrackingNo)
	})
}

func (s *Server) handleSamplingResult(w http.ResponseWriter, r *http.Request) error {
	return s.samplingCall(w, r, anxin.ActionSamplingManage, http.StatusOK, func(svc anxin.SamplingService) (any, error) {
		var in anxin.LabResult
		if err := readJSON(r, &in); err != nil {
			return nil, err
		}
		x, err := svc.RecordResult(r.Context(), r.PathValue("id"), in)
		if err == nil {
			s.careOps.WithLabelValues("lab_result", x.Status).Inc()
		}
		return x, err
	})
}

func (s *Server) handleSamplingRetest(w http.ResponseWriter, r *http.Request) error {
	return s.samplingCall(w, r, anxin.ActionSamplingRetest, http.StatusCreated, func(svc anxin.SamplingService) (any, error) {
		return svc.RequestRetest(r.Context(), r.PathValue("id"))
	})
}
