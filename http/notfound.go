package http

import (
	"net/http"
	"strconv"
	"strings"

	"anxin"
)

// withRouteErrors answers requests no route matches in the API's error
// shape instead of the mux's plain-text pages: 404 not_found when no route
// has the path, 405 method_not_allowed (with Allow) when routes have the
// path but not the method. Console paths get the console's 404 page.
func (s *Server) withRouteErrors(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		var allow []string
		for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} {
			if m == r.Method {
				continue
			}
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, p := mux.Handler(probe); p != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 {
			s.Error(w, r, anxin.Errorf(anxin.NotFound, "No such route: %q.", r.URL.Path))
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeErrorBody(w, http.StatusMethodNotAllowed, "method_not_allowed",
			"Method "+strconv.Quote(anxin.Clip(r.Method))+" is not allowed here; use "+strings.Join(allow, ", ")+".")
	})
}
