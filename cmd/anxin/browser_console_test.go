package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConsoleReviewAndEnforcementInBrowser drives the review case page, the
// penalised-shops list and the listing's decision history in Chromium, with
// data set up through the API as a marketplace would.
func TestConsoleReviewAndEnforcementInBrowser(t *testing.T) {
	e := newConsoleEnv(t)
	e.Post("/v1/merchants", `{"items":[{"id":"m_tea","name":"Tea House"},{"id":"m_ring","name":"Ring Traders"},{"id":"m_rice","name":"Rice Co"}]}`)
	e.Post("/v1/listings", `{"items":[{"id":"l_shirt","merchant_id":"m_tea","title":"外贸原单 T恤","price_fen":5900,"currency":"CNY","status":"live"}]}`)
	var d struct {
		CaseID string `json:"case_id"`
	}
	if err := json.Unmarshal(e.Post("/v1/listings:check", `{"id":"l_shirt","title":"外贸原单 T恤","merchant_id":"m_tea"}`), &d); err != nil || d.CaseID == "" {
		t.Fatalf("check = %+v, %v; want a review case", d, err)
	}
	e.Do("POST", "/v1/sanctions", e.OperatorKey, `{"subject_id":"m_ring","type":"clear_out","facts":"Fraud ring: 40 accounts on one device."}`, 201)
	e.Do("POST", "/v1/sanctions", e.OperatorKey, `{"subject_id":"m_rice","type":"restrict_listing","days":7,"facts":"Empty parcels."}`, 201)

	e.SignIn(e.OperatorKey)
	row := `table#cases tr[data-case="` + d.CaseID + `"]`
	e.Step("open the case from the queue",
		chromedp.Navigate(e.Base+"/console/governance/queue"),
		chromedp.WaitVisible(chromedp.CSS(row)),
		chromedp.Click(chromedp.CSS(row+" a.case-link")),
		chromedp.WaitVisible(chromedp.CSS("#decide-form")),
	)
	if got := e.Text(`#checked tr[data-field="title"] mark`); got != "外贸原单" {
		t.Errorf("marked evidence = %q; want 外贸原单 marked in the title", got)
	}
	if got := e.Text(`#checked tr[data-field="title"] td`); got != "外贸原单 T恤" {
		t.Errorf("checked title = %q; want the title as checked", got)
	}
	if got := e.Text("#case-merchant"); !strings.Contains(got, "Tea House") {
		t.Errorf("merchant = %q; want its name", got)
	}
	if e.Count("#rules tr[data-rule]") == 0 {
		t.Error("the case page lists no rule")
	}
	e.Step("decide with a note",
		chromedp.SendKeys(chromedp.CSS("#decide-note"), "Replica wording in the title."),
		chromedp.Click(chromedp.CSS("#decide-block")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	if got := e.Text("p.flash"); !strings.Contains(got, d.CaseID) || !strings.Contains(got, "blocked (upheld)") {
		t.Errorf("flash = %q; want the case and its outcome", got)
	}
	if loc := e.location(); !strings.Contains(loc, "/console/governance/queue") {
		t.Errorf("after deciding the browser is at %q; want the queue", loc)
	}
	if e.Count(row) != 0 {
		t.Error("the decided case is still in the waiting queue")
	}

	e.Step("filter penalised shops by state",
		chromedp.Navigate(e.Base+"/console/enforcement"),
		chromedp.WaitVisible(chromedp.CSS("#filters")),
		chromedp.SetValue(chromedp.CSS("#filter-state"), "cleared_out"),
		chromedp.Click(chromedp.CSS("#filter-submit")),
		chromedp.WaitReady(chromedp.CSS(`#filter-state option[selected]`)), // set only by the filtered page
	)
	if n, got := e.Count("table#shops tr[data-merchant]"), e.Text("table#shops tr[data-merchant]"); n != 1 || !strings.Contains(got, "Ring Traders") || !strings.Contains(got, "cleared_out") {
		t.Errorf("cleared-out shops: %d row(s), first %q; want Ring Traders alone", n, got)
	}

	e.Step("the listing's decision history",
		chromedp.Navigate(e.Base+"/console/listings/l_shirt"),
		chromedp.WaitVisible(chromedp.CSS("#decisions")),
	)
	if n := e.Count("#decisions tr[data-decision]"); n != 1 {
		t.Errorf("decision history rows = %d; want 1", n)
	}
	got := e.Text("#decisions tr[data-decision]")
	if !strings.Contains(got, "ops (operator)") || !strings.Contains(got, "block") || !strings.Contains(got, "UTC+8") {
		t.Errorf("history row = %q; want the operator's name, the upheld block and a marketplace time", got)
	}
	if m := e.Text("#decisions mark"); m != "外贸原单" {
		t.Errorf("history mark = %q; want 外贸原单", m)
	}
	if s := e.Text("#anxin-status"); s == "" {
		t.Error("the listing page shows no Anxin status beside the marketplace's")
	}
}

// location returns the browser's current URL.
func (e *consoleEnv) location() string {
	e.t.Helper()
	sctx, cancel := context.WithTimeout(e.B, 30*time.Second)
	defer cancel()
	loc, err := chromedp.Run(sctx, chromedp.Location())
	if err != nil {
		e.t.Fatalf("location: %v", err)
	}
	return loc
}
