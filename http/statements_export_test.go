package http_test

import (
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/dsa"
)

// TestStatementExportDSA blocks a listing and a comment, exports the day's
// statements in the DSA shape and checks that every one validates, pages
// hold, and bad requests are refused.
func TestStatementExportDSA(t *testing.T) {
	g := newGovServer(t)
	var d decision
	if code := g.do("platform", "POST", "/v1/listings:check", `{"id":"l1","title":"高仿 LV 包","merchant_id":"m1"}`, &d); code != 200 || d.StatementID == "" {
		t.Fatalf("check = %d %+v; want a block with a statement", code, d)
	}
	var batch struct{ Items []decision }
	if code := g.do("platform", "POST", "/v1/content:check", `{"items":[{"id":"c2","kind":"comment","text":"加微信 领红包"}]}`, &batch); code != 200 {
		t.Fatalf("content check = %d", code)
	}
	today := time.Now().In(anxin.MarketplaceTZ).Format(time.DateOnly)
	type export struct {
		Statements []dsa.Submission `json:"statements"`
		Skipped    []struct{ ID, Reason string }
		NextCursor string `json:"next_cursor"`
	}
	var all export
	q := "/v1/statements/export?format=dsa&from=" + today + "&to=" + today + "&territorial_scope=de,FR&terms_url=https://shop.example/rules"
	if code := g.do("operator", "GET", q, "", &all); code != 200 || len(all.Statements) < 3 {
		t.Fatalf("export = %d, %d statements, %d skipped; want the listing's, the comment's and the merchant sanction's", code, len(all.Statements), len(all.Skipped))
	}
	puids := map[string]bool{}
	for _, s := range all.Statements {
		if err := dsa.Validate(s); err != nil {
			t.Errorf("exported %s does not validate: %v", s.PUID, err)
		}
		if strings.Join(s.TerritorialScope, ",") != "DE,FR" || s.DecisionGroundReferenceURL != "https://shop.example/rules" || s.ApplicationDate != today {
			t.Errorf("exported %s: scope %v, terms %q, date %s", s.PUID, s.TerritorialScope, s.DecisionGroundReferenceURL, s.ApplicationDate)
		}
		puids[s.PUID] = true
	}
	if !puids[d.StatementID] {
		t.Errorf("the listing's statement %s is not in the export %v", d.StatementID, puids)
	}
	// Paging: one at a time gives the same statements.
	seen, cursor := 0, ""
	for range 20 {
		var p export
		if code := g.do("reviewer", "GET", q+"&limit=1&cursor="+cursor, "", &p); code != 200 {
			t.Fatalf("page = %d", code)
		}
		seen += len(p.Statements) + len(p.Skipped)
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if seen != len(all.Statements)+len(all.Skipped) {
		t.Errorf("paged export saw %d; want %d", seen, len(all.Statements)+len(all.Skipped))
	}
	// A period with no statements is an empty list.
	var empty export
	if code := g.do("operator", "GET", "/v1/statements/export?format=dsa&from=2026-01-01&to=2026-01-02", "", &empty); code != 200 || len(empty.Statements) != 0 {
		t.Errorf("empty period = %d %+v; want 200 and no statements", code, empty)
	}
	for _, bad := range []struct {
		role, query string
		want        int
	}{
		{"operator", "/v1/statements/export?format=csv", 400},
		{"operator", "/v1/statements/export?format=dsa&from=2026-02-01&to=2026-01-01", 400},
		{"operator", "/v1/statements/export?format=dsa&territorial_scope=CN", 400},
		{"operator", "/v1/statements/export?format=dsa&terms_url=javascript:alert(1)", 400},
		{"operator", "/v1/statements/export?format=dsa&limit=0", 400},
		{"merchant:m1", "/v1/statements/export?format=dsa", 403},
	} {
		if code := g.do(bad.role, "GET", bad.query, "", nil); code != bad.want {
			t.Errorf("%s %s = %d; want %d", bad.role, bad.query, code, bad.want)
		}
	}
}
