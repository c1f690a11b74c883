package http

import (
	"net/http"
	"net/url"

	"anxin"
)

// The console's "Download CSV" links. The API takes keys, not console
// sessions (so a page cannot be tricked into calling it), so the console
// has its own export route: it checks the session's role against the same
// access-table entry as the API list and answers the API's CSV.
func (s *Server) registerCSVPages() {
	s.handle("GET /console/export/{file}", s.page(s.pageExportCSV))
}

// csvExports maps a download's file name to the API list it exports.
var csvExports = map[string]struct {
	pattern string
	handler func(*Server) apiFunc
}{
	"cases.csv":      {"GET /v1/cases", func(s *Server) apiFunc { return s.handleCaseList }},
	"claims.csv":     {"GET /v1/claims", func(s *Server) apiFunc { return s.handleClaimList }},
	"notices.csv":    {"GET /v1/notices", func(s *Server) apiFunc { return s.handleNoticeList }},
	"statements.csv": {"GET /v1/statements", func(s *Server) apiFunc { return s.handleStatementList }},
}

func (s *Server) pageExportCSV(w http.ResponseWriter, r *http.Request) error {
	e, ok := csvExports[r.PathValue("file")]
	if !ok {
		return anxin.Errorf(anxin.NotFound, "There is no such export; the console offers cases.csv, claims.csv, notices.csv and statements.csv.")
	}
	actor := anxin.ActorFromContext(r.Context())
	if err := checkAccess(e.pattern, actor.Role); err != nil {
		return err
	}
	q := r.URL.Query()
	q.Set("format", "csv")
	r2 := r.Clone(r.Context())
	r2.URL = &url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	return e.handler(s)(w, r2)
}
