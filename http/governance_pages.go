package http

import (
	"encoding/json"
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
	s.handle("POST /console/governance/lexicons/{name}", s.page(s.pageLexiconSave))
	s.handle("POST /console/governance/lexicons/{name}/import", s.page(s.pageLexiconImport))
	s.handle("POST /console/governance/test", s.page(s.pageTest))
	s.handle("GET /console/governance/policies", s.page(s.pagePolicies))
	s.handle("GET /console/governance/policies/{version}", s.page(s.pagePolicy))
	s.handle("POST /console/governance/policies", s.page(s.pagePolicyCreate))
	s.handle("POST /console/governance/policies/{version}", s.page(s.pagePolicyStatus))
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

func (s *Server) pageLexicons(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	ls, err := s.Governance.FindLexicons(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, "governance_editor", map[string]any{"Page": "lexicons", "Title": "Lexicons", "Lexicons": ls, "Kinds": checkKinds})
}

var checkKinds = []string{"listing", anxin.ContentLivestreamSegment, anxin.ContentVideo, anxin.ContentComment, anxin.ContentImageText}

func (s *Server) pageLexicon(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	name := r.PathValue("name")
	l, err := s.Governance.FindLexicon(r.Context(), name)
	if anxin.KindOf(err) == anxin.NotFound && r.URL.Query().Get("new") == "1" && anxin.ValidateID("name", name) == nil {
		l, err = &anxin.Lexicon{Name: name, Active: true, Terms: []anxin.LexiconTerm{}}, nil
	}
	if err != nil {
		return err
	}
	return s.renderLexicon(w, r, l, termsJSON(l.Terms), "", "")
}

func termsJSON(ts []anxin.LexiconTerm) string {
	var b strings.Builder
	b.WriteString("[\n")
	for i, t := range ts {
		j, _ := json.Marshal(t)
		b.WriteString("  ")
		b.Write(j)
		if i < len(ts)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]")
	return strings.ReplaceAll(b.String(), `\u0026`, "&")
}

func (s *Server) renderLexicon(w http.ResponseWriter, r *http.Request, l *anxin.Lexicon, terms, problem, flash string) error {
	return s.renderFlash(w, r, "governance_editor", map[string]any{"Page": "lexicon", "Title": "Lexicon " + l.Name, "Lexicon": l, "Terms": terms, "Problem": problem,
		"CanEdit": anxin.Can(anxin.ActorFromContext(r.Context()).Role, anxin.ActionManagePolicy), "Kinds": checkKinds,
		"Severities": []int{1, 2, 3, 4, 5}}, flash)
}

// pageLexiconSave saves the edited terms as a new version; a malformed or
// rejected list is shown again with the problem, and nothing changes.
func (s *Server) pageLexiconSave(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	l := &anxin.Lexicon{Name: r.PathValue("name"), Description: r.PostFormValue("description"), Active: r.PostFormValue("active") == "on"}
	raw := r.PostFormValue("terms")
	if err := anxin.DecodeJSON([]byte(raw), &l.Terms); err != nil {
		return s.renderLexicon(w, r, l, raw, anxin.MessageOf(err), "")
	}
	saved, err := s.Governance.SaveLexicon(r.Context(), l)
	if err != nil {
		if k := anxin.KindOf(err); k == anxin.Invalid || k == anxin.TooLarge {
			return s.renderLexicon(w, r, l, raw, problemOf(err), "")
		}
		return err
	}
	return s.renderLexicon(w, r, saved, termsJSON(saved.Terms), "", "Saved as version "+strconv.Itoa(saved.Version)+"; checks use it now.")
}

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
	return s.renderPolicies(w, r, "", "", "")
}

func (s *Server) renderPolicies(w http.ResponseWriter, r *http.Request, draft, problem, flash string) error {
	if err := s.governance(); err != nil {
		return err
	}
	ps, err := s.Governance.FindPolicies(r.Context())
	if err != nil {
		return err
	}
	if draft == "" {
		for _, p := range ps {
			if p.Status == anxin.PolicyActive {
				b, _ := json.MarshalIndent(p.Rules, "", "  ")
				draft = strings.ReplaceAll(string(b), `\u0026`, "&")
			}
		}
	}
	return s.renderFlash(w, r, "governance_editor", map[string]any{"Page": "policies", "Title": "Policies", "Policies": ps, "Draft": draft, "Problem": problem,
		"CanEdit": anxin.Can(anxin.ActorFromContext(r.Context()).Role, anxin.ActionManagePolicy), "Kinds": checkKinds, "Models": s.modelSection(r),
		"Severities": []int{1, 2, 3, 4, 5}}, flash)
}

func (s *Server) pagePolicy(w http.ResponseWriter, r *http.Request) error {
	p, err := s.policyAt(r)
	if err != nil {
		return err
	}
	b, _ := json.MarshalIndent(p.Rules, "", "  ")
	return s.render(w, r, "governance_editor", map[string]any{"Page": "policy", "Title": "Policy v" + strconv.Itoa(p.Version), "Policy": p, "Rules": strings.ReplaceAll(string(b), `\u0026`, "&"), "Kinds": checkKinds,
		"CanEdit": anxin.Can(anxin.ActorFromContext(r.Context()).Role, anxin.ActionManagePolicy)})
}

// pagePolicyCreate stores the edited rules as a new draft version; rules
// that do not compile are shown again with the rule and position.
func (s *Server) pagePolicyCreate(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	raw := r.PostFormValue("rules")
	p := &anxin.Policy{Name: r.PostFormValue("name"), Note: r.PostFormValue("note")}
	if err := anxin.DecodeJSON([]byte(raw), &p.Rules); err != nil {
		return s.renderPolicies(w, r, raw, anxin.MessageOf(err), "")
	}
	created, err := s.Governance.CreatePolicy(r.Context(), p)
	if err != nil {
		if anxin.KindOf(err) == anxin.Invalid {
			return s.renderPolicies(w, r, raw, problemOf(err), "")
		}
		return err
	}
	return s.renderPolicies(w, r, raw, "", "Created draft version "+strconv.Itoa(created.Version)+". Shadow or activate it below.")
}

func (s *Server) pagePolicyStatus(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	v, err := pathVersion(r)
	if err != nil {
		return err
	}
	p, err := s.Governance.SetPolicyStatus(r.Context(), v, r.PostFormValue("status"))
	if err != nil {
		return err
	}
	return s.renderPolicies(w, r, "", "", "Version "+strconv.Itoa(p.Version)+" is now "+p.Status+".")
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
