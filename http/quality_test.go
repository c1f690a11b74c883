package http_test

import (
	"strings"
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

func TestQualityHistoryAPI(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 4, 1, 4, 0, 0, 0, time.UTC))
	ts := newTestServer(t, clock, anxin.RoleQuality, anxin.RoleOperator)
	days := []map[string]any{}
	for d := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC); d.Before(time.Date(2025, 4, 30, 0, 0, 0, 0, time.UTC)); d = d.AddDate(0, 0, 1) {
		days = append(days, map[string]any{"day": d.Format(time.DateOnly), "trials": 50, "events": 5})
	}
	block := map[string]any{"scope": "category", "key": "fresh", "metric": "return_rate", "days": days}
	bad := []struct {
		name string
		body any
		want int
	}{
		{"not JSON", "{days:", 400},
		{"unknown field", map[string]any{"scope": "category", "key": "fresh", "metric": "return_rate", "days": days, "extra": 1}, 400},
		{"events above trials", map[string]any{"scope": "category", "key": "fresh", "metric": "return_rate", "days": append(append([]map[string]any{}, days...), map[string]any{"day": "2026-01-01", "trials": 1, "events": 2})}, 400},
		{"future day", map[string]any{"scope": "category", "key": "fresh", "metric": "return_rate", "days": []map[string]any{{"day": "2026-04-02", "trials": 1, "events": 0}}}, 400},
		{"too many days", map[string]any{"scope": "category", "key": "fresh", "metric": "return_rate", "days": make([]map[string]any, anxin.MaxHistoryDays+1)}, 400},
	}
	for _, tt := range bad {
		if st := ts.do(anxin.RoleQuality, "POST", "/v1/quality/history", tt.body, nil); st != tt.want {
			t.Errorf("%s: POST /v1/quality/history = %d; want %d", tt.name, st, tt.want)
		}
	}
	if st := ts.do(anxin.RoleOperator, "POST", "/v1/quality/history", block, nil); st != 403 {
		t.Fatalf("operator imports history = %d; want 403", st)
	}
	var m anxin.QualityMonitor
	if st := ts.do(anxin.RoleQuality, "POST", "/v1/quality/monitors", map[string]any{"scope": "category", "key": "fresh", "metric": "return_rate", "seasonal": true}, &m); st != 201 {
		t.Fatalf("create monitor = %d", st)
	}
	var series anxin.QualitySeries
	if st := ts.do(anxin.RoleQuality, "GET", "/v1/quality/monitors/"+m.ID+"/series?days=7", nil, &series); st != 200 || series.BaselineKind != anxin.BaselineNone {
		t.Fatalf("series before import (after refused blocks) = %d %s; want no baseline", st, series.BaselineKind)
	}
	for i := 0; i < 2; i++ {
		var res struct {
			Imported int `json:"imported"`
		}
		if st := ts.do(anxin.RoleQuality, "POST", "/v1/quality/history", block, &res); st != 200 || res.Imported != len(days) {
			t.Fatalf("import #%d = %d %+v; want %d days", i+1, st, res, len(days))
		}
	}
	if st := ts.do(anxin.RoleQuality, "GET", "/v1/quality/monitors/"+m.ID+"/series?days=7", nil, &series); st != 200 || series.BaselineKind != anxin.BaselineSeasonal || series.Baseline != 0.1 {
		t.Fatalf("series after import = %d %s %.3f; want a seasonal baseline of 10 %%", st, series.BaselineKind, series.Baseline)
	}
}

func TestQualityPagesNeverShowAZeroRange(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 4, 1, 4, 0, 0, 0, time.UTC))
	ts := newTestServer(t, clock, anxin.RoleQuality, anxin.RoleOperator)
	var m anxin.QualityMonitor
	if st := ts.do(anxin.RoleQuality, "POST", "/v1/quality/monitors", map[string]any{"scope": "category", "key": "fresh", "metric": "damage_rate", "seasonal": true, "weeks": 4}, &m); st != 201 {
		t.Fatalf("create monitor = %d", st)
	}
	for _, path := range []string{"/console/quality", "/console/quality/monitors/" + m.ID} {
		st, body := ts.page(anxin.RoleOperator, "GET", path, nil)
		if st != 200 {
			t.Fatalf("%s = %d", path, st)
		}
		if strings.Contains(body, "0.0 % – 0.0 %") {
			t.Errorf("%s shows a 0–0 normal range for days without a baseline", path)
		}
		for _, want := range []string{`<svg xmlns="http://www.w3.org/2000/svg" class="quality-chart"`, `data-baseline-kind="none"`, "no baseline yet — not judged", "seasonal (same weekday a year earlier), else trailing 4 weeks"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
	}
	if st, _ := ts.page(anxin.RoleOperator, "GET", "/console/quality/monitors/qm_missing", nil); st != 404 {
		t.Errorf("missing monitor page = %d; want 404", st)
	}
}
