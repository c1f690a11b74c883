package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/evaluate"
	"anxin/governance"
	"anxin/sqlstore"

	"github.com/chromedp/chromedp"
)

// TestConsoleInBrowser drives the console in real headless Chromium: a
// wrong key shows the login error; an operator key signs in, the dashboard
// shows the live counts, and the Orders link leads to a table of the
// orders posted through the API. It runs only when ANXIN_TEST_BROWSER is
// set (CI sets it); then a missing Chromium fails the test instead of
// skipping it.
func TestConsoleInBrowser(t *testing.T) {
	if os.Getenv("ANXIN_TEST_BROWSER") == "" {
		t.Skip("ANXIN_TEST_BROWSER is not set")
	}
	chromium := findChromium(t)

	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	m := NewMain()
	m.Config.DSN = filepath.Join(t.TempDir(), "anxin.db")
	m.Config.Addr = "127.0.0.1:0"
	m.Config.Migrate = true
	m.Config.SecureCookies = false
	m.Config.NoJobs = true
	m.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := m.Open(ctx); err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer m.Close()
	runCtx, stop := context.WithCancel(ctx)
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx, ready) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	var base string
	select {
	case a := <-ready:
		base = "http://" + a.String()
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}

	keys := sqlstore.NewKeyService(m.DB)
	platformKey, _, err := keys.CreateKey(ctx, "integration", anxin.RolePlatform)
	if err != nil {
		t.Fatal(err)
	}
	operatorKey, _, err := keys.CreateKey(ctx, "ops", anxin.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	post := func(path, body string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, "POST", base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+platformKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("POST %s = %d %s", path, resp.StatusCode, b)
		}
	}
	post("/v1/merchants", `{"items":[{"id":"m_tea","name":"Tea House"},{"id":"m_rice","name":"Rice Co"},{"id":"m_fruit","name":"Fruit Stall"}]}`)
	var events bytes.Buffer
	for i := range 4 {
		if i > 0 {
			events.WriteByte(',')
		}
		fmt.Fprintf(&events, `{"id":"e_%d","type":"order.created","occurred_at":"2026-03-03T09:0%d:00Z","data":{"id":"o_%d","merchant_id":"m_tea","buyer_id":"b_%d","items":[{"listing_id":"l_1","quantity":1,"unit_price_fen":1200}]}}`, i, i, i, i)
	}
	post("/v1/events", `{"events":[`+events.String()+`]}`)

	bctx := startChromium(t, ctx, chromium)
	step := func(name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		s, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}

	// A wrong key shows the login error.
	step("wrong-key sign-in",
		chromedp.Navigate(base+"/console/login"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#key"), "ak_wrong_key"),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#login-error")),
	)
	if got := text("#login-error"); got != "That key is not valid." {
		t.Errorf("login error = %q; want %q", got, "That key is not valid.")
	}

	// The operator signs in and sees the live counts.
	step("sign-in", // the failed sign-in rendered a fresh, empty form
		chromedp.SendKeys(chromedp.CSS("#key"), operatorKey),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#stats")),
	)
	merchants := text(`#stats .card[data-stat="merchants"] .n`)
	orders := text(`#stats .card[data-stat="orders"] .n`)
	if merchants != "3" || orders != "4" {
		t.Errorf("dashboard merchants, orders = %q, %q; want 3, 4", merchants, orders)
	}
	if who := text("#who"); !strings.Contains(who, "operator") {
		t.Errorf("header shows %q; want the operator role", who)
	}

	// The Orders link leads to the orders table.
	step("orders page",
		chromedp.Click(chromedp.CSS(`#nav a[href="/console/orders"]`)),
		chromedp.WaitVisible(chromedp.CSS("table#orders")),
	)
	sctx, cancelRows := context.WithTimeout(bctx, 30*time.Second)
	defer cancelRows()
	rows, err := chromedp.Run(sctx, chromedp.Nodes(chromedp.CSSAll("table#orders tbody tr[data-order]")))
	if err != nil {
		t.Fatalf("order rows: %v", err)
	}
	if first := text("table#orders tbody tr[data-order] td"); len(rows) != 4 || first != "o_0" {
		t.Errorf("orders table has %d rows, first %q; want 4 rows, first o_0", len(rows), first)
	}
	location, err := chromedp.Run(sctx, chromedp.Location())
	if err != nil || !strings.HasSuffix(location, "/console/orders") {
		t.Errorf("location = %q, %v; want the orders page", location, err)
	}

	// Each capability's main console page opens from the navigation and
	// renders its own content, not the error page.
	for _, p := range []struct{ path, sel string }{
		{"/console/governance/queue", "table#cases, p#empty"},
		{"/console/ip/graph", "form#graph-search"},
		{"/console/ip/notices", "table#notices"},
		{"/console/claims", "main h1"},
		{"/console/care", "form#queue-filter"},
		{"/console/sampling", "main h1"},
		{"/console/report", "main h1"},
		{"/console/streams", "table#stream-publishers"},
	} {
		step(p.path,
			chromedp.Click(chromedp.CSS(`#nav a[href="`+p.path+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(p.sel)),
		)
		if h := text("main h1"); h == "Forbidden" || h == "Internal Server Error" || h == "Not Found" {
			t.Errorf("%s shows the error page %q", p.path, h)
		}
	}

	// Merchants are found by name; times name the marketplace zone; the
	// active navigation item is marked for assistive technology.
	step("merchant search",
		chromedp.Click(chromedp.CSS(`#nav a[href="/console/merchants"]`)),
		chromedp.WaitVisible(chromedp.CSS("#q")),
		chromedp.SendKeys(chromedp.CSS("#q"), "tea"),
		chromedp.Submit(chromedp.CSS("#q")),
		chromedp.WaitVisible(chromedp.CSS(`input#q[value="tea"]`)), // the attribute is set only by the reloaded page
		chromedp.WaitVisible(chromedp.CSS(`table#merchants tr[data-merchant="m_tea"]`)),
	)
	if got := text("table#merchants tbody"); strings.Contains(got, "m_rice") {
		t.Errorf("searching merchants for tea shows %q", got)
	}
	if got := text(`#nav a[aria-current="page"]`); got != "Merchants" {
		t.Errorf("aria-current marks %q; want Merchants", got)
	}
	if got := text("#tz"); !strings.Contains(got, "Asia/Shanghai") {
		t.Errorf("header zone = %q; want Asia/Shanghai", got)
	}

	// The operator uploads the labelled dev set and sees the figures the
	// evaluate package computes for the same (default) engine.
	devSet, err := filepath.Abs(filepath.Join("..", "..", "testdata", "eval", "dev.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	step("evaluation upload",
		chromedp.Click(chromedp.CSS(`#nav a[href="/console/governance/eval"]`)),
		chromedp.WaitVisible(chromedp.CSS("form#eval-upload")),
		chromedp.SetUploadFiles(chromedp.CSS("#eval-file"), []string{devSet}),
		chromedp.Click(chromedp.CSS("#eval-submit")),
		chromedp.WaitVisible(chromedp.CSS("table#eval-overall")),
	)
	want := browserEvalFigures(t, devSet)
	if got := text(`#eval-overall tr[data-threshold="flagged"] td.recall`); got != want {
		t.Errorf("evaluation page recall = %q; want %q", got, want)
	}

	// A privacy officer requests a decrypt grant: a bad form comes back with
	// its error and what was typed; corrected, it requests the grant, which
	// the audit log, filtered by action, then shows.
	privacyKey, _, err := keys.CreateKey(ctx, "officer", anxin.RolePrivacy)
	if err != nil {
		t.Fatal(err)
	}
	step("privacy sign-in",
		chromedp.Click(chromedp.CSS(`header.top form button`)),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#key"), privacyKey),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#nav")),
		chromedp.Click(chromedp.CSS(`#nav a[href="/console/privacy/grants"]`)),
		chromedp.WaitVisible(chromedp.CSS("#grant-form")),
		chromedp.SendKeys(chromedp.CSS("#grant-role"), "care"),
		chromedp.SendKeys(chromedp.CSS("#grant-order"), "o_0"),
		chromedp.SetValue(chromedp.CSS("#grant-hours"), "9999"),
		chromedp.SendKeys(chromedp.CSS("#grant-note"), "ticket 12"),
		chromedp.Click(chromedp.CSS("#grant-submit")),
		chromedp.WaitVisible(chromedp.CSS("#grant-error")),
	)
	kctx, cancelKept := context.WithTimeout(bctx, 30*time.Second)
	defer cancelKept()
	kept, err := chromedp.Run(kctx, chromedp.Value(chromedp.CSS("#grant-note")))
	if err != nil || kept != "ticket 12" {
		t.Errorf("the grant form kept note %q; want ticket 12", kept)
	}
	step("grant request",
		chromedp.SetValue(chromedp.CSS("#grant-purpose"), "care"),
		chromedp.SetValue(chromedp.CSS("#grant-hours"), "2"),
		chromedp.Click(chromedp.CSS("#grant-submit")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
		chromedp.Click(chromedp.CSS(`#nav a[href="/console/privacy/audit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#audit-filter")),
		chromedp.SetValue(chromedp.CSS("#audit-action"), "grant"),
		chromedp.Click(chromedp.CSS("#audit-submit")),
		chromedp.WaitReady(chromedp.CSS("#audit-action option[selected]")), // set only by the filtered page
		chromedp.WaitVisible(chromedp.CSS("table#audit tr[data-seq]")),
	)
	if got := text("table#audit tr[data-seq]"); !strings.Contains(got, "officer (privacy)") || !strings.Contains(got, "o_0") {
		t.Errorf("audit row = %q; want the officer's grant of o_0", got)
	}

	// A second officer approves the pending grant (the requester is never
	// offered the button); then an operator's key page offers only roles no
	// stronger than its own.
	secondKey, _, err := keys.CreateKey(ctx, "second officer", anxin.RolePrivacy)
	if err != nil {
		t.Fatal(err)
	}
	step("grant approval by a second officer",
		chromedp.Click(chromedp.CSS(`header.top form button`)),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#key"), secondKey),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#nav")),
		chromedp.Click(chromedp.CSS(`#nav a[href="/console/privacy/grants"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table#grants tr[data-status="pending"] form[action$="/approve"] button`)),
		chromedp.Click(chromedp.CSS(`table#grants tr[data-status="pending"] form[action$="/approve"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`table#grants tr[data-status="active"]`)),
	)
	if got := text(`table#grants tr[data-status="active"]`); !strings.Contains(got, "second officer (privacy)") {
		t.Errorf("approved grant row = %q; want it approved by the second officer", got)
	}
	step("operator key page",
		chromedp.Click(chromedp.CSS(`header.top form button`)),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#key"), operatorKey),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#nav")),
		chromedp.Navigate(base+"/console/keys"),
		chromedp.WaitVisible(chromedp.CSS("#key-roles")),
	)
	if got := text("#key-roles"); !strings.Contains(got, "reviewer") || strings.Contains(got, "privacy") || strings.Contains(got, "platform") || strings.Contains(got, "finance") {
		t.Errorf("operator's key roles = %q; want reviewer offered and no privacy, platform or finance", got)
	}
}

// browserEvalFigures returns the blocked-or-review recall of the default
// engine on a labelled file, as the console formats it.
func browserEvalFigures(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	items, err := evaluate.Parse(f, 0)
	if err != nil {
		t.Fatal(err)
	}
	p, err := governance.DefaultPack()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := p.Engine()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%.1f %%", evaluate.Run(eng, items, evaluate.Options{}).Flagged.Recall*100)
}

// findChromium returns the Chromium binary; with ANXIN_TEST_BROWSER set its
// absence is a failure, not a skip.
// startChromium starts headless Chromium with the flags this machine
// needs (no sandbox as root, no background networking) and a fresh
// profile; it stops when the test ends. The returned context has run once,
// so actions may derive timeouts from it.
func startChromium(t *testing.T, parent context.Context, chromium string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(parent, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(bctx); err != nil { // starts the browser; no timeout on this context
		t.Fatalf("start Chromium: %v", err)
	}
	return bctx
}

func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("ANXIN_TEST_BROWSER is set but Chromium is not installed (apt-get install -y chromium)")
	return ""
}
