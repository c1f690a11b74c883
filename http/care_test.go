package http_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/anxintest/testserver"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// testServer is an HTTP server on real SQLite care, sampling and quality
// services with one key per role named in roles.
type testServer struct {
	t    *testing.T
	srv  *testserver.Server
	db   *sqlstore.DB
	keys map[anxin.Role]string
}

func newTestServer(t *testing.T, clock anxin.Clock, roles ...anxin.Role) *testServer {
	t.Helper()
	srv := testserver.New(t, sqltest.OpenSQLite(t, clock), testserver.Clock(clock), testserver.Care)
	ts := &testServer{t: t, srv: srv, db: srv.DB, keys: map[anxin.Role]string{}}
	for _, r := range roles {
		ts.keys[r] = srv.Key(r)
	}
	return ts
}

// do sends a request as role and decodes a JSON answer into out (if not
// nil); it returns the status.
func (ts *testServer) do(role anxin.Role, method, path string, body any, out any) int {
	ts.t.Helper()
	code, data := ts.srv.Call(ts.keys[role], method, path, body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			ts.t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	return code
}

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func TestCareAPI(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 1, 0, 0, 0, time.UTC))
	merchant := anxin.MerchantRole("m_1")
	other := anxin.MerchantRole("m_2")
	ts := newTestServer(t, clock, anxin.RolePlatform, anxin.RoleCare, merchant, other, anxin.RoleQuality)
	if _, err := ts.db.ExecContext(context.Background(), `INSERT INTO orders (id, merchant_id, buyer_id, items, created_at, updated_at) VALUES ('o_1', 'm_1', 'b_1', '[]', 0, 0)`); err != nil {
		t.Fatal(err)
	}

	var tk anxin.Ticket
	if st := ts.do(anxin.RolePlatform, "POST", "/v1/care/tickets", map[string]any{
		"requester_kind": "buyer", "requester_id": "b_1", "merchant_id": "m_1", "order_id": "o_1", "body": "收到的草莓全烂了，发霉变质",
	}, &tk); st != 201 || tk.Group != anxin.GroupFreshProduce || len(tk.Clocks) != 2 {
		t.Fatalf("create = %d %+v", st, tk)
	}
	// Hostile and oversized input: clear errors, nothing stored.
	for _, tt := range []struct {
		name string
		body any
		want int
	}{
		{"oversized", map[string]any{"requester_kind": "buyer", "requester_id": "b", "body": strings.Repeat("x", 20000)}, 413},
		{"traversal", map[string]any{"requester_kind": "buyer", "requester_id": "b", "body": "x", "attachments": []map[string]any{{"name": "..\\boot.ini", "content_type": "text/plain", "size": 3, "sha256": strings.Repeat("0", 64)}}}, 400},
		{"unknown field", map[string]any{"requester_kind": "buyer", "requester_id": "b", "body": "x", "admin": true}, 400},
		{"not json", "{", 400},
	} {
		var e apiError
		if st := ts.do(anxin.RolePlatform, "POST", "/v1/care/tickets", tt.body, &e); st != tt.want || e.Error.Message == "" {
			t.Errorf("create %s = %d %+v; want %d", tt.name, st, e, tt.want)
		}
	}
	var list struct {
		Tickets []anxin.Ticket `json:"tickets"`
	}
	ts.do(anxin.RoleCare, "GET", "/v1/care/tickets?group=fresh_produce&status=open", nil, &list)
	if len(list.Tickets) != 1 {
		t.Fatalf("queue has %d tickets after rejected input; want 1", len(list.Tickets))
	}
	if st := ts.do(anxin.RoleQuality, "GET", "/v1/care/tickets", nil, nil); st != 403 {
		t.Errorf("quality lists tickets: %d; want 403", st)
	}
	if st := ts.do(other, "GET", "/v1/care/tickets/"+tk.ID, nil, nil); st != 404 {
		t.Errorf("another merchant gets the ticket: %d; want 404", st)
	}
	if st := ts.do(merchant, "GET", "/v1/care/tickets/"+tk.ID, nil, nil); st != 200 {
		t.Errorf("the merchant concerned gets the ticket: %d; want 200", st)
	}
	clock.Set(clock.Now().Add(5 * time.Minute))
	if st := ts.do(anxin.RoleCare, "POST", "/v1/care/tickets/"+tk.ID+"/replies", map[string]any{"body": "非常抱歉，马上为您处理"}, nil); st != 201 {
		t.Fatalf("agent reply = %d", st)
	}
	if st := ts.do(anxin.RoleCare, "POST", "/v1/care/tickets/"+tk.ID+"/notes", map[string]any{"body": "商家已确认"}, nil); st != 201 {
		t.Fatalf("note = %d", st)
	}
	var got anxin.Ticket
	ts.do(merchant, "GET", "/v1/care/tickets/"+tk.ID, nil, &got)
	for _, m := range got.Messages {
		if m.Internal {
			t.Fatal("merchant sees the internal note")
		}
	}
	if st := ts.do(anxin.RoleCare, "POST", "/v1/care/tickets/"+tk.ID+"/pause", nil, &got); st != 200 || got.Status != anxin.TicketWaiting {
		t.Fatalf("pause = %d %s", st, got.Status)
	}
	if st := ts.do(anxin.RoleCare, "POST", "/v1/care/tickets/"+tk.ID+"/resume", nil, &got); st != 200 || got.Status != anxin.TicketOpen {
		t.Fatalf("resume = %d %s", st, got.Status)
	}
	if st := ts.do(anxin.RoleCare, "POST", "/v1/care/tickets/"+tk.ID+"/transfer", map[string]any{"group": "nowhere"}, nil); st != 400 {
		t.Errorf("transfer to an unknown group = %d; want 400", st)
	}
	if st := ts.do(anxin.RoleCare, "POST", "/v1/care/tickets/"+tk.ID+"/resolve", map[string]any{"resolution": "已全额退款"}, &got); st != 200 || got.Status != anxin.TicketResolved {
		t.Fatalf("resolve = %d %s", st, got.Status)
	}
	if st := ts.do(anxin.RolePlatform, "POST", "/v1/care/tickets/"+tk.ID+"/survey", map[string]any{"score": 4}, nil); st != 204 {
		t.Fatalf("survey = %d", st)
	}
	if st := ts.do(anxin.RolePlatform, "POST", "/v1/care/tickets/"+tk.ID+"/survey", map[string]any{"score": 4}, nil); st != 409 {
		t.Fatalf("second survey = %d; want 409", st)
	}
	var csat anxin.CSATReport
	if st := ts.do(anxin.RoleCare, "GET", "/v1/care/csat?from=2026-03-01T00:00:00Z&to=2026-03-10T00:00:00Z", nil, &csat); st != 200 || csat.Overall.CSAT != 1 {
		t.Fatalf("csat = %d %+v", st, csat)
	}
	if st := ts.do(anxin.RoleCare, "GET", "/v1/care/csat?from=yesterday", nil, nil); st != 400 {
		t.Errorf("csat with a bad period = %d; want 400", st)
	}
	cal := map[string]any{"name": "split", "hours": [][][2]int{{}, {{540, 720}, {700, 1080}}, {}, {}, {}, {}, {}}}
	var e apiError
	if st := ts.do(anxin.RoleCare, "PUT", "/v1/care/calendars/cs", cal, &e); st != 400 || !strings.Contains(e.Error.Message, "overlapping") {
		t.Errorf("overlapping calendar = %d %+v", st, e)
	}
	var stats anxin.ClassifierStats
	if st := ts.do(anxin.RoleCare, "POST", "/v1/care/classifier/train", nil, &stats); st != 200 || stats.Accuracy == 0 {
		t.Errorf("train = %d %+v", st, stats)
	}
	if st := ts.do(anxin.RoleCare, "GET", "/v1/care/classifier", nil, &stats); st != 200 || stats.Test == 0 {
		t.Errorf("classifier = %d %+v", st, stats)
	}
}

func TestCareMetrics(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 1, 0, 0, 0, time.UTC))
	ts := newTestServer(t, clock, anxin.RolePlatform)
	ts.do(anxin.RolePlatform, "POST", "/v1/care/tickets", map[string]any{"requester_kind": "buyer", "requester_id": "b", "body": "退款", "group": "after_sales"}, nil)
	resp, err := http.Get(ts.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), `anxin_quality_care_operations_total{label="after_sales/request",op="ticket_created"} 1`) {
		t.Fatalf("metrics lack the ticket counter:\n%s", b)
	}
}
