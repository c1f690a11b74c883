package http_test

import (
	"slices"
	"strings"
	"testing"

	"anxin"
)

func TestEnforcementListPage(t *testing.T) {
	g := newSanctionServer(t)
	g.do("platform", "POST", "/v1/merchants", `{"items":[{"id":"m1","name":"Tea_House"},{"id":"m2","name":"Rice Co"},{"id":"m3","name":"TeaXHouse"}]}`, nil)
	for _, body := range []string{
		`{"subject_id":"m1","type":"shield_shop","days":7,"facts":"Counterfeit bags, third finding."}`,
		`{"subject_id":"m2","type":"clear_out","facts":"Fraud ring."}`,
		`{"subject_id":"m3","type":"restrict_listing","days":3,"facts":"Late shipping."}`,
	} {
		if code := g.do("operator", "POST", "/v1/sanctions", body, nil); code != 201 {
			t.Fatalf("issue %s = %d", body, code)
		}
	}
	sorted := func(v []string) []string { slices.Sort(v); return v }
	for _, tt := range []struct {
		path string
		want []string
	}{
		{"/console/enforcement", []string{"m1", "m2", "m3"}},
		{"/console/enforcement?state=cleared_out", []string{"m2"}},
		{"/console/enforcement?state=shielded&source=manual", []string{"m1"}},
		{"/console/enforcement?type=restrict_listing", []string{"m3"}},
		{"/console/enforcement?q=tea_", []string{"m1"}},
		{"/console/enforcement?q=TEA", []string{"m1", "m3"}},
		{"/console/enforcement?q=%25", nil},
		{"/console/enforcement?source=ip", nil},
	} {
		code, body := g.pageAs("operator", tt.path)
		if got := sorted(attrValues(body, "data-merchant")); code != 200 || !slices.Equal(got, tt.want) {
			t.Errorf("%s = %d %v; want %v", tt.path, code, got, tt.want)
		}
	}
	_, body := g.pageAs("reviewer", "/console/enforcement?state=cleared_out")
	if !strings.Contains(body, `<a href="/console/merchants/m2">Rice Co</a>`) || !strings.Contains(body, `>cleared_out</span>`) || !strings.Contains(body, "clear_out</span> <span class=\"muted\">manual") {
		t.Errorf("cleared-out row lacks the linked name, the state badge or the sanction:\n%s", body)
	}
	if !strings.Contains(body, "UTC+8") {
		t.Errorf("since is not shown in the marketplace zone")
	}
	if code, body := g.pageAs("merchant:m1", "/console/enforcement"); code != 200 || !slices.Equal(attrValues(body, "data-merchant"), []string{"m1"}) {
		t.Errorf("m1's list = %d %v; want only itself", code, attrValues(body, "data-merchant"))
	}
	for _, bad := range []string{"?state=banned", "?source=gossip", "?cursor=x", "?q=" + strings.Repeat("x", anxin.MaxSanctionQuery+1)} {
		if code, _ := g.pageAs("operator", "/console/enforcement"+bad); code != 400 {
			t.Errorf("%s = %d; want 400", bad, code)
		}
	}
}
