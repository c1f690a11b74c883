package enforcement

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/rules"
)

func TestTotalsAdd(t *testing.T) {
	now := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name  string
		track string
		pts   int
		cf    bool
		at    time.Time
		want  Totals
	}{
		{"this cycle", "general", 6, false, now.Add(-time.Hour), Totals{General: 6, Violations: 1}},
		{"serious counterfeit", "serious", 12, true, now.Add(-24 * time.Hour), Totals{Serious: 12, Counterfeit: 1, Violations: 1}},
		// 31 December 2025 23:30 in Beijing is last cycle: no points, but
		// still within 365 days.
		{"last cycle", "serious", 12, true, time.Date(2025, 12, 31, 15, 30, 0, 0, time.UTC), Totals{Counterfeit: 1, Violations: 1}},
		{"first minute of the cycle", "general", 3, false, time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC), Totals{General: 3, Violations: 1}},
		{"over a year ago", "general", 3, true, now.Add(-366 * 24 * time.Hour), Totals{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got Totals
			got.Add(tt.track, tt.pts, tt.cf, tt.at, now)
			if got != tt.want {
				t.Errorf("Add = %+v; want %+v", got, tt.want)
			}
		})
	}
	if k := CycleKey(time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC)); k != "2026" {
		t.Errorf("CycleKey(New Year in Beijing) = %s; want 2026", k)
	}
}

func TestNodesReached(t *testing.T) {
	for _, tt := range []struct {
		name   string
		t      Totals
		fired  map[string]bool
		causes string
	}{
		{"none", Totals{General: 11}, nil, ""},
		{"general 12", Totals{General: 12}, nil, "general:12"},
		{"skips fired", Totals{General: 25}, map[string]bool{"general:12": true}, "general:24"},
		{"every track", Totals{General: 12, Serious: 48, Counterfeit: 3}, map[string]bool{"serious:12": true, "serious:24": true},
			"general:12,serious:36,serious:48,counterfeit:2,counterfeit:3"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range NodesReached(tt.t, tt.fired) {
				got = append(got, r.Cause)
				if r.Reason == "" || len(r.Node.Actions) == 0 {
					t.Errorf("node %s has no reason or actions", r.Cause)
				}
			}
			if strings.Join(got, ",") != tt.causes {
				t.Errorf("NodesReached = %v; want %s", got, tt.causes)
			}
		})
	}
	lift := NodesToLift(Totals{General: 6, Serious: 24}, []FiredNode{{"general", 12, "sor_a"}, {"serious", 24, "sor_b"}, {"serious", 36, "sor_c"}})
	if len(lift) != 2 || lift[0].StatementID != "sor_a" || lift[1].StatementID != "sor_c" {
		t.Errorf("NodesToLift = %+v; want general:12 and serious:36", lift)
	}
	for _, n := range Ladder["serious"] {
		for _, a := range n.Actions {
			s := &anxin.Sanction{SubjectType: anxin.SubjectMerchant, SubjectID: "m", Type: a.Type, Source: anxin.SourceGovernance,
				OriginType: "points_node", OriginID: "x", StartsAt: t0}
			if a.Days > 0 {
				s.EndsAt = days(a.Days)
			}
			if err := Validate(s); err != nil {
				t.Errorf("ladder action %+v is not a valid sanction: %v", a, err)
			}
		}
	}
}

func TestStageActionsAndTargets(t *testing.T) {
	for _, tt := range []struct {
		name string
		d    anxin.Decision
		acts []anxin.EnforcementAction
		want string
	}{
		{"publish default", anxin.Decision{SubjectType: "listing", Stage: anxin.StagePublish}, nil, "intercept_publish"},
		{"post-publish intercept becomes delist", anxin.Decision{SubjectType: "listing", Stage: anxin.StagePostPublish},
			[]anxin.EnforcementAction{{Type: rules.ActInterceptPublish}, {Type: rules.ActRestrictListing, Days: 7}, {Type: rules.ActRestrictListing, Days: 14}}, "delist,restrict_listing:14"},
		{"stream default", anxin.Decision{SubjectType: "content", Kind: anxin.ContentLivestreamSegment, Stage: anxin.StageStream}, nil, "remove_from_cart"},
		{"content default", anxin.Decision{SubjectType: "content", Kind: anxin.ContentVideo}, nil, "hide_content"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, a := range StageActions(&tt.d, tt.acts) {
				s := a.Type
				if a.Days > 0 {
					s += ":" + strconv.Itoa(a.Days)
				}
				got = append(got, s)
			}
			if strings.Join(got, ",") != tt.want {
				t.Errorf("StageActions = %v; want %s", got, tt.want)
			}
		})
	}
	d := &anxin.Decision{SubjectType: "content", SubjectID: "c1", Kind: anxin.ContentLivestreamSegment, StreamID: "s1", MerchantID: "m1"}
	ts := Targets(d, []anxin.EnforcementAction{{Type: rules.ActCutStream}, {Type: rules.ActPenaliseInfluencer, Days: 7}, {Type: rules.ActShieldShop}, {Type: rules.ActHideContent}}, "inf1")
	var got []string
	for _, x := range ts {
		got = append(got, x.Type+"@"+x.TargetType+":"+x.TargetID)
	}
	if want := "cut_stream@livestream:s1,penalise_influencer@influencer:inf1,shield_shop@merchant:m1,hide_content@content:c1"; strings.Join(got, ",") != want {
		t.Errorf("Targets = %v; want %s", got, want)
	}
	if !ts[1].Sanction() || ts[0].Sanction() || SanctionType(ts[1].Type) != anxin.SanctionRestrictStreaming {
		t.Errorf("sanction targets misclassified")
	}
	if n := Targets(&anxin.Decision{SubjectType: "listing"}, []anxin.EnforcementAction{{Type: rules.ActClearOut}}, ""); len(n) != 0 {
		t.Errorf("a merchant verb without a merchant = %v; want dropped", n)
	}
}

func TestListingStatus(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    ListingFacts
		want string
	}{
		{"never checked", ListingFacts{}, anxin.ListingAllowed},
		{"allowed", ListingFacts{DecisionID: "d", Outcome: anxin.OutcomeAllow, Stage: anxin.StagePublish}, anxin.ListingAllowed},
		{"blocked at publish", ListingFacts{DecisionID: "d", Outcome: anxin.OutcomeBlock, Stage: anxin.StagePublish, Actions: []string{rules.ActInterceptPublish}}, anxin.ListingBlocked},
		{"blocked after publish", ListingFacts{DecisionID: "d", Outcome: anxin.OutcomeBlock, Stage: anxin.StagePostPublish}, anxin.ListingDelisted},
		{"under review", ListingFacts{DecisionID: "d", Outcome: anxin.OutcomeReview, CaseOpen: true}, anxin.ListingUnderReview},
		{"review decided", ListingFacts{DecisionID: "d", Outcome: anxin.OutcomeReview}, anxin.ListingAllowed},
		{"banned", ListingFacts{DecisionID: "d", Outcome: anxin.OutcomeAllow, Actions: []string{rules.ActBanListing}}, anxin.ListingDelisted},
		{"sampling takedown", ListingFacts{DecisionID: "d", Outcome: anxin.OutcomeAllow, TakenDown: true}, anxin.ListingDelisted},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := ListingStatus(tt.f); got != tt.want {
				t.Errorf("ListingStatus(%+v) = %s; want %s", tt.f, got, tt.want)
			}
		})
	}
}
