package http_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"anxin"
	"anxin/anxintest/testserver"
	"anxin/sqlstore"
)

// reportServer returns a test server with real key and report services and
// keys for an operator and a reviewer (who may not read the report).
func reportServer(t *testing.T) (srv *testserver.Server, keys map[anxin.Role]string, ks *sqlstore.KeyService) {
	t.Helper()
	srv = testserver.New(t, nil, testserver.Reports)
	keys = map[anxin.Role]string{}
	for _, role := range []anxin.Role{anxin.RoleOperator, anxin.RoleReviewer} {
		keys[role] = srv.Key(role)
	}
	return srv, keys, sqlstore.NewKeyService(srv.DB)
}

func get(t *testing.T, url, key string, cookies ...*http.Cookie) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestReportAPI(t *testing.T) {
	srv, keys, _ := reportServer(t)
	op := keys[anxin.RoleOperator]
	for _, tt := range []struct {
		name, query, key string
		wantStatus       int
		wantType, want   string
	}{
		{"json default", "?from=2026-01-01&to=2026-01-31", op, 200, "application/json", `"volume":`},
		{"markdown", "?from=2026-01-01&to=2026-01-31&format=md", op, 200, "text/markdown", "## Marketplace volume"},
		{"html", "?from=2026-01-01&to=2026-01-31&format=html", op, 200, "text/html", "<svg"},
		{"default year", "", op, 200, "application/json", `"period":`},
		{"bad date", "?from=2026-02-30", op, 400, "application/json", `"invalid"`},
		{"inverted", "?from=2026-03-01&to=2026-02-01", op, 400, "application/json", "to must not be before from"},
		{"hostile format", "?format=%27%3B+DROP+TABLE+orders", op, 400, "application/json", "format must be"},
		{"no key", "", "", 401, "application/json", `"unauthorized"`},
		{"reviewer", "", keys[anxin.RoleReviewer], 403, "application/json", `"forbidden"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, srv.URL+"/v1/report"+tt.query, tt.key)
			if resp.StatusCode != tt.wantStatus || !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.wantType) || !strings.Contains(body, tt.want) {
				t.Errorf("GET /v1/report%s = %d %s %.200q; want %d %s containing %q", tt.query, resp.StatusCode, resp.Header.Get("Content-Type"), body, tt.wantStatus, tt.wantType, tt.want)
			}
		})
	}

	// The JSON period is the requested days in the marketplace zone.
	_, body := get(t, srv.URL+"/v1/report?from=2026-01-01&to=2026-01-31", op)
	var got struct {
		Period anxin.Period `json:"period"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Period.From.Format("2006-01-02T15:04Z07:00") != "2025-12-31T16:00Z" || got.Period.To.Format("2006-01-02T15:04Z07:00") != "2026-01-31T16:00Z" {
		t.Errorf("period = %v; want 2025-12-31T16:00Z to 2026-01-31T16:00Z", got.Period)
	}
}

func TestReportPage(t *testing.T) {
	srv, _, ks := reportServer(t)
	session := func(role anxin.Role) *http.Cookie {
		_, actor, err := ks.CreateKey(context.Background(), "console", role)
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := ks.CreateSession(context.Background(), actor.KeyID, 1)
		if err != nil {
			t.Fatal(err)
		}
		return &http.Cookie{Name: "anxin_session", Value: tok}
	}
	op := session(anxin.RoleOperator)

	resp, body := get(t, srv.URL+"/console/report?from=2026-01-01&to=2026-01-31", "", op)
	ids, sections, values := attrValues(body, ` id`), attrValues(body, "data-section"), attrValues(body, "value")
	if resp.StatusCode != 200 || !slices.Contains(ids, "report") || !slices.Contains(sections, "volume") ||
		!slices.Contains(values, "2026-01-01") || !slices.Contains(values, "2026-01-31") {
		t.Errorf("report page = %d, ids %v, sections %v, values %v; want 200 with the volume section and the period", resp.StatusCode, ids, sections, values)
	}
	if !slices.Contains(attrValues(body, "data-chart"), "orders_per_day") {
		t.Error("the report page has no orders chart")
	}
	if !slices.Contains(attrValues(body, "href"), "/console/report") {
		t.Error("the nav has no Report link")
	}
	resp, body = get(t, srv.URL+"/console/report?from=nope", "", op)
	if ids := attrValues(body, ` id`); resp.StatusCode != 400 || !slices.Contains(ids, "report-error") || slices.Contains(ids, "report") {
		t.Errorf("report page with a bad date = %d, ids %v; want 400 with the error and no report", resp.StatusCode, ids)
	}
	resp, body = get(t, srv.URL+"/console/report/download?from=2026-01-01&to=2026-01-31&format=md", "", op)
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "anxin-report.md") || !strings.HasPrefix(body, "# Anxin") {
		t.Errorf("download = %d %q %.100q; want the Markdown file", resp.StatusCode, resp.Header.Get("Content-Disposition"), body)
	}
	resp, _ = get(t, srv.URL+"/console/report", "", session(anxin.RoleReviewer))
	if resp.StatusCode != 403 {
		t.Errorf("report page for a reviewer = %d; want 403", resp.StatusCode)
	}
	resp, _ = get(t, srv.URL+"/console/report", "")
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("report page without a session = %d; want a redirect to the login", resp.StatusCode)
	}
}
