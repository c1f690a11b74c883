package http

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"anxin"
)

// A driver error without a kind is a 500, unless ClassifyError recognises
// it: then it answers with the kind it gives (a lost database: 503), in the
// one JSON error shape.
func TestErrorClassify(t *testing.T) {
	lost := errors.New("unexpected EOF")
	for _, tc := range []struct {
		name     string
		classify func(error) error
		err      error
		status   int
		code     anxin.Kind
	}{
		{"no classifier", nil, lost, 500, anxin.Internal},
		{"classified", func(err error) error {
			if errors.Is(err, lost) {
				return errors.Join(anxin.Errorf(anxin.Unavailable, "The database is unavailable."), err)
			}
			return err
		}, lost, 503, anxin.Unavailable},
		{"not recognised", func(err error) error { return err }, lost, 500, anxin.Internal},
		{"kind kept", func(error) error { t.Error("ClassifyError called for an error with a kind"); return nil },
			anxin.Errorf(anxin.NotFound, "Order not found."), 404, anxin.NotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewServer()
			s.ClassifyError = tc.classify
			rec := httptest.NewRecorder()
			s.Error(rec, httptest.NewRequest(http.MethodGet, "/v1/orders/o1", nil), tc.err)
			var body errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if rec.Code != tc.status || body.Error.Code != tc.code {
				t.Errorf("status %d code %q; want %d %q", rec.Code, body.Error.Code, tc.status, tc.code)
			}
			if tc.code == anxin.Internal && body.Error.Message != "Internal error." {
				t.Errorf("internal message %q leaks the cause", body.Error.Message)
			}
		})
	}
}
