package http_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"

	"anxin"
	"anxin/anxintest/testserver"
	"anxin/classify"
)

func newModelServer(t *testing.T) *govServer {
	t.Helper()
	return newGovernanceServer(t, []anxin.Role{anxin.RolePlatform, anxin.RoleOperator, anxin.RoleReviewer, anxin.RoleAuditor}, testserver.Governance)
}

func TestContentModelAPI(t *testing.T) {
	g := newModelServer(t)
	f, err := os.Open("../testdata/train/content.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	seed, err := classify.ReadExamples(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	items, _ := json.Marshal(map[string]any{"items": seed})
	inline, _ := json.Marshal(map[string]any{"examples": seed[:100]})
	tests := []struct {
		name, role, method, path, body string
		want                           int
		wantMsg                        string
	}{
		{"list as platform", "platform", "GET", "/v1/models/content", "", 403, ""},
		{"list as auditor", "auditor", "GET", "/v1/models/content", "", 200, ""},
		{"examples as reviewer", "reviewer", "POST", "/v1/models/content/examples", string(items), 403, ""},
		{"examples with a bad label", "operator", "POST", "/v1/models/content/examples", `{"items":[{"id":"x","kind":"comment","text":"hi","label":"meh"}]}`, 400, `Unknown label "meh"`},
		{"train with nothing stored", "operator", "POST", "/v1/models/content/train", `{"seed":1}`, 400, "got 0"},
		{"examples", "operator", "POST", "/v1/models/content/examples", string(items), 200, ""},
		{"train as reviewer", "reviewer", "POST", "/v1/models/content/train", `{"seed":1}`, 403, ""},
		{"train", "operator", "POST", "/v1/models/content/train", `{"seed":1,"threshold":0.9}`, 201, ""},
		{"promote as reviewer", "reviewer", "POST", "/v1/models/content/1/promote", string(inline), 403, ""},
		{"promote without holdout", "operator", "POST", "/v1/models/content/1/promote", `{}`, 400, "Give a holdout"},
		{"promote a bad version", "operator", "POST", "/v1/models/content/x/promote", string(inline), 404, ""},
		{"promote", "operator", "POST", "/v1/models/content/1/promote", string(inline), 200, ""},
		{"train again", "operator", "POST", "/v1/models/content/train", `{"seed":1,"threshold":0.9}`, 201, ""},
		{"promote one no better", "operator", "POST", "/v1/models/content/2/promote", string(inline), 409, "does not beat active version 1"},
		{"promote the active one", "operator", "POST", "/v1/models/content/1/promote", string(inline), 409, "only a version in shadow"},
	}
	for _, tt := range tests {
		var out struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if got := g.do(tt.role, tt.method, tt.path, tt.body, &out); got != tt.want || !strings.Contains(out.Error.Message, tt.wantMsg) {
			t.Errorf("%s: %s %s = %d %q; want %d %q", tt.name, tt.method, tt.path, got, out.Error.Message, tt.want, tt.wantMsg)
		}
	}
	var list struct {
		Items []anxin.ContentModel `json:"items"`
	}
	if g.do("reviewer", "GET", "/v1/models/content", "", &list); len(list.Items) != 2 || list.Items[0].State != "shadow" || list.Items[1].State != "active" {
		t.Errorf("GET /v1/models/content = %+v; want v2 shadow, v1 active", list.Items)
	}

	// The policies page lists the versions; the operator may promote the
	// shadow one against a stored holdout, and a refusal is shown.
	hold, _ := json.Marshal(map[string]any{"seed": 1, "threshold": 0.9, "holdout": "firstlines", "holdout_examples": seed[:100]})
	if got := g.do("operator", "POST", "/v1/models/content/train", string(hold), nil); got != 201 {
		t.Fatalf("train with a holdout = %d", got)
	}
	code, html := g.page(anxin.RoleOperator, "GET", "/console/governance/policies", nil)
	if code != 200 || !hasElement(html, "content-models-table") || !strings.Contains(html, `action="/console/governance/models/3"`) {
		t.Fatalf("policies page = %d; want the content model table with a promote form for v3", code)
	}
	if _, html := g.page(anxin.RoleReviewer, "GET", "/console/governance/policies", nil); !hasElement(html, "content-models-table") || strings.Contains(html, `action="/console/governance/models/`) {
		t.Errorf("reviewer's policies page: want the table without promote forms")
	}
	code, html = g.page(anxin.RoleOperator, "POST", "/console/governance/models/3", url.Values{"holdout": {"firstlines"}})
	if code != 200 || !hasElement(html, "problem") || !bytes.Contains([]byte(html), []byte("does not beat active version 1")) {
		t.Errorf("console promote of a no-better version = %d; want the refusal shown", code)
	}
}
