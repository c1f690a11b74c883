package http

import (
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"anxin"
	"anxin/ledger"
	"anxin/protection"
)

// The programme editor is a form over protection.Programme: money is typed
// in yuan and stored in fen, rates in percent and stored in basis points,
// windows in hours and quotas in days. The form's own parsing errors and
// the programme's validation (protection.Programme.Validate, which
// SaveProgramme runs again) are shown beside the input at fault, with
// every typed value kept.

// programmeForm is a programme as typed into the form.
type programmeForm struct {
	ID, Name, Kind                                                     string
	Active                                                             bool
	Categories, ExcludedCategories, ListingFlags, MinOrder, MaxOrder   string
	RequiresEnrolment                                                  bool
	BuyerStandings                                                     []string
	TriggerType, Event, LostAfterDays                                  string
	ClaimTypes, Evidence                                               []string
	WindowStart, WindowHours, PerishableHours, PerishableCategories    string
	PayoutKind, Fixed, Rate, Min, Max, Multiple, StatMultiple, StatMin string
	IncludeRefund                                                      bool
	Form, Funding                                                      string
	AllowOverOrder                                                     bool
	ApproveMax, ResponseHours, BuyerQuota, QuotaDays                   string
	AutoStandings                                                      []string
	ShippedNeedsReturn                                                 bool
	Includes                                                           string
}

// Has reports whether list holds v, for checkboxes.
func (programmeForm) Has(list []string, v string) bool { return slices.Contains(list, v) }

// yuan renders non-negative fen (stored amounts are never negative) as a
// plain yuan amount for an input ("12.50"; "" for 0 when blank means none).
func yuan(fen int64, blankZero bool) string {
	if fen == 0 && blankZero {
		return ""
	}
	return strconv.FormatInt(fen/100, 10) + "." + strconv.FormatInt(fen%100/10, 10) + strconv.FormatInt(fen%10, 10)
}

func count(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

func formOfProgramme(p *protection.Programme) programmeForm {
	pct := ""
	if p.Payout.RateBP != 0 {
		pct = strconv.FormatFloat(float64(p.Payout.RateBP)/100, 'f', -1, 64)
	}
	e, a := p.Eligibility, p.Auto
	return programmeForm{ID: p.ID, Name: p.Name, Kind: string(p.Kind), Active: p.Active,
		Categories: strings.Join(e.Categories, ", "), ExcludedCategories: strings.Join(e.ExcludedCategories, ", "), ListingFlags: strings.Join(e.ListingFlags, ", "),
		MinOrder: yuan(e.MinOrderFen, true), MaxOrder: yuan(e.MaxOrderFen, true), RequiresEnrolment: e.RequiresEnrolment, BuyerStandings: e.BuyerStandings,
		TriggerType: p.Trigger.Type, Event: p.Trigger.Event, LostAfterDays: count(int64(p.Trigger.LostAfterDays)), ClaimTypes: p.Trigger.ClaimTypes, Evidence: p.Evidence,
		WindowStart: p.Window.Start, WindowHours: count(int64(p.Window.Hours)), PerishableHours: count(int64(p.Window.PerishableHours)),
		PerishableCategories: strings.Join(p.Window.PerishableCategories, ", "),
		PayoutKind:           string(p.Payout.Kind), Fixed: yuan(p.Payout.FixedFen, true), Rate: pct, Min: yuan(p.Payout.MinFen, true), Max: yuan(p.Payout.MaxFen, true),
		Multiple: count(p.Payout.Multiple), StatMultiple: count(p.Payout.StatutoryMultiple), StatMin: yuan(p.Payout.StatutoryMinFen, true), IncludeRefund: p.Payout.IncludeRefund,
		Form: p.Form, Funding: string(p.Funding), AllowOverOrder: p.AllowOverOrder,
		ApproveMax: yuan(a.ApproveMaxFen, false), ResponseHours: count(int64(a.MerchantResponseHours)), BuyerQuota: yuan(a.BuyerQuotaFen, true),
		QuotaDays: count(int64(a.QuotaWindowDays)), AutoStandings: a.Standings, ShippedNeedsReturn: a.ShippedNeedsReturn,
		Includes: strings.Join(p.Includes, ", ")}
}

func programmeFormOf(r *http.Request) programmeForm {
	r.ParseForm()
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	on := func(k string) bool { return r.PostFormValue(k) == "on" }
	return programmeForm{ID: v("id"), Name: v("name"), Kind: v("kind"), Active: on("active"),
		Categories: v("categories"), ExcludedCategories: v("excluded_categories"), ListingFlags: v("listing_flags"),
		MinOrder: v("min_order"), MaxOrder: v("max_order"), RequiresEnrolment: on("requires_enrolment"), BuyerStandings: r.PostForm["buyer_standings"],
		TriggerType: v("trigger_type"), Event: v("event"), LostAfterDays: v("lost_after_days"), ClaimTypes: r.PostForm["claim_types"], Evidence: r.PostForm["evidence"],
		WindowStart: v("window_start"), WindowHours: v("window_hours"), PerishableHours: v("perishable_hours"), PerishableCategories: v("perishable_categories"),
		PayoutKind: v("payout_kind"), Fixed: v("payout_fixed"), Rate: v("payout_rate"), Min: v("payout_min"), Max: v("payout_max"),
		Multiple: v("payout_multiple"), StatMultiple: v("payout_statutory_multiple"), StatMin: v("payout_statutory_min"), IncludeRefund: on("include_refund"),
		Form: v("form"), Funding: v("funding"), AllowOverOrder: on("allow_over_order"),
		ApproveMax: v("approve_max"), ResponseHours: v("response_hours"), BuyerQuota: v("buyer_quota"), QuotaDays: v("quota_days"),
		AutoStandings: r.PostForm["auto_standings"], ShippedNeedsReturn: on("shipped_needs_return"), Includes: v("includes")}
}

// parseYuan reads a non-negative yuan amount with at most two decimals
// ("12", "12.5", "12.50", "1,200.00") as fen, without floating point.
func parseYuan(s string) (int64, bool) {
	s = strings.TrimPrefix(strings.ReplaceAll(strings.TrimSpace(s), ",", ""), "¥")
	if s == "" {
		return 0, true
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || len(whole) > 13 {
		return 0, false
	}
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	y, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt((frac + "00")[:2], 10, 64)
	return y*100 + f, true
}

// parseCount reads a whole non-negative number up to max ("" is 0).
func parseCount(s string, max int64) (int64, bool) {
	if s == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0 && n <= max
}

// parsePercent reads a percentage with at most two decimals as basis points.
func parsePercent(s string) (int64, bool) {
	if s == "" {
		return 0, true
	}
	s = strings.TrimSuffix(strings.TrimSpace(s), "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 10000 || math.Abs(f*100-math.Round(f*100)) > 1e-6 {
		return 0, false
	}
	return int64(math.Round(f * 100)), true
}

// programme converts the form, returning the parsing errors by input name.
func (f programmeForm) programme() (*protection.Programme, map[string]string) {
	errs := map[string]string{}
	money := func(name, s string) int64 {
		v, ok := parseYuan(s)
		if !ok {
			errs[name] = "Enter an amount in yuan, like 12.50 (at most two decimals, not negative)."
		}
		return v
	}
	num := func(name, s, unit string, max int64) int64 {
		v, ok := parseCount(s, max)
		if !ok {
			errs[name] = "Enter a whole number of " + unit + " from 0 to " + strconv.FormatInt(max, 10) + "."
		}
		return v
	}
	rate, ok := parsePercent(f.Rate)
	if !ok {
		errs["payout_rate"] = "Enter a percentage like 5 or 2.5 (at most two decimals)."
	}
	p := &protection.Programme{ID: f.ID, Name: f.Name, Kind: protection.Kind(f.Kind), Active: f.Active,
		Eligibility: protection.Eligibility{Categories: splitList(f.Categories), ExcludedCategories: splitList(f.ExcludedCategories),
			RequiresEnrolment: f.RequiresEnrolment, ListingFlags: splitList(f.ListingFlags),
			MinOrderFen: money("min_order", f.MinOrder), MaxOrderFen: money("max_order", f.MaxOrder), BuyerStandings: f.BuyerStandings},
		Trigger:  protection.Trigger{Type: f.TriggerType, ClaimTypes: f.ClaimTypes, Event: f.Event, LostAfterDays: int(num("lost_after_days", f.LostAfterDays, "days", 3650))},
		Evidence: f.Evidence,
		Window: protection.Window{Start: f.WindowStart, Hours: int(num("window_hours", f.WindowHours, "hours", 87840)),
			PerishableHours: int(num("perishable_hours", f.PerishableHours, "hours", 87840)), PerishableCategories: splitList(f.PerishableCategories)},
		Payout: ledger.Formula{Kind: ledger.FormulaKind(f.PayoutKind), FixedFen: money("payout_fixed", f.Fixed), RateBP: rate,
			MinFen: money("payout_min", f.Min), MaxFen: money("payout_max", f.Max), Multiple: num("payout_multiple", f.Multiple, "times", 100),
			StatutoryMultiple: num("payout_statutory_multiple", f.StatMultiple, "times", 100), StatutoryMinFen: money("payout_statutory_min", f.StatMin),
			IncludeRefund: f.IncludeRefund},
		Form: f.Form, Funding: protection.Funding(f.Funding), AllowOverOrder: f.AllowOverOrder,
		Auto: protection.Auto{ApproveMaxFen: money("approve_max", f.ApproveMax), MerchantResponseHours: int(num("response_hours", f.ResponseHours, "hours", 87840)),
			Standings: f.AutoStandings, BuyerQuotaFen: money("buyer_quota", f.BuyerQuota), QuotaWindowDays: int(num("quota_days", f.QuotaDays, "days", 3650)),
			ShippedNeedsReturn: f.ShippedNeedsReturn},
		Includes: splitList(f.Includes)}
	return p, errs
}

// programmeField names the input a validation error is about, from the
// error's code and the setting its message names.
func programmeField(e *protection.Error) string {
	m := e.Message
	has := func(s string) bool { return strings.Contains(m, s) }
	switch e.Code {
	case "trigger":
		switch {
		case has("lost_after_days"):
			return "lost_after_days"
		case has("claim"):
			return "claim_types"
		case has("trigger.event"):
			return "event"
		}
		return "trigger_type"
	case "window":
		switch {
		case has("perishable"):
			return "perishable_hours"
		case has("window.start"):
			return "window_start"
		}
		return "window_hours"
	case "payout":
		for _, k := range []string{"fixed_fen:payout_fixed", "rate_bp:payout_rate", "statutory_min_fen:payout_statutory_min", "min_fen:payout_min",
			"max_fen:payout_max", "statutory_multiple:payout_statutory_multiple", "multiple:payout_multiple"} {
			name, input, _ := strings.Cut(k, ":")
			if has(name) {
				return input
			}
		}
		return "payout_kind"
	case "eligibility":
		if has("standing") {
			return "buyer_standings"
		}
		return "min_order"
	case "auto":
		if has("quota") {
			return "quota_days"
		}
		return "approve_max"
	}
	return e.Code // id, name, kind, includes, evidence, funding, form
}

// pageProgrammeSave validates the form and stores the programme as a new
// version through SaveProgramme; a refused form is shown again with the
// message beside its field and the typed values kept.
func (s *Server) pageProgrammeSave(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.protection()
	if err != nil {
		return err
	}
	if err := anxin.Authorize(r.Context(), anxin.ActionManageProgrammes); err != nil {
		return err
	}
	f := programmeFormOf(r)
	p, errs := f.programme()
	if len(errs) == 0 {
		if err := p.Validate(); err != nil {
			if pe, ok := err.(*protection.Error); ok {
				errs[programmeField(pe)] = pe.Message
			} else {
				errs["problem"] = err.Error()
			}
		}
	}
	if len(errs) > 0 {
		return s.renderProgrammes(w, r, http.StatusUnprocessableEntity, &f, errs, "")
	}
	cfg, err := json.Marshal(p)
	if err != nil {
		return err
	}
	rec, err := ps.SaveProgramme(r.Context(), cfg)
	if anxin.KindOf(err) == anxin.Invalid {
		field := "problem"
		if len(p.Includes) > 0 {
			field = "includes"
		}
		return s.renderProgrammes(w, r, http.StatusUnprocessableEntity, &f, map[string]string{field: anxin.MessageOf(err)}, "")
	}
	if err != nil {
		return err
	}
	return s.renderProgrammes(w, r, http.StatusOK, nil, nil, "Saved "+rec.ID+" version "+strconv.Itoa(rec.Version)+".")
}
