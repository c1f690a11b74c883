package main

import (
	"encoding/json"
	"strings"
	"testing"

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

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}
