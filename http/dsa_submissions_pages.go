package http

import (
	"net/http"
	"slices"

	"anxin"
)

func (s *Server) registerSubmissionPages() {
	s.handle("GET /console/statements/submissions", s.page(s.pageSubmissions))
	s.handle("POST /console/statements/submissions/{id}/retry", s.page(s.pageSubmissionRetry))
}

// submissionRow is one submission with the statement's merchant and
// target, for the link to the merchant's record.
type submissionRow struct {
	*anxin.DSASubmission
	MerchantID string
	Target     string
}

func (s *Server) pageSubmissions(w http.ResponseWriter, r *http.Request) error {
	return s.renderSubmissions(w, r, r.URL.Query().Get("state"), http.StatusOK, "")
}

// renderSubmissions lists submissions in state ("" shows the dead letters,
// "all" every state).
func (s *Server) renderSubmissions(w http.ResponseWriter, r *http.Request, state string, status int, flash string) error {
	svc, err := s.submissions()
	if err != nil {
		return err
	}
	if state == "" {
		state = anxin.SubmissionDead
	}
	filter := state
	if state == "all" {
		filter = ""
	}
	page, err := submissionPage(r)
	if err != nil {
		return err
	}
	subs, next, err := svc.FindDSASubmissions(r.Context(), filter, page)
	if err != nil {
		return err
	}
	rows := make([]submissionRow, len(subs))
	for i, sub := range subs {
		rows[i].DSASubmission = sub
		if s.Enforcement == nil {
			continue
		}
		if st, err := s.Enforcement.FindStatement(r.Context(), sub.StatementID); err == nil {
			rows[i].MerchantID, rows[i].Target = st.MerchantID, st.TargetType+" "+st.TargetID
		}
	}
	return s.renderStatus(w, r, status, "statements_submissions", map[string]any{
		"Rows": rows, "State": state, "States": anxin.SubmissionStates, "Next": next, "Endpoint": s.DSAEndpoint,
		"CanRetry": anxin.Can(anxin.ActorFromContext(r.Context()).Role, anxin.ActionRetrySubmissions),
	}, flash)
}

// pageSubmissionRetry sends a dead letter again with the operator's note.
// A refusal (no note, not dead) is shown on the page, which changes nothing.
func (s *Server) pageSubmissionRetry(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.submissions()
	if err != nil {
		return err
	}
	id, state := r.PathValue("id"), r.PostFormValue("state")
	if state != "all" && !slices.Contains(anxin.SubmissionStates, state) {
		state = anxin.SubmissionDead
	}
	if _, err := svc.RetryDSASubmission(r.Context(), id, r.PostFormValue("note")); err != nil {
		switch anxin.KindOf(err) {
		case anxin.Invalid, anxin.Conflict, anxin.NotFound:
			return s.renderSubmissions(w, r, state, statusOf(anxin.KindOf(err)), anxin.MessageOf(err))
		}
		return err
	}
	return s.renderSubmissions(w, r, state, http.StatusOK, "Statement "+id+" is queued again; it is sent in the next batch.")
}
