package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"anxin"

	"github.com/chromedp/chromedp"
)

// value returns the current value of the first input, select or textarea
// matching sel.
func (e *consoleEnv) value(sel string) string {
	e.t.Helper()
	sctx, cancel := context.WithTimeout(e.B, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		e.t.Fatalf("value of %s: %v", sel, err)
	}
	return v
}

// TestBrowserEditors drives the structured editors: a lexicon created,
// filled, searched, tested and trimmed from the console; a policy rule
// broken, fixed and backtested; a programme saved with a bad amount.
func TestBrowserEditors(t *testing.T) {
	e := newConsoleEnv(t)
	// A stored decision for the backtest to replay.
	var d struct {
		Outcome anxin.Outcome `json:"outcome"`
	}
	json.Unmarshal(e.Post("/v1/listings:check", `{"id":"l-replica","title":"高仿 名牌包","merchant_id":"m1"}`), &d)
	if d.Outcome != anxin.OutcomeBlock {
		t.Fatalf("seed check = %s; want block", d.Outcome)
	}
	e.SignIn(e.OperatorKey)

	// Lexicon: create, add two terms, search, test, remove.
	e.Step("new lexicon",
		chromedp.Navigate(e.Base+"/console/governance/lexicons"),
		chromedp.WaitVisible(chromedp.CSS("#new-lexicon")),
		chromedp.SendKeys(chromedp.CSS("#new-name"), "shop_words"),
		chromedp.SendKeys(chromedp.CSS("#new-category"), "shop_hard"),
		chromedp.SetValue(chromedp.CSS("#new-severity"), "4"),
		chromedp.Click(chromedp.CSS("#new-lexicon-submit")),
		chromedp.WaitVisible(chromedp.CSS("#add-term")),
	)
	if got := e.value("#add-category"); got != "shop_hard" {
		t.Errorf("add form category on the new lexicon = %q; want shop_hard", got)
	}
	for _, term := range []string{"水货名表", "暗语九"} {
		e.Step("add "+term,
			chromedp.SendKeys(chromedp.CSS("#add-pattern"), term),
			chromedp.Click(chromedp.CSS("#add-submit")),
			chromedp.WaitVisible(chromedp.CSS(`#terms tr[data-term="`+term+`"]`)),
		)
	}
	if n := e.Count("#terms tr[data-term]"); n != 2 {
		t.Fatalf("term rows after two adds = %d", n)
	}
	e.Step("search",
		chromedp.SendKeys(chromedp.CSS("#q"), "名表"),
		chromedp.Click(chromedp.CSS("#search-submit")),
		chromedp.WaitNotPresent(chromedp.CSS(`#terms tr[data-term="暗语九"]`)),
	)
	if n, first := e.Count("#terms tr[data-term]"), e.Text("#terms tr[data-term] td.pattern"); n != 1 || first != "水货名表" {
		t.Errorf("search 名表 = %d rows, first %q; want only 水货名表", n, first)
	}
	e.Step("test box",
		chromedp.SendKeys(chromedp.CSS("#test-text"), "全新水货名表 包邮"),
		chromedp.Click(chromedp.CSS("#test-submit")),
		chromedp.WaitVisible(chromedp.CSS("#highlighted mark.hit")),
	)
	if hit := e.Text("#highlighted mark.hit"); hit != "水货名表" {
		t.Errorf("highlighted hit = %q; want 水货名表", hit)
	}
	row := `#terms tr[data-term="水货名表"]`
	e.Step("remove",
		chromedp.Click(chromedp.CSS(row+" details.confirm summary")),
		chromedp.WaitVisible(chromedp.CSS(row+" .remove-confirm")),
		chromedp.Click(chromedp.CSS(row+" .remove-submit")), // refused by the browser: the box is not ticked
		chromedp.Click(chromedp.CSS(row+" .remove-confirm")),
		chromedp.Click(chromedp.CSS(row+" .remove-submit")),
		chromedp.WaitNotPresent(chromedp.CSS(row)),
	)
	if flash := e.Text(".flash"); !strings.Contains(flash, "Removed 水货名表") || e.Count(`#terms tr[data-term="暗语九"]`) != 1 {
		t.Errorf("after remove: flash %q, 暗语九 rows %d; want the removal confirmed and the other term kept", flash, e.Count(`#terms tr[data-term="暗语九"]`))
	}

	// Policy: a syntax error names line and column and keeps the text;
	// fixed, the rule is backtested before anything is saved.
	e.Step("open policy",
		chromedp.Navigate(e.Base+"/console/governance/policies/1"),
		chromedp.WaitVisible(chromedp.CSS("#rules pre.expr code")),
		chromedp.Click(chromedp.CSS("#edit-rules")),
		chromedp.WaitVisible(chromedp.CSS("#when-0")),
	)
	orig := e.value("#when-0")
	broken := orig + " &&\n  price_fen >"
	e.Step("break rule",
		chromedp.SetValue(chromedp.CSS("#when-0"), broken),
		chromedp.Click(chromedp.CSS("#check-rules")),
		chromedp.WaitVisible(chromedp.CSS("#error-0")),
	)
	if msg := e.Text("#error-0"); !regexp.MustCompile(`^line 2, column \d+: `).MatchString(msg) {
		t.Errorf("compile error = %q; want line 2, column …", msg)
	}
	if kept := e.value("#when-0"); kept != broken {
		t.Errorf("expression after the error = %q; want the typed %q", kept, broken)
	}
	e.Step("fix and backtest",
		chromedp.SetValue(chromedp.CSS("#when-0"), orig+" &&\n  price_fen >= 0"),
		chromedp.SetValue(chromedp.CSS("#outcome-0"), "review"),
		chromedp.Click(chromedp.CSS("#backtest")),
		chromedp.WaitVisible(chromedp.CSS("#backtest-result")),
	)
	if n := e.Count("#error-0"); n != 0 {
		t.Errorf("the fixed rule still shows an error")
	}
	if changes := e.Text("#backtest-changes"); !strings.Contains(changes, "l-replica") {
		t.Errorf("backtest changes = %q; want l-replica (block → review)", changes)
	}
	var ps struct {
		Policies []anxin.Policy `json:"policies"`
	}
	json.Unmarshal(e.Do("GET", "/v1/policies", e.OperatorKey, "", 200), &ps)
	if len(ps.Policies) != 1 {
		t.Errorf("policies after the backtest = %d; want 1 (nothing saved)", len(ps.Policies))
	}

	// Programme: a bad amount is refused beside its field, values kept.
	e.Step("programme form",
		chromedp.Navigate(e.Base+"/console/programmes?edit=instant_refund"),
		chromedp.WaitVisible(chromedp.CSS("#editor")),
		chromedp.SetValue(chromedp.CSS("#p-name"), "Instant refund (edited)"),
		chromedp.SetValue(chromedp.CSS("#p-approve-max"), "five hundred"),
		chromedp.Click(chromedp.CSS("#save-programme")),
		chromedp.WaitVisible(chromedp.CSS("#p-approve-max + .field-error")),
	)
	if msg := e.Text("#p-approve-max + .field-error"); !strings.Contains(msg, "amount in yuan") {
		t.Errorf("approve-max error = %q", msg)
	}
	if name, amount := e.value("#p-name"), e.value("#p-approve-max"); name != "Instant refund (edited)" || amount != "five hundred" {
		t.Errorf("form after the error: name %q, amount %q; want the typed values", name, amount)
	}
}
