package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"anxin"
	anxinhttp "anxin/http"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
	"anxin/vault"
)

// fullEnv is a server with every capability wired on one database, as
// cmd/anxin wires it, and one key per base role.
type fullEnv struct {
	t    testing.TB
	db   *sqlstore.DB
	srv  *anxinhttp.Server
	url  string
	keys map[string]string // concrete role ("merchant:m_a") → key
	// roles maps each base role to the concrete role the matrix uses.
	roles map[string]anxin.Role
}

// matrixRole returns the concrete role the matrix calls base with: scoped
// bases (merchant, rightsholder) get a scope; others are used as they are.
func matrixRole(base, scope string) anxin.Role {
	r := anxin.Role(base)
	if r.Validate() != nil {
		r = anxin.Role(base + ":" + scope)
	}
	return r
}

func newFullEnv(t testing.TB, db *sqlstore.DB) *fullEnv {
	t.Helper()
	ctx := context.Background()
	s := anxinhttp.NewServer()
	s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s.RateLimit = 1e6
	s.BadKeyLimit = 1e6
	s.ClassifyError = sqlstore.MapError
	s.Keys = sqlstore.NewKeyService(db)
	s.Stats = sqlstore.NewStatsService(db)
	s.Reports = sqlstore.NewReportService(db)
	prot := sqlstore.NewProtectionService(db)
	if err := prot.InstallDefaultProgrammes(ctx); err != nil {
		t.Fatal(err)
	}
	s.Protection = prot
	s.Ledger = sqlstore.NewLedgerService(db)
	db.AddEventHook(prot.OnEvents)
	gov := sqlstore.NewGovernanceService(db)
	if err := gov.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	s.Governance, s.Reviews, s.Enforcement, s.ContentModels, s.Sanctions = gov, gov, gov, gov, gov
	s.Marketplace = sqlstore.NewMarketplaceService(db)
	s.Events = sqlstore.NewEventService(db)
	s.Webhooks = sqlstore.NewWebhookService(db)
	s.Jobs = sqlstore.NewJobService(db)
	s.Streams = db
	relations := sqlstore.NewRelationService(db)
	hashBank := sqlstore.NewHashBankService(db)
	s.Relations, s.HashBank, s.HashLists = relations, hashBank, hashBank
	s.IP = sqlstore.NewIPService(db)
	counterfeit := sqlstore.NewCounterfeitService(db, relations, hashBank)
	s.Counterfeit = counterfeit
	gov.Counterfeit = counterfeit
	kek, err := vault.OpenFileKEK(filepath.Join(t.TempDir(), "vault.kek"))
	if err != nil {
		t.Fatal(err)
	}
	s.Privacy = sqlstore.NewVaultService(db, vault.New(kek), sqlstore.PrivacyConfig{VirtualNumbers: sqlstore.DefaultVirtualNumbers})
	s.Care = sqlstore.NewCareService(db)
	s.Sampling = sqlstore.NewSamplingService(db)
	s.Quality = sqlstore.NewQualityService(db)
	s.Submissions = sqlstore.NewDSASubmissionService(db)

	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	e := &fullEnv{t: t, db: db, srv: s, url: ts.URL, keys: map[string]string{}, roles: map[string]anxin.Role{}}
	for _, base := range anxin.BaseRoles() {
		e.roles[base] = matrixRole(base, "a")
		e.key(matrixRole(base, "a"))
	}
	return e
}

// key returns (creating once) the key of a concrete role.
func (e *fullEnv) key(role anxin.Role) string {
	e.t.Helper()
	if k, ok := e.keys[string(role)]; ok {
		return k
	}
	k, _, err := e.srv.Keys.CreateKey(context.Background(), string(role), role)
	if err != nil {
		e.t.Fatalf("CreateKey(%s): %v", role, err)
	}
	e.keys[string(role)] = k
	return k
}

// call sends method path with the raw key ("" for none) and body ("" for
// none) and returns the status and body.
func (e *fullEnv) call(key, method, path, body string) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// as calls as a concrete role.
func (e *fullEnv) as(role anxin.Role, method, path string, body any) (int, []byte) {
	e.t.Helper()
	var s string
	switch b := body.(type) {
	case nil:
	case string:
		s = b
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		s = string(buf)
	}
	return e.call(e.key(role), method, path, s)
}

// matrixOp is one documented operation with the roles the served document
// names for it.
type matrixOp struct {
	method, path string
	roles        []string
	anyKey       bool // "Roles: any authenticated key."
}

// documentedOps reads the served OpenAPI document.
func (e *fullEnv) documentedOps() []matrixOp {
	e.t.Helper()
	code, b := e.call("", "GET", "/openapi.json", "")
	if code != 200 {
		e.t.Fatalf("GET /openapi.json = %d", code)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		e.t.Fatal(err)
	}
	var ops []matrixOp
	for p, methods := range doc.Paths {
		if !strings.HasPrefix(p, "/v1/") {
			continue
		}
		for m, raw := range methods {
			switch m {
			case "get", "post", "put", "patch", "delete":
			default:
				continue
			}
			var op struct {
				Roles       []string `json:"x-roles"`
				Description string   `json:"description"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				e.t.Fatal(err)
			}
			ops = append(ops, matrixOp{method: strings.ToUpper(m), path: p, roles: op.Roles,
				anyKey: strings.HasSuffix(op.Description, "Roles: any authenticated key.")})
		}
	}
	slices.SortFunc(ops, func(a, b matrixOp) int { return strings.Compare(a.method+" "+a.path, b.method+" "+b.path) })
	return ops
}

// probeValues fill path parameters with well-formed ids of records that do
// not exist, so a permitted call reaches its service and ends in 404 or 400
// without changing anything; the matrix only tells 403 from the rest.
var probeValues = map[string]string{
	"id": "zz_missing", "name": "zz_missing", "version": "9999", "kind": "merchant",
	"merchant": "zz_missing", "programme": "zz_missing", "call": "17000000001:route",
}

func probePath(p string) string {
	for k, v := range probeValues {
		p = strings.ReplaceAll(p, "{"+k+"}", v)
	}
	return p
}

// TestRoleRouteMatrix calls every documented /v1/ operation as every role
// (and with no key, a malformed key, an unknown key and a revoked key) and
// checks the answer against the roles the served OpenAPI document names,
// which the server generates from its access table: a named role is never
// refused (401/403), any other role always gets 403, and nobody gets a 5xx.
func TestRoleRouteMatrix(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		e := newFullEnv(t, db)
		revokedKey, revoked, err := e.srv.Keys.CreateKey(context.Background(), "gone", anxin.RoleOperator)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.srv.Keys.RevokeKey(context.Background(), revoked.KeyID); err != nil {
			t.Fatal(err)
		}
		ops := e.documentedOps()
		if len(ops) < 150 {
			t.Fatalf("the served document has %d /v1/ operations; want them all", len(ops))
		}
		bases := anxin.BaseRoles()
		type result struct {
			op    matrixOp
			who   string
			code  int
			body  []byte
			allow bool
		}
		var (
			mu      sync.Mutex
			results []result
			wg      sync.WaitGroup
			work    = make(chan matrixOp)
		)
		// Two workers: the probes are independent and mostly wait on the
		// database; more would not help on a two-core runner.
		for range 2 {
			wg.Go(func() {
				for op := range work {
					path := probePath(op.path)
					body := ""
					if op.method != "GET" {
						body = "{}"
					}
					var rs []result
					for who, key := range map[string]string{"no key": "", "malformed key": "not-a-key", "unknown key": "ak_" + strings.Repeat("x", 40), "revoked key": revokedKey} {
						code, b := e.call(key, op.method, path, body)
						rs = append(rs, result{op, who, code, b, false})
					}
					for _, base := range bases {
						code, b := e.call(e.keys[string(e.roles[base])], op.method, path, body)
						rs = append(rs, result{op, base, code, b, op.anyKey || slices.Contains(op.roles, base)})
					}
					mu.Lock()
					results = append(results, rs...)
					mu.Unlock()
				}
			})
		}
		for _, op := range ops {
			work <- op
		}
		close(work)
		wg.Wait()

		for _, r := range results {
			name := r.op.method + " " + r.op.path + " as " + r.who
			switch {
			case r.code >= 500:
				t.Errorf("%s = %d %.300s; want no 5xx", name, r.code, r.body)
			case strings.HasSuffix(r.who, "key"):
				if r.code != 401 || !bytes.Contains(r.body, []byte(`"unauthorized"`)) {
					t.Errorf("%s = %d %.200s; want 401 unauthorized", name, r.code, r.body)
				}
			case r.allow && (r.code == 401 || r.code == 403):
				t.Errorf("%s = %d %.200s; the document allows %v", name, r.code, r.body, r.op.roles)
			case !r.allow && r.code != 403:
				t.Errorf("%s = %d %.200s; want 403 (allowed: %v)", name, r.code, r.body, r.op.roles)
			}
		}
		hist := map[int]int{}
		for _, r := range results {
			if r.allow {
				hist[r.code]++
			}
		}
		t.Logf("allowed-role answers by status: %v", hist)
		if want := len(ops) * (4 + len(bases)); len(results) != want {
			t.Errorf("made %d calls; want %d", len(results), want)
		}
	})
}

// TestOpenAPIRolesFromAccessTable: the served document's x-roles equal the
// access table for every /v1/ operation, and every registered /v1/ route has
// a table entry.
func TestOpenAPIRolesFromAccessTable(t *testing.T) {
	e := newFullEnv(t, sqltest.OpenSQLite(t, nil))
	for _, op := range e.documentedOps() {
		pattern := op.method + " " + op.path
		want, ok := anxinhttp.RouteRoles(pattern)
		if !ok {
			t.Errorf("%s is documented but has no access rule", pattern)
			continue
		}
		if !slices.Equal(op.roles, want) {
			t.Errorf("%s: x-roles = %v; the access table says %v", pattern, op.roles, want)
		}
		if len(op.roles) == 0 && !op.anyKey {
			t.Errorf("%s: no role may call it", pattern)
		}
	}
	for _, r := range e.srv.Routes() {
		if strings.Contains(r, " /v1/") {
			if _, ok := anxinhttp.RouteRoles(r); !ok {
				t.Errorf("route %s is registered without an access rule", r)
			}
		}
	}
}
