package http

import (
	"net/http"
	"strconv"
	"strings"

	"anxin"
)

func (s *Server) registerGovernancePages() {
	s.handle("GET /console/governance/queue", s.page(s.pageQueue))
	s.handle("GET /console/governance/cases/{id}", s.page(s.handleCasePage)) // case_pages.go
	s.handle("POST /console/governance/cases/{id}/decide", s.page(s.handleCasePageDecide))
	s.handle("POST /console/governance/cases/{id}", s.page(s.pageCaseAction))
	s.handle("POST /console/governance/cases", s.page(s.pageCaseBulk))
	s.handle("GET /console/governance/appeals", s.page(s.pageAppeals))
	s.handle("POST /console/governance/appeals/{id}", s.page(s.pageAppealDecide))
	s.handle("GET /console/governance/lexicons", s.page(s.pageLexicons))
	s.handle("GET /console/governance/lexicons/{name}", s.page(s.pageLexicon))
	s.handle("POST /console/governance/lexicons", s.page(s.pageLexiconCreate))
	s.handle("POST /console/governance/lexicons/{name}", s.page(s.pageLexiconSettings))
	s.handle("POST /console/governance/lexicons/{name}/terms", s.page(s.pageTermAdd))
	s.handle("POST /console/governance/lexicons/{name}/terms/{index}", s.page(s.pageTermChange))
	s.handle("POST /console/governance/lexicons/{name}/test", s.page(s.pageLexiconTest))
	s.handle("POST /console/governance/lexicons/{name}/delete", s.page(s.pageLexiconDelete))
	s.handle("POST /console/governance/lexicons/{name}/import", s.page(s.pageLexiconImport))
	s.handle("POST /console/governance/test", s.page(s.pageTest))
	s.handle("GET /console/governance/policies", s.page(s.pagePolicies))
	s.handle("GET /console/governance/policies/{version}", s.page(s.pagePolicy))
	s.handle("POST /console/governance/policies/{version}", s.page(s.pagePolicyStatus))
	s.handle("POST /console/governance/policies/{version}/edit", s.page(s.pagePolicyEdit))
	s.handle("GET /console/governance/precision", s.page(s.pagePrecision))
	s.handle("GET /console/governance/merchants", s.page(s.pageEnforcement))
	s.handle("POST /console/governance/statements/{id}/appeal", s.page(s.pageAppealFile))
}

func (s *Server) pageQueue(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	return s.renderQueue(w, r, s.decidedFlash(r))
}

func (s *Server) renderQueue(w http.ResponseWriter, r *http.Request, flash string) error {
	if err := s.governance(); err != nil {
		return err
	}
	status := r.URL.Query().Get("status")
	cases, next, err := s.Reviews.FindCases(r.Context(), anxin.CaseFilter{Status: status, RuleID: r.URL.Query().Get("rule_id"), Page: pageOf(r)})
	if err != nil {
		return err
	}
	type row struct {
		*anxin.Case
		Age string
	}
	rows := make([]row, len(cases))
	for i, c := range cases {
		rows[i] = row{c, formatAge(c.AgeSeconds)}
	}
	return s.renderFlash(w, r, "governance_queue", map[string]any{"Cases": rows, "Status": status, "Next": next}, flash)
}

// pageCaseAction claims, decides or annotates one case from the queue.
func (s *Server) pageCaseAction(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	id, note := r.PathValue("id"), r.PostFormValue("note")
	var err error
	switch a := r.PostFormValue("action"); a {
	case "claim":
		_, err = s.Reviews.ClaimCase(r.Context(), id)
	case anxin.ResUphold, anxin.ResOverturn:
		_, err = s.Reviews.DecideCase(r.Context(), id, a, note)
	case "note":
		_, err = s.Reviews.AddCaseNote(r.Context(), id, note)
	default:
		err = anxin.Errorf(anxin.Invalid, "Unknown action.")
	}
	if err != nil {
		return err
	}
	return s.renderQueue(w, r, "Case "+id+" updated.")
}

func (s *Server) pageCaseBulk(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	r.ParseForm()
	ids, action, note := r.PostForm["id"], r.PostFormValue("action"), r.PostFormValue("note")
	if len(ids) == 0 || len(ids) > 500 {
		return anxin.Errorf(anxin.Invalid, "Select 1 to 500 cases.")
	}
	done, failed := 0, 0
	for _, id := range ids {
		var err error
		switch action {
		case "claim":
			_, err = s.Reviews.ClaimCase(r.Context(), id)
		case anxin.ResUphold, anxin.ResOverturn:
			_, err = s.Reviews.DecideCase(r.Context(), id, action, note)
		default:
			return anxin.Errorf(anxin.Invalid, "Unknown action.")
		}
		if err != nil {
			failed++
			continue
		}
		done++
	}
	return s.renderQueue(w, r, strconv.Itoa(done)+" case(s) done, "+strconv.Itoa(failed)+" skipped (held by others or already decided).")
}

func (s *Server) pageAppeals(w http.ResponseWriter, r *http.Request) error {
	return s.renderAppeals(w, r, "")
}

func (s *Server) renderAppeals(w http.ResponseWriter, r *http.Request, flash string) error {
	if err := s.governance(); err != nil {
		return err
	}
	status := r.URL.Query().Get("status")
	if status == "" && r.Method == http.MethodGet {
		status = anxin.AppealOpen
	}
	as, next, err := s.Enforcement.FindAppeals(r.Context(), status, pageOf(r))
	if err != nil {
		return err
	}
	type row struct {
		*anxin.Appeal
		Statement *anxin.Statement
	}
	rows := make([]row, 0, len(as))
	for _, a := range as {
		st, err := s.Enforcement.FindStatement(r.Context(), a.StatementID)
		if err != nil {
			return err
		}
		rows = append(rows, row{a, st})
	}
	return s.renderFlash(w, r, "governance_appeals", map[string]any{"Appeals": rows, "Status": status, "Next": next}, flash)
}

func (s *Server) pageAppealDecide(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	if _, err := s.Enforcement.DecideAppeal(r.Context(), r.PathValue("id"), r.PostFormValue("resolution"), r.PostFormValue("note")); err != nil {
		return err
	}
	return s.renderAppeals(w, r, "Appeal decided.")
}

var checkKinds = []string{"listing", anxin.ContentLivestreamSegment, anxin.ContentVideo, anxin.ContentComment, anxin.ContentImageText}

// problemOf renders an error's message and details for a form.
func problemOf(err error) string {
	msg := anxin.MessageOf(err)
	if e := asError(err); e != nil {
		for i, d := range e.Details {
			if i == 10 {
				break
			}
			msg += "\n• " + strings.TrimSpace(d.ID+" "+d.Field) + " [" + strconv.Itoa(d.Index) + "]: " + d.Message
		}
	}
	return msg
}

// pageTest is the test box of the lexicon and policy editors.
func (s *Server) pageTest(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	v, _ := strconv.Atoi(r.PostFormValue("policy_version"))
	kind, text := r.PostFormValue("kind"), r.PostFormValue("text")
	res, err := s.Governance.TestText(r.Context(), kind, text, v)
	if err != nil {
		if anxin.KindOf(err) != anxin.Invalid {
			return err
		}
		return s.render(w, r, "governance_editor", map[string]any{"Page": "test", "Title": "Test box", "Problem": anxin.MessageOf(err), "Kind": kind, "Text": text, "Version": v, "Kinds": checkKinds})
	}
	return s.render(w, r, "governance_editor", map[string]any{"Page": "test", "Title": "Test box", "Result": res, "Kind": kind, "Text": text, "Version": v, "Kinds": checkKinds})
}

func (s *Server) pagePolicies(w http.ResponseWriter, r *http.Request) error {
	return s.renderPolicies(w, r, "", "")
}

func (s *Server) renderPolicies(w http.ResponseWriter, r *http.Request, problem, flash string) error {
	if err := s.governance(); err != nil {
		return err
	}
	ps, err := s.Governance.FindPolicies(r.Context())
	if err != nil {
		return err
	}
	var active *anxin.Policy
	for _, p := range ps {
		if p.Status == anxin.PolicyActive {
			active = p
		}
	}
	return s.renderFlash(w, r, "governance_editor", map[string]any{"Page": "policies", "Title": "Policies", "Policies": ps, "Active": active, "Problem": problem,
		"CanEdit": anxin.Can(anxin.ActorFromContext(r.Context()).Role, anxin.ActionManagePolicy), "Kinds": checkKinds, "Models": s.modelSection(r)}, flash)
}

func (s *Server) pagePolicyStatus(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	v, err := pathVersion(r)
	if err != nil {
		return err
	}
	status := r.PostFormValue("status")
	if (status == anxin.PolicyActive || status == anxin.PolicyRetired) && r.PostFormValue("confirm") != "yes" {
		return s.renderPolicies(w, r, "Tick the confirmation to "+map[string]string{anxin.PolicyActive: "activate", anxin.PolicyRetired: "retire"}[status]+" version "+strconv.Itoa(v)+"; nothing changed.", "")
	}
	p, err := s.Governance.SetPolicyStatus(r.Context(), v, status)
	if err != nil {
		return err
	}
	return s.renderPolicies(w, r, "", "Version "+strconv.Itoa(p.Version)+" is now "+p.Status+".")
}

func (s *Server) pagePrecision(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	ps, err := s.Reviews.RulePrecision(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, "governance_precision", map[string]any{"Rules": ps})
}

// pageEnforcement shows a merchant's record; a merchant sees its own
// without choosing.
func (s *Server) pageEnforcement(w http.ResponseWriter, r *http.Request) error {
	return s.renderEnforcement(w, r, r.URL.Query().Get("id"), "")
}

func (s *Server) renderEnforcement(w http.ResponseWriter, r *http.Request, id, flash string) error {
	if err := s.governance(); err != nil {
		return err
	}
	if scope := anxin.MerchantScope(r.Context()); scope != "" {
		id = scope
	}
	data := map[string]any{"ID": id, "IsMerchant": anxin.MerchantScope(r.Context()) != ""}
	if id != "" {
		rec, err := s.Enforcement.MerchantRecord(r.Context(), id)
		if err != nil {
			return err
		}
		data["Record"] = rec
	}
	return s.renderFlash(w, r, "governance_enforcement", data, flash)
}

func (s *Server) pageAppealFile(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	a, err := s.Enforcement.FileAppeal(r.Context(), r.PathValue("id"), r.PostFormValue("text"))
	if err != nil {
		return err
	}
	return s.renderEnforcement(w, r, a.MerchantID, "Appeal "+a.ID+" filed; a reviewer will decide it.")
}

// formatAge renders a waiting time: "45 min", "3 h 20 min", "2 d 4 h".
func formatAge(sec int64) string {
	switch {
	case sec < 3600:
		return strconv.FormatInt(sec/60, 10) + " min"
	case sec < 86400:
		return strconv.FormatInt(sec/3600, 10) + " h " + strconv.FormatInt(sec%3600/60, 10) + " min"
	}
	return strconv.FormatInt(sec/86400, 10) + " d " + strconv.FormatInt(sec%86400/3600, 10) + " h"
}
