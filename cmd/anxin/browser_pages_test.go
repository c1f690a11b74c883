package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"anxin"

	"github.com/chromedp/chromedp"
)

// The tests in this file each drive one console page through its main
// action in Chromium, as the page's user would, with the data set up
// through the API.

// TestBrowserCare: a care agent filters the queue to a skill group, opens a
// buyer's ticket, replies, and sees the reply and the first-response clock
// stopped inside its budget.
func TestBrowserCare(t *testing.T) {
	e := newConsoleEnv(t)
	var tk struct {
		ID    string `json:"id"`
		Group string `json:"group"`
	}
	mustJSON(t, e.Do("POST", "/v1/care/tickets", e.PlatformKey, `{"requester_kind":"buyer","requester_id":"b_1","subject":"草莓烂了","body":"收到的草莓全烂了，发霉变质"}`, 201), &tk)
	var other struct {
		ID    string `json:"id"`
		Group string `json:"group"`
	}
	mustJSON(t, e.Do("POST", "/v1/care/tickets", e.PlatformKey, `{"requester_kind":"buyer","requester_id":"b_2","subject":"发票","body":"请开具增值税发票"}`, 201), &other)
	if tk.Group == other.Group {
		t.Fatalf("both tickets routed to %q; the filter would show nothing", tk.Group)
	}

	e.SignIn(e.Key("agent", anxin.RoleCare))
	row := `table#tickets tr[data-ticket="` + tk.ID + `"]`
	e.Step("filter the queue by skill group",
		chromedp.Navigate(e.Base+"/console/care"),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-ticket="`+other.ID+`"]`)),
		chromedp.SetValue(chromedp.CSS(`#queue-filter select[name="group"]`), tk.Group),
		chromedp.Click(chromedp.CSS(`#queue-filter button[type="submit"]`)),
		chromedp.WaitReady(chromedp.CSS(`#queue-filter select[name="group"] option[selected]`)),
	)
	if n := e.Count("table#tickets tr[data-ticket]"); n != 1 || e.Count(row) != 1 {
		t.Fatalf("filtered queue has %d ticket(s); want only %s", n, tk.ID)
	}
	if got := e.Text(row + " .sla"); !strings.Contains(got, "left") {
		t.Errorf("queue SLA = %q; want a running clock with time left", got)
	}
	e.Step("open the ticket",
		chromedp.Click(chromedp.CSS(row+" a")),
		chromedp.WaitVisible(chromedp.CSS("#reply-form")),
	)
	before := e.Text("#clocks")
	if !strings.Contains(before, "running") {
		t.Fatalf("clocks before the reply = %q; want running clocks", before)
	}
	e.Step("reply",
		chromedp.SendKeys(chromedp.CSS(`#reply-form textarea[name="body"]`), "非常抱歉，马上为您处理"),
		chromedp.Click(chromedp.CSS(`#reply-form button[value="reply"]`)),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	if got := e.Text("p.flash"); got != "Reply sent." {
		t.Errorf("flash = %q; want Reply sent.", got)
	}
	if got := e.Text("#messages"); !strings.Contains(got, "非常抱歉，马上为您处理") {
		t.Errorf("conversation = %q; want the reply", got)
	}
	if got := e.Text("#clocks"); got == before || !strings.Contains(got, "met") {
		t.Errorf("clocks after the reply = %q (before %q); want the first-response clock met", got, before)
	}
}

// TestBrowserClaims: a reviewer opens a damage claim the merchant rejected
// (so it escalated), approves it with a reason, and sees it decided.
func TestBrowserClaims(t *testing.T) {
	e := newConsoleEnv(t)
	now := time.Now().UTC().Format(time.RFC3339)
	e.Post("/v1/events", `{"events":[`+
		`{"id":"ev-c","type":"order.created","occurred_at":"`+now+`","data":{"id":"o1","merchant_id":"m1","buyer_id":"b1","items":[{"listing_id":"l1","quantity":1,"unit_price_fen":5000}]}},`+
		`{"id":"ev-p","type":"order.paid","occurred_at":"`+now+`","data":{"order_id":"o1"}},`+
		`{"id":"ev-d","type":"shipment.scanned","occurred_at":"`+now+`","data":{"shipment_id":"s1","order_id":"o1","code":"delivered"}}]}`)
	var c struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	mustJSON(t, e.Do("POST", "/v1/claims", e.PlatformKey, `{"key":"dmg","order_id":"o1","buyer_id":"b1","programme_id":"damage_return","type":"damaged"}`, 201), &c)
	for i, k := range []string{"photo_outer_package", "photo_item", "photo_waybill"} {
		png := base64.StdEncoding.EncodeToString(append(append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 16)...), byte(i)))
		e.Post("/v1/claims/"+c.ID+"/evidence", `{"kind":"`+k+`","content_type":"image/png","data":"`+png+`"}`)
	}
	mustJSON(t, e.Do("POST", "/v1/claims/"+c.ID+"/response", e.Key("shop", anxin.MerchantRole("m1")), `{"response":"reject","note":"fine when sent"}`, 200), &c)
	if c.Status != "escalated" {
		t.Fatalf("claim after the merchant's rejection is %q; want escalated", c.Status)
	}

	e.SignIn(e.Key("reviewer", anxin.RoleReviewer))
	row := `[data-claim="` + c.ID + `"]`
	e.Step("open the escalated claim from the queue",
		chromedp.Navigate(e.Base+"/console/claims"),
		chromedp.WaitVisible(chromedp.CSS(row)),
		chromedp.Click(chromedp.CSS(row+` a[href="/console/claims/`+c.ID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#decide")),
	)
	if got := e.Text("#status"); got != "escalated" {
		t.Errorf("status on the claim page = %q; want escalated", got)
	}
	if n := e.Count("#evidence tr td code"); n != 3 {
		t.Errorf("evidence rows = %d; want the 3 photos", n)
	}
	if n := e.Count(`#decide :is(input, select, textarea):not([type="hidden"]):not([aria-label])`); n != 0 {
		t.Errorf("%d control(s) of the decision form have no accessible name", n)
	}
	e.Step("approve with a reason",
		chromedp.SetValue(chromedp.CSS(`#decide select[name="outcome"]`), "approve"),
		chromedp.SendKeys(chromedp.CSS(`#decide textarea[name="reason"]`), "Photos show a crushed box."),
		chromedp.Click(chromedp.CSS(`#decide button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	if got := e.Text("p.flash"); !strings.Contains(got, "Decision recorded.") {
		t.Errorf("flash = %q; want Decision recorded.", got)
	}
	if got := e.Text("#status"); got == "escalated" || got == "" {
		t.Errorf("status after deciding = %q; want the claim decided", got)
	}
	if e.Count("#decide") != 0 {
		t.Error("the decided claim still offers the decision form")
	}
	if got := e.Text("#timeline"); !strings.Contains(got, "Photos show a crushed box.") {
		t.Errorf("timeline = %q; want the decision's reason", got)
	}
}

// TestBrowserSampling: a quality user opens a draft plan from the sampling
// page, draws it, and sees the drawn samples, one per quota place, all from
// the plan's category.
func TestBrowserSampling(t *testing.T) {
	e := newConsoleEnv(t)
	e.Post("/v1/merchants", `{"items":[{"id":"m_farm","name":"Farm"},{"id":"m_orchard","name":"Orchard"}]}`)
	e.Post("/v1/listings", `{"items":[`+
		`{"id":"l_s1","merchant_id":"m_farm","title":"草莓 500g","category":"fresh","price_fen":3900,"currency":"CNY","status":"live"},`+
		`{"id":"l_s2","merchant_id":"m_farm","title":"蓝莓 125g","category":"fresh","price_fen":2500,"currency":"CNY","status":"live"},`+
		`{"id":"l_s3","merchant_id":"m_orchard","title":"苹果 5kg","category":"fresh","price_fen":4900,"currency":"CNY","status":"live"},`+
		`{"id":"l_t1","merchant_id":"m_orchard","title":"T恤","category":"apparel","price_fen":5900,"currency":"CNY","status":"live"}]}`)
	quality := e.Key("inspector", anxin.RoleQuality)
	day := 24 * time.Hour
	from, to := time.Now().Add(-day).UTC().Format(time.RFC3339), time.Now().Add(90*day).UTC().Format(time.RFC3339)
	var p struct {
		ID string `json:"id"`
	}
	mustJSON(t, e.Do("POST", "/v1/sampling/plans", quality, `{"name":"Q2 fresh","budget_fen":100000,"from":"`+from+`","to":"`+to+`","quotas":[{"category":"fresh","quota":2}]}`, 201), &p)

	e.SignIn(quality)
	e.Step("open the plan from the sampling page",
		chromedp.Navigate(e.Base+"/console/sampling"),
		chromedp.WaitVisible(chromedp.CSS(`#plans tr[data-plan="`+p.ID+`"]`)),
		chromedp.Click(chromedp.CSS(`#plans tr[data-plan="`+p.ID+`"] a`)),
		chromedp.WaitVisible(chromedp.CSS("#draw-form")),
	)
	if n := e.Count("#samples tr[data-sample]"); n != 0 {
		t.Fatalf("a draft plan shows %d sample(s); want none", n)
	}
	e.Step("draw samples",
		chromedp.Click(chromedp.CSS(`#draw-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	if got := e.Text("p.flash"); !strings.Contains(got, "Samples drawn") {
		t.Errorf("flash = %q; want the samples drawn", got)
	}
	if n := e.Count("#samples tr[data-sample]"); n != 2 {
		t.Fatalf("drawn samples = %d; want the quota of 2", n)
	}
	got := e.Text("#samples")
	if strings.Contains(got, "l_t1") || strings.Count(got, "fresh") < 2 {
		t.Errorf("samples = %q; want only fresh listings", got)
	}
	if e.Count("#draw-form") != 0 {
		t.Error("a drawn plan still offers the draw form")
	}
}

// TestBrowserMoney: a finance user sees the fund balances and the
// guarantee fund's flows, then looks up one merchant's money with the form.
func TestBrowserMoney(t *testing.T) {
	e := newConsoleEnv(t)
	e.Post("/v1/merchants", `{"items":[{"id":"m_tea","name":"Tea House"}]}`)
	finance := e.Key("treasury", anxin.RoleFinance)
	e.Do("POST", "/v1/ledger/fundings", finance, `{"key":"f_fund","account":"guarantee_fund","amount_fen":1234500}`, 201)
	e.Do("POST", "/v1/ledger/fundings", finance, `{"key":"f_dep","account":"merchant_deposit:m_tea","amount_fen":50000}`, 201)

	e.SignIn(finance)
	e.Step("open the money page",
		chromedp.Navigate(e.Base+"/console/money"),
		chromedp.WaitVisible(chromedp.CSS(`#pools [data-account="guarantee_fund"]`)),
	)
	if got := e.Text(`#pools [data-account="guarantee_fund"] .n`); !strings.Contains(got, "12,345.00") {
		t.Errorf("guarantee fund balance = %q; want ¥12,345.00", got)
	}
	if got := e.Text("table.postings"); !strings.Contains(got, "12,345.00") {
		t.Errorf("guarantee-fund flows = %q; want the funding", got)
	}
	e.Step("look up a merchant",
		chromedp.SendKeys(chromedp.CSS(`input[name="merchant"]`), "m_tea"),
		chromedp.Click(chromedp.CSS(`form[action="/console/money"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#merchant-money")),
	)
	if got := e.Text("#merchant-money"); !strings.Contains(got, "500.00") {
		t.Errorf("merchant money = %q; want the ¥500.00 deposit", got)
	}
}

// TestBrowserWebhooks: an operator registers an endpoint with the console
// form, is shown its signing secret once, and sees it listed with its types.
func TestBrowserWebhooks(t *testing.T) {
	e := newConsoleEnv(t)
	e.SignIn(e.OperatorKey)
	e.Step("open the webhooks page",
		chromedp.Navigate(e.Base+"/console/webhooks"),
		chromedp.WaitVisible(chromedp.CSS("#webhook-create")),
	)
	if n := e.Count("#webhooks tr[data-webhook]"); n != 0 {
		t.Fatalf("a fresh install lists %d webhook(s)", n)
	}
	e.Step("register an endpoint",
		chromedp.SendKeys(chromedp.CSS(`#webhook-create input[name="url"]`), "https://shop.example/anxin"),
		chromedp.SendKeys(chromedp.CSS(`#webhook-create input[name="types"]`), "listing.*, buyer.pay"),
		chromedp.Click(chromedp.CSS(`#webhook-create button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#new-secret")),
	)
	if got := e.Text("#new-secret code"); got == "" {
		t.Error("no signing secret shown for the new endpoint")
	}
	if n := e.Count("#webhooks tr[data-webhook]"); n != 1 {
		t.Fatalf("webhooks listed = %d; want the new one", n)
	}
	got := e.Text("#webhooks tr[data-webhook]")
	if !strings.Contains(got, "https://shop.example/anxin") || !strings.Contains(got, "listing.*, buyer.pay") {
		t.Errorf("listed webhook = %q; want its URL and both types", got)
	}
	e.Step("reload the page",
		chromedp.Navigate(e.Base+"/console/webhooks"),
		chromedp.WaitVisible(chromedp.CSS("#webhook-create")),
	)
	if e.Count("#webhooks tr[data-webhook]") != 1 || e.Count("#new-secret") != 0 {
		t.Error("after a reload the endpoint should stay listed and its secret hidden")
	}
}

// TestBrowserPrivacyAlerts: a care agent sweeps phone numbers until the
// detector throttles it; a privacy officer's resolution without a note is
// refused and changes nothing, and with a note resolves the alert.
func TestBrowserPrivacyAlerts(t *testing.T) {
	e := newConsoleEnv(t)
	care := e.Key("sweeper", anxin.RoleCare)
	throttled := false
	for i := 0; i < 40 && !throttled; i++ {
		req, _ := http.NewRequestWithContext(e.Ctx, "GET", fmt.Sprintf("%s/v1/pii/search?phone=1380000%04d", e.Base, i), nil)
		req.Header.Set("Authorization", "Bearer "+care)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		throttled = resp.StatusCode == http.StatusTooManyRequests
	}
	if !throttled {
		t.Fatal("40 phone searches were never throttled; no alert to resolve")
	}

	e.SignIn(e.Key("officer", anxin.RolePrivacy))
	e.Step("open the alerts",
		chromedp.Navigate(e.Base+"/console/privacy/alerts"),
		chromedp.WaitVisible(chromedp.CSS("#alerts tr[data-alert] details.confirm")),
	)
	id := e.attr("#alerts tr[data-alert]", "data-alert")
	row := `#alerts tr[data-alert="` + id + `"]`
	if got := e.Text(row); !strings.Contains(got, "sweeper (care)") || !strings.Contains(got, "open") {
		t.Errorf("alert row = %q; want the care key by name, open", got)
	}
	// The note is required in the browser; remove that to check the
	// server refuses a resolution without one too.
	e.Step("resolve without a note",
		chromedp.Click(chromedp.CSS(row+" details.confirm summary")),
		chromedp.Click(chromedp.CSS(row+` input[value="false_positive"]`)),
		chromedp.RemoveAttribute(chromedp.CSS("#note-"+id), "required"),
		chromedp.Click(chromedp.CSS(row+" .resolve-submit")),
		// The alerts page has a heading too: wait for the error page's
		// message, which only the answer has.
		chromedp.WaitVisible(chromedp.CSS("#error-message")),
	)
	if got := e.Text("main"); !strings.Contains(got, "needs a note") {
		t.Fatalf("resolution without a note shows %q; want it refused", got)
	}
	e.Step("resolve with a note",
		chromedp.Navigate(e.Base+"/console/privacy/alerts"),
		chromedp.WaitVisible(chromedp.CSS(row+" details.confirm")),
		chromedp.Click(chromedp.CSS(row+" details.confirm summary")),
		chromedp.Click(chromedp.CSS(row+` input[value="false_positive"]`)),
		chromedp.SendKeys(chromedp.CSS("#note-"+id), "Load test by the care team lead, ticket 42."),
		chromedp.Click(chromedp.CSS(row+" .resolve-submit")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	if got := e.Text("p.flash"); !strings.Contains(got, "Alert resolved") {
		t.Errorf("flash = %q; want the alert resolved", got)
	}
	if got := e.Text(row); !strings.Contains(got, "false_positive") || e.Count(row+" details.confirm") != 0 {
		t.Errorf("resolved alert row = %q; want false_positive and no resolve form", got)
	}
}

// attr returns attribute name of the first node matching sel.
func (e *consoleEnv) attr(sel, name string) string {
	e.t.Helper()
	sctx, cancel := context.WithTimeout(e.B, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[string](`document.querySelector(`+jsString(sel)+`).getAttribute(`+jsString(name)+`)`))
	if err != nil {
		e.t.Fatalf("attribute %s of %s: %v", name, sel, err)
	}
	return v
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}
