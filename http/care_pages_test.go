package http_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
)

// page fetches a console page as role (GET, or POST with form) and returns
// the status and body; redirects are not followed.
func (ts *testServer) page(role anxin.Role, method, path string, form url.Values) (int, string) {
	ts.t.Helper()
	return ts.srv.Page(ts.keys[role], method, path, form)
}

func TestCareConsole(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 1, 0, 0, 0, time.UTC))
	ts := newTestServer(t, clock, anxin.RolePlatform, anxin.RoleCare, anxin.RoleQuality)
	var tk anxin.Ticket
	ts.do(anxin.RolePlatform, "POST", "/v1/care/tickets", map[string]any{"requester_kind": "buyer", "requester_id": "b_1", "subject": "<script>alert(1)</script>", "body": "快递三天了还没收到"}, &tk)
	clock.Set(clock.Now().Add(20 * time.Minute))
	st, body := ts.page(anxin.RoleCare, "GET", "/console/care", nil)
	if st != 200 || !strings.Contains(body, `data-ticket="`+tk.ID+`"`) || !strings.Contains(body, "40 min left") {
		t.Fatalf("queue page = %d:\n%s", st, body)
	}
	if strings.Contains(body, "<script>alert") {
		t.Fatal("the queue page renders a ticket subject unescaped")
	}
	st, _ = ts.page(anxin.RoleCare, "POST", "/console/care/tickets/"+tk.ID, url.Values{"action": {"reply"}, "body": {"正在为您查询物流"}})
	if st != http.StatusSeeOther {
		t.Fatalf("reply form = %d; want 303", st)
	}
	st, body = ts.page(anxin.RoleCare, "GET", "/console/care/tickets/"+tk.ID+"?done=reply", nil)
	if st != 200 || !strings.Contains(body, "正在为您查询物流") || !strings.Contains(body, "Reply sent.") || !strings.Contains(body, `id="clocks"`) {
		t.Fatalf("ticket page = %d:\n%s", st, body)
	}
	if st, _ = ts.page(anxin.RoleCare, "POST", "/console/care/tickets/"+tk.ID, url.Values{"action": {"transfer"}, "group": {"nowhere"}}); st != 400 {
		t.Fatalf("bad transfer form = %d; want 400", st)
	}
	if st, body = ts.page(anxin.RoleCare, "GET", "/console/care/lead", nil); st != 200 || !strings.Contains(body, `id="sla-events"`) {
		t.Fatalf("lead page = %d", st)
	}
	if st, _ = ts.page(anxin.RoleQuality, "GET", "/console/care", nil); st != 403 {
		t.Fatalf("quality opens the care queue: %d; want 403", st)
	}
}

func TestSamplingAndQualityConsole(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	ts := newTestServer(t, clock, anxin.RoleQuality, anxin.RoleOperator, anxin.RoleCare)
	var p anxin.SamplingPlan
	ts.do(anxin.RoleQuality, "POST", "/v1/sampling/plans", map[string]any{"name": "Q2 fresh", "budget_fen": 100000, "from": "2026-04-01T00:00:00Z", "to": "2026-07-01T00:00:00Z", "quotas": []map[string]any{{"category": "fresh", "quota": 3}}}, &p)
	ts.do(anxin.RoleQuality, "PUT", "/v1/sampling/labs/lab_1", map[string]any{"name": "Lab One", "accreditations": []string{"CMA"}, "categories": []string{"fresh"}, "tests": []string{"microbial"}, "capacity": 4, "price_fen": 300, "active": true}, nil)
	st, body := ts.page(anxin.RoleOperator, "GET", "/console/sampling", nil)
	if st != 200 || !strings.Contains(body, `data-plan="`+p.ID+`"`) || !strings.Contains(body, "Lab One") {
		t.Fatalf("sampling page = %d:\n%s", st, body)
	}
	st, body = ts.page(anxin.RoleQuality, "GET", "/console/sampling/plans/"+p.ID, nil)
	if st != 200 || !strings.Contains(body, `id="draw-form"`) {
		t.Fatalf("plan page = %d:\n%s", st, body)
	}
	if st, _ = ts.page(anxin.RoleQuality, "POST", "/console/sampling/plans/"+p.ID+"/draw", url.Values{}); st != 400 {
		t.Fatalf("draw with no listings from the console = %d; want 400", st)
	}
	ts.do(anxin.RoleQuality, "POST", "/v1/quality/campaigns", map[string]any{"name": "草莓专项", "category": "strawberry", "from": "2026-03-01T00:00:00Z", "to": "2026-05-01T00:00:00Z"}, nil)
	var m anxin.QualityMonitor
	ts.do(anxin.RoleQuality, "POST", "/v1/quality/monitors", map[string]any{"scope": "category", "key": "strawberry", "metric": "return_rate", "seasonal": true}, &m)
	st, body = ts.page(anxin.RoleOperator, "GET", "/console/quality", nil)
	if st != 200 || !strings.Contains(body, "草莓专项") || !strings.Contains(body, "seasonal") {
		t.Fatalf("quality page = %d:\n%s", st, body)
	}
	if st, body = ts.page(anxin.RoleQuality, "GET", "/console/quality/monitors/"+m.ID, nil); st != 200 || !strings.Contains(body, `id="points"`) {
		t.Fatalf("monitor page = %d", st)
	}
	if st, _ = ts.page(anxin.RoleCare, "GET", "/console/sampling", nil); st != 403 {
		t.Fatalf("care opens sampling: %d; want 403", st)
	}
}
