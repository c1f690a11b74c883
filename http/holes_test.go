package http_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"anxin"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// errorShape decodes the API's one error shape and fails unless body has it.
func errorShape(t *testing.T, what string, body []byte) (code, message string) {
	t.Helper()
	var e struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error == nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("%s: body %.200q is not {\"error\":{\"code\",\"message\"}}", what, body)
	}
	return e.Error.Code, e.Error.Message
}

// TestUnknownRoutesAndMethods: a path no route has is 404 not_found and a
// known path with the wrong method is 405 with Allow, both in the API's
// error shape, under /v1/ and elsewhere.
func TestUnknownRoutesAndMethods(t *testing.T) {
	e := newFullEnv(t, sqltest.OpenSQLite(t, nil))
	key := e.key(anxin.RoleOperator)
	for _, tt := range []struct {
		method, path string
		want         int
		wantCode     string
	}{
		{"GET", "/v1/nothing-here", 404, "not_found"},
		{"GET", "/v1/", 404, "not_found"},
		{"GET", "/nothing", 404, "not_found"},
		{"POST", "/v1/claims/c_1/nothing", 404, "not_found"},
		{"PATCH", "/v1/claims", 405, "method_not_allowed"},
		{"DELETE", "/v1/report", 405, "method_not_allowed"},
		{"PUT", "/v1/merchants", 405, "method_not_allowed"},
		{"POST", "/healthz", 405, "method_not_allowed"},
	} {
		for _, k := range []string{"", key} {
			code, body := e.call(k, tt.method, tt.path, "")
			if code != tt.want {
				t.Errorf("%s %s = %d %s; want %d", tt.method, tt.path, code, body, tt.want)
				continue
			}
			if got, _ := errorShape(t, tt.method+" "+tt.path, body); got != tt.wantCode {
				t.Errorf("%s %s: code %q; want %q", tt.method, tt.path, got, tt.wantCode)
			}
		}
	}
	resp := rawGet(t, e.url+"/v1/nothing", key)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("404 Content-Type = %q; want JSON", ct)
	}
	preq, _ := http.NewRequest("PATCH", e.url+"/v1/claims", nil)
	presp, err := http.DefaultClient.Do(preq)
	if err != nil {
		t.Fatal(err)
	}
	presp.Body.Close()
	if allow := presp.Header.Get("Allow"); allow != "GET, HEAD, POST" {
		t.Errorf("PATCH /v1/claims Allow = %q; want GET, HEAD, POST", allow)
	}
}

// TestBodylessRoutesRefuseBody: every documented operation without a
// request body answers 400 to a caller that sends one, before doing
// anything; the same call without a body is not a 400 for that reason.
func TestBodylessRoutesRefuseBody(t *testing.T) {
	e := newFullEnv(t, sqltest.OpenSQLite(t, nil))
	n := 0
	for _, op := range e.documentedOps() {
		if op.method != "GET" && op.method != "DELETE" && !bodylessPost[op.method+" "+op.path] {
			continue
		}
		role := anxin.RoleOperator
		if !op.anyKey && !containsStr(op.roles, "operator") {
			role = e.roles[op.roles[0]]
		}
		n++
		code, body := e.as(role, op.method, probePath(op.path), `{"x":1}`)
		if code != 400 || !strings.Contains(string(body), "takes no request body") {
			t.Errorf("%s %s with a body = %d %.200s; want 400 takes no request body", op.method, op.path, code, body)
		}
	}
	if n < 80 {
		t.Errorf("checked %d bodyless operations; want every GET, DELETE and bodyless POST", n)
	}
}

// bodylessPost are the POSTs the OpenAPI document gives no requestBody.
var bodylessPost = map[string]bool{
	"POST /v1/cases/{id}/claim":                   true,
	"POST /v1/policies/{version}/activate":        true,
	"POST /v1/webhooks/deliveries/{id}/redeliver": true,
	"POST /v1/sampling/plans/{id}/draw":           true,
	"POST /v1/care/tickets/{id}/pause":            true,
}

func containsStr(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// TestLexiconPutNeedsTerms: a save without "terms" (or with null) is a 400
// and leaves the lexicon as it was; an explicit [] saves an empty version.
func TestLexiconPutNeedsTerms(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		e := newFullEnv(t, db)
		op := anxin.RoleOperator
		if code, body := e.as(op, "PUT", "/v1/lexicons/shop_words", `{"terms":[{"pattern":"暗号甲","category":"counterfeit_hard","severity":5}]}`); code != 200 {
			t.Fatalf("PUT terms = %d %s", code, body)
		}
		for _, body := range []string{`{}`, `{"description":"x"}`, `{"terms":null}`} {
			code, resp := e.as(op, "PUT", "/v1/lexicons/shop_words", body)
			if code != 400 || !strings.Contains(string(resp), "is required (give [] to save the lexicon with no terms)") {
				t.Errorf("PUT %s = %d %s; want 400 naming terms", body, code, resp)
			}
		}
		var lex struct {
			Version int `json:"version"`
			Terms   []any
		}
		_, b := e.as(op, "GET", "/v1/lexicons/shop_words", nil)
		json.Unmarshal(b, &lex)
		if lex.Version != 1 || len(lex.Terms) != 1 {
			t.Fatalf("after refused saves: version %d with %d terms; want 1 with 1", lex.Version, len(lex.Terms))
		}
		if code, body := e.as(op, "PUT", "/v1/lexicons/shop_words", `{"terms":[]}`); code != 200 {
			t.Fatalf("PUT terms [] = %d %s; want 200", code, body)
		}
		_, b = e.as(op, "GET", "/v1/lexicons/shop_words", nil)
		lex.Terms = nil
		json.Unmarshal(b, &lex)
		if lex.Version != 2 || len(lex.Terms) != 0 {
			t.Fatalf("after terms []: version %d with %d terms; want 2 with 0", lex.Version, len(lex.Terms))
		}
	})
}

// TestErrorsQuoteAtMost200Bytes: hostile values of 10,000 bytes come back
// clipped to 200 bytes in every error message that quotes them.
func TestErrorsQuoteAtMost200Bytes(t *testing.T) {
	e := newFullEnv(t, sqltest.OpenSQLite(t, nil))
	long := strings.Repeat("x", 10000)
	for _, tt := range []struct {
		role         anxin.Role
		method, path string
		body         string
	}{
		{anxin.RoleOperator, "POST", "/v1/keys", `{"name":"k","role":"` + long + `"}`},
		{anxin.RolePlatform, "POST", "/v1/content:check", `{"items":[{"id":"c1","kind":"` + long + `","merchant_id":"m1","text":"hi"}]}`},
		{anxin.RoleOperator, "GET", "/v1/report?format=" + long, ""},
		{anxin.RolePlatform, "POST", "/v1/merchants", `{"items":[{"id":"m1","` + long + `":1}]}`},
		{anxin.RoleOperator, "GET", "/v1/" + long, ""},
		{anxin.RoleOperator, "GET", "/v1/merchants?cursor=" + long, ""},
	} {
		code, body := e.as(tt.role, tt.method, tt.path, tt.body)
		if code < 400 || code >= 500 {
			t.Errorf("%s %.60s = %d; want a 4xx", tt.method, tt.path, code)
		}
		errorShape(t, tt.method+" "+tt.path[:min(len(tt.path), 60)], body)
		if strings.Contains(string(body), strings.Repeat("x", 201)) {
			t.Errorf("%s %.60s: the answer quotes more than 200 bytes of the value (%d bytes)", tt.method, tt.path, len(body))
		}
	}
}

// TestListLimitsRefusedOutsideRange: every operation the served document
// gives a limit parameter refuses a limit below its minimum, above its
// maximum or not a number with 400, and accepts the maximum.
func TestListLimitsRefusedOutsideRange(t *testing.T) {
	e := newFullEnv(t, sqltest.OpenSQLite(t, nil))
	_, b := e.call("", "GET", "/openapi.json", "")
	type param struct {
		Ref    string `json:"$ref"`
		Name   string `json:"name"`
		Schema struct {
			Minimum *int `json:"minimum"`
			Maximum *int `json:"maximum"`
		} `json:"schema"`
	}
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Parameters map[string]param `json:"parameters"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	ops := map[string]matrixOp{}
	for _, op := range e.documentedOps() {
		ops[op.method+" "+op.path] = op
	}
	n := 0
	for p, methods := range doc.Paths {
		raw, ok := methods["get"]
		if !ok {
			continue
		}
		var op struct {
			Parameters []param `json:"parameters"`
		}
		json.Unmarshal(raw, &op)
		for _, prm := range op.Parameters {
			if name, ok := strings.CutPrefix(prm.Ref, "#/components/parameters/"); ok {
				prm = doc.Components.Parameters[name]
			}
			if prm.Name != "limit" {
				continue
			}
			if prm.Schema.Minimum == nil || prm.Schema.Maximum == nil {
				t.Errorf("GET %s: limit has no documented minimum and maximum", p)
				continue
			}
			n++
			mo := ops["GET "+p]
			role := e.roles[mo.roles[0]]
			lo, hi := *prm.Schema.Minimum, *prm.Schema.Maximum
			for _, v := range []string{strconv.Itoa(hi + 1), strconv.Itoa(lo - 1), "100000000000000000000", "ten"} {
				if code, body := e.as(role, "GET", probePath(p)+"?limit="+v, nil); code != 400 {
					t.Errorf("GET %s?limit=%s = %d %.200s; want 400", p, v, code, body)
				}
			}
			if code, body := e.as(role, "GET", probePath(p)+"?limit="+strconv.Itoa(hi), nil); code == 400 {
				t.Errorf("GET %s?limit=%d (the maximum) = 400 %.200s", p, hi, body)
			}
		}
	}
	if n < 15 {
		t.Errorf("checked %d list operations; want every one with a limit", n)
	}
}
