// Package testserver starts Anxin's HTTP API on a real database for tests:
// the services a test needs are wired by small functions (Governance,
// Marketplace, Care, Webhooks, Privacy, or Full for everything, as
// `anxin serve` wires it), keys are created per role on first use, and one
// request helper sends JSON with a key and returns the status and body.
//
//	srv := testserver.New(t, nil, testserver.Governance)
//	code, body := srv.Call(srv.Key(anxin.RolePlatform), "POST", "/v1/listings:check", `{"items":[…]}`)
//
// It lives beside anxintest, not in it, because it imports sqlstore and
// http, whose own tests use anxintest.
package testserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"anxin"
	anxinhttp "anxin/http"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
	"anxin/vault"
)

// Server is a running API server on a test's database.
type Server struct {
	T   testing.TB
	DB  *sqlstore.DB
	API *anxinhttp.Server // as wired; read-only once New returns
	URL string

	http *httptest.Server
	keys map[string]string // key name → key
	ids  map[string]string // key name → key id
}

// New wires the server on db (a fresh SQLite database when nil) with keys
// and a silent logger, lets each wire function add services and settings,
// and starts it on a loopback listener that closes when the test ends.
// Rate limits are lifted so that tests may send as fast as they like.
func New(t testing.TB, db *sqlstore.DB, wire ...func(*Server)) *Server {
	t.Helper()
	if db == nil {
		db = sqltest.OpenSQLite(t, nil)
	}
	api := anxinhttp.NewServer()
	api.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	api.RateLimit = 1e6
	api.BadKeyLimit = 1e6
	api.ClassifyError = sqlstore.MapError
	api.SecureCookies = false
	api.Keys = sqlstore.NewKeyService(db)
	s := &Server{T: t, DB: db, API: api, keys: map[string]string{}, ids: map[string]string{}}
	for _, w := range wire {
		w(s)
	}
	ts := httptest.NewServer(api.Handler())
	t.Cleanup(ts.Close)
	s.URL, s.http = ts.URL, ts
	return s
}

// Close stops the server before the test ends (it is stopped then in any
// case), for tests that inspect the database files afterwards.
func (s *Server) Close() { s.http.Close() }

// Clock returns a wire function that sets the server's clock (the
// database's is set when it is opened).
func Clock(c anxin.Clock) func(*Server) {
	return func(s *Server) { s.API.Clock = c }
}

// Logs returns a wire function that sends the server's log, debug level
// included, to w.
func Logs(w io.Writer) func(*Server) {
	return func(s *Server) {
		s.API.Logger = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

// Marketplace wires the marketplace mirror, event ingest and statistics.
func Marketplace(s *Server) {
	s.API.Marketplace = sqlstore.NewMarketplaceService(s.DB)
	s.API.Events = sqlstore.NewEventService(s.DB)
	s.API.Stats = sqlstore.NewStatsService(s.DB)
}

// Governance wires the publish-time check with its seeded default policy,
// review, enforcement, sanctions, content models and evaluations, and the
// marketplace mirror the checks refer to.
func Governance(s *Server) {
	gov := sqlstore.NewGovernanceService(s.DB)
	if err := gov.Seed(context.Background()); err != nil {
		s.T.Fatal(err)
	}
	s.API.Governance, s.API.Reviews, s.API.Enforcement, s.API.Sanctions, s.API.ContentModels = gov, gov, gov, gov, gov
	s.API.Evals = sqlstore.EvalService{DB: s.DB, Governance: gov}
	s.API.Backtests = gov
	s.API.Marketplace = sqlstore.NewMarketplaceService(s.DB)
}

// Care wires care tickets, quality sampling and the quality watch.
func Care(s *Server) {
	s.API.Care = sqlstore.NewCareService(s.DB)
	s.API.Sampling = sqlstore.NewSamplingService(s.DB)
	s.API.Quality = sqlstore.NewQualityService(s.DB)
}

// Webhooks wires webhook endpoints, jobs and the stream outbox.
func Webhooks(s *Server) {
	s.API.Webhooks = sqlstore.NewWebhookService(s.DB)
	s.API.Jobs = sqlstore.NewJobService(s.DB)
	s.API.Streams = s.DB
}

// Privacy wires the personal-data vault with a fresh key-encryption key in
// the test's temporary directory.
func Privacy(s *Server) {
	kek, err := vault.OpenFileKEK(filepath.Join(s.T.TempDir(), "vault.kek"))
	if err != nil {
		s.T.Fatal(err)
	}
	s.API.Privacy = sqlstore.NewVaultService(s.DB, vault.New(kek), sqlstore.PrivacyConfig{VirtualNumbers: sqlstore.DefaultVirtualNumbers})
}

// Protection wires buyer protection with its default programmes and its
// event hook (orders posted as events are covered), and the ledger.
func Protection(s *Server) {
	prot := sqlstore.NewProtectionService(s.DB)
	if err := prot.InstallDefaultProgrammes(context.Background()); err != nil {
		s.T.Fatal(err)
	}
	s.API.Protection = prot
	s.DB.AddEventHook(prot.OnEvents)
	s.API.Ledger = sqlstore.NewLedgerService(s.DB)
}

// IP wires rights-holder notices, the relation network, the hash bank and
// the counterfeit signals, and the marketplace mirror notices refer to;
// when governance is wired, its checks use the counterfeit signals.
func IP(s *Server) {
	relations := sqlstore.NewRelationService(s.DB)
	hashBank := sqlstore.NewHashBankService(s.DB)
	s.API.Relations, s.API.HashBank, s.API.HashLists = relations, hashBank, hashBank
	s.API.IP = sqlstore.NewIPService(s.DB)
	counterfeit := sqlstore.NewCounterfeitService(s.DB, relations, hashBank)
	s.API.Counterfeit = counterfeit
	if s.API.Marketplace == nil {
		s.API.Marketplace = sqlstore.NewMarketplaceService(s.DB)
	}
	if gov, ok := s.API.Governance.(*sqlstore.GovernanceService); ok {
		gov.Counterfeit = counterfeit
	}
}

// Reports wires the consumer-protection report.
func Reports(s *Server) { s.API.Reports = sqlstore.NewReportService(s.DB) }

// Full wires every capability on one database, as `anxin serve` does.
func Full(s *Server) {
	Marketplace(s)
	Governance(s)
	Care(s)
	Webhooks(s)
	Privacy(s)
	Reports(s)
	Protection(s)
	IP(s)
	s.API.Submissions = sqlstore.NewDSASubmissionService(s.DB)
}

// Key returns the key of role, creating it (named after the role) on first
// use.
func (s *Server) Key(role anxin.Role) string {
	s.T.Helper()
	return s.NamedKey(string(role), role)
}

// NamedKey returns the key called name, creating it with role on first
// use: a second key of one role (the other person of a two-person rule)
// needs its own name.
func (s *Server) NamedKey(name string, role anxin.Role) string {
	s.T.Helper()
	if k, ok := s.keys[name]; ok {
		return k
	}
	k, actor, err := s.API.Keys.CreateKey(context.Background(), name, role)
	if err != nil {
		s.T.Fatalf("CreateKey(%s, %s): %v", name, role, err)
	}
	s.keys[name], s.ids[name] = k, actor.KeyID
	return k
}

// KeyID returns the id of the key called name (created by Key or
// NamedKey), as audit rows and decisions record it.
func (s *Server) KeyID(name string) string { return s.ids[name] }

// Session opens a console session for key and returns its cookie value and
// CSRF token.
func (s *Server) Session(key string) (token, csrf string) {
	s.T.Helper()
	ks := sqlstore.NewKeyService(s.DB)
	actor, err := ks.Authenticate(context.Background(), key)
	if err != nil {
		s.T.Fatalf("Authenticate: %v", err)
	}
	token, csrf, err = ks.CreateSession(context.Background(), actor.KeyID, 1)
	if err != nil {
		s.T.Fatal(err)
	}
	return token, csrf
}

// Page fetches a console page with a fresh session of key: a GET, or a
// POST of form, whose csrf value is set to the session's token. Redirects
// are not followed; it returns the status and the body.
func (s *Server) Page(key, method, path string, form url.Values) (int, string) {
	s.T.Helper()
	token, csrf := s.Session(key)
	if form != nil {
		form.Set("csrf", csrf)
	}
	return s.SessionPage(token, method, path, form)
}

// Redirect posts form (with a fresh session's CSRF token) to path with
// key's session, as Page does, and returns the status and the Location of
// the answer: for forms whose success is a redirect.
func (s *Server) Redirect(key, path string, form url.Values) (int, string) {
	s.T.Helper()
	token, csrf := s.Session(key)
	form.Set("csrf", csrf)
	code, _, loc := s.send(token, "POST", path, form)
	return code, loc
}

// SessionPage is Page within an existing session (token from Session);
// the form is sent as it is.
func (s *Server) SessionPage(token, method, path string, form url.Values) (int, string) {
	s.T.Helper()
	code, body, _ := s.send(token, method, path, form)
	return code, body
}

// send sends a console request in the session token without following
// redirects and returns the status, body and Location.
func (s *Server) send(token, method, path string, form url.Values) (int, string, string) {
	s.T.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		s.T.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.AddCookie(&http.Cookie{Name: "anxin_session", Value: token})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		s.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Location")
}

// Call sends method path with key ("" for none) and body, which may be nil,
// a string, a []byte or a value to encode as JSON; it returns the status
// and the answer's body. A transport error fails the test.
func (s *Server) Call(key, method, path string, body any) (int, []byte) {
	s.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		if b != "" {
			rd = bytes.NewReader([]byte(b))
		}
	case []byte:
		if b != nil {
			rd = bytes.NewReader(b)
		}
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			s.T.Fatalf("encode %s %s body: %v", method, path, err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.T.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.T.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// Do is Call with the key of role (none when role is empty) that decodes a
// non-empty JSON answer into out when out is not nil; it returns the
// status.
func (s *Server) Do(role anxin.Role, method, path string, body, out any) int {
	s.T.Helper()
	key := ""
	if role != "" {
		key = s.Key(role)
	}
	code, b := s.Call(key, method, path, body)
	if out != nil && len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			s.T.Fatalf("%s %s = %d: %v in %s", method, path, code, err, b)
		}
	}
	return code
}
