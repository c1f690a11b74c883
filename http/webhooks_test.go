package http_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/anxintest/testserver"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// whEnv is a server with real webhook and job services on SQLite, and a key
// per role.
type whEnv struct {
	t    *testing.T
	ts   *testserver.Server
	db   *sqlstore.DB
	url  string
	keys map[anxin.Role]string
	ids  map[anxin.Role]string
}

func newWHEnv(t *testing.T) *whEnv {
	t.Helper()
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	ts := testserver.New(t, sqltest.OpenSQLite(t, clock), testserver.Clock(clock), testserver.Webhooks)
	e := &whEnv{t: t, ts: ts, db: ts.DB, url: ts.URL, keys: map[anxin.Role]string{}, ids: map[anxin.Role]string{}}
	for _, r := range []anxin.Role{anxin.RoleOperator, anxin.RoleReviewer, anxin.RolePlatform} {
		e.keys[r], e.ids[r] = ts.Key(r), ts.KeyID(string(r))
	}
	return e
}

// call sends a JSON request as role ("" for no key) and decodes the answer
// into out when it is not nil. It returns the status.
func (e *whEnv) call(role anxin.Role, method, path, body string, out any) int {
	e.t.Helper()
	code, b := e.ts.Call(e.keys[role], method, path, body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return code
}

// deadDelivery enqueues a message and drives its one delivery to dead.
func (e *whEnv) deadDelivery() string {
	e.t.Helper()
	ctx := context.Background()
	err := e.db.Transact(ctx, func(tx *sqlstore.Tx) error {
		_, err := sqlstore.Enqueue(ctx, tx, anxin.MessageDelistListing, "l_1", "l_1", map[string]string{"listing_id": "l_1"})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	ws := sqlstore.NewWebhookService(e.db)
	if _, err := ws.FanOut(ctx, 0); err != nil {
		e.t.Fatal(err)
	}
	as, err := ws.ClaimDeliveries(ctx, 1, time.Minute)
	if err != nil || len(as) != 1 {
		e.t.Fatalf("ClaimDeliveries = %d, %v", len(as), err)
	}
	if err := ws.RecordAttempt(ctx, "w", as[0], anxin.DeliveryResult{State: anxin.DeliveryDead, Status: 410, Error: "HTTP 410"}); err != nil {
		e.t.Fatal(err)
	}
	return as[0].ID
}

func TestWebhookAPI(t *testing.T) {
	e := newWHEnv(t)
	var created anxin.Webhook
	if st := e.call(anxin.RoleOperator, "POST", "/v1/webhooks", `{"url":"https://shop.example/anxin","types":["listing.*"]}`, &created); st != 201 {
		t.Fatalf("POST /v1/webhooks = %d; want 201", st)
	}
	if !strings.HasPrefix(created.Secret, "whsec_") || created.ID == "" || created.URL != "https://shop.example/anxin" {
		t.Fatalf("created = %+v; want the webhook with its secret", created)
	}
	bad := []struct {
		name string
		role anxin.Role
		body string
		want int
	}{
		{"no key", "", `{"url":"https://a.example/"}`, 401},
		{"reviewer", anxin.RoleReviewer, `{"url":"https://a.example/"}`, 403},
		{"platform", anxin.RolePlatform, `{"url":"https://a.example/"}`, 403},
		{"malformed", anxin.RoleOperator, `{"url":`, 400},
		{"wrong type", anxin.RoleOperator, `{"url":42}`, 400},
		{"unknown field", anxin.RoleOperator, `{"url":"https://a.example/","secret":"mine"}`, 400},
		{"javascript url", anxin.RoleOperator, `{"url":"javascript:alert(1)"}`, 400},
		{"file url", anxin.RoleOperator, `{"url":"file:///etc/passwd"}`, 400},
		{"no host", anxin.RoleOperator, `{"url":"http://"}`, 400},
		{"credentials", anxin.RoleOperator, `{"url":"https://u:p@a.example/"}`, 400},
		{"sql in types", anxin.RoleOperator, `{"url":"https://a.example/","types":["x' OR '1'='1"]}`, 400},
		{"invalid utf-8", anxin.RoleOperator, "{\"url\":\"https://a.example/\xff\"}", 400},
	}
	for _, tt := range bad {
		var errBody struct {
			Error struct{ Code, Message string }
		}
		if st := e.call(tt.role, "POST", "/v1/webhooks", tt.body, &errBody); st != tt.want || errBody.Error.Message == "" {
			t.Errorf("%s: POST /v1/webhooks = %d %+v; want %d with a message", tt.name, st, errBody, tt.want)
		}
	}
	var list struct{ Webhooks []anxin.Webhook }
	if st := e.call(anxin.RoleOperator, "GET", "/v1/webhooks", "", &list); st != 200 || len(list.Webhooks) != 1 {
		t.Fatalf("GET /v1/webhooks = %d, %+v; want the one webhook (bad input changed nothing)", st, list)
	}
	if list.Webhooks[0].Secret != "" {
		t.Fatal("GET /v1/webhooks revealed a secret")
	}

	dead := e.deadDelivery()
	var page struct {
		Deliveries []anxin.Delivery
		NextCursor string `json:"next_cursor"`
	}
	if st := e.call(anxin.RoleOperator, "GET", "/v1/webhooks/deliveries?state=dead", "", &page); st != 200 || len(page.Deliveries) != 1 || page.Deliveries[0].ID != dead || page.Deliveries[0].LastStatus != 410 {
		t.Fatalf("GET deliveries?state=dead = %d, %+v; want %s", st, page, dead)
	}
	for _, q := range []string{"?state=lost", "?limit=0", "?limit=501", "?limit=x", "?cursor=%21%21"} {
		if st := e.call(anxin.RoleOperator, "GET", "/v1/webhooks/deliveries"+q, "", nil); st != 400 {
			t.Errorf("GET deliveries%s = %d; want 400", q, st)
		}
	}
	if st := e.call(anxin.RoleReviewer, "GET", "/v1/webhooks/deliveries", "", nil); st != 403 {
		t.Errorf("GET deliveries as reviewer = %d; want 403", st)
	}
	var hist struct {
		Delivery anxin.Delivery
		Attempts []anxin.AttemptRecord
	}
	if st := e.call(anxin.RoleOperator, "GET", "/v1/webhooks/deliveries/"+dead+"/attempts", "", &hist); st != 200 ||
		hist.Delivery.ID != dead || len(hist.Attempts) != 1 || hist.Attempts[0].Status != 410 || hist.Attempts[0].Error != "HTTP 410" {
		t.Fatalf("GET attempts = %d %+v; want the dead delivery with its one attempt", st, hist)
	}
	if st := e.call(anxin.RoleOperator, "GET", "/v1/webhooks/deliveries/dlv_nope/attempts", "", nil); st != 404 {
		t.Fatalf("GET attempts of an absent delivery = %d; want 404", st)
	}
	if st := e.call(anxin.RoleReviewer, "GET", "/v1/webhooks/deliveries/"+dead+"/attempts", "", nil); st != 403 {
		t.Fatalf("GET attempts as reviewer = %d; want 403", st)
	}
	var re struct{ ID, State string }
	if st := e.call(anxin.RoleOperator, "POST", "/v1/webhooks/deliveries/"+dead+"/redeliver", "", &re); st != 202 || re.State != "pending" {
		t.Fatalf("redeliver = %d %+v; want 202 pending", st, re)
	}
	if st := e.call(anxin.RoleOperator, "POST", "/v1/webhooks/deliveries/"+dead+"/redeliver", "", nil); st != 404 {
		t.Fatalf("redeliver a pending delivery = %d; want 404", st)
	}
	if st := e.call(anxin.RoleOperator, "GET", "/v1/webhooks/deliveries?state=pending&limit=10", "", &page); st != 200 || len(page.Deliveries) != 1 {
		t.Fatalf("GET deliveries?state=pending = %d, %+v; want the redelivered one", st, page)
	}
	for _, id := range []string{url.PathEscape("x' OR '1'='1"), url.PathEscape("%"), strings.Repeat("a", 300)} {
		if st := e.call(anxin.RoleOperator, "POST", "/v1/webhooks/deliveries/"+id+"/redeliver", "", nil); st != 404 {
			t.Errorf("redeliver %q = %d; want 404", id, st)
		}
		if st := e.call(anxin.RoleOperator, "DELETE", "/v1/webhooks/"+id, "", nil); st != 404 {
			t.Errorf("DELETE webhook %q = %d; want 404", id, st)
		}
	}
	if st := e.call(anxin.RoleOperator, "DELETE", "/v1/webhooks/"+created.ID, "", nil); st != 204 {
		t.Fatalf("DELETE = %d; want 204", st)
	}
	if st := e.call(anxin.RoleOperator, "DELETE", "/v1/webhooks/"+created.ID, "", nil); st != 404 {
		t.Fatalf("DELETE again = %d; want 404", st)
	}
}

func TestJobsAPI(t *testing.T) {
	e := newWHEnv(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	err := e.db.Transact(ctx, func(tx *sqlstore.Tx) error {
		for i, key := range []string{"o_3", "o_1", "o_2"} {
			if err := sqlstore.Schedule(ctx, tx, "shipment.late", key, at.Add(time.Duration(i)*time.Hour), nil); err != nil {
				return err
			}
		}
		return sqlstore.CancelJob(ctx, tx, "shipment.late", "o_2")
	})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	cursor := ""
	for {
		var page struct {
			Jobs       []anxin.Job
			NextCursor string `json:"next_cursor"`
		}
		if st := e.call(anxin.RoleOperator, "GET", "/v1/jobs?state=pending&limit=1&cursor="+url.QueryEscape(cursor), "", &page); st != 200 {
			t.Fatalf("GET /v1/jobs = %d", st)
		}
		for _, j := range page.Jobs {
			if j.Kind != "shipment.late" || j.State != "pending" || j.Payload != nil {
				t.Errorf("job %+v; want a pending shipment.late without payload", j)
			}
			keys = append(keys, j.Key)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if strings.Join(keys, ",") != "o_3,o_1" {
		t.Fatalf("pending jobs = %v; want [o_3 o_1], soonest due first", keys)
	}
	var all struct{ Jobs []anxin.Job }
	if st := e.call(anxin.RoleOperator, "GET", "/v1/jobs", "", &all); st != 200 || len(all.Jobs) != 3 || all.Jobs[0].Key != "o_2" {
		t.Fatalf("GET /v1/jobs = %d %+v; want all 3, latest first", st, all)
	}
	resp, err := http.Get(e.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, line := range []string{`anxin_jobs{state="pending"} 2`, `anxin_jobs{state="cancelled"} 1`, `anxin_jobs{state="dead"} 0`} {
		if !strings.Contains(string(metrics), line+"\n") {
			t.Errorf("/metrics lacks %s", line)
		}
	}
	for _, q := range []string{"?state=running", "?limit=-1", "?cursor=nope"} {
		if st := e.call(anxin.RoleOperator, "GET", "/v1/jobs"+q, "", nil); st != 400 {
			t.Errorf("GET /v1/jobs%s = %d; want 400", q, st)
		}
	}
	if st := e.call(anxin.RoleReviewer, "GET", "/v1/jobs", "", nil); st != 403 {
		t.Errorf("GET /v1/jobs as reviewer = %d; want 403", st)
	}
}

// consoleGet and consolePost drive the console with a session made for the
// operator key.
func (e *whEnv) session() (string, string) {
	e.t.Helper()
	return e.ts.Session(e.keys[anxin.RoleOperator])
}

func (e *whEnv) console(token, method, path string, form url.Values) (int, string) {
	e.t.Helper()
	return e.ts.SessionPage(token, method, path, form)
}

func TestWebhookConsole(t *testing.T) {
	e := newWHEnv(t)
	c, csrf := e.session()
	st, html := e.console(c, "POST", "/console/webhooks", url.Values{"csrf": {csrf}, "url": {"https://shop.example/hook"}, "types": {"listing.*, buyer.pay"}})
	if st != 200 || !strings.Contains(html, `id="new-secret"`) || !strings.Contains(html, "whsec_") {
		t.Fatalf("create from console = %d; want the page with the new secret", st)
	}
	dead := e.deadDelivery()
	st, html = e.console(c, "GET", "/console/webhooks", nil)
	if st != 200 || strings.Contains(html, "whsec_") {
		t.Fatalf("GET /console/webhooks = %d (secret shown again: %v)", st, strings.Contains(html, "whsec_"))
	}
	form := `action="/console/webhooks/deliveries/` + dead + `/redeliver"`
	if !strings.Contains(html, `id="dead"`) || !strings.Contains(html, form) || !strings.Contains(html, `name="csrf" value="`+csrf+`"`) {
		t.Fatalf("console page lacks the dead letter %s with a CSRF redeliver form", dead)
	}
	st, html = e.console(c, "GET", "/console/webhooks/deliveries/"+dead, nil)
	if st != 200 || !strings.Contains(html, `id="attempts"`) || !strings.Contains(html, `data-attempt="1"`) || !strings.Contains(html, `id="redeliver"`) {
		t.Fatalf("GET delivery page = %d; want its attempt log and a redeliver form", st)
	}
	if st, _ := e.console(c, "GET", "/console/webhooks/deliveries/dlv_nope", nil); st != 404 {
		t.Fatalf("GET absent delivery page = %d; want 404", st)
	}
	if st, _ := e.console(c, "POST", "/console/webhooks/deliveries/"+dead+"/redeliver", url.Values{"csrf": {"forged"}}); st != 403 {
		t.Fatalf("redeliver with a forged CSRF token = %d; want 403", st)
	}
	st, html = e.console(c, "POST", "/console/webhooks/deliveries/"+dead+"/redeliver", url.Values{"csrf": {csrf}})
	if st != 200 || !strings.Contains(html, `class="flash"`) || strings.Contains(html, form) {
		t.Fatalf("redeliver from console = %d; want the page with a flash and no dead letter", st)
	}
	if st, _ := e.console(c, "POST", "/console/webhooks/deliveries/"+dead+"/redeliver", url.Values{"csrf": {csrf}}); st != 404 {
		t.Fatalf("redeliver twice = %d; want 404", st)
	}
	st, html = e.console(c, "GET", "/console/jobs?state=dead", nil)
	if st != 200 || !strings.Contains(html, `id="jobs"`) {
		t.Fatalf("GET /console/jobs = %d", st)
	}
	if st, _ := e.console(c, "GET", "/console/jobs?state=nope", nil); st != 400 {
		t.Fatalf("GET /console/jobs?state=nope = %d; want 400", st)
	}
}

// GET /v1/streams and the Streams page show the publishers' cursors to
// operators; a reviewer is refused.
func TestStreamsStatus(t *testing.T) {
	e := newWHEnv(t)
	ctx := context.Background()
	cur := sqlstore.NewOutboxCursor(e.db, "nats:market.anxin", "replica_a")
	err := e.db.Transact(ctx, func(tx *sqlstore.Tx) error {
		_, err := sqlstore.Enqueue(ctx, tx, anxin.MessageDelistListing, "l1", "k1", map[string]string{"listing_id": "l1"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := cur.Next(ctx, 10); err != nil { // takes the lease, publishes nothing yet
		t.Fatal(err)
	}
	var got struct {
		Events     *anxin.EventStream    `json:"events"`
		Publishers []*anxin.StreamCursor `json:"publishers"`
	}
	if st := e.call(anxin.RoleOperator, "GET", "/v1/streams", "", &got); st != 200 || got.Events != nil || len(got.Publishers) != 1 ||
		got.Publishers[0].Name != "nats:market.anxin" || got.Publishers[0].Owner != "replica_a" || got.Publishers[0].Lag != 1 {
		t.Fatalf("GET /v1/streams = %d %+v; want one cursor held by replica_a, one message behind", st, got)
	}
	if st := e.call(anxin.RoleReviewer, "GET", "/v1/streams", "", nil); st != 403 {
		t.Fatalf("GET /v1/streams as reviewer = %d; want 403", st)
	}
	c, _ := e.session()
	st, html := e.console(c, "GET", "/console/streams", nil)
	if st != 200 || !strings.Contains(html, `data-cursor="nats:market.anxin"`) || !strings.Contains(html, `id="stream-events"`) {
		t.Fatalf("GET /console/streams = %d; want the cursor row and the events section", st)
	}
}
