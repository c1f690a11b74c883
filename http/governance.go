package http

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"anxin"

	"github.com/prometheus/client_golang/prometheus"
)

// governanceMetrics are the check counters and latency histogram.
type governanceMetrics struct {
	checks  *prometheus.CounterVec
	latency *prometheus.HistogramVec
}

func (s *Server) registerGovernanceRoutes() {
	s.govMetrics.checks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "anxin_governance_checks_total", Help: "Listing and content checks by kind and outcome.",
	}, []string{"kind", "outcome"})
	s.govMetrics.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "anxin_governance_check_seconds", Help: "Check latency per request (normalise, scan, rules, store).",
		Buckets: []float64{.0002, .0005, .001, .002, .005, .01, .025, .05, .1, .25, 1},
	}, []string{"endpoint"})
	s.Metrics.MustRegister(s.govMetrics.checks, s.govMetrics.latency)

	s.handle("POST /v1/listings:check", s.api(s.handleListingsCheck))
	s.handle("POST /v1/content:check", s.api(s.handleContentCheck))
	s.handle("GET /v1/decisions/{id}", s.api(s.handleDecisionView))
	s.registerDecisionListRoutes()

	s.handle("GET /v1/lexicons", s.api(s.handleLexiconList))
	s.handle("POST /v1/lexicons:test", s.api(s.handleLexiconTest))
	s.handle("GET /v1/lexicons/{name}", s.api(s.handleLexiconView))
	s.handle("PUT /v1/lexicons/{name}", s.api(s.handleLexiconPut))
	s.handle("DELETE /v1/lexicons/{name}", s.api(s.handleLexiconDelete))
	s.handle("POST /v1/lexicons/{name}/import", s.api(s.handleLexiconImport))

	s.handle("GET /v1/policies", s.api(s.handlePolicyList))
	s.handle("POST /v1/policies", s.api(s.handlePolicyCreate))
	s.handle("GET /v1/policies/{version}", s.api(s.handlePolicyView))
	s.handle("POST /v1/policies/{version}/activate", s.api(s.policyStatus(anxin.PolicyActive)))
	s.handle("POST /v1/policies/{version}/shadow", s.api(s.policyStatus(anxin.PolicyShadow)))
	s.handle("POST /v1/policies/{version}/retire", s.api(s.policyStatus(anxin.PolicyRetired)))

	s.handle("GET /v1/cases", s.api(s.handleCaseList))
	s.handle("POST /v1/cases:bulk", s.api(s.handleCaseBulk))
	s.handle("GET /v1/cases/{id}", s.api(s.handleCaseView))
	s.handle("POST /v1/cases/{id}/claim", s.api(s.handleCaseClaim))
	s.handle("POST /v1/cases/{id}/decide", s.api(s.handleCaseDecide))
	s.handle("POST /v1/cases/{id}/notes", s.api(s.handleCaseNote))
	s.handle("GET /v1/rules/precision", s.api(s.handleRulePrecision))

	s.handle("GET /v1/merchants/{id}/enforcement", s.api(s.handleEnforcementRecord))
	s.handle("GET /v1/statements", s.api(s.handleStatementList))
	s.handle("GET /v1/statements/export", s.api(s.handleStatementExport))
	s.handle("GET /v1/statements/{id}", s.api(s.handleStatementView))
	s.handle("POST /v1/statements/{id}/appeals", s.api(s.handleAppealFile))
	s.handle("GET /v1/appeals", s.api(s.handleAppealList))
	s.handle("POST /v1/appeals/{id}/decide", s.api(s.handleAppealDecide))
}

// reply writes v with status, or returns err when it is not nil.
func reply(w http.ResponseWriter, status int, v any, err error) error {
	if err != nil {
		return err
	}
	writeJSON(w, status, v)
	return nil
}

// governance returns the services or Unavailable when they are not wired.
func (s *Server) governance() error {
	if s.Governance == nil || s.Reviews == nil || s.Enforcement == nil {
		return anxin.Errorf(anxin.Unavailable, "Governance is not configured.")
	}
	return nil
}

// checkView is one decision as the check endpoints return it: id is the
// checked item's id.
type checkView struct {
	ID            string                    `json:"id"`
	DecisionID    string                    `json:"decision_id"`
	Outcome       anxin.Outcome             `json:"outcome"`
	Labels        []string                  `json:"labels"`
	Reasons       []string                  `json:"reasons"`
	Evidence      []anxin.Evidence          `json:"evidence"`
	PolicyVersion int                       `json:"policy_version"`
	Rules         []anxin.RuleHit           `json:"rules,omitempty"`
	Actions       []anxin.EnforcementAction `json:"actions,omitempty"`
	ReasonCode    string                    `json:"reason_code,omitempty"`
	StatementID   string                    `json:"statement_id,omitempty"`
	CaseID        string                    `json:"case_id,omitempty"`
	CutStream     bool                      `json:"cut_stream,omitempty"`
	ShadowOutcome *anxin.Outcome            `json:"shadow_outcome,omitempty"`
}

func viewOf(d *anxin.Decision) checkView {
	return checkView{ID: d.SubjectID, DecisionID: d.ID, Outcome: d.Outcome, Labels: d.Labels, Reasons: d.Reasons, Evidence: d.Evidence,
		PolicyVersion: d.PolicyVersion, Rules: d.Rules, Actions: d.Actions, ReasonCode: d.ReasonCode, StatementID: d.StatementID,
		CaseID: d.CaseID, CutStream: d.CutStream, ShadowOutcome: d.ShadowOutcome}
}

// writeChecks answers a check: one decision for a single object, or
// {"items":[...]} for a batch, and counts the outcomes.
func (s *Server) writeChecks(w http.ResponseWriter, endpoint string, start time.Time, ds []*anxin.Decision, batch bool) {
	s.govMetrics.latency.WithLabelValues(endpoint).Observe(time.Since(start).Seconds())
	views := make([]checkView, len(ds))
	for i, d := range ds {
		views[i] = viewOf(d)
		s.govMetrics.checks.WithLabelValues(d.Kind, d.Outcome.String()).Inc()
	}
	if batch {
		writeJSON(w, http.StatusOK, map[string]any{"items": views})
		return
	}
	writeJSON(w, http.StatusOK, views[0])
}

func (s *Server) handleListingsCheck(w http.ResponseWriter, r *http.Request) error {
	return serveCheck(s, w, r, "listings", s.checkListings)
}

func (s *Server) handleContentCheck(w http.ResponseWriter, r *http.Request) error {
	return serveCheck(s, w, r, "content", s.checkContent)
}

func (s *Server) checkListings(ctx context.Context, ls []*anxin.ListingCheck) ([]*anxin.Decision, error) {
	return s.Governance.CheckListings(ctx, ls)
}

func (s *Server) checkContent(ctx context.Context, cs []*anxin.ContentItem) ([]*anxin.Decision, error) {
	return s.Governance.CheckContent(ctx, cs)
}

// serveCheck decodes one item or {"items":[...]}, runs the check and writes
// the decisions.
func serveCheck[T any](s *Server, w http.ResponseWriter, r *http.Request, endpoint string,
	run func(context.Context, []*T) ([]*anxin.Decision, error)) error {
	start := time.Now()
	if err := s.governance(); err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var probe struct {
		Items json.RawMessage `json:"items"`
	}
	json.Unmarshal(body, &probe) // only to tell the two shapes apart; DecodeJSON below is strict
	var items []*T
	batch := probe.Items != nil
	if batch {
		var in struct {
			Items []*T `json:"items"`
		}
		if err := anxin.DecodeJSON(body, &in); err != nil {
			return err
		}
		items = in.Items
	} else {
		one := new(T)
		if err := anxin.DecodeJSON(body, one); err != nil {
			return err
		}
		items = []*T{one}
	}
	ds, err := run(r.Context(), items)
	if err != nil {
		return err
	}
	s.writeChecks(w, endpoint, start, ds, batch)
	return nil
}

// readBody reads the whole (bounded) body; an oversized body is TooLarge.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, anxin.Errorf(anxin.TooLarge, "The body is larger than %d bytes.", mbe.Limit)
		}
		return nil, anxin.Errorf(anxin.Invalid, "The body could not be read.")
	}
	return body, nil
}

func (s *Server) handleDecisionView(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	d, err := s.Governance.FindDecision(r.Context(), r.PathValue("id"))
	return reply(w, http.StatusOK, d, err)
}

func (s *Server) handleLexiconList(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	ls, err := s.Governance.FindLexicons(r.Context())
	if err != nil {
		return err
	}
	type summary struct {
		Name        string    `json:"name"`
		Version     int       `json:"version"`
		Description string    `json:"description,omitempty"`
		Active      bool      `json:"active"`
		Terms       int       `json:"terms"`
		UpdatedAt   time.Time `json:"updated_at"`
	}
	out := make([]summary, 0, len(ls))
	for _, l := range ls {
		out = append(out, summary{l.Name, l.Version, l.Description, l.Active, len(l.Terms), l.UpdatedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"lexicons": out})
	return nil
}

func (s *Server) handleLexiconView(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	l, err := s.Governance.FindLexicon(r.Context(), r.PathValue("name"))
	return reply(w, http.StatusOK, l, err)
}

func (s *Server) handleLexiconPut(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	if err := anxin.Authorize(r.Context(), anxin.ActionManagePolicy); err != nil {
		return err
	}
	var in struct {
		Description string               `json:"description"`
		Active      *bool                `json:"active"`
		Terms       *[]anxin.LexiconTerm `json:"terms"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	// A save replaces every term, so a body that forgot "terms" must not
	// empty the lexicon: only an explicit [] does.
	if in.Terms == nil {
		return anxin.Errorf(anxin.Invalid, `"terms" is required (give [] to save the lexicon with no terms).`)
	}
	l := &anxin.Lexicon{Name: r.PathValue("name"), Description: in.Description, Active: in.Active == nil || *in.Active, Terms: *in.Terms}
	if l.Terms == nil {
		l.Terms = []anxin.LexiconTerm{}
	}
	saved, err := s.Governance.SaveLexicon(r.Context(), l)
	return reply(w, http.StatusOK, saved, err)
}

func (s *Server) handleLexiconDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	if err := s.Governance.DeleteLexicon(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleLexiconTest(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	var in struct {
		Kind          string `json:"kind"`
		Text          string `json:"text"`
		PolicyVersion int    `json:"policy_version"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	res, err := s.Governance.TestText(r.Context(), in.Kind, in.Text, in.PolicyVersion)
	return reply(w, http.StatusOK, res, err)
}

func (s *Server) handlePolicyList(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	ps, err := s.Governance.FindPolicies(r.Context())
	return reply(w, http.StatusOK, map[string]any{"policies": ps}, err)
}

func pathVersion(r *http.Request) (int, error) {
	v, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || v <= 0 {
		return 0, anxin.Errorf(anxin.NotFound, "Policy version not found.")
	}
	return v, nil
}

// policyAt returns the policy version named in the path.
func (s *Server) policyAt(r *http.Request) (*anxin.Policy, error) {
	if err := s.governance(); err != nil {
		return nil, err
	}
	v, err := pathVersion(r)
	if err != nil {
		return nil, err
	}
	return s.Governance.FindPolicy(r.Context(), v)
}

func (s *Server) handlePolicyView(w http.ResponseWriter, r *http.Request) error {
	p, err := s.policyAt(r)
	return reply(w, http.StatusOK, p, err)
}

func (s *Server) handlePolicyCreate(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	if err := anxin.Authorize(r.Context(), anxin.ActionManagePolicy); err != nil {
		return err
	}
	var in struct {
		Name  string       `json:"name"`
		Note  string       `json:"note"`
		Rules []anxin.Rule `json:"rules"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	p, err := s.Governance.CreatePolicy(r.Context(), &anxin.Policy{Name: in.Name, Note: in.Note, Rules: in.Rules})
	return reply(w, http.StatusCreated, p, err)
}

func (s *Server) policyStatus(status string) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.governance(); err != nil {
			return err
		}
		v, err := pathVersion(r)
		if err != nil {
			return err
		}
		p, err := s.Governance.SetPolicyStatus(r.Context(), v, status)
		return reply(w, http.StatusOK, p, err)
	}
}

// pageOf reads limit and cursor leniently, for console pages reached by
// links: a bad limit means the default. The API uses pageFromQuery, which
// refuses it.
func pageOf(r *http.Request) anxin.Page {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	return anxin.Page{Cursor: r.URL.Query().Get("cursor"), Limit: limit}
}

func (s *Server) handleCaseList(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	page, err := pageFromQuery(r)
	if err != nil {
		return err
	}
	asCSV, err := wantCSV(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	cs, next, err := s.Reviews.FindCases(r.Context(), anxin.CaseFilter{Status: q.Get("status"), MerchantID: q.Get("merchant_id"), RuleID: q.Get("rule_id"), Page: page})
	if err != nil {
		return err
	}
	if asCSV {
		return writeCSV(w, "cases", next, caseCSV, cs)
	}
	if cs == nil {
		cs = []*anxin.Case{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"cases": cs, "next_cursor": next})
	return nil
}

func (s *Server) handleCaseView(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	c, err := s.Reviews.FindCase(r.Context(), r.PathValue("id"))
	return reply(w, http.StatusOK, c, err)
}

func (s *Server) handleCaseClaim(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	c, err := s.Reviews.ClaimCase(r.Context(), r.PathValue("id"))
	return reply(w, http.StatusOK, c, err)
}

// resolutionBody is the body of a decide call.
type resolutionBody struct {
	Resolution string `json:"resolution"`
	Note       string `json:"note"`
}

func (s *Server) handleCaseDecide(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	var in resolutionBody
	if err := readJSON(r, &in); err != nil {
		return err
	}
	c, err := s.Reviews.DecideCase(r.Context(), r.PathValue("id"), in.Resolution, in.Note)
	return reply(w, http.StatusOK, c, err)
}

func (s *Server) handleCaseNote(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	var in struct {
		Text string `json:"text"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	c, err := s.Reviews.AddCaseNote(r.Context(), r.PathValue("id"), in.Text)
	return reply(w, http.StatusOK, c, err)
}

// handleCaseBulk claims or decides many cases; each is done on its own and
// reported per id, so one conflict does not undo the others.
func (s *Server) handleCaseBulk(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	if err := anxin.Authorize(r.Context(), anxin.ActionReview); err != nil {
		return err
	}
	var in struct {
		IDs    []string `json:"ids"`
		Action string   `json:"action"` // claim, uphold, overturn
		Note   string   `json:"note"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if len(in.IDs) == 0 || len(in.IDs) > 500 {
		return anxin.Errorf(anxin.Invalid, "ids must hold 1 to 500 case ids.")
	}
	if in.Action != "claim" && in.Action != anxin.ResUphold && in.Action != anxin.ResOverturn {
		return anxin.Errorf(anxin.Invalid, "action must be claim, uphold or overturn.")
	}
	type result struct {
		ID     string `json:"id"`
		Status string `json:"status,omitempty"`
		Error  string `json:"error,omitempty"`
	}
	out := make([]result, 0, len(in.IDs))
	for _, id := range in.IDs {
		var c *anxin.Case
		var err error
		if in.Action == "claim" {
			c, err = s.Reviews.ClaimCase(r.Context(), id)
		} else {
			c, err = s.Reviews.DecideCase(r.Context(), id, in.Action, in.Note)
		}
		if err != nil {
			if anxin.KindOf(err) == anxin.Internal || anxin.KindOf(err) == anxin.Unavailable {
				return err
			}
			out = append(out, result{ID: id, Error: anxin.MessageOf(err)})
			continue
		}
		out = append(out, result{ID: id, Status: c.Status})
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": out})
	return nil
}

func (s *Server) handleRulePrecision(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	ps, err := s.Reviews.RulePrecision(r.Context())
	return reply(w, http.StatusOK, map[string]any{"rules": ps}, err)
}

func (s *Server) handleEnforcementRecord(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	rec, err := s.Enforcement.MerchantRecord(r.Context(), r.PathValue("id"))
	return reply(w, http.StatusOK, rec, err)
}

func (s *Server) handleStatementList(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	page, err := pageFromQuery(r)
	if err != nil {
		return err
	}
	asCSV, err := wantCSV(r)
	if err != nil {
		return err
	}
	sts, next, err := s.Enforcement.FindStatements(r.Context(), r.URL.Query().Get("merchant_id"), page)
	if err == nil && asCSV {
		return writeCSV(w, "statements", next, statementCSV, sts)
	}
	return reply(w, http.StatusOK, map[string]any{"statements": sts, "next_cursor": next}, err)
}

func (s *Server) handleStatementView(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	st, err := s.Enforcement.FindStatement(r.Context(), r.PathValue("id"))
	return reply(w, http.StatusOK, st, err)
}

func (s *Server) handleAppealFile(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	var in struct {
		Text string `json:"text"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	a, err := s.Enforcement.FileAppeal(r.Context(), r.PathValue("id"), in.Text)
	return reply(w, http.StatusCreated, a, err)
}

func (s *Server) handleAppealList(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	page, err := pageFromQuery(r)
	if err != nil {
		return err
	}
	as, next, err := s.Enforcement.FindAppeals(r.Context(), r.URL.Query().Get("status"), page)
	return reply(w, http.StatusOK, map[string]any{"appeals": as, "next_cursor": next}, err)
}

func (s *Server) handleAppealDecide(w http.ResponseWriter, r *http.Request) error {
	if err := s.governance(); err != nil {
		return err
	}
	var in resolutionBody
	if err := readJSON(r, &in); err != nil {
		return err
	}
	a, err := s.Enforcement.DecideAppeal(r.Context(), r.PathValue("id"), in.Resolution, in.Note)
	return reply(w, http.StatusOK, a, err)
}
