package sqlstore_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/hashbank"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// ipWorld seeds a brand, merchants, listings and an influencer's content.
func ipWorld(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	ctx := as(anxin.RolePlatform)
	ms := sqlstore.NewMarketplaceService(db)
	var merchants []*anxin.Merchant
	for _, id := range []string{"m_ok", "m_bad", "m_new"} {
		merchants = append(merchants, &anxin.Merchant{ID: id, Name: id})
	}
	if err := ms.UpsertMerchants(ctx, merchants); err != nil {
		t.Fatal(err)
	}
	var ls []*anxin.Listing
	for i := range 12 {
		ls = append(ls, &anxin.Listing{ID: fmt.Sprint("l", i), MerchantID: "m_bad", Title: "Lumen 手提包 高仿", Brand: "Lumen", Category: "bags", PriceFen: 9900})
	}
	ls = append(ls, &anxin.Listing{ID: "l_ok", MerchantID: "m_ok", Title: "Lumen 手提包", Brand: "Lumen", Category: "bags", PriceFen: 189900})
	if err := ms.UpsertListings(ctx, ls); err != nil {
		t.Fatal(err)
	}
	if err := ms.UpsertInfluencers(ctx, []*anxin.Influencer{{ID: "inf1", Name: "streamer"}}); err != nil {
		t.Fatal(err)
	}
	if err := ms.UpsertContent(ctx, []*anxin.ContentItem{{ID: "c1", Kind: anxin.ContentVideo, AuthorID: "inf1", Text: "好包", ListingIDs: []string{"l0"}}}); err != nil {
		t.Fatal(err)
	}
	ip := sqlstore.NewIPService(db)
	if err := ip.UpsertBrand(as(anxin.RoleOperator), &anxin.Brand{ID: "b_lumen", Name: "Lumen", RightsHolderID: "rh1", RegistrationRef: "TM-1",
		RefPricesFen: map[string]int64{"bags": 200000}, AuthorisedSellers: []string{"m_ok"}}); err != nil {
		t.Fatal(err)
	}
}

func testBuy(listing string) *anxin.Notice {
	return &anxin.Notice{BrandID: "b_lumen", ListingID: listing, Reason: "trademark.fake.gmjd",
		Evidence: []anxin.NoticeEvidence{{Kind: "order_id", Ref: "o1"}, {Kind: "appraisal_report", Ref: "appraisal.pdf"}}}
}

func TestNoticeFlow(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)) // Monday 10:00 in Shanghai
	start := clock.Now()
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(start)
		ipWorld(t, db)
		ip := sqlstore.NewIPService(db)
		rh := as(anxin.RightsHolderRole("rh1"))
		other := as(anxin.RightsHolderRole("rh2"))
		merchant := as(anxin.MerchantRole("m_bad"))

		// A rights holder who does not hold the brand is refused, and nothing is stored.
		if _, err := ip.FileNotice(other, testBuy("l0"), "k1"); anxin.KindOf(err) != anxin.Invalid || !strings.Contains(anxin.MessageOf(err), "not registered to you") {
			t.Fatalf("FileNotice(other's brand) = %v; want Invalid", err)
		}
		// Evidence must be complete.
		bad := testBuy("l0")
		bad.Evidence = bad.Evidence[:1]
		if _, err := ip.FileNotice(rh, bad, "k0"); anxin.KindOf(err) != anxin.Invalid {
			t.Fatalf("FileNotice(incomplete) = %v; want Invalid", err)
		}
		if _, err := ip.FileNotice(rh, testBuy("nope"), "k9"); anxin.KindOf(err) != anxin.Invalid {
			t.Fatalf("FileNotice(unknown listing) = %v; want Invalid", err)
		}
		if _, err := ip.FileNotice(merchant, testBuy("l0"), "k1"); anxin.KindOf(err) != anxin.Forbidden {
			t.Fatalf("FileNotice(as merchant) = %v; want Forbidden", err)
		}

		// A test-buy appraisal takes the link down at once.
		n, err := ip.FileNotice(rh, testBuy("l0"), "k1")
		if err != nil {
			t.Fatal(err)
		}
		if n.State != anxin.NoticeTakenDown || n.MerchantID != "m_bad" || n.TakedownAt == nil {
			t.Fatalf("FileNotice = %+v; want taken down against m_bad", n)
		}
		again, err := ip.FileNotice(rh, testBuy("l0"), "k1")
		if err != nil || again.ID != n.ID {
			t.Fatalf("FileNotice(same key) = %v, %v; want the first notice %s", again, err, n.ID)
		}
		msgs, _ := db.OutboxMessages(context.Background(), anxin.MessageBanListing, 10)
		if len(msgs) != 1 || msgs[0].SubjectID != "l0" {
			t.Fatalf("ban messages = %d; want one for l0", len(msgs))
		}
		// The influencer whose video sells l0 is not named by this notice;
		// file one naming the content: the ladder's first step.
		withContent := testBuy("l1")
		withContent.ContentID = "c1"
		n2, err := ip.FileNotice(rh, withContent, "k2")
		if err != nil || n2.InfluencerID != "inf1" {
			t.Fatalf("FileNotice(content) = %+v, %v; want influencer inf1", n2, err)
		}
		pen, _ := db.OutboxMessages(context.Background(), "influencer.penalise", 10)
		if len(pen) != 1 || !strings.Contains(string(pen[0].Payload), `"step":1`) {
			t.Fatalf("influencer penalties = %v; want one at step 1", pen)
		}

		// Counter-notice: other merchants cannot see it; the owner can.
		if _, err := ip.CounterNotice(as(anxin.MerchantRole("m_ok")), n.ID, "genuine"); anxin.KindOf(err) != anxin.NotFound {
			t.Fatalf("CounterNotice(other merchant) = %v; want NotFound", err)
		}
		if _, err := ip.CounterNotice(merchant, n.ID, "  "); anxin.KindOf(err) != anxin.Invalid {
			t.Fatalf("CounterNotice(empty) = %v; want Invalid", err)
		}
		c, err := ip.CounterNotice(merchant, n.ID, "We bought these from the brand's distributor; invoices attached.")
		if err != nil || c.State != anxin.NoticeCountered || c.ReinstateAt == nil {
			t.Fatalf("CounterNotice = %+v, %v", c, err)
		}
		if _, err := ip.CounterNotice(merchant, n.ID, "again"); anxin.KindOf(err) != anxin.Conflict {
			t.Fatalf("second CounterNotice = %v; want Conflict", err)
		}
		c2, err := ip.CounterNotice(merchant, n2.ID, "not ours")
		if err != nil {
			t.Fatal(err)
		}
		// Ten business days later (two weeks), the job reinstates the link.
		runner := &sqlstore.JobRunner{DB: db}
		runner.Handle(sqlstore.JobIPReinstate, ip.HandleReinstate)
		clock.Set(clock.Now().Add(13 * 24 * time.Hour))
		if k, _ := runner.RunDue(context.Background(), 0); k != 0 {
			t.Fatalf("reinstatement ran %d jobs before the tenth business day", k)
		}
		if _, err := ip.ReportLegalAction(as(anxin.RightsHolderRole("rh1")), n2.ID, "(2026) 沪0115民初123号"); err != nil {
			t.Fatal(err)
		}
		clock.Set(clock.Now().Add(2 * 24 * time.Hour))
		if k, err := runner.RunDue(context.Background(), 0); k != 1 || err != nil {
			t.Fatalf("RunDue at the end of the window = %d, %v; want 1", k, err)
		}
		got, _ := ip.FindNotice(rh, n.ID)
		if got.State != anxin.NoticeReinstated {
			t.Fatalf("state after the window = %s; want reinstated", got.State)
		}
		l, _ := sqlstore.NewMarketplaceService(db).FindListing(as(anxin.RoleOperator), "l0")
		if l.Status != "live" {
			t.Errorf("listing status after reinstatement = %s; want live", l.Status)
		}
		// The counter-notice on n2 was followed by legal action before its
		// window ended (the job above skipped it): the link stays down.
		if _, err := ip.ReportLegalAction(other, c2.ID, "court 1"); anxin.KindOf(err) != anxin.NotFound {
			t.Fatalf("ReportLegalAction(other rights holder) = %v; want NotFound", err)
		}
		if up, _ := ip.FindNotice(rh, c2.ID); up.State != anxin.NoticeUpheld || !up.LegalAction {
			t.Fatalf("notice after legal action = %+v", up)
		}
		clock.Set(clock.Now().Add(30 * 24 * time.Hour))
		runner.RunDue(context.Background(), 0)
		if got, _ := ip.FindNotice(rh, n2.ID); got.State != anxin.NoticeUpheld {
			t.Fatalf("upheld notice changed to %s", got.State)
		}

		// Repeat infringement: five upheld counterfeit notices shield the shop,
		// ten clear it out.
		for i := 2; i < 12; i++ {
			if _, err := ip.FileNotice(rh, testBuy(fmt.Sprint("l", i)), fmt.Sprint("r", i)); err != nil {
				t.Fatal(err)
			}
		}
		clear, _ := db.OutboxMessages(context.Background(), anxin.MessageClearOutMerchant, 10)
		// Shielding is sent as merchant.shield, like governance's.
		shield, _ := db.OutboxMessages(context.Background(), anxin.MessageShieldShop, 10)
		if len(clear) != 1 || len(shield) != 1 {
			t.Fatalf("sanctions: %d clear-outs, %d shields; want one each", len(clear), len(shield))
		}
		// Rights holders see their own notices only; merchants theirs.
		if ns, _, _ := ip.FindNotices(other, anxin.NoticeFilter{}); len(ns) != 0 {
			t.Errorf("other rights holder sees %d notices; want 0", len(ns))
		}
		if ns, _, _ := ip.FindNotices(as(anxin.MerchantRole("m_ok")), anxin.NoticeFilter{}); len(ns) != 0 {
			t.Errorf("uninvolved merchant sees %d notices; want 0", len(ns))
		}
		stats, err := ip.RightsHolders(as(anxin.RoleOperator))
		if err != nil || len(stats) != 1 || stats[0].Accepted != 12 || !stats[0].Eligible {
			t.Errorf("RightsHolders = %+v, %v", stats, err)
		}

		rep, err := sqlstore.NewReportService(db).Report(context.Background(), anxin.Period{From: clock.Now().AddDate(-1, 0, 0), To: clock.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		var ipSec anxin.Section
		for _, s := range rep.Sections {
			if s.Key == "ip" {
				ipSec = s
			}
		}
		vals := map[string]float64{}
		for _, m := range ipSec.Metrics {
			vals[m.Name] = m.Value
		}
		// Every notice here had strong evidence, so every link came down at
		// filing and none waited for a review.
		if vals["notices"] != 12 || vals["links_removed"] != 12 || vals["counter_notices"] != 2 || vals["shops_banned"] != 1 || vals["influencer_penalties"] != 1 ||
			vals["takedowns_at_filing"] != 12 || vals["takedown_time_reviewed_p50_s"] != 0 {
			t.Errorf("ip section = %v", vals)
		}
	})
}

func TestRelationCatchesReregistration(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ctx := as(anxin.RolePlatform)
		ms := sqlstore.NewMarketplaceService(db)
		if err := ms.UpsertMerchants(ctx, []*anxin.Merchant{{ID: "old", Name: "old", Status: "cleared"}, {ID: "new", Name: "new"}}); err != nil {
			t.Fatal(err)
		}
		rel := sqlstore.NewRelationService(db)
		if _, err := rel.AddAttributes(ctx, []*anxin.IdentityAttribute{{Kind: "merchant", ID: "old", Type: "payout_account", Value: "h:pa1"}}); err != nil {
			t.Fatal(err)
		}
		bad := []*anxin.IdentityAttribute{{Kind: "merchant", ID: "new", Type: "payout_account", Value: "h:pa1"}, {Kind: "shop", ID: "x", Type: "ip", Value: "1"}}
		if _, err := rel.AddAttributes(ctx, bad); anxin.KindOf(err) != anxin.Invalid {
			t.Fatalf("AddAttributes(bad kind) = %v; want Invalid", err)
		}
		if c, _ := rel.Cluster(as(anxin.RoleOperator), "merchant", "new"); len(c.Members) != 1 {
			t.Fatalf("a rejected batch linked entities: %+v", c)
		}
		caught, err := rel.AddAttributes(ctx, bad[:1])
		if err != nil || len(caught) != 1 || caught[0].LinkedTo != "old" || caught[0].Risk != 0.9 {
			t.Fatalf("AddAttributes(reused payout account) = %+v, %v; want new caught, linked to old", caught, err)
		}
		again, _ := rel.AddAttributes(ctx, bad[:1])
		msgs, _ := db.OutboxMessages(context.Background(), "merchant.reregistration", 10)
		if len(again) != 1 || len(msgs) != 1 {
			t.Errorf("re-adding: caught %d, %d outbox messages; want the catch reported once", len(again), len(msgs))
		}
		c, err := rel.Cluster(as(anxin.RoleOperator), "merchant", "new")
		if err != nil || len(c.Members) != 2 || len(c.Links) != 1 || c.Links[0].Type != "payout_account" {
			t.Fatalf("Cluster = %+v, %v", c, err)
		}
		if _, err := rel.Cluster(as(anxin.MerchantRole("new")), "merchant", "new"); anxin.KindOf(err) != anxin.Forbidden {
			t.Errorf("Cluster as merchant = %v; want Forbidden", err)
		}
		exp, err := rel.Export(as(anxin.RoleOperator), "merchant", "new")
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := base64.StdEncoding.DecodeString(exp.PublicKey)
		sig, _ := base64.StdEncoding.DecodeString(exp.Signature)
		if !ed25519.Verify(pub, exp.Bundle, sig) {
			t.Fatal("the export signature does not verify")
		}
		tampered := bytes.Replace(exp.Bundle, []byte(`"old"`), []byte(`"odd"`), 1)
		if ed25519.Verify(pub, tampered, sig) {
			t.Fatal("a tampered bundle verified")
		}
		if !bytes.Contains(exp.Bundle, []byte(`"payout_account"`)) {
			t.Errorf("the bundle lacks the link evidence: %s", exp.Bundle)
		}
		// a second replica sees the link after its own refresh
		rel2 := sqlstore.NewRelationService(db)
		if c, _ := rel2.Cluster(as(anxin.RoleOperator), "merchant", "old"); len(c.Members) != 2 {
			t.Errorf("second replica cluster size = %d; want 2", len(c.Members))
		}
	})
}

func TestScoringAndTraining(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ipWorld(t, db)
		hb := sqlstore.NewHashBankService(db)
		rel := sqlstore.NewRelationService(db)
		cs := sqlstore.NewCounterfeitService(db, rel, hb)
		known := hashbank.Hash256{1, 2, 3, 4}
		near := known
		near[0] ^= 0xff // 8 bits away
		if _, err := hb.Add(as(anxin.RoleOperator), []anxin.KnownImage{{PDQ: "zz", Label: "counterfeit"}}); anxin.KindOf(err) != anxin.Invalid {
			t.Fatalf("Add(bad hash) = %v; want Invalid", err)
		}
		if n, err := hb.Add(as(anxin.RoleOperator), []anxin.KnownImage{{PDQ: known.Hex(), Label: "counterfeit", BrandID: "b_lumen"}}); n != 1 || err != nil {
			t.Fatalf("Add = %d, %v", n, err)
		}
		if m, err := hb.Search(as(anxin.RoleOperator), near.Hex(), 31); err != nil || len(m) != 1 || m[0].Distance != 8 {
			t.Fatalf("Search = %+v, %v", m, err)
		}
		ctx := as(anxin.RolePlatform)
		clean, err := cs.Score(ctx, anxin.ScoreInput{Listing: &anxin.Listing{ID: "l_ok", MerchantID: "m_ok", Title: "Lumen 手提包", Brand: "Lumen", Category: "bags", PriceFen: 189900}})
		if err != nil || clean.Score != 0 {
			t.Fatalf("Score(authorised seller) = %+v, %v; want 0", clean, err)
		}
		fake, err := cs.Score(ctx, anxin.ScoreInput{Listing: &anxin.Listing{ID: "l3", MerchantID: "m_bad", Title: "Lumen 手提包", Brand: "lumen", Category: "bags", PriceFen: 9900, ImageHashes: []string{near.Hex()}}})
		if err != nil || fake.Score < 0.9 || len(fake.Signals) != 3 {
			t.Fatalf("Score(unauthorised, cheap, known image) = %+v, %v", fake, err)
		}
		var flags int
		db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM counterfeit_flags WHERE listing_id = 'l3' AND by_signals = 1`).Scan(&flags)
		if flags != 1 {
			t.Fatalf("flag rows for l3 = %d; want 1", flags)
		}
		if _, err := cs.Score(ctx, anxin.ScoreInput{Listing: &anxin.Listing{ID: "x"}}); anxin.KindOf(err) != anxin.Invalid {
			t.Fatalf("Score(invalid listing) = %v; want Invalid", err)
		}
		// A notice on a flagged listing counts as found proactively.
		n, err := sqlstore.NewIPService(db).FileNotice(as(anxin.RightsHolderRole("rh1")), testBuy("l3"), "p1")
		if err != nil || !n.ProactiveFirst {
			t.Fatalf("FileNotice(flagged listing) = %+v, %v; want proactive_first", n, err)
		}
		// Too few confirmed outcomes to train: a clear refusal.
		if _, err := cs.Train(as(anxin.RoleOperator), 1); anxin.KindOf(err) != anxin.Invalid {
			t.Fatalf("Train(one example) = %v; want Invalid", err)
		}
	})
}

// TestCheckUsesCounterfeitSignals runs the publish-time check with the
// counterfeit scorer wired in: signals reach the rules, are cited as
// evidence, and the listing is recorded as flagged by Anxin.
func TestCheckUsesCounterfeitSignals(t *testing.T) {
	sqltest.Run(t, nil, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		ipWorld(t, db)
		rel := sqlstore.NewRelationService(db)
		if _, err := rel.AddAttributes(as(anxin.RolePlatform), []*anxin.IdentityAttribute{
			{Kind: "merchant", ID: "m_new", Type: "bank_account", Value: "h:b1"},
			{Kind: "merchant", ID: "m_gone", Type: "bank_account", Value: "h:b1"},
		}); err != nil {
			t.Fatal(err)
		}
		gov := sqlstore.NewGovernanceService(db)
		if err := gov.Seed(ctx); err != nil {
			t.Fatal(err)
		}
		gov.Counterfeit = sqlstore.NewCounterfeitService(db, rel, sqlstore.NewHashBankService(db))
		ds, err := gov.CheckListings(as(anxin.RolePlatform), []*anxin.ListingCheck{
			{ID: "n1", MerchantID: "m_new", Title: "Lumen 真皮手提包", Brand: "Lumen", Category: "bags", PriceFen: 9900},
			{ID: "n2", MerchantID: "m_ok", Title: "Lumen 真皮手提包", Brand: "Lumen", Category: "bags", PriceFen: 189900},
			{ID: "n3", MerchantID: "m_ok", Title: "高仿 手提包", Category: "bags", PriceFen: 9900},
		})
		if err != nil {
			t.Fatal(err)
		}
		if ds[0].Outcome != anxin.OutcomeReview {
			t.Errorf("unauthorised deep discount: outcome %s; want review", ds[0].Outcome)
		}
		cited := false
		for _, e := range ds[0].Evidence {
			cited = cited || (e.Kind == "signal" && e.Term == "counterfeit.price_far_below")
		}
		if !cited {
			t.Errorf("evidence %+v does not cite the price signal", ds[0].Evidence)
		}
		if ds[1].Outcome != anxin.OutcomeAllow {
			t.Errorf("authorised seller at the reference price: outcome %s; want allow", ds[1].Outcome)
		}
		var bySignals, byLexicon int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM counterfeit_flags WHERE listing_id = 'n1' AND by_signals = 1`).Scan(&bySignals)
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM counterfeit_flags WHERE listing_id = 'n3' AND by_lexicon = 1`).Scan(&byLexicon)
		if bySignals != 1 || byLexicon != 1 {
			t.Errorf("flags: n1 by signals %d, n3 by lexicon %d; want 1 and 1", bySignals, byLexicon)
		}

		// A livestream frame matching a covered-logo image goes to review.
		covered := hashbank.Hash256{9, 9, 9, 9}
		if _, err := gov.Counterfeit.HashBank.Add(as(anxin.RoleOperator), []anxin.KnownImage{{PDQ: covered.Hex(), Label: "logo_covered"}}); err != nil {
			t.Fatal(err)
		}
		frame := covered
		frame[3] ^= 0xf
		cds, err := gov.CheckContent(as(anxin.RolePlatform), []*anxin.ContentItem{
			{ID: "seg1", Kind: anxin.ContentLivestreamSegment, StreamID: "st1", Seq: 1, AuthorID: "inf1", Text: "今天给大家看看这款包", ImageHashes: []string{frame.Hex()}},
			{ID: "seg2", Kind: anxin.ContentLivestreamSegment, StreamID: "st1", Seq: 2, AuthorID: "inf1", Text: "今天给大家看看这款包"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if cds[0].Outcome != anxin.OutcomeReview || cds[1].Outcome != anxin.OutcomeAllow {
			t.Errorf("covered-logo frame: outcomes %s, %s; want review, allow", cds[0].Outcome, cds[1].Outcome)
		}

		// A listing check sends the listing's images: the brand's own photo
		// from a seller the registry does not list goes to review at the
		// usual price; the same photo from the authorised seller, or no
		// photo, passes.
		official := hashbank.Hash256{7, 7, 7, 7}
		if _, err := gov.Counterfeit.HashBank.Add(as(anxin.RoleOperator), []anxin.KnownImage{{PDQ: official.Hex(), Label: "brand_owned", BrandID: "b_lumen"}}); err != nil {
			t.Fatal(err)
		}
		photo := []string{official.Hex()}
		ds, err = gov.CheckListings(as(anxin.RolePlatform), []*anxin.ListingCheck{
			{ID: "i1", MerchantID: "m_new", Title: "Lumen 真皮手提包", Brand: "Lumen", Category: "bags", PriceFen: 189900, ImageHashes: photo},
			{ID: "i2", MerchantID: "m_ok", Title: "Lumen 真皮手提包", Brand: "Lumen", Category: "bags", PriceFen: 189900, ImageHashes: photo},
			{ID: "i3", MerchantID: "m_new", Title: "Lumen 真皮手提包", Brand: "Lumen", Category: "bags", PriceFen: 189900},
		})
		if err != nil {
			t.Fatal(err)
		}
		cited = false
		for _, e := range ds[0].Evidence {
			cited = cited || (e.Kind == "signal" && e.Term == "counterfeit.image_brand_owned")
		}
		if ds[0].Outcome != anxin.OutcomeReview || !cited {
			t.Errorf("brand's photo from an unlisted seller: outcome %s evidence %+v; want review citing image_brand_owned", ds[0].Outcome, ds[0].Evidence)
		}
		if ds[1].Outcome != anxin.OutcomeAllow || ds[2].Outcome != anxin.OutcomeAllow {
			t.Errorf("authorised seller's photo, unlisted seller without photo: outcomes %s, %s; want allow, allow", ds[1].Outcome, ds[2].Outcome)
		}
		// Malformed hashes are refused for the whole batch, which stores
		// nothing.
		var before, after int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM gov_decisions`).Scan(&before)
		for _, bad := range [][]string{{"xyz"}, {""}, {strings.Repeat("a", 129)}, make([]string, anxin.MaxImages+1)} {
			_, err := gov.CheckListings(as(anxin.RolePlatform), []*anxin.ListingCheck{
				{ID: "ok1", MerchantID: "m_ok", Title: "Lumen 手提包", Category: "bags"},
				{ID: "bad1", MerchantID: "m_ok", Title: "Lumen 手提包", Category: "bags", ImageHashes: bad},
			})
			var e *anxin.Error
			if !errors.As(err, &e) || e.Kind != anxin.Invalid || len(e.Details) != 1 || e.Details[0].ID != "bad1" || !strings.Contains(e.Details[0].Message, "image_hashes") {
				t.Errorf("image_hashes %.20q: err %#v; want Invalid naming bad1's image_hashes", bad, err)
			}
		}
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM gov_decisions`).Scan(&after)
		if after != before {
			t.Errorf("refused batches stored %d decisions", after-before)
		}
	})
}
