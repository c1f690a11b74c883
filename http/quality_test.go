package http_test

import (
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
)

func TestQualityAPI(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	ts := newTestServer(t, clock, anxin.RoleQuality, anxin.RoleOperator, anxin.RoleCare)
	if st := ts.do(anxin.RoleQuality, "POST", "/v1/quality/monitors", map[string]any{"scope": "planet", "key": "x", "metric": "return_rate"}, nil); st != 400 {
		t.Fatalf("bad scope = %d", st)
	}
	var m anxin.QualityMonitor
	if st := ts.do(anxin.RoleQuality, "POST", "/v1/quality/monitors", map[string]any{"scope": "category", "key": "strawberry", "metric": "return_rate", "seasonal": true}, &m); st != 201 || m.Weeks != 8 {
		t.Fatalf("create monitor = %d %+v", st, m)
	}
	if st := ts.do(anxin.RoleQuality, "POST", "/v1/quality/monitors", map[string]any{"scope": "category", "key": "strawberry", "metric": "return_rate"}, nil); st != 409 {
		t.Fatalf("duplicate monitor = %d", st)
	}
	var pts struct {
		Points []anxin.QualityPoint `json:"points"`
	}
	if st := ts.do(anxin.RoleOperator, "GET", "/v1/quality/monitors/"+m.ID+"/series?days=7", nil, &pts); st != 200 || len(pts.Points) != 7 {
		t.Fatalf("series = %d %d", st, len(pts.Points))
	}
	if st := ts.do(anxin.RoleQuality, "GET", "/v1/quality/monitors/"+m.ID+"/series?days=999", nil, nil); st != 400 {
		t.Fatalf("series days=999 = %d", st)
	}
	if st := ts.do(anxin.RoleQuality, "POST", "/v1/quality/evaluate", map[string]any{"day": "yesterday"}, nil); st != 400 {
		t.Fatalf("evaluate bad day = %d", st)
	}
	if st := ts.do(anxin.RoleCare, "POST", "/v1/quality/campaigns", map[string]any{}, nil); st != 403 {
		t.Fatalf("care creates a campaign = %d", st)
	}
	var c anxin.Campaign
	if st := ts.do(anxin.RoleQuality, "POST", "/v1/quality/campaigns", map[string]any{"name": "草莓专项", "category": "strawberry", "from": "2026-03-01T00:00:00Z", "to": "2026-05-01T00:00:00Z", "rules": map[string]any{"max_return_rate_bp": 1500}}, &c); st != 201 || c.Rules.SamplingTier != 3 {
		t.Fatalf("create campaign = %d %+v", st, c)
	}
	if st := ts.do(anxin.RoleQuality, "POST", "/v1/quality/campaigns/"+c.ID+"/enforce", nil, nil); st != 200 {
		t.Fatalf("enforce = %d", st)
	}
	if st := ts.do(anxin.RoleQuality, "GET", "/v1/quality/campaigns/qc_missing", nil, nil); st != 404 {
		t.Fatalf("missing campaign = %d", st)
	}
}
