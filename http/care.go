package http

import (
	"net/http"
	"time"

	"anxin"

	"github.com/prometheus/client_golang/prometheus"
)

func (s *Server) registerCareRoutes() {
	s.careOps = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "anxin_quality_care_operations_total",
		Help: "Care, sampling and quality operations: tickets created per skill group and router, lab results per outcome.",
	}, []string{"op", "label"})
	s.Metrics.MustRegister(s.careOps)
	s.handle("POST /v1/care/tickets", s.api(s.handleTicketCreate))
	s.handle("GET /v1/care/tickets", s.api(s.handleTicketList))
	s.handle("GET /v1/care/tickets/{id}", s.api(s.handleTicketGet))
	s.handle("POST /v1/care/tickets/{id}/replies", s.api(s.handleTicketReply))
	s.handle("POST /v1/care/tickets/{id}/notes", s.api(s.handleTicketNote))
	s.handle("POST /v1/care/tickets/{id}/assign", s.api(s.handleTicketAssign))
	s.handle("POST /v1/care/tickets/{id}/transfer", s.api(s.handleTicketTransfer))
	s.handle("POST /v1/care/tickets/{id}/merge", s.api(s.handleTicketMerge))
	s.handle("POST /v1/care/tickets/{id}/pause", s.api(s.handleTicketWaiting(true)))
	s.handle("POST /v1/care/tickets/{id}/resume", s.api(s.handleTicketWaiting(false)))
	s.handle("POST /v1/care/tickets/{id}/resolve", s.api(s.handleTicketResolve))
	s.handle("POST /v1/care/tickets/{id}/survey", s.api(s.handleTicketSurvey))
	s.handle("GET /v1/care/csat", s.api(s.handleCareCSAT))
	s.handle("GET /v1/care/sla-events", s.api(s.handleCareSLAEvents))
	s.handle("GET /v1/care/groups", s.api(s.handleCareGroups))
	s.handle("PUT /v1/care/groups/{id}", s.api(s.handleCareGroupPut))
	s.handle("GET /v1/care/calendars", s.api(s.handleCareCalendars))
	s.handle("PUT /v1/care/calendars/{id}", s.api(s.handleCareCalendarPut))
	s.handle("GET /v1/care/macros", s.api(s.handleCareMacros))
	s.handle("POST /v1/care/macros", s.api(s.handleCareMacroPut))
	s.handle("GET /v1/care/classifier", s.api(s.handleClassifierStats))
	s.handle("POST /v1/care/classifier/train", s.api(s.handleClassifierTrain))
}

func (s *Server) care() (anxin.CareService, error) {
	if s.Care == nil {
		return nil, anxin.Errorf(anxin.Unavailable, "Customer care is not configured.")
	}
	return s.Care, nil
}

// carePeriod reads ?from= and ?to= (RFC 3339); the default is the 30 days
// up to now.
func (s *Server) carePeriod(r *http.Request) (anxin.Period, error) {
	p := anxin.Period{From: s.now().Add(-30 * 24 * time.Hour), To: s.now()}
	for _, q := range []struct {
		name string
		dst  *time.Time
	}{{"from", &p.From}, {"to", &p.To}} {
		if v := r.URL.Query().Get(q.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return p, anxin.Errorf(anxin.Invalid, "%s must be an RFC 3339 timestamp.", q.name)
			}
			*q.dst = t.UTC()
		}
	}
	if !p.From.Before(p.To) {
		return p, anxin.Errorf(anxin.Invalid, "The period must end after it starts.")
	}
	return p, nil
}

func (s *Server) handleTicketCreate(w http.ResponseWriter, r *http.Request) error {
	return s.careCall(w, r, anxin.ActionCareCreate, http.StatusCreated, func(svc anxin.CareService) (any, error) {
		var n anxin.NewTicket
		if err := readJSON(r, &n); err != nil {
			return nil, err
		}
		n.IdempotencyKey = r.Header.Get("Idempotency-Key")
		t, err := svc.CreateTicket(r.Context(), &n)
		if err == nil {
			s.careOps.WithLabelValues("ticket_created", t.Group+"/"+t.RoutedBy).Inc()
		}
		return t, err
	})
}

func (s *Server) handleTicketList(w http.ResponseWriter, r *http.Request) error {
	if err := anxin.Authorize(r.Context(), anxin.ActionCareRead); err != nil {
		return err
	}
	svc, err := s.care()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := anxin.TicketFilter{Group: q.Get("group"), Status: q.Get("status"), AssigneeID: q.Get("assignee"), MerchantID: q.Get("merchant_id")}
	if f.Group != "" && !anxin.ValidGroup(f.Group) {
		return anxin.Errorf(anxin.Invalid, "group %q is not a skill group.", f.Group)
	}
	switch f.Status {
	case "", anxin.TicketOpen, anxin.TicketWaiting, anxin.TicketResolved, anxin.TicketMerged:
	default:
		return anxin.Errorf(anxin.Invalid, "status must be open, waiting, resolved or merged.")
	}
	if err := anxin.ValidateOptionalID("assignee", f.AssigneeID); err != nil {
		return err
	}
	if err := anxin.ValidateOptionalID("merchant_id", f.MerchantID); err != nil {
		return err
	}
	if f.Page, err = pageFromQuery(r); err != nil {
		return err
	}
	ts, next, err := svc.FindTickets(r.Context(), f)
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []*anxin.Ticket{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tickets": ts, "next_cursor": next})
	return nil
}

func (s *Server) handleTicketGet(w http.ResponseWriter, r *http.Request) error {
	return s.careCall(w, r, anxin.ActionCareRead, http.StatusOK, func(svc anxin.CareService) (any, error) {
		return svc.FindTicket(r.Context(), r.PathValue("id"))
	})
}

func (s *Server) handleTicketReply(w http.ResponseWriter, r *http.Request) error {
	role := anxin.ActorFromContext(r.Context()).Role
	if !anxin.Can(role, anxin.ActionCareWork) {
		if err := anxin.Authorize(r.Context(), anxin.ActionCareRespond); err != nil {
			return err
		}
	}
	svc, err := s.care()
	if err != nil {
		return err
	}
	var in anxin.Reply
	if err := readJSON(r, &in); err != nil {
		return err
	}
	m, err := svc.Reply(r.Context(), r.PathValue("id"), in)
	return reply(w, http.StatusCreated, m, err)
}

func (s *Server) handleTicketNote(w http.ResponseWriter, r *http.Request) error {
	return s.careCall(w, r, anxin.ActionCareWork, http.StatusCreated, func(svc anxin.CareService) (any, error) {
		var in struct {
			Body string `json:"body"`
		}
		if err := readJSON(r, &in); err != nil {
			return nil, err
		}
		return svc.AddNote(r.Context(), r.PathValue("id"), in.Body)
	})
}

// ticketAction runs a care-agent action on one ticket with a decoded body
// and answers with the updated ticket.
func ticketAction[T any](s *Server, w http.ResponseWriter, r *http.Request, fn func(svc anxin.CareService, id string, in T) (*anxin.Ticket, error)) error {
	if err := anxin.Authorize(r.Context(), anxin.ActionCareWork); err != nil {
		return err
	}
	svc, err := s.care()
	if err != nil {
		return err
	}
	var in T
	if r.ContentLength != 0 {
		if err := readJSON(r, &in); err != nil {
			return err
		}
	}
	t, err := fn(svc, r.PathValue("id"), in)
	return reply(w, http.StatusOK, t, err)
}

func (s *Server) handleTicketAssign(w http.ResponseWriter, r *http.Request) error {
	type body struct {
		Agent    string `json:"agent"`
		Strategy string `json:"strategy"`
	}
	return ticketAction(s, w, r, func(svc anxin.CareService, id string, in body) (*anxin.Ticket, error) {
		return svc.Assign(r.Context(), id, in.Agent, in.Strategy)
	})
}

func (s *Server) handleTicketTransfer(w http.ResponseWriter, r *http.Request) error {
	type body struct {
		Group  string `json:"group"`
		Reason string `json:"reason"`
	}
	return ticketAction(s, w, r, func(svc anxin.CareService, id string, in body) (*anxin.Ticket, error) {
		return svc.Transfer(r.Context(), id, in.Group, in.Reason)
	})
}

func (s *Server) handleTicketMerge(w http.ResponseWriter, r *http.Request) error {
	type body struct {
		Into string `json:"into"`
	}
	return ticketAction(s, w, r, func(svc anxin.CareService, id string, in body) (*anxin.Ticket, error) {
		if err := anxin.ValidateID("into", in.Into); err != nil {
			return nil, err
		}
		return svc.Merge(r.Context(), id, in.Into)
	})
}

func (s *Server) handleTicketWaiting(waiting bool) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return ticketAction(s, w, r, func(svc anxin.CareService, id string, _ struct{}) (*anxin.Ticket, error) {
			return svc.SetWaiting(r.Context(), id, waiting)
		})
	}
}

func (s *Server) handleTicketResolve(w http.ResponseWriter, r *http.Request) error {
	type body struct {
		Resolution string `json:"resolution"`
	}
	return ticketAction(s, w, r, func(svc anxin.CareService, id string, in body) (*anxin.Ticket, error) {
		return svc.Resolve(r.Context(), id, in.Resolution)
	})
}

func (s *Server) handleTicketSurvey(w http.ResponseWriter, r *http.Request) error {
	if err := anxin.Authorize(r.Context(), anxin.ActionCareSurvey); err != nil {
		return err
	}
	svc, err := s.care()
	if err != nil {
		return err
	}
	var in struct {
		Score   int    `json:"score"`
		Comment string `json:"comment"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if err := svc.AnswerSurvey(r.Context(), r.PathValue("id"), in.Score, in.Comment); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// serviceCall authorizes action, checks that the capability's service is
// configured, runs fn on it and writes its result with status. It is the
// shape of every care, sampling and quality handler.
func serviceCall[S any](w http.ResponseWriter, r *http.Request, action anxin.Action, status int, svc S, what string, fn func(svc S) (any, error)) error {
	if err := anxin.Authorize(r.Context(), action); err != nil {
		return err
	}
	if any(svc) == nil {
		return anxin.Errorf(anxin.Unavailable, "%s is not configured.", what)
	}
	out, err := fn(svc)
	if err != nil {
		return err
	}
	writeJSON(w, status, out)
	return nil
}

// careCall is serviceCall on the care service.
func (s *Server) careCall(w http.ResponseWriter, r *http.Request, action anxin.Action, status int, fn func(svc anxin.CareService) (any, error)) error {
	return serviceCall(w, r, action, status, s.Care, "Customer care", fn)
}

func (s *Server) handleCareCSAT(w http.ResponseWriter, r *http.Request) error {
	return s.careCall(w, r, anxin.ActionCareWork, http.StatusOK, func(svc anxin.CareService) (any, error) {
		p, err := s.carePeriod(r)
		if err != nil {
			return nil, err
		}
		return svc.CSAT(r.Context(), p)
	})
}

func (s *Server) handleCareSLAEvents(w http.ResponseWriter, r *http.Request) error {
	return s.careCall(w, r, anxin.ActionCareWork, http.StatusOK, func(svc anxin.CareService) (any, error) {
		p, err := s.carePeriod(r)
		if err != nil {
			return nil, err
		}
		pg, err := pageFromQuery(r)
		if err != nil {
			return nil, err
		}
		ev, err := svc.SLAEvents(r.Context(), p, pg.Limit)
		if ev == nil {
			ev = []anxin.SLAEvent{}
		}
		return map[string]any{"events": ev}, err
	})
}

func (s *Server) handleCareGroups(w http.ResponseWriter, r *http.Request) error {
	return s.careCall(w, r, anxin.ActionCareRead, http.StatusOK, func(svc anxin.CareService) (any, error) {
		gs, err := svc.FindGroups(r.Context())
		return map[string]any{"groups": gs}, err
	})
}

func (s *Server) handleCareGroupPut(w http.ResponseWriter, r *http.Request) error {
	return s.careCall(w, r, anxin.ActionCareManage, http.StatusOK, func(svc anxin.CareService) (any, error) {
		var g anxin.SkillGroup
		if err := readJSON(r, &g); err != nil {
			return nil, err
		}
		g.ID = r.PathValue("id")
		err := svc.PutGroup(r.Context(), &g)
		return g, err
	})
}

func (s *Server) handleCareCalendars(w http.ResponseWriter, r *http.Request) error {
	return s.careCall(w, r, anxin.ActionCareWork, http.StatusOK, func(svc anxin.CareService) (any, error) {
		cs, err := svc.FindCalendars(r.Context())
		return map[string]any{"calendars": cs}, err
	})
}

func (s *Server) handleCareCalendarPut(w http.ResponseWriter, r *http.Request) error {
	return s.careCall(w, r, anxin.ActionCareManage, http.StatusOK, func(svc anxin.CareService) (any, error) {
		var c anxin.Calendar
		if err := readJSON(r, &c); err != nil {
			return nil, err
		}
		c.ID = r.PathValue("id")
		err := svc.PutCalendar(r.Context(), &c)
		return c, err
	})
}

func (s *Server) handleCareMacros(w http.ResponseWriter, r *http.Request) error {
	return s.careCall(w, r, anxin.ActionCareWork, http.StatusOK, func(svc anxin.CareService) (any, error) {
		g := r.URL.Query().Get("group")
		if g != "" && !anxin.ValidGroup(g) {
			return nil, anxin.Errorf(anxin.Invalid, "group %q is not a skill group.", g)
		}
		ms, err := svc.FindMacros(r.Context(), g)
		if ms == nil {
			ms = []*anxin.Macro{}
		}
		return map[string]any{"macros": ms}, err
	})
}

func (s *Server) handleCareMacroPut(w http.ResponseWriter, r *http.Request) error {
	return s.careCall(w, r, anxin.ActionCareManage, http.StatusCreated, func(svc anxin.CareService) (any, error) {
		var m anxin.Macro
		if err := readJSON(r, &m); err != nil {
			return nil, err
		}
		err := svc.PutMacro(r.Context(), &m)
		return m, err
	})
}

func (s *Server) handleClassifierStats(w http.ResponseWriter, r *http.Request) error {
	return s.careCall(w, r, anxin.ActionCareRead, http.StatusOK, func(svc anxin.CareService) (any, error) {
		return svc.ClassifierStats(r.Context())
	})
}

func (s *Server) handleClassifierTrain(w http.ResponseWriter, r *http.Request) error {
	return s.careCall(w, r, anxin.ActionCareManage, http.StatusOK, func(svc anxin.CareService) (any, error) {
		return svc.TrainClassifier(r.Context())
	})
}
