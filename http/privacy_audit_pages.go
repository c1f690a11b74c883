package http

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"anxin"
)

// auditPageSize is how many audit rows one console page shows.
const auditPageSize = 100

// auditActions are the actions the audit log records, for the filter.
var auditActions = []string{"seal", "waybill", "decrypt", "search", "route", "grant", "approve_grant", "revoke_grant", "alert", "resolve_alert", "key_create", "key_revoke"}

// auditOutcomes are the outcomes the audit log records, for the filter.
var auditOutcomes = []string{"allowed", "forbidden", "not_found", "rate_limited", "tampered", "invalid", "expired"}

// auditForm is the audit filter as the operator typed it, kept for the form.
type auditForm struct {
	Actor, Action, Order, Outcome, From, To string
}

type keyOption struct{ ID, Label string }

// parseConsoleDay parses a yyyy-mm-dd day in the marketplace time zone.
func parseConsoleDay(field, v string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, v, anxin.MarketplaceTZ)
	if err != nil {
		return time.Time{}, anxin.Errorf(anxin.Invalid, "%s must be a day written yyyy-mm-dd.", field)
	}
	return t, nil
}

// handleAuditPage shows the audit events matching the filter in the query
// (actor, action, order, outcome, from and to days in the marketplace time
// zone), newest first, a page at a time with a cursor, and the chain's
// status. A bad filter is shown above the form, which keeps what was typed.
func (s *Server) handleAuditPage(w http.ResponseWriter, r *http.Request) error {
	p, err := s.privacyService()
	if err != nil {
		return err
	}
	ctx := r.Context()
	q := r.URL.Query()
	form := auditForm{Actor: strings.TrimSpace(q.Get("actor")), Action: q.Get("action"), Order: strings.TrimSpace(q.Get("order")),
		Outcome: q.Get("outcome"), From: q.Get("from"), To: q.Get("to")}
	data := map[string]any{"Form": form, "Actions": auditActions, "Outcomes": auditOutcomes}
	v, err := p.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	data["Chain"] = v
	names := s.keyNameLoader(ctx)()
	var opts []keyOption
	for id, n := range names {
		opts = append(opts, keyOption{ID: id, Label: n})
	}
	sort.Slice(opts, func(i, j int) bool { return opts[i].Label < opts[j].Label })
	data["Keys"] = opts

	f, ferr := auditFilterOf(form, q.Get("before"), names)
	var evs []*anxin.AuditEvent
	if ferr == nil {
		f.Limit = auditPageSize
		evs, ferr = p.SearchAudit(ctx, f)
	}
	status := http.StatusOK
	if ferr != nil {
		if anxin.KindOf(ferr) != anxin.Invalid {
			return ferr
		}
		data["Error"] = anxin.MessageOf(ferr)
		status = http.StatusBadRequest
	}
	data["Events"] = evs
	if len(evs) == auditPageSize {
		nq := r.URL.Query()
		nq.Set("before", strconv.FormatInt(evs[len(evs)-1].Seq, 10))
		data["OlderURL"] = r.URL.Path + "?" + nq.Encode()
	}
	if q.Get("before") != "" {
		nq := r.URL.Query()
		nq.Del("before")
		data["NewestURL"] = r.URL.Path + "?" + nq.Encode()
	}
	return s.renderStatus(w, r, status, "privacy_audit", data, "")
}

// auditFilterOf turns the form into a filter; an actor may be given by key
// id or by the key's name.
func auditFilterOf(form auditForm, before string, names map[string]string) (anxin.AuditFilter, error) {
	f := anxin.AuditFilter{Action: form.Action, OrderID: form.Order, Outcome: form.Outcome, ActorKey: form.Actor}
	if form.Actor != "" {
		if _, ok := names[form.Actor]; !ok {
			for id, n := range names {
				if n == form.Actor || strings.HasPrefix(n, form.Actor+" (") {
					f.ActorKey = id
					break
				}
			}
		}
	}
	if form.Action != "" && !inList(auditActions, form.Action) {
		return f, anxin.Errorf(anxin.Invalid, "Unknown action %q.", form.Action)
	}
	if form.Outcome != "" && !inList(auditOutcomes, form.Outcome) {
		return f, anxin.Errorf(anxin.Invalid, "Unknown outcome %q.", form.Outcome)
	}
	var err error
	if form.From != "" {
		if f.From, err = parseConsoleDay("From", form.From); err != nil {
			return f, err
		}
	}
	if form.To != "" {
		if f.To, err = parseConsoleDay("To", form.To); err != nil {
			return f, err
		}
		f.To = f.To.AddDate(0, 0, 1) // the form's To day is included
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return f, anxin.Errorf(anxin.Invalid, "From (%s) is after To (%s).", form.From, form.To)
	}
	if before != "" {
		n, err := strconv.ParseInt(before, 10, 64)
		if err != nil || n < 1 {
			return f, anxin.Errorf(anxin.Invalid, "The page cursor is not valid; start from the newest rows.")
		}
		f.BeforeSeq = n
	}
	return f, nil
}

func inList(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
