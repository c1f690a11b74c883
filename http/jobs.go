package http

import (
	"net/http"
	"net/url"

	"anxin"
)

func (s *Server) registerJobRoutes() {
	s.handle("GET /v1/jobs", s.api(s.handleJobList))
}

func (s *Server) registerJobPages() {
	s.handle("GET /console/jobs", s.page(s.handleJobsPage))
}

// findJobs lists a page of jobs for the request's ?state=, ?cursor= and
// ?limit=.
func (s *Server) findJobs(r *http.Request) ([]*anxin.Job, string, error) {
	if err := anxin.Authorize(r.Context(), anxin.ActionReadJobs); err != nil {
		return nil, "", err
	}
	if s.Jobs == nil {
		return nil, "", anxin.Errorf(anxin.Unavailable, "Jobs are not configured.")
	}
	page, err := pageFromQuery(r)
	if err != nil {
		return nil, "", err
	}
	jobs, next, err := s.Jobs.FindJobs(r.Context(), r.URL.Query().Get("state"), page)
	if jobs == nil {
		jobs = []*anxin.Job{}
	}
	return jobs, next, err
}

func (s *Server) handleJobList(w http.ResponseWriter, r *http.Request) error {
	jobs, next, err := s.findJobs(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"jobs": jobs, "next_cursor": next})
	return nil
}

func (s *Server) handleJobsPage(w http.ResponseWriter, r *http.Request) error {
	jobs, next, err := s.findJobs(r)
	if err != nil {
		return err
	}
	state := r.URL.Query().Get("state")
	nextURL := ""
	if next != "" {
		nextURL = "/console/jobs?" + url.Values{"state": {state}, "cursor": {next}}.Encode()
	}
	return s.render(w, r, "jobs_list", map[string]any{
		"Jobs": jobs, "State": state, "Next": nextURL,
		"States": []string{"", "pending", "done", "dead", "cancelled"},
	})
}
