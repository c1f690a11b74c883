package http

import (
	"net/http"
	"strconv"

	"anxin"
	"anxin/report"
)

func (s *Server) registerDecisionListRoutes() {
	s.handle("GET /v1/decisions", s.api(s.handleDecisionList))
}

// handleDecisionList serves GET /v1/decisions: stored decisions, newest
// first, as JSON or (?format=csv) CSV, filtered by subject_type, outcome,
// merchant_id and the days from and to (marketplace time, both included).
func (s *Server) handleDecisionList(w http.ResponseWriter, r *http.Request) error {
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
	f := anxin.DecisionFilter{SubjectType: q.Get("subject_type"), Outcome: q.Get("outcome"), MerchantID: q.Get("merchant_id"), Page: page}
	if q.Get("from") != "" || q.Get("to") != "" {
		p, err := report.ParsePeriod(q.Get("from"), q.Get("to"), s.now())
		if err != nil {
			return err
		}
		f.From, f.To = p.From, p.To
	}
	ds, next, err := s.Governance.FindDecisions(r.Context(), f)
	if err != nil {
		return err
	}
	if asCSV {
		return writeCSV(w, "decisions", next, decisionCSV, ds)
	}
	writeJSON(w, http.StatusOK, map[string]any{"decisions": ds, "next_cursor": next})
	return nil
}

var decisionCSV = csvTable[*anxin.Decision]{
	header: []string{"id", "subject_type", "subject_id", "kind", "merchant_id", "stage", "outcome", "labels", "reasons", "reason_code", "case_id", "statement_id", "policy_version", "lexicon_version", "evidence", "created_at"},
	row: func(d *anxin.Decision) []string {
		ev := make([]string, 0, len(d.Evidence))
		for _, e := range d.Evidence {
			ev = append(ev, e.Kind+":"+e.Quote)
		}
		return []string{d.ID, d.SubjectType, d.SubjectID, d.Kind, d.MerchantID, d.Stage, d.Outcome.String(), csvList(d.Labels), csvList(d.Reasons), d.ReasonCode,
			d.CaseID, d.StatementID, strconv.Itoa(d.PolicyVersion), d.LexiconVersion, csvList(ev), csvTime(d.CreatedAt)}
	},
}
