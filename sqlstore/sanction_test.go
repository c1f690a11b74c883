package sqlstore_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestSanctionIssueGateAppeal(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		g := newGov(t, db)
		merchant := govAs(anxin.MerchantRole("m7"), "k_m7")
		count := func() int {
			var n int
			if err := db.QueryRowContext(context.Background(), `SELECT (SELECT COUNT(*) FROM sanctions) + (SELECT COUNT(*) FROM gov_statements)`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := count()
		for _, tt := range []struct {
			name string
			r    anxin.SanctionRequest
			kind anxin.Kind
			msg  string
		}{
			{"unknown type", anxin.SanctionRequest{SubjectID: "m7", Type: "ban", Facts: "x"}, anxin.Invalid, `type "ban" is not a sanction type`},
			{"unknown source", anxin.SanctionRequest{SubjectID: "m7", Type: "warning", Source: "rumour", Days: 7, Facts: "x"}, anxin.Invalid, `source "rumour"`},
			{"another source by hand", anxin.SanctionRequest{SubjectID: "m7", Type: "restrict_listing", Source: "sampling", Facts: "x"}, anxin.Invalid, "Only manual sanctions"},
			{"no facts", anxin.SanctionRequest{SubjectID: "m7", Type: "restrict_listing", Days: 3}, anxin.Invalid, "facts are required"},
			{"bad subject", anxin.SanctionRequest{SubjectType: "buyer", SubjectID: "m7", Type: "warning", Days: 3, Facts: "x"}, anxin.Invalid, "subject_type"},
			{"too long", anxin.SanctionRequest{SubjectID: "m7", Type: "restrict_listing", Days: 99999, Facts: "x"}, anxin.Invalid, "days must be"},
		} {
			if _, err := g.IssueSanction(govOperator, tt.r); anxin.KindOf(err) != tt.kind || !strings.Contains(anxin.MessageOf(err), tt.msg) {
				t.Errorf("%s: IssueSanction = %v; want %s containing %q", tt.name, err, tt.kind, tt.msg)
			}
		}
		if _, err := g.IssueSanction(govReviewer, anxin.SanctionRequest{SubjectID: "m7", Type: "warning", Days: 3, Facts: "x"}); anxin.KindOf(err) != anxin.Forbidden {
			t.Errorf("IssueSanction by a reviewer = %v; want Forbidden", err)
		}
		if n := count(); n != before {
			t.Fatalf("bad requests stored %d rows", n-before)
		}

		sc, err := g.IssueSanction(govOperator, anxin.SanctionRequest{SubjectID: "m7", Type: "restrict_listing", Days: 7,
			Facts: "The shop shipped empty parcels to 12 buyers.", TermsGround: "Seller terms §4.2"})
		if err != nil {
			t.Fatal(err)
		}
		r := sc.Reasons
		if sc.Source != anxin.SourceManual || r.Automation != "not" || r.Ground != "incompatible_with_terms" || r.TermsGround != "Seller terms §4.2" ||
			!strings.HasPrefix(r.Restriction, "Publishing new listings") || !strings.Contains(r.HowToAppeal, sc.ID) || sc.AppealDeadline == nil {
			t.Errorf("sanction reasons = %+v", sc)
		}
		// Overlap of the same type and source: refused, nothing stored.
		mid := count()
		if _, err := g.IssueSanction(govOperator, anxin.SanctionRequest{SubjectID: "m7", Type: "restrict_listing", Days: 3, Facts: "again"}); anxin.KindOf(err) != anxin.Conflict ||
			!strings.Contains(anxin.MessageOf(err), sc.ID) {
			t.Errorf("overlapping manual sanction = %v; want Conflict naming %s", err, sc.ID)
		}
		if n := count(); n != mid {
			t.Errorf("the refused overlap stored %d rows", n-mid)
		}
		warn, err := g.IssueSanction(govOperator, anxin.SanctionRequest{SubjectID: "m7", Type: "warning", Days: 30, Facts: "late shipping"})
		if err != nil {
			t.Fatal(err)
		}

		// The publish gate refuses with the manual sanction's statement.
		d := checkOne(t, g, anxin.ListingCheck{ID: "lm7", Title: "纯棉毛巾", MerchantID: "m7"})
		if d.Outcome != anxin.OutcomeBlock || d.ReasonCode != anxin.ReasonPenaltyRestricted || d.StatementID != sc.StatementID ||
			!strings.Contains(strings.Join(d.Reasons, " "), sc.ID) {
			t.Fatalf("publish under a manual restriction = %+v", d)
		}
		e, err := g.MerchantEnforcement(merchant, "m7")
		if err != nil || e.State != anxin.StateRestricted || len(e.Sanctions) != 2 {
			t.Fatalf("MerchantEnforcement = %+v, %v; want restricted with two sanctions", e, err)
		}
		if _, err := g.MerchantEnforcement(govAs(anxin.MerchantRole("m8"), "k_m8"), "m7"); anxin.KindOf(err) != anxin.NotFound {
			t.Errorf("another merchant's enforcement = %v; want NotFound", err)
		}

		// Lists: filters, role scope, pagination.
		mine, _, err := g.FindSanctions(merchant, anxin.SanctionFilter{MerchantID: "m_other"})
		if err != nil || len(mine) != 2 || mine[0].SubjectID != "m7" {
			t.Errorf("merchant's list = %+v, %v; want its own two", mine, err)
		}
		if other, _, _ := g.FindSanctions(govAs(anxin.MerchantRole("m8"), "k_m8"), anxin.SanctionFilter{}); len(other) != 0 {
			t.Errorf("m8 sees %d sanctions; want 0", len(other))
		}
		page1, next, err := g.FindSanctions(govOperator, anxin.SanctionFilter{Page: anxin.Page{Limit: 1}})
		if err != nil || len(page1) != 1 || next == "" {
			t.Fatalf("page 1 = %v, %q, %v", page1, next, err)
		}
		page2, next2, err := g.FindSanctions(govOperator, anxin.SanctionFilter{Page: anxin.Page{Limit: 1, Cursor: next}})
		if err != nil || len(page2) != 1 || page2[0].ID == page1[0].ID || next2 != "" {
			t.Fatalf("page 2 = %v, %q, %v", page2, next2, err)
		}
		if ws, _, _ := g.FindSanctions(govOperator, anxin.SanctionFilter{Type: "warning", Source: "manual", Active: true}); len(ws) != 1 || ws[0].ID != warn.ID {
			t.Errorf("warnings = %+v", ws)
		}
		for _, f := range []anxin.SanctionFilter{{Source: "rumour"}, {Type: "ban"}, {Page: anxin.Page{Cursor: "zz"}}, {SubjectType: "buyer"}} {
			if _, _, err := g.FindSanctions(govOperator, f); anxin.KindOf(err) != anxin.Invalid {
				t.Errorf("FindSanctions(%+v) = %v; want Invalid", f, err)
			}
		}

		// Appeal the restriction: the issuer may not decide it; another
		// reviewer overturns; exactly that sanction is lifted.
		if _, err := g.FileSanctionAppeal(govAs(anxin.MerchantRole("m8"), "k_m8"), sc.ID, "not mine"); anxin.KindOf(err) != anxin.NotFound {
			t.Errorf("appeal by another merchant = %v; want NotFound", err)
		}
		a, err := g.FileSanctionAppeal(merchant, sc.ID, "The parcels were stolen in transit; carrier report attached.")
		if err != nil || a.SanctionID != sc.ID {
			t.Fatalf("FileSanctionAppeal = %+v, %v", a, err)
		}
		if _, err := g.FileSanctionAppeal(merchant, sc.ID, "again"); anxin.KindOf(err) != anxin.Conflict {
			t.Errorf("second appeal = %v; want Conflict", err)
		}
		if _, err := g.DecideAppeal(govOperator, a.ID, anxin.ResOverturn, "self"); anxin.KindOf(err) != anxin.Forbidden {
			t.Errorf("appeal decided by the issuer = %v; want Forbidden", err)
		}
		reversals := len(outboxOf(t, db, anxin.MessageReverseEnforcement))
		if a, err = g.DecideAppeal(govSecond, a.ID, anxin.ResOverturn, "carrier confirmed theft"); err != nil || a.Status != anxin.AppealOverturned {
			t.Fatalf("DecideAppeal = %+v, %v", a, err)
		}
		got, _ := g.FindSanction(govOperator, sc.ID)
		still, _ := g.FindSanction(govOperator, warn.ID)
		if got.Status != anxin.SanctionLifted || got.EndReason != "appeal_upheld" || still.Status != anxin.SanctionActive {
			t.Errorf("after the overturn: restriction %s, warning %s; want lifted and active", got.Status, still.Status)
		}
		if msgs := outboxOf(t, db, anxin.MessageReverseEnforcement); len(msgs)-reversals != 1 || !strings.Contains(string(msgs[len(msgs)-1].Payload), sc.ID) {
			t.Errorf("reversal webhooks = %d new; want one naming %s", len(msgs)-reversals, sc.ID)
		}
		if _, err := g.FileSanctionAppeal(merchant, sc.ID, "once more"); anxin.KindOf(err) != anxin.Conflict || !strings.Contains(anxin.MessageOf(err), "already lifted") {
			t.Errorf("appeal of a lifted sanction = %v; want Conflict", err)
		}
		if e, _ := g.MerchantEnforcement(merchant, "m7"); e.State != anxin.StateWarned {
			t.Errorf("state after the lift = %s; want warned", e.State)
		}
		if ok := checkOne(t, g, anxin.ListingCheck{ID: "lm7b", Title: "纯棉毛巾", MerchantID: "m7"}); ok.Outcome != anxin.OutcomeAllow {
			t.Errorf("publish after the lift = %+v; want allow", ok)
		}

		// A restricted influencer's stream is refused like a publish.
		inf, err := g.IssueSanction(govOperator, anxin.SanctionRequest{SubjectType: "influencer", SubjectID: "inf1", Type: "restrict_streaming", Days: 7, Facts: "sold fakes live"})
		if err != nil {
			t.Fatal(err)
		}
		ds, err := g.CheckContent(govPlatform, []*anxin.ContentItem{{ID: "seg1", Kind: anxin.ContentLivestreamSegment, AuthorID: "inf1", StreamID: "s1", Seq: 1, Text: "大家好 今天的连衣裙"}})
		if err != nil || ds[0].Outcome != anxin.OutcomeBlock || ds[0].ReasonCode != "STREAM_RESTRICTED" || ds[0].StatementID != inf.StatementID || !ds[0].CutStream {
			t.Fatalf("stream by a restricted influencer = %+v, %v", ds, err)
		}
	})
}

func outboxOf(t *testing.T, db *sqlstore.DB, typ string) []*anxin.OutboxMessage {
	t.Helper()
	msgs, err := db.OutboxMessages(context.Background(), typ, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// TestSanctionMigration writes data in the schema before 0700 through the
// four old restriction paths' tables, migrates, and checks that each became
// a sanction with a statement that the gate reads.
func TestSanctionMigration(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	run := func(t *testing.T, dsn string) {
		ctx := context.Background()
		db, err := sqlstore.Open(ctx, dsn, clock)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.MigrateTo(ctx, "0601_outbox_txid"); err != nil {
			t.Fatal(err)
		}
		now := clock.Now().UnixMilli()
		day := int64(86400000)
		for _, q := range []string{
			`INSERT INTO gov_statements (id, version, merchant_id, target_type, target_id, outcome, appeal_deadline, body, created_at)
				VALUES ('sor_g', 1, 'mg', 'merchant', 'mg', 2, ?, '{"id":"sor_g","facts":"Points node reached: general:12.","automation":"fully","decision_ground":"incompatible_with_terms","decision_id":""}', ?)`,
			`INSERT INTO gov_enforcements (id, statement_id, merchant_id, target_type, target_id, action, stage, cause, status, starts_at, ends_at, created_at)
				VALUES ('enf_g', 'sor_g', 'mg', 'merchant', 'mg', 'restrict_listing', 'post_publish', 'general:12', 'active', ?, ?, ?)`,
			`INSERT INTO gov_enforcements (id, statement_id, merchant_id, target_type, target_id, action, stage, cause, status, starts_at, created_at)
				VALUES ('enf_l', 'sor_g', 'mg', 'listing', 'l1', 'intercept_publish', 'publish', '', 'active', ?, ?)`,
			`INSERT INTO ip_sanctions (id, merchant_id, action, days, notice_id, created_at) VALUES ('ips_1', 'mi', 'clear_out', 0, 'ntc_1', ?)`,
			`INSERT INTO sampling_violations (id, sample_id, merchant_id, listing_id, reason, at) VALUES ('svl_1', 'smp_1', 'ms', 'l2', 'sampling_fail_safety', ?)`,
			`INSERT INTO merchant_deposits (merchant_id, floor_fen, restricted, restricted_at, updated_at) VALUES ('md', 500000, 1, ?, ?)`,
		} {
			args := []any{now - day, now - day}
			switch strings.Count(q, "?") {
			case 3:
				args = []any{now - day, now + 6*day, now - day}
			case 1:
				args = args[:1]
			}
			if strings.Contains(q, "appeal_deadline") {
				args = []any{now + 29*day, now - day}
			}
			if _, err := db.SQL.ExecContext(ctx, rebindFor(db, q), args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		g := newGov(t, db)
		for _, tt := range []struct {
			merchant, source, typ, code string
		}{
			{"mg", "governance", "restrict_listing", anxin.ReasonPenaltyRestricted},
			{"mi", "ip", "clear_out", anxin.ReasonMerchantCleared},
			{"ms", "sampling", "restrict_listing", anxin.ReasonPenaltyRestricted},
			{"md", "deposit", "restrict_listing", anxin.ReasonPenaltyRestricted},
		} {
			ss, _, err := g.FindSanctions(govOperator, anxin.SanctionFilter{MerchantID: tt.merchant, Active: true})
			if err != nil || len(ss) != 1 || ss[0].Source != tt.source || ss[0].Type != tt.typ || ss[0].Reasons.Facts == "" {
				t.Fatalf("%s: migrated sanctions = %+v, %v", tt.merchant, ss, err)
			}
			st, err := g.FindStatement(govOperator, ss[0].StatementID)
			if err != nil || st.Facts == "" || (tt.source != "governance" && st.AppealDeadline == nil) {
				t.Errorf("%s: statement = %+v, %v", tt.merchant, st, err)
			}
			d := checkOne(t, g, anxin.ListingCheck{ID: "lx_" + tt.merchant, Title: "纯棉毛巾", MerchantID: tt.merchant})
			if d.ReasonCode != tt.code || d.StatementID != ss[0].StatementID {
				t.Errorf("%s: publish = %s %s; want %s with %s", tt.merchant, d.ReasonCode, d.StatementID, tt.code, ss[0].StatementID)
			}
		}
		var listingRows int
		db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM gov_enforcements WHERE id = 'enf_l'`).Scan(&listingRows)
		if listingRows != 1 {
			t.Errorf("the listing action left gov_enforcements")
		}
	}
	t.Run("sqlite", func(t *testing.T) { run(t, filepath.Join(t.TempDir(), "anxin.db")) })
	t.Run("postgres", func(t *testing.T) { run(t, sqltest.PostgresDSN(t)) })
}

// rebindFor turns ? placeholders into $n on PostgreSQL, for the raw
// statements of the migration test.
func rebindFor(db *sqlstore.DB, q string) string {
	if db.Dialect != sqlstore.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + string(rune('0'+n)))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Operators issuing the same kind of sanction on one shop at the same
// moment (two replicas, two tabs) get exactly one sanction: the others
// see it and are refused as an overlap, on both databases.
func TestSanctionConcurrentOverlap(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		g := newGov(t, db)
		const n = 8
		errs := make(chan error, n)
		start := make(chan struct{})
		for i := range n {
			go func() {
				<-start
				_, err := g.IssueSanction(govOperator, anxin.SanctionRequest{SubjectID: "m9", Type: "restrict_listing", Days: 7,
					Facts: "Parcels shipped empty, report " + string(rune('A'+i)) + "."})
				errs <- err
			}()
		}
		close(start)
		ok, conflicts := 0, 0
		for range n {
			switch err := <-errs; {
			case err == nil:
				ok++
			case anxin.KindOf(err) == anxin.Conflict || anxin.KindOf(err) == anxin.Unavailable:
				conflicts++
			default:
				t.Errorf("IssueSanction = %v; want success or Conflict", err)
			}
		}
		var stored int
		if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM sanctions WHERE subject_id = 'm9' AND type = 'restrict_listing' AND status = 'active'`).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if ok != 1 || stored != 1 {
			t.Errorf("%d issued, %d refused, %d stored; want exactly one issued and stored", ok, conflicts, stored)
		}
	})
}

// anxin_sanctions counts the stored sanctions by source, type and status.
func TestSanctionMetrics(t *testing.T) {
	sqltest.Run(t, anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)), func(t *testing.T, db *sqlstore.DB) {
		g := newGov(t, db)
		for _, m := range []string{"m31", "m32"} {
			if _, err := g.IssueSanction(govOperator, anxin.SanctionRequest{SubjectID: m, Type: "restrict_listing", Days: 7, Facts: "Empty parcels."}); err != nil {
				t.Fatal(err)
			}
		}
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(sqlstore.NewSanctionCollector(db))
		want := "\n# HELP anxin_sanctions Sanctions by source, type and status (active, lifted, reversed, ended).\n# TYPE anxin_sanctions gauge\n" +
			`anxin_sanctions{source="manual",status="active",type="restrict_listing"} 2` + "\n"
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "anxin_sanctions"); err != nil {
			t.Error(err)
		}
	})
}
