package http

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"sync"

	"anxin"
	"anxin/http/console"
)

// navItem is one console navigation link, shown to roles that may take
// Action ("" for everyone signed in).
type navItem struct {
	Title  string
	Path   string
	Action anxin.Action
	Active bool
}

// consoleNav lists the console pages. Each capability adds its pages here.
var consoleNav = []navItem{
	{Title: "Dashboard", Path: "/console/", Action: anxin.ActionReadDashboard},
	{Title: "Claims", Path: "/console/claims", Action: anxin.ActionReadClaims},
	{Title: "Programmes", Path: "/console/programmes", Action: anxin.ActionReadProgrammes},
	{Title: "Money", Path: "/console/money", Action: anxin.ActionReadLedger},
	{Title: "Review queue", Path: "/console/governance/queue", Action: anxin.ActionReview},
	{Title: "Appeals", Path: "/console/governance/appeals", Action: anxin.ActionDecideAppeal},
	{Title: "Lexicons", Path: "/console/governance/lexicons", Action: anxin.ActionReadGovernance},
	{Title: "Policies", Path: "/console/governance/policies", Action: anxin.ActionReadGovernance},
	{Title: "Rule precision", Path: "/console/governance/precision", Action: anxin.ActionReadGovernance},
	{Title: "Detection evaluation", Path: "/console/governance/eval", Action: anxin.ActionReadGovernance},
	{Title: "Enforcement", Path: "/console/governance/merchants", Action: anxin.ActionReadEnforcement},
	{Title: "DSA submissions", Path: "/console/statements/submissions", Action: anxin.ActionReadSubmissions},
	{Title: "Sanctions", Path: "/console/sanctions", Action: anxin.ActionReadSanctions},
	{Title: "Penalised shops", Path: "/console/enforcement", Action: anxin.ActionReadSanctions},
	{Title: "Merchants", Path: "/console/merchants", Action: anxin.ActionReadMarketplace},
	{Title: "Listings", Path: "/console/listings", Action: anxin.ActionReadMarketplace},
	{Title: "Orders", Path: "/console/orders", Action: anxin.ActionReadMarketplace},
	{Title: "Investigations", Path: "/console/ip/graph", Action: anxin.ActionInvestigate},
	{Title: "IP notices", Path: "/console/ip/notices", Action: anxin.ActionReadNotices},
	{Title: "Brands", Path: "/console/ip/brands", Action: anxin.ActionReadNotices},
	{Title: "Care queue", Path: "/console/care", Action: anxin.ActionCareRead},
	{Title: "Quality sampling", Path: "/console/sampling", Action: anxin.ActionSamplingRead},
	{Title: "Quality watch", Path: "/console/quality", Action: anxin.ActionQualityRead},
	{Title: "Webhooks", Path: "/console/webhooks", Action: anxin.ActionManageWebhooks},
	{Title: "Jobs", Path: "/console/jobs", Action: anxin.ActionReadJobs},
	{Title: "Streams", Path: "/console/streams", Action: anxin.ActionReadJobs},
	{Title: "Report", Path: "/console/report", Action: anxin.ActionReadReport},
	{Title: "Privacy alerts", Path: "/console/privacy/alerts", Action: anxin.ActionReadAlerts},
	{Title: "Decrypt grants", Path: "/console/privacy/grants", Action: anxin.ActionManageGrants},
	{Title: "Audit log", Path: "/console/privacy/audit", Action: anxin.ActionReadAudit},
	{Title: "API keys", Path: "/console/keys", Action: anxin.ActionManageKeys},
}

// pageFunc renders a console page; a returned error is shown on the
// console's error page.
type pageFunc func(w http.ResponseWriter, r *http.Request) error

// view is what every console template receives.
type view struct {
	Actor anxin.Actor
	CSRF  string
	Nav   []navItem
	Flash string
	Data  any
	names *keyNames
}

const sessionCookie = "anxin_session"

var (
	tmplOnce sync.Once
	tmpls    map[string]*template.Template
	tmplErr  error
)

func loadTemplates() (map[string]*template.Template, error) {
	tmplOnce.Do(func() {
		funcs := template.FuncMap{
			"fen":      func(v int64) string { return formatFen(v) },
			"pct":      func(v float64) string { return formatPct(v) },
			"list":     func(v ...string) []string { return v },
			"when":     consoleTime("2006-01-02 15:04"),
			"whens":    consoleTime("2006-01-02 15:04:05"),
			"day":      consoleDay,
			"dur":      consoleDuration,
			"moneyneg": moneyClass,
			"tz":       consoleZone,
			"zh":       consoleLang,
			"zhruns":   consoleZhRuns,
		}
		layout, err := template.New("layout").Funcs(funcs).ParseFS(console.FS, "templates/layout.html")
		if err != nil {
			tmplErr = err
			return
		}
		names, _ := fs.Glob(console.FS, "templates/*.html")
		tmpls = map[string]*template.Template{}
		for _, n := range names {
			name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
			if name == "layout" {
				continue
			}
			t, err := template.Must(layout.Clone()).ParseFS(console.FS, n)
			if err != nil {
				tmplErr = err
				return
			}
			tmpls[name] = t
		}
	})
	return tmpls, tmplErr
}

func (s *Server) registerConsoleRoutes() {
	static, _ := fs.Sub(console.FS, "static")
	s.handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))
	s.handle("GET /console/login", http.HandlerFunc(s.handleLoginPage))
	s.handle("POST /console/login", http.HandlerFunc(s.handleLogin))
	s.handle("POST /console/logout", s.page(s.handleLogout))
	s.handle("GET /console/{$}", s.page(s.handleDashboard))
	s.registerCapabilityPages()
}

// page wraps a console handler: it requires a live session (redirecting to
// the login page otherwise), checks the CSRF token on every state-changing
// request, sets security headers and renders errors as the error page.
func (s *Server) page(f pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setPageHeaders(w)
		c, err := r.Cookie(sessionCookie)
		if err != nil || s.Keys == nil {
			http.Redirect(w, r, "/console/login", http.StatusSeeOther)
			return
		}
		actor, csrf, err := s.Keys.Session(r.Context(), c.Value)
		if err != nil {
			if anxin.KindOf(err) == anxin.Unauthorized {
				http.Redirect(w, r, "/console/login", http.StatusSeeOther)
				return
			}
			s.Error(w, r, err)
			return
		}
		if !s.limiter.allow(actor.KeyID, s.now()) {
			s.Error(w, r, anxin.Errorf(anxin.RateLimited, "Too many requests; slow down."))
			return
		}
		ctx := anxin.NewContextWithActor(r.Context(), *actor)
		ctx = withCSRF(ctx, csrf)
		r = r.WithContext(ctx)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, s.MaxBodyBytes)
			if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(csrf)) != 1 {
				s.Error(w, r, anxin.Errorf(anxin.Forbidden, "The form has expired; reload the page and try again."))
				return
			}
		}
		if err := f(w, r); err != nil {
			s.Error(w, r, err)
		}
	})
}

func setPageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

type csrfKey struct{}

func withCSRF(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, csrfKey{}, token)
}

func csrfFrom(r *http.Request) string {
	s, _ := r.Context().Value(csrfKey{}).(string)
	return s
}

// render writes a console page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, data any) error {
	return s.renderStatus(w, r, http.StatusOK, name, data, "")
}

// renderFlash writes a console page with a confirmation message on top.
func (s *Server) renderFlash(w http.ResponseWriter, r *http.Request, name string, data any, flash string) error {
	return s.renderStatus(w, r, http.StatusOK, name, data, flash)
}

func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, status int, name string, data any, flash string) error {
	ts, err := loadTemplates()
	if err != nil {
		return err
	}
	t, ok := ts[name]
	if !ok {
		return anxin.Errorf(anxin.Internal, "no template %s", name)
	}
	actor := anxin.ActorFromContext(r.Context())
	v := view{Actor: actor, CSRF: csrfFrom(r), Flash: flash, Data: data, names: &keyNames{load: s.keyNameLoader(r.Context())}}
	for _, n := range consoleNav {
		if actor.Role != "" && (n.Action == "" || anxin.Can(actor.Role, n.Action)) {
			n.Active = n.Path == r.URL.Path || (n.Path != "/console/" && strings.HasPrefix(r.URL.Path, n.Path))
			v.Nav = append(v.Nav, n)
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return err
	}
	setPageHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return nil
}

// renderErrorPage renders the console error page; it reports false when the
// template itself cannot be rendered, so Error falls back to JSON.
func (s *Server) renderErrorPage(w http.ResponseWriter, r *http.Request, status int, msg string) bool {
	if status == http.StatusUnauthorized {
		http.Redirect(w, r, "/console/login", http.StatusSeeOther)
		return true
	}
	err := s.renderStatus(w, r, status, "error", map[string]any{"Status": http.StatusText(status), "Message": msg}, "")
	return err == nil
}

// The login form is protected against login CSRF with a double-submit
// cookie: a random token in a cookie and the same token in the form.
const loginCSRFCookie = "anxin_login_csrf"

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	s.showLogin(w, r, http.StatusOK, "")
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	var b [24]byte
	rand.Read(b[:])
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: tok, Path: "/console/", HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	r = r.WithContext(withCSRF(r.Context(), tok))
	if err := s.renderStatus(w, r, status, "login", map[string]any{"Error": msg}, ""); err != nil {
		s.Error(w, r, err)
	}
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	setPageHeaders(w)
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if s.tooManyFailures(w, r) {
		return
	}
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		s.showLogin(w, r, http.StatusForbidden, "The sign-in form expired; please try again.")
		return
	}
	actor, err := s.Keys.Authenticate(r.Context(), strings.TrimSpace(r.PostFormValue("key")))
	if err != nil {
		if anxin.KindOf(err) == anxin.Unauthorized {
			s.badKeys.fail(clientIP(r), s.now())
		}
		s.showLogin(w, r, http.StatusUnauthorized, "That key is not valid.")
		return
	}
	if actor.Role == anxin.RolePlatform {
		s.showLogin(w, r, http.StatusForbidden, "Platform integration keys cannot sign in to the console.")
		return
	}
	token, _, err := s.Keys.CreateSession(r.Context(), actor.KeyID, 12)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: 12 * 3600})
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: "", Path: "/console/", MaxAge: -1})
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.Keys.EndSession(r.Context(), c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1})
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
	return nil
}

func (s *Server) handleDashboard(w http.ResponseWriter, r *http.Request) error {
	var stats []anxin.Stat
	if s.Stats != nil {
		var err error
		if stats, err = s.Stats.Stats(r.Context()); err != nil {
			return err
		}
	}
	return s.render(w, r, "dashboard", map[string]any{"Stats": stats})
}
