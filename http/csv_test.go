package http_test

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"anxin"
)

// getRaw sends a GET as role and returns the status, the content type and
// the body.
func (g *govServer) getRaw(role, path string) (int, http.Header, string) {
	g.t.Helper()
	req, _ := http.NewRequest("GET", g.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+g.keys[role])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// parseCSV reads a whole CSV document strictly (every row as wide as the
// header) and returns its rows.
func parseCSV(t *testing.T, body string) [][]string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(body))
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("not valid CSV: %v\n%s", err, body)
	}
	return rows
}

func column(t *testing.T, rows [][]string, name string) int {
	t.Helper()
	for i, h := range rows[0] {
		if h == name {
			return i
		}
	}
	t.Fatalf("no column %q in header %v", name, rows[0])
	return -1
}

func TestListsAsCSV(t *testing.T) {
	g := newGovServer(t)
	// Ids may start with '-', which a spreadsheet runs as a formula; the
	// reasons and facts hold quotes, commas and the merchant's own words.
	var d decision
	if code := g.do("platform", "POST", "/v1/listings:check", `{"id":"l1","title":"外贸原单 T恤","merchant_id":"m1"}`, &d); code != 200 || d.Outcome != "review" {
		t.Fatalf("check = %d %+v", code, d)
	}
	var blk decision
	if code := g.do("platform", "POST", "/v1/listings:check", `{"id":"-1-1","title":"高仿 LV 包, \"正品\"\n加微信","merchant_id":"m1"}`, &blk); code != 200 || blk.Outcome != "block" || blk.StatementID == "" {
		t.Fatalf("block = %d %+v", code, blk)
	}

	code, h, body := g.getRaw("operator", "/v1/cases?format=csv&status=all")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(h.Get("Content-Disposition"), `filename="cases.csv"`) {
		t.Fatalf("cases csv = %d %v\n%s", code, h, body)
	}
	if !strings.Contains(body, "\r\n") {
		t.Errorf("cases csv lines do not end in CRLF")
	}
	rows := parseCSV(t, body)
	if len(rows) != 2 || rows[0][0] != "id" {
		t.Fatalf("cases csv rows = %q; want the header and one case", rows)
	}
	if got := rows[1][column(t, rows, "id")]; got != d.CaseID {
		t.Errorf("case id = %q; want %q", got, d.CaseID)
	}

	code, _, body = g.getRaw("operator", "/v1/statements?format=csv&merchant_id=m1")
	if code != 200 {
		t.Fatalf("statements csv = %d %s", code, body)
	}
	rows = parseCSV(t, body)
	var st struct {
		Reason string `json:"user_facing_reason"`
		Facts  string `json:"facts"`
	}
	if code := g.do("operator", "GET", "/v1/statements/"+blk.StatementID, "", &st); code != 200 {
		t.Fatalf("statement = %d", code)
	}
	var row []string
	for _, r := range rows[1:] {
		if r[column(t, rows, "id")] == blk.StatementID {
			row = r
		}
	}
	if row == nil {
		t.Fatalf("statement %s not in the CSV: %q", blk.StatementID, rows)
	}
	if got := row[column(t, rows, "target_id")]; got != "'-1-1" {
		t.Errorf("target_id = %q; want the formula guarded: '-1-1", got)
	}
	if row[column(t, rows, "user_facing_reason")] != st.Reason || row[column(t, rows, "facts")] != st.Facts || row[column(t, rows, "outcome")] != "block" {
		t.Errorf("statement row = %q; want reason %q and facts %q", row, st.Reason, st.Facts)
	}

	// A page at a time: the next cursor travels in a header.
	g.do("platform", "POST", "/v1/listings:check", `{"id":"l3","title":"外贸原单 衬衫","merchant_id":"m2"}`, nil)
	code, h, body = g.getRaw("operator", "/v1/cases?format=csv&status=all&limit=1")
	if rows := parseCSV(t, body); code != 200 || len(rows) != 2 || h.Get("Anxin-Next-Cursor") == "" {
		t.Fatalf("first page = %d cursor %q rows %q", code, h.Get("Anxin-Next-Cursor"), rows)
	}
	code, h, body = g.getRaw("operator", "/v1/cases?format=csv&status=all&limit=1&cursor="+h.Get("Anxin-Next-Cursor"))
	if rows := parseCSV(t, body); code != 200 || len(rows) != 2 || h.Get("Anxin-Next-Cursor") != "" {
		t.Fatalf("last page = %d cursor %q rows %q", code, h.Get("Anxin-Next-Cursor"), rows)
	}

	// Bad input: clear errors, never a partial CSV.
	for _, path := range []string{
		"/v1/cases?format=xlsx",
		"/v1/cases?format=CSV",
		"/v1/statements?format=csv&limit=0",
		"/v1/cases?format=csv&cursor=" + strings.Repeat("x", 600),
	} {
		code, h, body := g.getRaw("operator", path)
		var e struct {
			Error struct{ Message string }
		}
		if json.Unmarshal([]byte(body), &e); code != 400 || strings.HasPrefix(h.Get("Content-Type"), "text/csv") || e.Error.Message == "" {
			t.Errorf("GET %s = %d %s %s; want 400 with a message", path, code, h.Get("Content-Type"), body)
		}
	}
	// The role gate is the list's: a merchant may not export the queue.
	if code, _, _ := g.getRaw("merchant:m1", "/v1/cases?format=csv"); code != 403 {
		t.Errorf("merchant cases csv = %d; want 403", code)
	}
}

func TestConsoleCSVDownloads(t *testing.T) {
	g := newGovServer(t)
	var d decision
	g.do("platform", "POST", "/v1/listings:check", `{"id":"l1","title":"外贸原单 T恤","merchant_id":"m1"}`, &d)
	code, html := g.page(anxin.RoleReviewer, "GET", "/console/governance/queue", nil)
	if code != 200 || !strings.Contains(html, `href="/console/export/cases.csv?status=`) {
		t.Fatalf("queue page = %d; want a Download CSV link", code)
	}
	code, body := g.page(anxin.RoleReviewer, "GET", "/console/export/cases.csv?status=open", nil)
	rows := parseCSV(t, body)
	if code != 200 || len(rows) != 2 || rows[1][0] != d.CaseID {
		t.Fatalf("console cases.csv = %d %q", code, rows)
	}
	if code, _ := g.page(anxin.RoleReviewer, "GET", "/console/export/keys.csv", nil); code != 404 {
		t.Errorf("unknown export = %d; want 404", code)
	}
	if code, _ := g.page(anxin.MerchantRole("m1"), "GET", "/console/export/cases.csv", nil); code != 403 {
		t.Errorf("merchant console cases.csv = %d; want 403", code)
	}
	// Without a session the export redirects to the login page.
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(g.url + "/console/export/cases.csv")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("export without a session = %d; want 303", resp.StatusCode)
	}
}
