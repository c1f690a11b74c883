package http

import (
	"bytes"
	"net/http"

	"anxin"
	"anxin/report"
)

func (s *Server) registerReportRoutes() {
	s.handle("GET /v1/report", s.api(s.handleReport))
}

func (s *Server) registerReportPages() {
	s.handle("GET /console/report", s.page(s.handleReportPage))
	s.handle("GET /console/report/download", s.page(s.handleReportDownload))
}

// reportFor computes the report for the request's from and to (YYYY-MM-DD,
// both included; default the current calendar year).
func (s *Server) reportFor(r *http.Request) (*anxin.Report, error) {
	if err := anxin.Authorize(r.Context(), anxin.ActionReadReport); err != nil {
		return nil, err
	}
	if s.Reports == nil {
		return nil, anxin.Errorf(anxin.Unavailable, "Reports are not configured on this server.")
	}
	q := r.URL.Query()
	p, err := report.ParsePeriod(q.Get("from"), q.Get("to"), s.now())
	if err != nil {
		return nil, err
	}
	rep, err := s.Reports.Report(r.Context(), p)
	if err != nil {
		return nil, err
	}
	return rep.VisibleTo(anxin.ActorFromContext(r.Context()).Role), nil
}

// handleReport serves GET /v1/report?from=&to=&format=json|md|html.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) error {
	return s.writeReport(w, r, "")
}

// writeReport renders the requested report in the request's format (JSON
// when absent), as an attachment when disposition is set.
func (s *Server) writeReport(w http.ResponseWriter, r *http.Request, disposition string) error {
	format := report.FormatJSON
	if f := r.URL.Query().Get("format"); f != "" {
		var err error
		if format, err = report.ParseFormat(f); err != nil {
			return err
		}
	}
	rep, err := s.reportFor(r)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := report.Write(&b, rep, format); err != nil {
		return err
	}
	w.Header().Set("Content-Type", report.ContentType(format))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if disposition != "" {
		w.Header().Set("Content-Disposition", `attachment; filename="`+disposition+"."+format+`"`)
	}
	if format == report.FormatHTML {
		setPageHeaders(w)
	}
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
	return nil
}

// handleReportPage shows the HTML report for the chosen period in the
// console, with links to download it.
func (s *Server) handleReportPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	data := map[string]any{"From": q.Get("from"), "To": q.Get("to")}
	rep, err := s.reportFor(r)
	if anxin.KindOf(err) == anxin.Invalid {
		data["Error"] = anxin.MessageOf(err)
		return s.renderStatus(w, r, http.StatusBadRequest, "report_page", data, "")
	}
	if err != nil {
		return err
	}
	frag, err := report.HTMLFragment(rep)
	if err != nil {
		return err
	}
	data["Report"] = frag
	data["From"] = rep.Period.From.In(anxin.MarketplaceTZ).Format("2006-01-02")
	data["To"] = rep.Period.To.In(anxin.MarketplaceTZ).AddDate(0, 0, -1).Format("2006-01-02")
	return s.render(w, r, "report_page", data)
}

// handleReportDownload serves the report as a file for the console.
func (s *Server) handleReportDownload(w http.ResponseWriter, r *http.Request) error {
	return s.writeReport(w, r, "anxin-report")
}
