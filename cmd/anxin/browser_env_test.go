package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/sqlstore"

	"github.com/chromedp/chromedp"
)

// consoleEnv is a running server on a fresh SQLite database with headless
// Chromium beside it, for tests that drive one console page each. It is
// built by newConsoleEnv, which skips the test unless ANXIN_TEST_BROWSER is
// set.
type consoleEnv struct {
	t    *testing.T
	Ctx  context.Context // the test's deadline
	B    context.Context // the browser
	Base string          // http://host:port
	Main *Main
	Keys *sqlstore.KeyService

	PlatformKey, OperatorKey string
}

// newConsoleEnv starts the server (jobs off) and Chromium; both stop when
// the test ends. It creates a platform and an operator key.
func newConsoleEnv(t *testing.T) *consoleEnv {
	t.Helper()
	if os.Getenv("ANXIN_TEST_BROWSER") == "" {
		t.Skip("ANXIN_TEST_BROWSER is not set")
	}
	chromium := findChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	t.Cleanup(cancel)
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
	runCtx, stop := context.WithCancel(ctx)
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx, ready) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		m.Close()
	})
	e := &consoleEnv{t: t, Ctx: ctx, Main: m, Keys: sqlstore.NewKeyService(m.DB)}
	select {
	case a := <-ready:
		e.Base = "http://" + a.String()
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}
	e.PlatformKey = e.Key("integration", anxin.RolePlatform)
	e.OperatorKey = e.Key("ops", anxin.RoleOperator)
	e.B = startChromium(t, ctx, chromium)
	return e
}

// Key creates an API key with the given name and role and returns it.
func (e *consoleEnv) Key(name string, role anxin.Role) string {
	e.t.Helper()
	k, _, err := e.Keys.CreateKey(e.Ctx, name, role)
	if err != nil {
		e.t.Fatal(err)
	}
	return k
}

// Post sends body to path with the platform key and fails the test unless
// the answer is 200; it returns the answer's body.
func (e *consoleEnv) Post(path, body string) []byte {
	e.t.Helper()
	return e.Do("POST", path, e.PlatformKey, body, 200)
}

// Do sends one API request with key and fails the test unless the status
// is want; it returns the answer's body.
func (e *consoleEnv) Do(method, path, key, body string, want int) []byte {
	e.t.Helper()
	req, _ := http.NewRequestWithContext(e.Ctx, method, e.Base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s = %d %s; want %d", method, path, resp.StatusCode, b, want)
	}
	return b
}

// Step runs browser actions with a 30 s limit and fails the test, naming
// the step, when one fails.
func (e *consoleEnv) Step(name string, steps ...chromedp.Action[chromedp.Void]) {
	e.t.Helper()
	sctx, cancel := context.WithTimeout(e.B, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		e.t.Fatalf("%s: %v", name, err)
	}
}

// Text returns the trimmed text of the first node matching sel.
func (e *consoleEnv) Text(sel string) string {
	e.t.Helper()
	sctx, cancel := context.WithTimeout(e.B, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		e.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// Count returns how many nodes match sel (0 when none do).
func (e *consoleEnv) Count(sel string) int {
	e.t.Helper()
	sctx, cancel := context.WithTimeout(e.B, 30*time.Second)
	defer cancel()
	n, err := chromedp.Run(sctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(sel)+`).length`))
	if err != nil {
		e.t.Fatalf("count of %s: %v", sel, err)
	}
	return n
}

// SignIn signs out whoever is signed in and signs in with key.
func (e *consoleEnv) SignIn(key string) {
	e.t.Helper()
	e.Step("sign-in",
		chromedp.Navigate(e.Base+"/console/login"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#key"), key),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#nav")),
	)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
