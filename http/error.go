package http

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"anxin"
)

// apiFunc is a JSON API handler; a returned error is rendered by Server.Error.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// statusOf maps an error kind to its HTTP status. It is the only place the
// mapping lives.
func statusOf(k anxin.Kind) int {
	switch k {
	case anxin.Invalid:
		return http.StatusBadRequest
	case anxin.Unauthorized:
		return http.StatusUnauthorized
	case anxin.Forbidden:
		return http.StatusForbidden
	case anxin.NotFound:
		return http.StatusNotFound
	case anxin.Conflict:
		return http.StatusConflict
	case anxin.TooLarge:
		return http.StatusRequestEntityTooLarge
	case anxin.RateLimited:
		return http.StatusTooManyRequests
	case anxin.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// errorBody is the one error shape of the API.
type errorBody struct {
	Error struct {
		Code    anxin.Kind        `json:"code"`
		Message string            `json:"message"`
		Details []anxin.ItemError `json:"details,omitempty"`
	} `json:"error"`
}

// Error writes err to w: a JSON error body under /v1/ (and for non-console
// paths), the console's error page under /console/. Internal errors are
// logged once, with the request id and route, and shown as "Internal error.".
func (s *Server) Error(w http.ResponseWriter, r *http.Request, err error) {
	kind := anxin.KindOf(err)
	if kind == anxin.Internal && s.ClassifyError != nil {
		err = s.ClassifyError(err)
		kind = anxin.KindOf(err)
	}
	status := statusOf(kind)
	msg := anxin.MessageOf(err)
	if kind == anxin.Internal {
		msg = "Internal error."
		s.Logger.Error("request failed", "req", requestID(r.Context()), "method", r.Method, "route", r.Pattern, "err", err)
	} else if kind == anxin.Unavailable {
		s.Logger.Warn("dependency unavailable", "req", requestID(r.Context()), "route", r.Pattern, "err", err)
	}
	if (kind == anxin.RateLimited || kind == anxin.Unavailable) && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", retryAfter(err))
	}
	if strings.HasPrefix(r.URL.Path, "/console/") && s.renderErrorPage(w, r, status, msg) {
		return
	}
	var body errorBody
	body.Error.Code, body.Error.Message = kind, msg
	if e, ok := err.(*anxin.Error); ok {
		body.Error.Details = e.Details
	} else if ae := asError(err); ae != nil {
		body.Error.Details = ae.Details
	}
	writeJSON(w, status, body)
}

func asError(err error) *anxin.Error {
	for err != nil {
		if e, ok := err.(*anxin.Error); ok {
			return e
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if ae := asError(e); ae != nil {
					return ae
				}
			}
			return nil
		default:
			return nil
		}
	}
	return nil
}

// writeErrorBody writes the API's error shape with status, code and msg,
// for the answers given before a handler runs (overload, slow bodies,
// routing), which do not go through Error and its logging.
func writeErrorBody(w http.ResponseWriter, status int, code anxin.Kind, msg string) {
	var body errorBody
	body.Error.Code, body.Error.Message = code, msg
	writeJSON(w, status, body)
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// retryAfter is the Retry-After value for a RateLimited error: its
// RetryAfter in whole seconds, rounded up, or 1.
func retryAfter(err error) string {
	if e := asError(err); e != nil && e.RetryAfter > time.Second {
		return strconv.FormatInt(int64((e.RetryAfter+time.Second-1)/time.Second), 10)
	}
	return "1"
}
