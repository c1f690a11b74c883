package http

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"anxin"
)

func (s *Server) registerPrivacyPages() {
	s.handle("GET /console/privacy/alerts", s.page(s.handlePrivacyPage))
	s.handle("POST /console/privacy/alerts/{id}/resolve", s.page(s.handlePrivacyResolve))
	s.handle("GET /console/privacy/grants", s.page(s.handleGrantsPage))
	s.handle("POST /console/privacy/grants", s.page(s.handleGrantsCreate))
	s.handle("POST /console/privacy/grants/{id}/revoke", s.page(s.handleGrantsRevoke))
	s.handle("POST /console/privacy/grants/{id}/approve", s.page(s.handleGrantsApprove))
	s.handle("GET /console/privacy/audit", s.page(s.handleAuditPage))
}

// handlePrivacyPage shows exfiltration alerts with their evidence, the audit
// chain's status and the vault's key versions.
func (s *Server) handlePrivacyPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderPrivacy(w, r, "")
}

func (s *Server) renderPrivacy(w http.ResponseWriter, r *http.Request, flash string) error {
	p, err := s.privacyService()
	if err != nil {
		return err
	}
	ctx := r.Context()
	alerts, err := p.FindAlerts(ctx, "")
	if err != nil {
		return err
	}
	views := make([]alertView, len(alerts))
	for i, a := range alerts {
		views[i] = alertView{PrivacyAlert: a, Evidence: evidenceRows(a.Evidence)}
	}
	data := map[string]any{"Alerts": views, "CanResolve": anxin.Can(anxin.ActorFromContext(ctx).Role, anxin.ActionManageAlerts)}
	if v, err := p.VerifyAudit(ctx); err == nil {
		data["Chain"] = v
	} else if anxin.KindOf(err) != anxin.Forbidden {
		return err
	}
	if st, err := p.VaultStatus(ctx); err == nil {
		data["Vault"] = st
	} else if anxin.KindOf(err) != anxin.Forbidden {
		return err
	}
	return s.renderFlash(w, r, "privacy_overview", data, flash)
}

// alertView is an alert with its evidence as rows for the console.
type alertView struct {
	*anxin.PrivacyAlert
	Evidence []evidenceRow
}

type evidenceRow struct{ Key, Value string }

// evidenceRows renders an alert's evidence object as sorted key/value rows.
func evidenceRows(raw json.RawMessage) []evidenceRow {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return []evidenceRow{{Key: "evidence", Value: string(raw)}}
	}
	out := make([]evidenceRow, 0, len(m))
	for k, v := range m {
		val := fmt.Sprint(v)
		if f, ok := v.(float64); ok {
			val = strconv.FormatFloat(f, 'f', -1, 64)
			if f != float64(int64(f)) {
				val = strconv.FormatFloat(f, 'f', 2, 64)
			}
		}
		out = append(out, evidenceRow{Key: strings.ReplaceAll(k, "_", " "), Value: val})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func (s *Server) handlePrivacyResolve(w http.ResponseWriter, r *http.Request) error {
	p, err := s.privacyService()
	if err != nil {
		return err
	}
	id, resolution := r.PathValue("id"), r.PostFormValue("resolution")
	note := strings.TrimSpace(r.PostFormValue("note"))
	if note == "" {
		return anxin.Errorf(anxin.Invalid, "Resolving an alert needs a note saying why; it is kept in the audit log.")
	}
	if err := p.ResolveAlert(r.Context(), id, resolution, note); err != nil {
		if anxin.KindOf(err) == anxin.NotFound && alertResolved(r, p, id) {
			// The same form posted twice: the first post resolved it.
			return s.renderPrivacy(w, r, "Alert "+id+" was already resolved; nothing was changed.")
		}
		return err
	}
	return s.renderPrivacy(w, r, "Alert resolved; its case is closed.")
}

func (s *Server) handleGrantsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderGrants(w, r, "")
}

// grantForm is the grant form as typed, kept when it is shown again with an
// error.
type grantForm struct {
	Role, Purpose, OrderID, Hours, Note, Token string
}

func (s *Server) renderGrants(w http.ResponseWriter, r *http.Request, flash string) error {
	return s.renderGrantsForm(w, r, http.StatusOK, flash, "", grantForm{Hours: "24"})
}

func (s *Server) renderGrantsForm(w http.ResponseWriter, r *http.Request, status int, flash, formErr string, form grantForm) error {
	p, err := s.privacyService()
	if err != nil {
		return err
	}
	gs, err := p.FindGrants(r.Context(), false)
	if err != nil {
		return err
	}
	var wildcards []*anxin.PIIGrant
	for _, g := range gs {
		if g.OrderID == "*" && (g.Status == "active" || g.Status == "pending") {
			wildcards = append(wildcards, g)
		}
	}
	if form.Token == "" {
		form.Token = newFormToken()
	}
	return s.renderStatus(w, r, status, "privacy_grants", map[string]any{"Grants": gs, "Wildcards": wildcards, "Purposes": anxin.Purposes, "Now": s.now(),
		"Me": anxin.ActorFromContext(r.Context()).KeyID, "Form": form, "FormError": formErr}, flash)
}

// handleGrantsCreate requests a grant. An invalid form is shown again with
// its error and everything typed; the same form posted twice requests one
// grant.
func (s *Server) handleGrantsCreate(w http.ResponseWriter, r *http.Request) error {
	p, err := s.privacyService()
	if err != nil {
		return err
	}
	form := grantForm{Role: strings.TrimSpace(r.PostFormValue("role")), Purpose: r.PostFormValue("purpose"), OrderID: strings.TrimSpace(r.PostFormValue("order_id")),
		Hours: strings.TrimSpace(r.PostFormValue("hours")), Note: r.PostFormValue("note"), Token: r.PostFormValue("form_token")}
	if ok, earlier := consoleForms.claim(r, s.now()); !ok {
		return s.renderGrants(w, r, "This form was already submitted"+strings.TrimPrefix(" ("+earlier+")", " ()")+"; no second grant was requested.")
	}
	fail := func(err error) error {
		consoleForms.release(r)
		if anxin.KindOf(err) != anxin.Invalid {
			return err
		}
		return s.renderGrantsForm(w, r, http.StatusBadRequest, "", anxin.MessageOf(err), form)
	}
	hours, err := strconv.Atoi(form.Hours)
	if err != nil || hours < 1 || hours > anxin.MaxGrantDays*24 || form.OrderID == "*" && hours > 24 {
		return fail(anxin.Errorf(anxin.Invalid, "Hours must be a whole number from 1 to %d (at most 24 for every order, *).", anxin.MaxGrantDays*24))
	}
	g := &anxin.PIIGrant{Role: anxin.Role(form.Role), Purpose: form.Purpose, OrderID: form.OrderID,
		Note: form.Note, ExpiresAt: s.now().Add(time.Duration(hours) * time.Hour)}
	if err := p.CreateGrant(r.Context(), g); err != nil {
		return fail(err)
	}
	consoleForms.done(r, "grant "+g.ID)
	return s.renderGrants(w, r, "Grant "+g.ID+" requested; it takes effect when a second privacy officer approves it.")
}

func (s *Server) handleGrantsApprove(w http.ResponseWriter, r *http.Request) error {
	p, err := s.privacyService()
	if err != nil {
		return err
	}
	if _, err := p.ApproveGrant(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return s.renderGrants(w, r, "Grant approved; it is in effect.")
}

func (s *Server) handleGrantsRevoke(w http.ResponseWriter, r *http.Request) error {
	p, err := s.privacyService()
	if err != nil {
		return err
	}
	if err := p.RevokeGrant(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return s.renderGrants(w, r, "Grant revoked.")
}

// alertResolved reports whether the alert with id exists and is resolved.
func alertResolved(r *http.Request, p anxin.PrivacyService, id string) bool {
	as, err := p.FindAlerts(r.Context(), "resolved")
	if err != nil {
		return false
	}
	for _, a := range as {
		if a.ID == id {
			return true
		}
	}
	return false
}
