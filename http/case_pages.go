package http

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"anxin"
)

// The review case page: what a reviewer needs to decide one case on one
// screen. The checked text with its evidence marked in place, the rules
// that fired, the classifier's strongest features, the merchant with
// Anxin's enforcement state, earlier decisions on the same subject, and the
// decide form. Deciding redirects to the queue, whose flash names the case
// and its outcome; a second post of the same form decides nothing.

// caseHistoryLimit is how many decisions on the subject the page shows.
const caseHistoryLimit = 50

// caseRule is one rule hit with what the policy says about the rule.
type caseRule struct {
	anxin.RuleHit
	Description string
	Labels      []string
}

// caseMerchant is the merchant of a case as the page shows it.
type caseMerchant struct {
	ID, Name string
	State    string // Anxin's enforcement state; "" when not readable
}

func (s *Server) handleCasePage(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	return s.renderCase(w, r, http.StatusOK, "", "")
}

// renderCase writes the case page; a refused decision shows its problem
// above the form, which keeps the note typed.
func (s *Server) renderCase(w http.ResponseWriter, r *http.Request, status int, problem, note string) error {
	c, err := s.Reviews.FindCase(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	history, err := s.Reviews.SubjectHistory(r.Context(), c.SubjectType, c.SubjectID, caseHistoryLimit)
	if err != nil {
		return err
	}
	var this *anxin.DecisionRecord
	var earlier []*anxin.DecisionRecord
	for _, h := range history {
		if h.Decision.ID == c.DecisionID {
			this = h
			continue
		}
		if h.Decision.CreatedAt.After(c.CreatedAt) {
			continue // later checks of the subject are not context for this case
		}
		earlier = append(earlier, h)
	}
	data := map[string]any{"Case": c, "Earlier": s.historyRows(r, earlier), "Token": newFormToken(), "Problem": problem, "Note": note,
		"CanDecide": c.Status != anxin.CaseDecided, "Merchant": s.caseMerchant(r, c.MerchantID)}
	ev := c.Evidence
	if this != nil {
		ev = this.Decision.Evidence
		data["Decision"] = this.Decision
		data["Fields"] = markedFields(this.Checked, ev)
		data["Rules"] = s.caseRules(r, this.Decision)
	}
	var features, other []anxin.Evidence
	for _, e := range ev {
		switch {
		case e.Kind == "model":
			features = append(features, e)
		case this == nil || !fieldChecked(this.Checked, e.Field):
			other = append(other, e)
		}
	}
	data["Features"], data["Other"], data["Evidence"] = topFeatures(features, 10), other, ev
	return s.renderStatus(w, r, status, "governance_case", data, "")
}

// fieldChecked reports whether the evidence field is one of the checked
// text's fields, so its evidence is shown marked in place.
func fieldChecked(c *anxin.CheckedText, field string) bool {
	_, ok := c.Field(field)
	return ok
}

// topFeatures returns the n model features with the largest weight.
func topFeatures(fs []anxin.Evidence, n int) []anxin.Evidence {
	out := slices.Clone(fs)
	slices.SortStableFunc(out, func(a, b anxin.Evidence) int { return cmp.Compare(b.Score, a.Score) })
	return out[:min(n, len(out))]
}

// caseRules describes each non-shadow rule hit from the policy version the
// decision ran; a policy that cannot be read leaves the ids alone.
func (s *Server) caseRules(r *http.Request, d *anxin.Decision) []caseRule {
	byID := map[string]anxin.Rule{}
	if p, err := s.Governance.FindPolicy(r.Context(), d.PolicyVersion); err == nil {
		for _, rl := range p.Rules {
			byID[rl.ID] = rl
		}
	}
	out := make([]caseRule, 0, len(d.Rules))
	for _, h := range d.Rules {
		rl := byID[h.RuleID]
		out = append(out, caseRule{RuleHit: h, Description: rl.Description, Labels: rl.Labels})
	}
	return out
}

// caseMerchant names the merchant and reads its enforcement state; either
// is left empty when the mirror or the sanctions cannot tell, since a page
// must not fail over a label.
func (s *Server) caseMerchant(r *http.Request, id string) *caseMerchant {
	if id == "" {
		return nil
	}
	m := &caseMerchant{ID: id, Name: s.merchantName(r, id)}
	if s.Sanctions != nil {
		if e, err := s.Sanctions.MerchantEnforcement(r.Context(), id); err == nil {
			m.State = e.State
		}
	}
	return m
}

// merchantName returns the mirror's name of a merchant, or "" when the
// mirror does not know it or the actor may not read it.
func (s *Server) merchantName(r *http.Request, id string) string {
	if s.Marketplace == nil {
		return ""
	}
	m, err := s.Marketplace.FindMerchant(r.Context(), id)
	if err != nil {
		return ""
	}
	return m.Name
}

// historyRow is one decision of a subject's history as a page shows it.
type historyRow struct {
	Decision *anxin.Decision
	Case     *anxin.Case
	Fields   []markedField
	// DecidedBy names the reviewer who resolved the decision's case; ""
	// when no person did.
	DecidedBy string
	Outcome   string // the outcome in force: the reviewer's when decided
}

// historyRows turns decision records into rows, naming reviewers by their
// keys' names.
func (s *Server) historyRows(r *http.Request, hs []*anxin.DecisionRecord) []historyRow {
	names := view{names: &keyNames{load: s.keyNameLoader(r.Context())}}
	rows := make([]historyRow, 0, len(hs))
	for _, h := range hs {
		row := historyRow{Decision: h.Decision, Case: h.Case, Fields: markedFields(h.Checked, h.Decision.Evidence), Outcome: h.Decision.Outcome.String()}
		if c := h.Case; c != nil && c.Status == anxin.CaseDecided {
			row.DecidedBy = names.Who(c.DecidedBy)
			row.Outcome = anxin.OutcomeAllow.String()
			if c.Resolution == anxin.ResUphold {
				row.Outcome = anxin.OutcomeBlock.String()
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// handleCasePageDecide decides a case from its page. The note is required. The
// form carries a one-time token: a second post of it (a double click, a
// resubmit) decides nothing and lands on the queue saying so; without the
// token the store's own check (Conflict for a decided case) still holds.
func (s *Server) handleCasePageDecide(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := anxin.ValidateID("id", id); err != nil {
		return err
	}
	res, note := r.PostFormValue("resolution"), strings.TrimSpace(r.PostFormValue("note"))
	problem := ""
	switch {
	case res != anxin.ResUphold && res != anxin.ResOverturn:
		problem = "Choose block (uphold) or allow (overturn)."
	case note == "":
		problem = "A note is required: say why."
	default:
		if err := anxin.ValidateText("note", note, 4000); err != nil {
			problem = anxin.MessageOf(err)
			note = ""
		}
	}
	if problem != "" {
		return s.renderCase(w, r, http.StatusBadRequest, problem, note)
	}
	if ok, _ := consoleForms.claim(r, s.now()); !ok {
		http.Redirect(w, r, "/console/governance/queue?"+url.Values{"decided": {id}, "again": {"1"}}.Encode(), http.StatusSeeOther)
		return nil
	}
	if _, err := s.Reviews.DecideCase(r.Context(), id, res, note); err != nil {
		consoleForms.release(r)
		return err
	}
	consoleForms.done(r, id)
	http.Redirect(w, r, "/console/governance/queue?"+url.Values{"decided": {id}}.Encode(), http.StatusSeeOther)
	return nil
}

// decidedFlash is the queue's message after a case was decided from its
// page, read from the case itself so the URL cannot make the console say
// anything else.
func (s *Server) decidedFlash(r *http.Request) string {
	q := r.URL.Query()
	id := q.Get("decided")
	if id == "" || anxin.ValidateID("id", id) != nil {
		return ""
	}
	c, err := s.Reviews.FindCase(r.Context(), id)
	if err != nil || c.Status != anxin.CaseDecided {
		return ""
	}
	what := "allowed (overturned)"
	if c.Resolution == anxin.ResUphold {
		what = "blocked (upheld)"
	}
	msg := "Case " + c.ID + " (" + c.Kind + " " + c.SubjectID + "): " + what + "."
	if q.Get("again") == "1" {
		msg = "That form was already sent; nothing was decided twice. " + msg
	}
	return msg
}

// listingHistoryLimit is how many of Anxin's decisions the listing page shows.
const listingHistoryLimit = 50

// listingHistory returns Anxin's decisions on a listing, newest first, as
// rows; nil when governance is not wired or the actor may not read
// decisions, so the page leaves the section out.
func (s *Server) listingHistory(r *http.Request, id string) ([]historyRow, error) {
	if s.Reviews == nil || anxin.Authorize(r.Context(), anxin.ActionReadGovernance) != nil {
		return nil, nil
	}
	hs, err := s.Reviews.SubjectHistory(r.Context(), "listing", id, listingHistoryLimit)
	if err != nil {
		return nil, err
	}
	return s.historyRows(r, hs), nil
}
