package http

import (
	"net/http"
	"net/url"
	"time"

	"anxin"
)

func (s *Server) registerCarePages() {
	s.handle("GET /console/care", s.page(s.handleCareQueuePage))
	s.handle("GET /console/care/lead", s.page(s.handleCareLeadPage))
	s.handle("GET /console/care/tickets/{id}", s.page(s.handleTicketPage))
	s.handle("POST /console/care/tickets/{id}", s.page(s.handleTicketForm))
}

// clockView is an SLA clock as the console shows it.
type clockView struct {
	anxin.SLAClock
	Left  string // "1h 12m left", "overdue 5m", "paused", "met"
	Class string // ok, warn, bad
}

func (s *Server) clockViews(cs []anxin.SLAClock) []clockView {
	now := s.now()
	out := make([]clockView, 0, len(cs))
	for _, c := range cs {
		v := clockView{SLAClock: c, Class: "ok", Left: c.State}
		if c.State == anxin.ClockRunning && c.DueAt != nil {
			d := c.DueAt.Sub(now)
			if d >= 0 {
				v.Left = humanDuration(d.Truncate(time.Second)) + " left"
			} else {
				v.Left = "overdue " + humanDuration(-d.Truncate(time.Second))
			}
		}
		switch {
		case c.BreachedAt != nil || c.State == anxin.ClockMissed:
			v.Class = "bad"
		case c.Escalated:
			v.Class = "warn"
		}
		out = append(out, v)
	}
	return out
}

type ticketRow struct {
	*anxin.Ticket
	ClockViews []clockView
}

func (s *Server) handleCareQueuePage(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.care()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	group, status := q.Get("group"), q.Get("status")
	if group != "" && !anxin.ValidGroup(group) {
		return anxin.Errorf(anxin.Invalid, "group %q is not a skill group.", group)
	}
	if status == "" {
		status = anxin.TicketOpen
	}
	if status == "all" {
		status = ""
	}
	ts, _, err := svc.FindTickets(r.Context(), anxin.TicketFilter{Group: group, Status: status, Page: anxin.Page{Limit: 200}})
	if err != nil {
		return err
	}
	groups, err := svc.FindGroups(r.Context())
	if err != nil {
		return err
	}
	rows := make([]ticketRow, len(ts))
	for i, t := range ts {
		rows[i] = ticketRow{Ticket: t, ClockViews: s.clockViews(t.Clocks)}
	}
	return s.render(w, r, "care_queue", map[string]any{"Tickets": rows, "Groups": groups, "Group": group, "Status": q.Get("status"),
		"Statuses": []string{anxin.TicketOpen, anxin.TicketWaiting, anxin.TicketResolved, "all"},
		"Lead":     anxin.Can(anxin.ActorFromContext(r.Context()).Role, anxin.ActionCareWork)})
}

func (s *Server) handleCareLeadPage(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.care()
	if err != nil {
		return err
	}
	if err := anxin.Authorize(r.Context(), anxin.ActionCareWork); err != nil {
		return err
	}
	p := anxin.Period{From: s.now().Add(-30 * 24 * time.Hour), To: s.now().Add(time.Second)}
	ev, err := svc.SLAEvents(r.Context(), p, 200)
	if err != nil {
		return err
	}
	csat, err := svc.CSAT(r.Context(), p)
	if err != nil {
		return err
	}
	var stats *anxin.ClassifierStats
	if st, err := svc.ClassifierStats(r.Context()); err == nil {
		stats = st
	} else if anxin.KindOf(err) != anxin.NotFound {
		return err
	}
	return s.render(w, r, "care_lead", map[string]any{"Events": ev, "CSAT": csat, "Classifier": stats})
}

// ticketDone are the confirmations the ticket page shows after a form; the
// query string names one, so no caller-chosen text reaches the page.
var ticketDone = map[string]string{
	"reply": "Reply sent.", "note": "Note added.", "resolve": "Ticket resolved.", "transfer": "Ticket transferred.",
	"assign": "Ticket assigned.", "pause": "Clocks paused: waiting on the customer.", "resume": "Clocks resumed.",
}

func (s *Server) handleTicketPage(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.care()
	if err != nil {
		return err
	}
	t, err := svc.FindTicket(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	data := map[string]any{"Ticket": t, "Clocks": s.clockViews(t.Clocks), "SkillGroups": anxin.SkillGroups,
		"Agent": anxin.Can(anxin.ActorFromContext(r.Context()).Role, anxin.ActionCareWork)}
	if data["Agent"] == true {
		macros, err := svc.FindMacros(r.Context(), t.Group)
		if err != nil {
			return err
		}
		data["Macros"] = macros
	}
	if t.OrderID != "" && s.Marketplace != nil {
		if o, err := s.Marketplace.FindOrder(r.Context(), t.OrderID); err == nil {
			data["Order"] = o
		} else if anxin.KindOf(err) != anxin.NotFound && anxin.KindOf(err) != anxin.Forbidden {
			return err
		}
	}
	return s.renderFlash(w, r, "care_ticket", data, ticketDone[r.URL.Query().Get("done")])
}

// handleTicketForm applies one agent action posted from the ticket page and
// redirects back to it.
func (s *Server) handleTicketForm(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.care()
	if err != nil {
		return err
	}
	ctx, id := r.Context(), r.PathValue("id")
	f := r.PostFormValue
	action := f("action")
	switch action {
	case "reply":
		_, err = svc.Reply(ctx, id, anxin.Reply{Body: f("body"), Waiting: f("waiting") == "on"})
	case "note":
		_, err = svc.AddNote(ctx, id, f("body"))
	case "resolve":
		_, err = svc.Resolve(ctx, id, f("body"))
	case "transfer":
		_, err = svc.Transfer(ctx, id, f("group"), f("body"))
	case "assign":
		_, err = svc.Assign(ctx, id, f("agent"), f("strategy"))
	case "pause", "resume":
		_, err = svc.SetWaiting(ctx, id, action == "pause")
	default:
		return anxin.Errorf(anxin.Invalid, "Unknown action.")
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/console/care/tickets/"+url.PathEscape(id)+"?done="+action, http.StatusSeeOther)
	return nil
}
