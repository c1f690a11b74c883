package enforcement

import (
	"strings"
	"testing"
	"time"

	"anxin"
)

var t0 = time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)

func days(n int) *time.Time {
	t := t0.Add(time.Duration(n) * 24 * time.Hour)
	return &t
}

func sanction(id, typ, source string, from, to int) *anxin.Sanction {
	s := &anxin.Sanction{ID: id, SubjectType: anxin.SubjectMerchant, SubjectID: "m1", MerchantID: "m1", Type: typ, Source: source,
		OriginType: "decision", OriginID: "dec_" + id, Status: anxin.SanctionActive, StatementID: "sor_" + id,
		StartsAt: t0.Add(time.Duration(from) * 24 * time.Hour)}
	if to != 0 {
		s.EndsAt = days(to)
	}
	return s
}

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(*anxin.Sanction)
		want string // substring of the message; "" for valid
	}{
		{"valid", func(*anxin.Sanction) {}, ""},
		{"unknown type", func(s *anxin.Sanction) { s.Type = "ban_forever" }, `type "ban_forever" is not a sanction type`},
		{"unknown source", func(s *anxin.Sanction) { s.Source = "rumour" }, `source "rumour" is not a sanction source`},
		{"unknown subject", func(s *anxin.Sanction) { s.SubjectType = "buyer" }, `subject_type "buyer"`},
		{"influencer shield", func(s *anxin.Sanction) { s.SubjectType = anxin.SubjectInfluencer; s.Type = anxin.SanctionShieldShop }, "An influencer can be"},
		{"no origin", func(s *anxin.Sanction) { s.OriginID = "" }, "names the decision"},
		{"end before start", func(s *anxin.Sanction) { s.EndsAt = &t0 }, "ends_at must be after starts_at"},
		{"too long", func(s *anxin.Sanction) { s.EndsAt = days(MaxDays + 1) }, "at most 3650 days"},
		{"timed deduction", func(s *anxin.Sanction) { s.Type = anxin.SanctionDeductDeposit }, "applied once"},
		{"open warning", func(s *anxin.Sanction) { s.Type = anxin.SanctionWarning; s.EndsAt = nil }, "A warning needs an end"},
		{"bad subject id", func(s *anxin.Sanction) { s.SubjectID = "m 1" }, "subject_id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := sanction("s1", anxin.SanctionRestrictListing, anxin.SourceSampling, 0, 7)
			tt.edit(s)
			err := Validate(s)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate = %v; want nil", err)
				}
				return
			}
			if anxin.KindOf(err) != anxin.Invalid || !strings.Contains(anxin.MessageOf(err), tt.want) {
				t.Fatalf("Validate = %v; want Invalid containing %q", err, tt.want)
			}
		})
	}
}

func TestAdmit(t *testing.T) {
	restrict7 := sanction("a", anxin.SanctionRestrictListing, anxin.SourceGovernance, 0, 7)
	for _, tt := range []struct {
		name      string
		others    []*anxin.Sanction
		s         *anxin.Sanction
		mode      Mode
		wantKind  anxin.Kind
		wantStart int // days after t0
		wantEnd   int // 0: open-ended
		covered   bool
	}{
		{"no others", nil, sanction("b", anxin.SanctionRestrictListing, anxin.SourceGovernance, 0, 14), Queue, "", 0, 14, false},
		{"other source coexists", []*anxin.Sanction{restrict7}, sanction("b", anxin.SanctionRestrictListing, anxin.SourceSampling, 0, 7), Refuse, "", 0, 7, false},
		{"other type coexists", []*anxin.Sanction{restrict7}, sanction("b", anxin.SanctionShieldShop, anxin.SourceGovernance, 0, 7), Refuse, "", 0, 7, false},
		{"overlap refused", []*anxin.Sanction{restrict7}, sanction("b", anxin.SanctionRestrictListing, anxin.SourceGovernance, 2, 9), Refuse, anxin.Conflict, 0, 0, false},
		{"overlap queued", []*anxin.Sanction{restrict7}, sanction("b", anxin.SanctionRestrictListing, anxin.SourceGovernance, 0, 14), Queue, "", 7, 21, false},
		{"queued behind two", []*anxin.Sanction{restrict7, sanction("c", anxin.SanctionRestrictListing, anxin.SourceGovernance, 7, 21)},
			sanction("b", anxin.SanctionRestrictListing, anxin.SourceGovernance, 0, 7), Queue, "", 21, 28, false},
		{"open-ended covers", []*anxin.Sanction{sanction("c", anxin.SanctionRestrictListing, anxin.SourceDeposit, 0, 0)},
			sanction("b", anxin.SanctionRestrictListing, anxin.SourceDeposit, 1, 8), Queue, anxin.Conflict, 0, 0, true},
		{"lifted does not count", []*anxin.Sanction{func() *anxin.Sanction { s := *restrict7; s.Status = anxin.SanctionLifted; return &s }()},
			sanction("b", anxin.SanctionRestrictListing, anxin.SourceGovernance, 0, 7), Refuse, "", 0, 7, false},
		{"after the other ends", []*anxin.Sanction{restrict7}, sanction("b", anxin.SanctionRestrictListing, anxin.SourceGovernance, 7, 14), Refuse, "", 7, 14, false},
		{"replay of the same origin", []*anxin.Sanction{restrict7}, func() *anxin.Sanction {
			s := sanction("b", anxin.SanctionRestrictListing, anxin.SourceGovernance, 0, 7)
			s.OriginID = restrict7.OriginID
			return s
		}(), Queue, anxin.Conflict, 0, 0, false},
		{"unknown type", nil, sanction("b", "suspend", anxin.SourceGovernance, 0, 7), Queue, anxin.Invalid, 0, 0, false},
		{"deductions never overlap", []*anxin.Sanction{sanction("c", anxin.SanctionDeductDeposit, anxin.SourceGovernance, 0, 0)},
			sanction("b", anxin.SanctionDeductDeposit, anxin.SourceGovernance, 0, 0), Refuse, "", 0, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := *tt.s
			got, err := Admit(tt.others, tt.s, tt.mode)
			if *tt.s != before {
				t.Errorf("Admit modified its argument")
			}
			if tt.wantKind != "" {
				if anxin.KindOf(err) != tt.wantKind || Covered(err) != tt.covered {
					t.Fatalf("Admit = %v, %v; want %s (covered %v)", got, err, tt.wantKind, tt.covered)
				}
				return
			}
			if err != nil {
				t.Fatalf("Admit: %v", err)
			}
			if !got.StartsAt.Equal(t0.Add(time.Duration(tt.wantStart) * 24 * time.Hour)) {
				t.Errorf("start = %v; want day %d", got.StartsAt, tt.wantStart)
			}
			switch {
			case tt.wantEnd == 0 && got.EndsAt != nil:
				t.Errorf("end = %v; want none", got.EndsAt)
			case tt.wantEnd != 0 && (got.EndsAt == nil || !got.EndsAt.Equal(*days(tt.wantEnd))):
				t.Errorf("end = %v; want day %d", got.EndsAt, tt.wantEnd)
			}
		})
	}
}

func TestState(t *testing.T) {
	lifted := sanction("x", anxin.SanctionClearOut, anxin.SourceIP, 0, 0)
	lifted.Status = anxin.SanctionLifted
	for _, tt := range []struct {
		name   string
		ss     []*anxin.Sanction
		points anxin.EnforcementPoints
		want   string
	}{
		{"nothing", nil, anxin.EnforcementPoints{}, anxin.StateGoodStanding},
		{"points only", nil, anxin.EnforcementPoints{General: 6}, anxin.StateWarned},
		{"warning", []*anxin.Sanction{sanction("w", anxin.SanctionWarning, anxin.SourceManual, 0, 30)}, anxin.EnforcementPoints{}, anxin.StateWarned},
		{"restricted by sampling", []*anxin.Sanction{sanction("r", anxin.SanctionRestrictListing, anxin.SourceSampling, 0, 7)}, anxin.EnforcementPoints{}, anxin.StateRestricted},
		{"shield beats restrict", []*anxin.Sanction{sanction("r", anxin.SanctionRestrictListing, anxin.SourceGovernance, 0, 7), sanction("s", anxin.SanctionShieldShop, anxin.SourceGovernance, 0, 7)}, anxin.EnforcementPoints{Serious: 12}, anxin.StateShielded},
		{"frozen beats shield", []*anxin.Sanction{sanction("s", anxin.SanctionShieldShop, anxin.SourceGovernance, 0, 21), sanction("f", anxin.SanctionFreezePayout, anxin.SourceGovernance, 0, 30)}, anxin.EnforcementPoints{}, anxin.StateFrozen},
		{"cleared out wins", []*anxin.Sanction{sanction("f", anxin.SanctionFreezePayout, anxin.SourceGovernance, 0, 30), sanction("c", anxin.SanctionClearOut, anxin.SourceIP, 0, 0)}, anxin.EnforcementPoints{Serious: 60}, anxin.StateClearedOut},
		{"expired", []*anxin.Sanction{sanction("r", anxin.SanctionRestrictListing, anxin.SourceSampling, -10, -3)}, anxin.EnforcementPoints{}, anxin.StateGoodStanding},
		{"queued not yet", []*anxin.Sanction{sanction("r", anxin.SanctionRestrictListing, anxin.SourceGovernance, 2, 9)}, anxin.EnforcementPoints{}, anxin.StateGoodStanding},
		{"lifted", []*anxin.Sanction{lifted}, anxin.EnforcementPoints{}, anxin.StateGoodStanding},
		{"deduction alone", []*anxin.Sanction{sanction("d", anxin.SanctionDeductDeposit, anxin.SourceGovernance, 0, 0)}, anxin.EnforcementPoints{}, anxin.StateGoodStanding},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := State(tt.ss, tt.points, t0); got != tt.want {
				t.Errorf("State = %s; want %s", got, tt.want)
			}
		})
	}
}

func TestGate(t *testing.T) {
	stream := sanction("st", anxin.SanctionRestrictStreaming, anxin.SourceIP, 0, 7)
	stream.SubjectType = anxin.SubjectInfluencer
	for _, tt := range []struct {
		name  string
		stage string
		ss    []*anxin.Sanction
		want  []string // codes, strictest first
	}{
		{"nothing", anxin.StagePublish, nil, nil},
		{"restrict from sampling", anxin.StagePublish, []*anxin.Sanction{sanction("r", anxin.SanctionRestrictListing, anxin.SourceSampling, 0, 7)}, []string{ReasonPenaltyRestricted}},
		{"deposit floor", anxin.StagePublish, []*anxin.Sanction{sanction("r", anxin.SanctionRestrictListing, anxin.SourceDeposit, 0, 0)}, []string{ReasonPenaltyRestricted}},
		{"clear-out first", anxin.StagePublish, []*anxin.Sanction{sanction("r", anxin.SanctionRestrictListing, anxin.SourceGovernance, 0, 7), sanction("c", anxin.SanctionClearOut, anxin.SourceIP, 0, 0)}, []string{ReasonMerchantCleared, ReasonPenaltyRestricted}},
		{"shield does not gate", anxin.StagePublish, []*anxin.Sanction{sanction("s", anxin.SanctionShieldShop, anxin.SourceGovernance, 0, 7)}, nil},
		{"post-publish not gated", anxin.StagePostPublish, []*anxin.Sanction{sanction("r", anxin.SanctionRestrictListing, anxin.SourceGovernance, 0, 7)}, nil},
		{"stream restricted", anxin.StageStream, []*anxin.Sanction{stream}, []string{ReasonStreamRestricted}},
		{"an influencer's sanction does not gate a listing", anxin.StagePublish, []*anxin.Sanction{func() *anxin.Sanction {
			s := sanction("ic", anxin.SanctionClearOut, anxin.SourceManual, 0, 0)
			s.SubjectType = anxin.SubjectInfluencer
			return s
		}()}, nil},
		{"listing restriction does not stop a stream", anxin.StageStream, []*anxin.Sanction{sanction("r", anxin.SanctionRestrictListing, anxin.SourceGovernance, 0, 7)}, nil},
		{"cleared-out shop may not stream", anxin.StageStream, []*anxin.Sanction{sanction("c", anxin.SanctionClearOut, anxin.SourceGovernance, 0, 0)}, []string{ReasonMerchantCleared}},
		{"expired", anxin.StagePublish, []*anxin.Sanction{sanction("r", anxin.SanctionRestrictListing, anxin.SourceGovernance, -8, -1)}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := Gate(tt.stage, tt.ss, t0)
			var codes []string
			for _, r := range got {
				codes = append(codes, r.Code)
				if !strings.Contains(r.Reason, r.Sanction.StatementID) || !strings.Contains(r.Reason, r.Sanction.ID) {
					t.Errorf("reason %q does not cite the sanction and its statement", r.Reason)
				}
			}
			if strings.Join(codes, ",") != strings.Join(tt.want, ",") {
				t.Errorf("Gate(%s) = %v; want %v", tt.stage, codes, tt.want)
			}
		})
	}
}

func TestAppealOutcome(t *testing.T) {
	a := sanction("a", anxin.SanctionRestrictListing, anxin.SourceSampling, 0, 7)
	b := sanction("b", anxin.SanctionRestrictListing, anxin.SourceGovernance, 0, 7)
	gone := sanction("g", anxin.SanctionShieldShop, anxin.SourceGovernance, 0, 7)
	gone.Status = anxin.SanctionLifted
	ss := []*anxin.Sanction{a, b, gone}
	for _, tt := range []struct {
		name, id, res string
		wantKind      anxin.Kind
		wantIDs       []string
	}{
		{"overturn lifts exactly one", "a", anxin.ResOverturn, "", []string{"a"}},
		{"uphold lifts nothing", "b", anxin.ResUphold, "", nil},
		{"already lifted", "g", anxin.ResOverturn, anxin.Conflict, nil},
		{"unknown", "zz", anxin.ResOverturn, anxin.NotFound, nil},
		{"bad resolution", "a", "maybe", anxin.Invalid, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AppealOutcome(ss, tt.id, tt.res, t0)
			if anxin.KindOf(err) != tt.wantKind && !(err == nil && tt.wantKind == "") {
				t.Fatalf("AppealOutcome = %v; want %s", err, tt.wantKind)
			}
			if strings.Join(got.IDs, ",") != strings.Join(tt.wantIDs, ",") {
				t.Errorf("lifts %v; want %v", got.IDs, tt.wantIDs)
			}
		})
	}
	if err := CanAppeal(gone, t0); anxin.KindOf(err) != anxin.Conflict || !strings.Contains(anxin.MessageOf(err), "already lifted") {
		t.Errorf("CanAppeal(lifted) = %v; want Conflict", err)
	}
	late := *a
	dl := t0.Add(-time.Hour)
	late.AppealDeadline = &dl
	if err := CanAppeal(&late, t0); anxin.KindOf(err) != anxin.Conflict {
		t.Errorf("CanAppeal(after deadline) = %v; want Conflict", err)
	}
	if err := CanAppeal(a, t0); err != nil {
		t.Errorf("CanAppeal(active) = %v", err)
	}
}

func TestExplainAndStatement(t *testing.T) {
	s := sanction("a", anxin.SanctionRestrictListing, anxin.SourceSampling, 0, 7)
	s.CreatedAt = t0
	Explain(s, Explanation{Facts: "Sample smp_1 failed its lab test.", TermsGround: "Product quality rules"}, 30)
	r := s.Reasons
	if r.Ground != "incompatible_with_terms" || r.Automation != "fully" || !strings.HasPrefix(r.Restriction, "Publishing new listings, from ") ||
		!strings.Contains(r.HowToAppeal, "POST /v1/sanctions/a/appeals") || s.AppealDeadline == nil || !s.AppealDeadline.Equal(*days(30)) {
		t.Errorf("Explain = %+v deadline %v", r, s.AppealDeadline)
	}
	Explain(s, Explanation{Facts: "f", LegalGround: "Product Quality Law art. 32"}, 0)
	if s.Reasons.Ground != "illegal_content" || s.AppealDeadline == nil {
		t.Errorf("legal ground = %+v", s.Reasons)
	}
	st := Statement(s, "Your sample failed.")
	if st.Category != "unsafe_and_illegal_products" || len(st.Actions) != 1 || st.Actions[0].Type != s.Type || st.Facts != "f" || st.TargetID != "m1" {
		t.Errorf("Statement = %+v", st)
	}
}

func TestDSACategoryAndFacts(t *testing.T) {
	for _, tt := range []struct {
		labels []string
		want   string
	}{
		{nil, "scope_of_platform_service"},
		{[]string{"contact", "counterfeit"}, "intellectual_property_infringements"},
		{[]string{"drugs", "brand"}, "unsafe_and_illegal_products"},
		{[]string{"gambling"}, "scams_and_fraud"},
	} {
		if got := DSACategory(tt.labels); got != tt.want {
			t.Errorf("DSACategory(%v) = %s; want %s", tt.labels, got, tt.want)
		}
	}
	ev := []anxin.Evidence{{Kind: "sanction", Category: "restrict_listing", Ref: "san_1"}}
	for i := 0; i < 6; i++ {
		ev = append(ev, anxin.Evidence{Kind: "text_match", Field: "title", Quote: "高仿", Category: "counterfeit", Start: 0, End: 6})
	}
	got := Facts(ev, "serious:12")
	for _, want := range []string{"Points node reached: serious:12.", "Active sanction restrict_listing (san_1).", `title contains "高仿" (counterfeit) at bytes 0-6.`, "(2 more findings)"} {
		if !strings.Contains(got, want) {
			t.Errorf("Facts = %q; want it to contain %q", got, want)
		}
	}
	if Facts(nil, "") != "" {
		t.Errorf("Facts of nothing is not empty")
	}
}
