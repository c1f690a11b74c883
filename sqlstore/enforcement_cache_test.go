package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

// The check path keeps merchants' enforcement state in memory on SQLite; a
// sanction issued by another replica (or an anxin command on the same
// file), one issued in this process and one that runs out must each be seen
// by the very next check.
func TestCheckSeesEnforcementChanges(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	sqltest.RunReplicas(t, clock, 2, func(t *testing.T, dbs []*sqlstore.DB) {
		g0, g1 := newGov(t, dbs[0]), newGov(t, dbs[1])
		check := func(id string) *anxin.Decision {
			t.Helper()
			return checkOne(t, g0, anxin.ListingCheck{ID: id, Title: "纯棉毛巾 三条装", MerchantID: "m_cache"})
		}
		if d := check("l1"); d.Outcome != anxin.OutcomeAllow {
			t.Fatalf("first check = %v %q; want allow", d.Outcome, d.ReasonCode)
		}
		if d := check("l2"); d.Outcome != anxin.OutcomeAllow {
			t.Fatalf("second check (state from memory) = %v %q; want allow", d.Outcome, d.ReasonCode)
		}

		// Another replica restricts the merchant for a day.
		sc, err := g1.IssueSanction(govOperator, anxin.SanctionRequest{SubjectID: "m_cache", Type: "restrict_listing", Days: 1, Facts: "empty parcels"})
		if err != nil {
			t.Fatal(err)
		}
		d := check("l3")
		if d.Outcome != anxin.OutcomeBlock || d.ReasonCode != anxin.ReasonPenaltyRestricted || d.StatementID != sc.StatementID {
			t.Fatalf("check after another replica's sanction = %v %q %q; want block PENALTY_RESTRICTED by %s", d.Outcome, d.ReasonCode, d.StatementID, sc.StatementID)
		}

		// The day runs out (the end job has not run): the gate lets the
		// merchant publish again.
		clock.Advance(24*time.Hour + time.Second)
		if d := check("l4"); d.Outcome != anxin.OutcomeAllow {
			t.Fatalf("check after the sanction ended = %v %q; want allow", d.Outcome, d.ReasonCode)
		}

		// This replica clears the merchant out.
		sc2, err := g0.IssueSanction(govOperator, anxin.SanctionRequest{SubjectID: "m_cache", Type: "clear_out", Days: 3, Facts: "sold fakes"})
		if err != nil {
			t.Fatal(err)
		}
		if d := check("l5"); d.Outcome != anxin.OutcomeBlock || d.StatementID != sc2.StatementID {
			t.Fatalf("check after this replica's sanction = %v %q %q; want block by %s", d.Outcome, d.ReasonCode, d.StatementID, sc2.StatementID)
		}
		var n int
		if err := dbs[0].QueryRowContext(context.Background(), `SELECT COUNT(*) FROM gov_decisions WHERE merchant_id = 'm_cache'`).Scan(&n); err != nil || n != 5 {
			t.Fatalf("stored decisions = %d, %v; want 5", n, err)
		}
	})
}
