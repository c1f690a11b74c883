package http_test

import (
	"encoding/csv"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestDecisionList(t *testing.T) {
	g := newGovServer(t)
	var d decision
	if code := g.do("platform", "POST", "/v1/listings:check", `{"id":"l1","title":"高仿 LV 包","merchant_id":"m1"}`, &d); code != 200 || d.Outcome != "block" {
		t.Fatalf("check = %d %+v", code, d)
	}
	if code := g.do("platform", "POST", "/v1/listings:check", `{"id":"l2","title":"纯棉四件套 1.8m床","merchant_id":"m2"}`, nil); code != 200 {
		t.Fatalf("check = %d", code)
	}
	var list struct {
		Decisions  []decision `json:"decisions"`
		NextCursor string     `json:"next_cursor"`
	}
	if code := g.do("operator", "GET", "/v1/decisions?subject_type=listing&outcome=block", "", &list); code != 200 || len(list.Decisions) != 1 || list.Decisions[0].StatementID != d.StatementID {
		t.Fatalf("blocked listings = %d %+v; want the one block", code, list)
	}
	if code := g.do("reviewer", "GET", "/v1/decisions?merchant_id=m2", "", &list); code != 200 || len(list.Decisions) != 1 || list.Decisions[0].Outcome != "allow" {
		t.Fatalf("m2's decisions = %d %+v; want its allow", code, list)
	}
	if code := g.do("operator", "GET", "/v1/decisions?limit=1", "", &list); code != 200 || len(list.Decisions) != 1 || list.NextCursor == "" {
		t.Fatalf("first page = %d %+v; want one and a cursor", code, list)
	}
	if code := g.do("operator", "GET", "/v1/decisions?from=2020-01-01&to=2020-01-31", "", &list); code != 200 || len(list.Decisions) != 0 {
		t.Fatalf("empty period = %d %+v", code, list)
	}

	req, _ := http.NewRequest("GET", g.url+"/v1/decisions?format=csv&outcome=block", nil)
	req.Header.Set("Authorization", "Bearer "+g.keys["operator"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	recs, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || err != nil || len(recs) != 2 || recs[0][0] != "id" || recs[1][2] != "l1" || recs[1][6] != "block" || recs[1][11] != d.StatementID {
		t.Fatalf("CSV = %d %q %v %q; want a header and the block", resp.StatusCode, resp.Header.Get("Content-Type"), err, body)
	}

	for _, bad := range []struct {
		role, q string
		want    int
	}{
		{"operator", "?subject_type=order", 400},
		{"operator", "?outcome=maybe", 400},
		{"operator", "?merchant_id=" + strings.Repeat("x", 200), 400},
		{"operator", "?from=2026-02-30", 400},
		{"operator", "?from=2026-03-01&to=2026-02-01", 400},
		{"operator", "?format=xml", 400},
		{"operator", "?limit=501", 400},
		{"merchant:m1", "", 403},
	} {
		if code := g.do(bad.role, "GET", "/v1/decisions"+bad.q, "", nil); code != bad.want {
			t.Errorf("%s GET /v1/decisions%s = %d; want %d", bad.role, bad.q, code, bad.want)
		}
	}
}
