package http

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"anxin"

	"github.com/prometheus/client_golang/prometheus"
)

func (s *Server) registerJobRoutes() {
	s.handle("GET /v1/jobs", s.api(s.handleJobList))
	if c, ok := s.Jobs.(jobCounter); ok {
		s.Metrics.MustRegister(&jobCollector{counts: c})
	}
}

// jobCounter is implemented by job services that can count jobs per state
// (sqlstore.JobService); the server then exports anxin_jobs{state}.
type jobCounter interface {
	JobCounts(ctx context.Context) (map[string]int64, error)
}

// jobCollector reads the job counts at scrape time, so every replica
// reports the shared queue.
type jobCollector struct{ counts jobCounter }

var jobsDesc = prometheus.NewDesc("anxin_jobs", "Durable jobs by state (pending, done, dead, cancelled).", []string{"state"}, nil)

func (c *jobCollector) Describe(ch chan<- *prometheus.Desc) { ch <- jobsDesc }

func (c *jobCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.counts.JobCounts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(jobsDesc, err)
		return
	}
	for _, st := range []string{"pending", "done", "dead", "cancelled"} {
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(counts[st]), st)
	}
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
