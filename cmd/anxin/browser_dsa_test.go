package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"anxin"
	"anxin/dsa/submit"
	"anxin/sqlstore"

	"github.com/chromedp/chromedp"
)

// TestBrowserDSASubmissions: a listing's statements are refused by a local
// stand-in for the DSA Transparency Database (HTTP 400, so dead letters);
// an operator finds them from the navigation with the database's answer,
// cannot retry one without a note (the server refuses it even when the
// browser's check is bypassed), retries one with a note and sees it queued
// again with the note and their name.
func TestBrowserDSASubmissions(t *testing.T) {
	e := newConsoleEnv(t)
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"message":"The platform is not registered."}`)
	}))
	defer refuse.Close()

	var d struct {
		StatementID string `json:"statement_id"`
	}
	if err := json.Unmarshal(e.Post("/v1/listings:check", `{"id":"l_dsa","title":"高仿 LV 包","merchant_id":"m_dsa"}`), &d); err != nil || d.StatementID == "" {
		t.Fatalf("check: %v %+v; want a block with a statement", err, d)
	}
	store := sqlstore.NewDSASubmissionService(e.Main.DB)
	sub := &submit.Submitter{Store: store, Endpoint: refuse.URL + "/api/v1/statements", Token: "t0ken"}
	if _, err := sub.Tick(e.Ctx); err != nil {
		t.Fatal(err)
	}
	row := `#submissions tr[data-statement="` + d.StatementID + `"]`

	e.SignIn(e.Key("Dana Operator", anxin.RoleOperator))
	e.Step("open from the navigation",
		chromedp.Click(chromedp.CSS(`#nav a[href="/console/statements/submissions"]`)),
		chromedp.WaitVisible(chromedp.CSS(row)),
	)
	if got := e.Text(row + ` td.error`); !strings.Contains(got, "HTTP 400") || !strings.Contains(got, "The platform is not registered.") {
		t.Errorf("dead letter error = %q; want the database's status and message", got)
	}
	if got := e.Text(row + ` td:nth-child(5)`); !strings.Contains(got, "UTC+") {
		t.Errorf("issued = %q; want a time in the marketplace zone", got)
	}
	if n := e.Count(row + ` a[href^="/console/governance/merchants?id=m_dsa#statement-"]`); n != 1 {
		t.Errorf("%d links to the statement in the merchant's record; want 1", n)
	}
	if n := e.Count(row + ` label input[name="note"][required]`); n != 1 {
		t.Errorf("%d labelled, required note inputs; want 1", n)
	}

	e.Step("retry without a note",
		chromedp.RemoveAttribute(chromedp.CSS(row+` input[name="note"]`), "required"),
		chromedp.Click(chromedp.CSS(row+` form.retry button`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	if got := e.Text(".flash"); !strings.Contains(got, "note") {
		t.Errorf("flash after a retry without a note = %q; want the note to be asked for", got)
	}
	if n := e.Count(row + `[data-state="dead"]`); n != 1 {
		t.Errorf("after a refused retry the statement is not dead on the page (%d rows)", n)
	}

	e.Step("retry with a note",
		chromedp.SendKeys(chromedp.CSS(row+` input[name="note"]`), "platform registered with the Commission"),
		chromedp.Click(chromedp.CSS(row+` form.retry button`)),
		// The refused retry's page has a flash too: wait for the page the
		// retry answers with, which no longer lists the statement.
		chromedp.WaitNotPresent(chromedp.CSS(row+`[data-state="dead"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	if got := e.Text(".flash"); !strings.Contains(got, "queued again") {
		t.Errorf("flash after the retry = %q; want it queued again", got)
	}
	if n := e.Count(row); n != 0 {
		t.Errorf("the retried statement is still listed among the dead letters")
	}
	e.Step("see it pending",
		chromedp.Navigate(e.Base+"/console/statements/submissions?state=pending"),
		chromedp.WaitVisible(chromedp.CSS(row+`[data-state="pending"]`)),
	)
	if got := e.Text(row + ` td:nth-child(8)`); !strings.Contains(got, "Dana Operator") || !strings.Contains(got, "platform registered with the Commission") {
		t.Errorf("retried = %q; want the operator's name and note", got)
	}
	subs, _, err := store.FindDSASubmissions(anxin.NewContextWithActor(e.Ctx, anxin.Actor{KeyID: "k", Role: anxin.RoleOperator}), anxin.SubmissionPending, anxin.Page{})
	if err != nil || len(subs) == 0 {
		t.Fatalf("pending submissions = %v, %v", subs, err)
	}
}
