package http_test

import (
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
)

func TestSamplingAPI(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	ts := newTestServer(t, clock, anxin.RoleQuality, anxin.RoleOperator, anxin.MerchantRole("m_1"))
	plan := map[string]any{"name": "Q2", "budget_fen": -5, "from": "2026-04-01T00:00:00Z", "to": "2026-07-01T00:00:00Z", "quotas": []map[string]any{{"category": "fresh", "quota": 3}}}
	var e apiError
	if st := ts.do(anxin.RoleQuality, "POST", "/v1/sampling/plans", plan, &e); st != 400 || !strings.Contains(e.Error.Message, "negative") {
		t.Fatalf("negative budget = %d %+v", st, e)
	}
	plan["budget_fen"] = 2
	if st := ts.do(anxin.RoleQuality, "POST", "/v1/sampling/plans", plan, &e); st != 400 || !strings.Contains(e.Error.Message, "cannot buy") {
		t.Fatalf("impossible quota = %d %+v", st, e)
	}
	plan["budget_fen"] = 100000
	if st := ts.do(anxin.MerchantRole("m_1"), "POST", "/v1/sampling/plans", plan, nil); st != 403 {
		t.Fatalf("merchant creates a plan: %d", st)
	}
	var p anxin.SamplingPlan
	if st := ts.do(anxin.RoleQuality, "POST", "/v1/sampling/plans", plan, &p); st != 201 || p.ID == "" || p.Seed == 0 {
		t.Fatalf("create plan = %d %+v", st, p)
	}
	var list struct {
		Plans []anxin.SamplingPlan `json:"plans"`
	}
	if st := ts.do(anxin.RoleOperator, "GET", "/v1/sampling/plans", nil, &list); st != 200 || len(list.Plans) != 1 {
		t.Fatalf("operator lists plans = %d %d", st, len(list.Plans))
	}
	if st := ts.do(anxin.RoleQuality, "POST", "/v1/sampling/samples/smp_missing/results", map[string]any{"report_ref": "r", "results": []map[string]any{{"test": "t", "pass": false}}}, &e); st != 404 {
		t.Fatalf("results for a missing sample = %d %+v", st, e)
	}
	lab := map[string]any{"name": "L", "accreditations": []string{"CMA"}, "categories": []string{"fresh"}, "tests": []string{"microbial"}, "capacity": 0, "price_fen": 100}
	if st := ts.do(anxin.RoleQuality, "PUT", "/v1/sampling/labs/lab_1", lab, nil); st != 400 {
		t.Fatalf("lab without capacity = %d", st)
	}
	lab["capacity"] = 2
	if st := ts.do(anxin.RoleQuality, "PUT", "/v1/sampling/labs/lab_1", lab, nil); st != 200 {
		t.Fatalf("put lab = %d", st)
	}
	if st := ts.do(anxin.RoleQuality, "POST", "/v1/sampling/plans/"+p.ID+"/draw", nil, &e); st != 400 || !strings.Contains(e.Error.Message, "no live listings") {
		t.Fatalf("draw with no listings = %d %+v", st, e)
	}
	if st := ts.do(anxin.MerchantRole("m_1"), "POST", "/v1/sampling/samples/smp_x/retest", nil, nil); st != 404 {
		t.Fatalf("retest of a missing sample = %d", st)
	}
}
