package http_test

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"anxin"
	"anxin/protection"
)

// formValues returns the values a browser would submit from the page's
// form with the given id: text inputs, ticked checkboxes and the selected
// options (the first option when none is marked).
func formValues(page, id string) url.Values {
	form := regexp.MustCompile(`(?s)<form[^>]*\sid="` + regexp.QuoteMeta(id) + `".*?</form>`).FindString(page)
	v := url.Values{}
	attr := func(tag, name string) (string, bool) {
		m := regexp.MustCompile(`\s` + name + `="([^"]*)"`).FindStringSubmatch(tag)
		if m == nil {
			return "", false
		}
		return unescape(m[1]), true
	}
	for _, tag := range regexp.MustCompile(`<input[^>]*>`).FindAllString(form, -1) {
		name, _ := attr(tag, "name")
		typ, _ := attr(tag, "type")
		val, hasVal := attr(tag, "value")
		switch {
		case name == "":
		case typ == "checkbox":
			if strings.Contains(tag, " checked") {
				if !hasVal {
					val = "on"
				}
				v.Add(name, val)
			}
		default:
			v.Add(name, val)
		}
	}
	for _, m := range regexp.MustCompile(`(?s)<select[^>]*\sname="([^"]*)"[^>]*>(.*?)</select>`).FindAllStringSubmatch(form, -1) {
		opts := regexp.MustCompile(`<option([^>]*)>([^<]*)</option>`).FindAllStringSubmatch(m[2], -1)
		if len(opts) == 0 {
			continue
		}
		pick := opts[0]
		for _, o := range opts {
			if strings.Contains(o[1], "selected") {
				pick = o
			}
		}
		val := unescape(pick[2])
		if a, ok := attr(pick[1], "value"); ok {
			val = a
		}
		v.Set(m[1], val)
	}
	return v
}

func unescape(s string) string {
	return strings.NewReplacer("&#34;", `"`, "&#39;", "'", "&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`).Replace(s)
}

func TestProgrammeForm(t *testing.T) {
	ts, _, db := protectionServer(t)
	tok, _ := consoleSession(t, db, anxin.RoleOperator)
	code, page := consoleDo(t, ts, tok, "GET", "/console/programmes?edit=instant_refund", nil)
	if code != 200 {
		t.Fatalf("editor = %d", code)
	}
	base := formValues(page, "editor")
	if base.Get("approve_max") != "500.00" || base.Get("buyer_quota") != "2000.00" || base.Get("quota_days") != "30" || base.Get("window_hours") != "720" {
		t.Fatalf("form of instant_refund = %v; want ¥500.00 cap, ¥2000.00 quota over 30 days, 720 hours", base)
	}

	bad := []struct {
		name, field, value, input, want string
	}{
		{"money not a number", "approve_max", "five hundred", "p-approve-max", "amount in yuan"},
		{"money with three decimals", "buyer_quota", "12.345", "p-quota", "at most two decimals"},
		{"negative money", "min_order", "-1", "p-min-order", "amount in yuan"},
		{"hours not whole", "window_hours", "1.5", "p-hours", "whole number of hours"},
		{"window of zero hours", "window_hours", "0", "p-hours", "window.hours must be between 1 and 8784"},
		{"days out of range", "quota_days", "99999", "p-quota-days", "whole number of days"},
		{"quota without days", "quota_days", "", "p-quota-days", "quota needs quota_window_days"},
		{"bad rate", "payout_rate", "5.555", "p-rate", "percentage"},
		{"bad id", "id", "Instant Refund", "p-id", "id may contain only"},
		{"empty name", "name", "", "p-name", "name is required"},
		{"perishable longer than the window", "perishable_hours", "9999", "p-perishable", "perishable_hours must be between 0 and window.hours"},
	}
	for _, tt := range bad {
		f := url.Values{}
		for k, v := range base {
			f[k] = append([]string(nil), v...)
		}
		f.Set(tt.field, tt.value)
		f.Set("name", f.Get("name")+" (edited)")
		if tt.field == "name" {
			f.Set("name", tt.value)
		}
		code, page := consoleDo(t, ts, tok, "POST", "/console/programmes", f)
		if got := fieldError(page, tt.input); code != 422 || !strings.Contains(got, tt.want) {
			t.Errorf("%s: save = %d, error beside %s %q; want 422 with %q", tt.name, code, tt.input, got, tt.want)
			continue
		}
		kept := formValues(page, "editor")
		for _, k := range []string{tt.field, "name", "approve_max", "window_start"} {
			if kept.Get(k) != f.Get(k) {
				t.Errorf("%s: %s after the refusal = %q; want the typed %q", tt.name, k, kept.Get(k), f.Get(k))
			}
		}
	}

	// A good edit stores a new version with yuan as fen and percent as bp.
	f := base
	f.Set("approve_max", "350.5")
	f.Set("response_hours", "36")
	code, page = consoleDo(t, ts, tok, "POST", "/console/programmes", f)
	if code != 200 || !strings.Contains(page, "Saved instant_refund version 2.") {
		t.Fatalf("save = %d; want version 2", code)
	}
	var cfg string
	if err := db.QueryRowContext(t.Context(), `SELECT config FROM protection_programmes WHERE id = 'instant_refund' AND version = 2`).Scan(&cfg); err != nil {
		t.Fatal(err)
	}
	var p protection.Programme
	json.Unmarshal([]byte(cfg), &p)
	if p.Auto.ApproveMaxFen != 35050 || p.Auto.MerchantResponseHours != 36 || p.Auto.BuyerQuotaFen != 200000 || !p.Auto.ShippedNeedsReturn || p.Trigger.ClaimTypes[1] != "return_refund" {
		t.Errorf("stored version 2 = %+v; want ¥350.50 as 35050 fen, 36 hours and the rest unchanged", p.Auto)
	}
	if code, _ := consoleDo(t, ts, tok, "POST", "/console/programmes", url.Values{"id": {"x"}}); code != 403 {
		t.Errorf("save without csrf = %d; want 403", code)
	}
	rtok, rcsrf := consoleSession(t, db, anxin.RoleReviewer)
	f.Set("csrf", rcsrf)
	if code, _ := consoleDo(t, ts, rtok, "POST", "/console/programmes", f); code != 403 {
		t.Errorf("save as reviewer = %d; want 403", code)
	}
}
