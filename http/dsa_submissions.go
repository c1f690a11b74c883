package http

import (
	"net/http"
	"strconv"

	"anxin"
)

// The submission of statements of reasons to the DSA Transparency
// Database: the queue and its dead letters, and retrying one.

func (s *Server) registerSubmissionRoutes() {
	s.handle("GET /v1/statements/submissions", s.api(s.handleSubmissionList))
	s.handle("POST /v1/statements/submissions/{id}/retry", s.api(s.handleSubmissionRetry))
}

func (s *Server) submissions() (anxin.DSASubmissionService, error) {
	if s.Submissions == nil {
		return nil, anxin.Errorf(anxin.Unavailable, "Submissions to the DSA Transparency Database are not configured.")
	}
	return s.Submissions, nil
}

// submissionPage reads ?cursor= (an offset) and ?limit=; Invalid for a
// cursor that is not one this API returned.
func submissionPage(r *http.Request) (anxin.Page, error) {
	p, err := pageFromQuery(r)
	if err != nil {
		return p, err
	}
	if p.Cursor != "" {
		if n, err := strconv.Atoi(p.Cursor); err != nil || n < 0 {
			return p, anxin.Errorf(anxin.Invalid, "The cursor is not valid; pass next_cursor from the previous page.")
		}
	}
	return p, nil
}

func (s *Server) handleSubmissionList(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.submissions()
	if err != nil {
		return err
	}
	page, err := submissionPage(r)
	if err != nil {
		return err
	}
	subs, next, err := svc.FindDSASubmissions(r.Context(), r.URL.Query().Get("state"), page)
	return reply(w, http.StatusOK, map[string]any{"submissions": subs, "next_cursor": next}, err)
}

func (s *Server) handleSubmissionRetry(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.submissions()
	if err != nil {
		return err
	}
	var in struct {
		Note string `json:"note"`
	}
	if err := readJSON(r, &in); err != nil {
		return err
	}
	sub, err := svc.RetryDSASubmission(r.Context(), r.PathValue("id"), in.Note)
	return reply(w, http.StatusOK, sub, err)
}
