package http_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"anxin"
)

// TestReportSectionsFollowRoles: care and quality keys read the report but
// never its money (protection) and privacy sections; the documented full
// readers see every section.
func TestReportSectionsFollowRoles(t *testing.T) {
	srv, _, ks := reportServer(t)
	for _, tt := range []struct {
		role        anxin.Role
		wantSection bool
	}{
		{anxin.RoleCare, false},
		{anxin.RoleQuality, false},
		{anxin.RoleFinance, true},
		{anxin.RoleOperator, true},
		{anxin.RolePrivacy, true},
		{anxin.RoleAuditor, true},
		{anxin.RolePlatform, true},
	} {
		key, _, err := ks.CreateKey(context.Background(), string(tt.role), tt.role)
		if err != nil {
			t.Fatal(err)
		}
		for _, format := range []string{"json", "md"} {
			resp, body := get(t, srv.URL+"/v1/report?from=2026-01-01&to=2026-01-31&format="+format, key)
			if resp.StatusCode != 200 {
				t.Fatalf("GET /v1/report as %s = %d %s; want 200", tt.role, resp.StatusCode, body)
			}
			if format == "md" {
				for _, title := range []string{"Buyer protection and the guarantee fund", "Privacy: sealed data"} {
					if got := contains(body, title); got != tt.wantSection {
						t.Errorf("GET /v1/report?format=md as %s: section %q shown = %v; want %v", tt.role, title, got, tt.wantSection)
					}
				}
				continue
			}
			var rep map[string]json.RawMessage
			if err := json.Unmarshal([]byte(body), &rep); err != nil {
				t.Fatal(err)
			}
			for _, sec := range []string{"protection", "privacy"} {
				if _, got := rep[sec]; got != tt.wantSection {
					t.Errorf("GET /v1/report as %s: section %q present = %v; want %v", tt.role, sec, got, tt.wantSection)
				}
			}
			if _, ok := rep["care"]; !ok {
				t.Errorf("GET /v1/report as %s: no care section; every reader sees it", tt.role)
			}
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
