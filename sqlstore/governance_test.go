package sqlstore_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/governance"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

func govAs(role anxin.Role, key string) context.Context {
	return anxin.NewContextWithActor(context.Background(), anxin.Actor{KeyID: key, Role: role})
}

var (
	govPlatform = govAs(anxin.RolePlatform, "k_platform")
	govOperator = govAs(anxin.RoleOperator, "k_operator")
	govReviewer = govAs(anxin.RoleReviewer, "k_reviewer")
	govSecond   = govAs(anxin.RoleReviewer, "k_reviewer2")
)

func newGov(t *testing.T, db *sqlstore.DB) *sqlstore.GovernanceService {
	t.Helper()
	g := sqlstore.NewGovernanceService(db)
	if err := g.Seed(context.Background()); err != nil {
		t.Fatalf("Seed: %v", err)
	}
	if err := g.Seed(context.Background()); err != nil {
		t.Fatalf("govSecond Seed: %v", err)
	}
	return g
}

func checkOne(t *testing.T, g *sqlstore.GovernanceService, l anxin.ListingCheck) *anxin.Decision {
	t.Helper()
	ds, err := g.CheckListings(govPlatform, []*anxin.ListingCheck{&l})
	if err != nil {
		t.Fatalf("CheckListings(%q): %v", l.Title, err)
	}
	return ds[0]
}

func outboxTypes(t *testing.T, db *sqlstore.DB) map[string]int {
	t.Helper()
	msgs, err := db.OutboxMessages(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, m := range msgs {
		out[m.Type]++
	}
	return out
}

func TestGovernanceCheckBlockAndReview(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		g := newGov(t, db)
		d := checkOne(t, g, anxin.ListingCheck{ID: "l1", Title: "高仿 女包 专柜品质", MerchantID: "m1"})
		if d.Outcome != anxin.OutcomeBlock || d.StatementID == "" || d.ReasonCode != anxin.ReasonPolicyViolation || d.PolicyVersion != 1 {
			t.Fatalf("decision = %+v; want a block with a statement at policy 1", d)
		}
		if len(d.Evidence) == 0 || d.Evidence[0].Quote == "" {
			t.Fatalf("evidence = %+v; want quotes", d.Evidence)
		}
		got, err := g.FindDecision(govPlatform, d.ID)
		if err != nil || got.Outcome != anxin.OutcomeBlock || len(got.Evidence) != len(d.Evidence) {
			t.Fatalf("FindDecision = %+v, %v", got, err)
		}
		st, err := g.FindStatement(govPlatform, d.StatementID)
		if err != nil || st.AppealDeadline == nil || !strings.Contains(st.Facts, "高仿") || st.MerchantID != "m1" {
			t.Fatalf("FindStatement = %+v, %v", st, err)
		}
		if types := outboxTypes(t, db); types[anxin.MessageInterceptListing] != 1 {
			t.Errorf("outbox = %v; want one listing.intercept", types)
		}
		rec, err := g.MerchantRecord(govOperator, "m1")
		if err != nil || rec.General != 6 || len(rec.Statements) != 1 {
			t.Fatalf("MerchantRecord = %+v, %v; want 6 general points and one statement", rec, err)
		}
		if _, err := g.MerchantRecord(govAs(anxin.MerchantRole("m2"), "k_m2"), "m1"); anxin.KindOf(err) != anxin.NotFound {
			t.Errorf("another merchant's record = %v; want NotFound", err)
		}
		if _, err := g.FindStatement(govAs(anxin.MerchantRole("m2"), "k_m2"), d.StatementID); anxin.KindOf(err) != anxin.NotFound {
			t.Errorf("another merchant's statement = %v; want NotFound", err)
		}

		r := checkOne(t, g, anxin.ListingCheck{ID: "l2", Title: "外贸原单 纯棉T恤", MerchantID: "m1"})
		if r.Outcome != anxin.OutcomeReview || r.CaseID == "" {
			t.Fatalf("review decision = %+v; want a case", r)
		}
		cases, _, err := g.FindCases(govReviewer, anxin.CaseFilter{})
		if err != nil || len(cases) != 1 || cases[0].ID != r.CaseID {
			t.Fatalf("FindCases = %v, %v", cases, err)
		}
		if _, err := g.ClaimCase(govReviewer, r.CaseID); err != nil {
			t.Fatal(err)
		}
		if _, err := g.ClaimCase(govSecond, r.CaseID); anxin.KindOf(err) != anxin.Conflict {
			t.Errorf("govSecond claim = %v; want Conflict", err)
		}
		if _, err := g.AddCaseNote(govReviewer, r.CaseID, "checked the photos"); err != nil {
			t.Fatal(err)
		}
		c, err := g.DecideCase(govReviewer, r.CaseID, anxin.ResUphold, "origin claim confirmed")
		if err != nil || c.Status != anxin.CaseDecided || c.StatementID == "" || len(c.Notes) != 2 {
			t.Fatalf("DecideCase = %+v, %v", c, err)
		}
		if _, err := g.DecideCase(govReviewer, r.CaseID, anxin.ResOverturn, ""); anxin.KindOf(err) != anxin.Conflict {
			t.Errorf("deciding twice = %v; want Conflict", err)
		}
		prec, err := g.RulePrecision(govOperator)
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, p := range prec {
			if p.RuleID == "listing.counterfeit.origin" {
				found = p.Upheld == 1 && p.Precision == 1
			}
		}
		if !found {
			t.Errorf("RulePrecision = %+v; want listing.counterfeit.origin upheld once", prec)
		}

		clean := checkOne(t, g, anxin.ListingCheck{ID: "l3", Title: "纯棉短袖T恤 男 夏季", MerchantID: "m1"})
		if clean.Outcome != anxin.OutcomeAllow || clean.StatementID != "" || clean.CaseID != "" {
			t.Errorf("clean decision = %+v; want allow", clean)
		}
	})
}

func TestGovernancePointsSanctionsAppeal(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		g := newGov(t, db)
		merchant := govAs(anxin.MerchantRole("m9"), "k_m9")
		// Two off-govPlatform contacts: 6 + 6 general points reach the 12 node:
		// restrict_listing for 7 days.
		var first *anxin.Decision
		for i, text := range []string{"加微信 详聊", "加我微信 优惠"} {
			d := checkOne(t, g, anxin.ListingCheck{ID: "lc" + string(rune('a'+i)), Title: "连衣裙", Description: text, MerchantID: "m9"})
			if d.Outcome != anxin.OutcomeBlock {
				t.Fatalf("contact listing = %v %v; want block", d.Outcome, d.Reasons)
			}
			if first == nil {
				first = d
			}
		}
		rec, err := g.MerchantRecord(merchant, "m9")
		if err != nil || rec.General != 12 || len(rec.Sanctions) != 1 || rec.Sanctions[0].Type != "restrict_listing" {
			t.Fatalf("record = %+v, %v; want 12 points and restrict_listing", rec, err)
		}
		gated := checkOne(t, g, anxin.ListingCheck{ID: "lclean", Title: "纯棉毛巾", MerchantID: "m9"})
		if gated.Outcome != anxin.OutcomeBlock || gated.ReasonCode != anxin.ReasonPenaltyRestricted || gated.StatementID != rec.Sanctions[0].StatementID {
			t.Fatalf("publish while restricted = %+v; want PENALTY_RESTRICTED with the sanction's statement", gated)
		}
		if post := checkOne(t, g, anxin.ListingCheck{ID: "lclean", Title: "纯棉毛巾", MerchantID: "m9", Stage: anxin.StagePostPublish}); post.Outcome != anxin.OutcomeAllow {
			t.Errorf("post-publish check of a clean listing = %v; want allow (the gate is for publishing)", post.Outcome)
		}

		// The merchant appeals the first decision; another govReviewer overturns it.
		if _, err := g.FileAppeal(govAs(anxin.MerchantRole("m2"), "k_m2"), first.StatementID, "not mine"); anxin.KindOf(err) != anxin.NotFound {
			t.Errorf("appeal by another merchant = %v; want NotFound", err)
		}
		a, err := g.FileAppeal(merchant, first.StatementID, "The buyer asked for my WeChat; I refused.")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.FileAppeal(merchant, first.StatementID, "again"); anxin.KindOf(err) != anxin.Conflict {
			t.Errorf("govSecond appeal = %v; want Conflict", err)
		}
		if a, err = g.DecideAppeal(govSecond, a.ID, anxin.ResOverturn, "wording was a quote"); err != nil || a.Status != anxin.AppealOverturned {
			t.Fatalf("DecideAppeal = %+v, %v", a, err)
		}
		rec, _ = g.MerchantRecord(merchant, "m9")
		if rec.General != 6 {
			t.Errorf("points after overturn = %d; want 6", rec.General)
		}
		for _, sc := range rec.Sanctions {
			if sc.Status == "active" {
				t.Errorf("sanction %s still active after the total fell below the node", sc.Type)
			}
		}
		if ok := checkOne(t, g, anxin.ListingCheck{ID: "lclean2", Title: "纯棉毛巾", MerchantID: "m9"}); ok.Outcome != anxin.OutcomeAllow {
			t.Errorf("publish after overturn = %+v; want allow", ok)
		}
		types := outboxTypes(t, db)
		if types[anxin.MessageRestoreListing] != 1 || types[anxin.MessageReverseEnforcement] != 1 || types[anxin.MessageRestrictMerchant] != 1 {
			t.Errorf("outbox = %v; want a restore, a reversal and a restriction", types)
		}
		st, _ := g.FindStatement(merchant, first.StatementID)
		if st.AppealStatus != anxin.AppealOverturned {
			t.Errorf("appeal status = %q; want overturned", st.AppealStatus)
		}

		// Appeal windows close.
		d := checkOne(t, g, anxin.ListingCheck{ID: "lz", Title: "冰毒", MerchantID: "m9"})
		clock.Set(clock.Now().Add(31 * 24 * time.Hour))
		if _, err := g.FileAppeal(merchant, d.StatementID, "late"); anxin.KindOf(err) != anxin.Conflict {
			t.Errorf("late appeal = %v; want Conflict", err)
		}

		rep, err := sqlstore.NewReportService(db).Report(context.Background(), anxin.Period{
			From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]float64{"listings_checked": 5, "listings_intercepted": 4, "merchant_penalties": 2, "merchants_cleared": 0, // the node fires again after the overturn

			"appeals": 1, "appeal_overturn_rate": 1, "content_blocked": 0, "listings_banned": 0}
		for _, sec := range rep.Sections {
			if sec.Key != "governance" {
				continue
			}
			for _, m := range sec.Metrics {
				if w, ok := want[m.Name]; ok && m.Value != w {
					t.Errorf("report %s = %v; want %v", m.Name, m.Value, w)
				}
				delete(want, m.Name)
			}
		}
		if len(want) > 0 {
			t.Errorf("report lacks %v", want)
		}
	})
}

func TestGovernanceSanctionExpires(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	db := sqltest.OpenSQLite(t, clock)
	g := newGov(t, db)
	for _, id := range []string{"a", "b"} {
		checkOne(t, g, anxin.ListingCheck{ID: id, Title: "微信号 abc", MerchantID: "m5"})
	}
	jobs := &sqlstore.JobRunner{DB: db}
	jobs.Handle(sqlstore.JobSanctionEnd, g.HandleSanctionEnd)
	clock.Set(clock.Now().Add(8 * 24 * time.Hour))
	if n, err := jobs.RunDue(context.Background(), 0); err != nil || n != 1 {
		t.Fatalf("RunDue = %d, %v; want the reinstatement job", n, err)
	}
	if outboxTypes(t, db)[anxin.MessageReinstateMerchant] != 1 {
		t.Error("no merchant.reinstate message")
	}
	if d := checkOne(t, g, anxin.ListingCheck{ID: "c", Title: "毛巾", MerchantID: "m5"}); d.Outcome != anxin.OutcomeAllow {
		t.Errorf("publish after expiry = %v %v; want allow", d.Outcome, d.Reasons)
	}
}

func TestGovernanceStreamWindow(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		g := newGov(t, db)
		segs := []*anxin.ContentItem{
			{ID: "s1", Kind: anxin.ContentLivestreamSegment, StreamID: "st", Seq: 1, Text: "家人们 今天这款是"},
			{ID: "s2", Kind: anxin.ContentLivestreamSegment, StreamID: "st", Seq: 2, Text: "高"},
		}
		ds, err := g.CheckContent(govPlatform, segs)
		if err != nil || ds[0].Outcome != anxin.OutcomeAllow || ds[1].Outcome != anxin.OutcomeAllow {
			t.Fatalf("first segments = %v, %v", ds, err)
		}
		ds, err = g.CheckContent(govPlatform, []*anxin.ContentItem{{ID: "s3", Kind: anxin.ContentLivestreamSegment, StreamID: "st", Seq: 3, Text: "仿 的包"}})
		if err != nil || ds[0].Outcome != anxin.OutcomeBlock {
			t.Fatalf("split segment = %+v, %v; want block", ds, err)
		}
		ds, err = g.CheckContent(govPlatform, []*anxin.ContentItem{{ID: "s4", Kind: anxin.ContentLivestreamSegment, StreamID: "st2", Seq: 1, Text: "出售 冰毒"}})
		if err != nil || !ds[0].CutStream {
			t.Fatalf("drug segment = %+v, %v; want the stream cut", ds, err)
		}
		if outboxTypes(t, db)[anxin.MessageCutStream] != 1 {
			t.Error("no stream.cut message")
		}
	})
}

func TestGovernanceBadInputAndEdits(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		g := newGov(t, db)
		bad := []*anxin.ListingCheck{{ID: "ok", Title: "毛巾"}, {ID: "x", Title: "bad\x00"}, {ID: "", Title: "no id"}, {ID: "big", Description: strings.Repeat("a", anxin.MaxTextLen+1)}}
		_, err := g.CheckListings(govPlatform, bad)
		var ae *anxin.Error
		if anxin.KindOf(err) != anxin.Invalid || !govAsErr(err, &ae) || len(ae.Details) != 3 {
			t.Fatalf("CheckListings(bad batch) = %v; want Invalid with 3 details", err)
		}
		if _, err := g.CheckListings(govReviewer, []*anxin.ListingCheck{{ID: "a"}}); anxin.KindOf(err) != anxin.Forbidden {
			t.Errorf("check as govReviewer = %v; want Forbidden", err)
		}
		var n int
		db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM gov_decisions`).Scan(&n)
		if n != 0 {
			t.Fatalf("%d decisions stored from rejected batches", n)
		}

		// A policy whose rule does not compile is rejected with its position.
		_, err = g.CreatePolicy(govOperator, &anxin.Policy{Name: "broken", Rules: []anxin.Rule{
			{ID: "ok", When: "true", Outcome: anxin.OutcomeAllow},
			{ID: "bad", When: "hits.total >", Outcome: anxin.OutcomeBlock, Reason: "x"},
		}})
		if anxin.KindOf(err) != anxin.Invalid || !strings.Contains(anxin.MessageOf(err), "rule bad: line 1, column") {
			t.Fatalf("CreatePolicy(broken) = %v; want Invalid naming rule bad and its position", err)
		}
		ps, _ := g.FindPolicies(govOperator)
		if len(ps) != 1 {
			t.Fatalf("policies after a rejected create = %d; want 1", len(ps))
		}

		// A lexicon edit with regex metacharacters is literal and takes effect at once.
		_, err = g.SaveLexicon(govOperator, &anxin.Lexicon{Name: "custom", Active: true, Terms: []anxin.LexiconTerm{
			{Pattern: "(.*)秘密+", Category: "counterfeit_hard", Severity: 5}}})
		if err != nil {
			t.Fatal(err)
		}
		if d := checkOne(t, g, anxin.ListingCheck{ID: "m1", Title: "(.*)秘密+ 款"}); d.Outcome != anxin.OutcomeBlock {
			t.Errorf("new term = %v; want block", d.Outcome)
		}
		if d := checkOne(t, g, anxin.ListingCheck{ID: "m2", Title: "秘密秘密"}); d.Outcome != anxin.OutcomeAllow {
			t.Errorf("metachars matched as a regexp: %v", d.Outcome)
		}
		if _, err := g.SaveLexicon(govOperator, &anxin.Lexicon{Name: "custom", Terms: []anxin.LexiconTerm{{Pattern: "", Category: "c", Severity: 9}}}); anxin.KindOf(err) != anxin.Invalid {
			t.Errorf("SaveLexicon(bad) = %v; want Invalid", err)
		}

		// A new policy version: shadow first, then active.
		p, err := g.CreatePolicy(govOperator, &anxin.Policy{Name: "strict towels", Rules: []anxin.Rule{
			{ID: "towels", When: `hits.total == 0 && text_len > 0`, Outcome: anxin.OutcomeReview, Reason: "Everything is reviewed."}}})
		if err != nil || p.Version != 2 || p.Status != anxin.PolicyDraft {
			t.Fatalf("CreatePolicy = %+v, %v", p, err)
		}
		if _, err := g.SetPolicyStatus(govOperator, 2, anxin.PolicyShadow); err != nil {
			t.Fatal(err)
		}
		d := checkOne(t, g, anxin.ListingCheck{ID: "t1", Title: "毛巾"})
		if d.Outcome != anxin.OutcomeAllow || d.ShadowOutcome == nil || *d.ShadowOutcome != anxin.OutcomeReview {
			t.Fatalf("shadow decision = %+v; want allow with shadow review", d)
		}
		if _, err := g.SetPolicyStatus(govOperator, 1, anxin.PolicyRetired); anxin.KindOf(err) != anxin.Conflict {
			t.Errorf("retiring the active policy = %v; want Conflict", err)
		}
		if _, err := g.SetPolicyStatus(govOperator, 2, anxin.PolicyActive); err != nil {
			t.Fatal(err)
		}
		if d := checkOne(t, g, anxin.ListingCheck{ID: "t2", Title: "毛巾"}); d.Outcome != anxin.OutcomeReview || d.PolicyVersion != 2 {
			t.Errorf("after activation = %v at v%d; want review at v2", d.Outcome, d.PolicyVersion)
		}
		res, err := g.TestText(govOperator, "listing", "高仿包", 1)
		if err != nil || res.Outcome != anxin.OutcomeBlock {
			t.Errorf("TestText(v1) = %+v, %v; want block", res, err)
		}
	})
}

func govAsErr(err error, target **anxin.Error) bool {
	e, ok := err.(*anxin.Error)
	if ok {
		*target = e
	}
	return ok
}

// TestGovernancePolicySwapRacesChecks activates policy versions while checks
// run: every decision must come from one whole version (all its rules), never
// a mix.
func TestGovernancePolicySwapRacesChecks(t *testing.T) {
	db := sqltest.OpenSQLite(t, nil)
	g := newGov(t, db)
	mk := func(label string) *anxin.Policy {
		return &anxin.Policy{Name: label, Rules: []anxin.Rule{
			{ID: "a", When: "true", Outcome: anxin.OutcomeAllow, Labels: []string{label}},
			{ID: "b", When: "true", Outcome: anxin.OutcomeAllow, Labels: []string{label}},
		}}
	}
	for _, l := range []string{"v2", "v3"} {
		if _, err := g.CreatePolicy(govOperator, mk(l)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	editor := make(chan struct{})
	go func() {
		defer close(editor)
		for i := 0; ctx.Err() == nil; i++ {
			g.SetPolicyStatus(govOperator, 2+i%2, anxin.PolicyActive)
			time.Sleep(time.Millisecond) // SQLite writers are not fair: leave the lock to the checks
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				ds, err := g.CheckListings(govPlatform, []*anxin.ListingCheck{{ID: "r", Title: "毛巾"}})
				if err != nil {
					errs <- err.Error()
					return
				}
				d := ds[0]
				b, _ := json.Marshal(d.Labels)
				if d.PolicyVersion >= 2 && (len(d.Labels) != 1 || d.Labels[0] != "v"+string(rune('0'+d.PolicyVersion))) {
					errs <- "mixed decision " + string(b)
				}
			}
		}()
	}
	wg.Wait()
	cancel()
	<-editor
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestGovernanceBacktest(t *testing.T) {
	db := sqltest.OpenSQLite(t, nil)
	g := newGov(t, db)
	checkOne(t, g, anxin.ListingCheck{ID: "b1", Title: "高仿 包"})
	checkOne(t, g, anxin.ListingCheck{ID: "a1", Title: "毛巾"})
	checkOne(t, g, anxin.ListingCheck{ID: "a1", Title: "毛巾 纯棉"})
	p, _ := governance.DefaultPack()
	p.Policy = &anxin.Policy{Version: 9, Rules: []anxin.Rule{{ID: "everything", When: "true", Outcome: anxin.OutcomeReview, Reason: "All reviewed."}}}
	cand, err := p.Engine()
	if err != nil {
		t.Fatal(err)
	}
	bt, err := g.Backtest(govOperator, cand)
	if err != nil {
		t.Fatal(err)
	}
	if bt.Items != 2 || bt.Changed != 2 || bt.Stricter != 1 || bt.Looser != 1 || len(bt.Changes) != 2 {
		t.Errorf("Backtest = %+v; want 2 items, one stricter and one looser", bt)
	}
	if _, err := g.Backtest(govPlatform, cand); anxin.KindOf(err) != anxin.Forbidden {
		t.Errorf("Backtest as platform = %v; want Forbidden", err)
	}
}
