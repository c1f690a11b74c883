package sqlstore_test

import (
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/governance"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

func TestGovernanceImportLexicon(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		g := newGov(t, db)
		parse := func(list string) *anxin.LexiconImport {
			t.Helper()
			imp, err := governance.ParseWordList([]byte(list), governance.ImportOptions{Category: "counterfeit_hard", Severity: 5})
			if err != nil {
				t.Fatal(err)
			}
			return imp
		}
		if d := checkOne(t, g, anxin.ListingCheck{ID: "i0", Title: "蓝精灵秘制 纯棉T恤"}); d.Outcome != anxin.OutcomeAllow {
			t.Fatalf("before the import = %v; want allow", d.Outcome)
		}
		rep, err := g.ImportLexicon(govOperator, "ours", parse("蓝精灵秘制\n代购港货\n蓝精灵秘制\n"))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Version != 1 || rep.Added != 2 || rep.SkippedCount != 1 || rep.Terms != 2 {
			t.Errorf("ImportLexicon = %+v; want version 1, 2 added, 1 skipped", rep)
		}
		// The running engine picks the new lexicon up without a restart.
		if d := checkOne(t, g, anxin.ListingCheck{ID: "i1", Title: "蓝精灵秘制 纯棉T恤"}); d.Outcome != anxin.OutcomeBlock {
			t.Errorf("after the import = %v; want block", d.Outcome)
		}
		// A second import adds only what is new.
		rep, err = g.ImportLexicon(govOperator, "ours", parse("代购港货\n厂家直出秘货\n"))
		if err != nil || rep.Version != 2 || rep.Added != 1 || rep.Terms != 3 || rep.Skipped[0].Reason != "already in the lexicon" {
			t.Errorf("second ImportLexicon = %+v, %v; want version 2 with 1 added", rep, err)
		}
		// A merge the engine rejects changes nothing.
		bad := parse("好词\n")
		bad.Terms[0].Category = "Bad Category!"
		if _, err := g.ImportLexicon(govOperator, "ours", bad); anxin.KindOf(err) != anxin.Invalid {
			t.Errorf("ImportLexicon(bad category) = %v; want Invalid", err)
		}
		l, err := g.FindLexicon(govOperator, "ours")
		if err != nil || l.Version != 2 || len(l.Terms) != 3 {
			t.Errorf("after a failed import: %+v, %v; want version 2 with 3 terms", l, err)
		}
		// Only operators import.
		if _, err := g.ImportLexicon(govReviewer, "ours", parse("x词\n")); anxin.KindOf(err) != anxin.Forbidden {
			t.Errorf("ImportLexicon as reviewer = %v; want Forbidden", err)
		}
		if _, err := g.ImportLexicon(govOperator, "Bad Name", parse("x词\n")); anxin.KindOf(err) != anxin.Invalid || !strings.Contains(anxin.MessageOf(err), "name") {
			t.Errorf("ImportLexicon(bad name) = %v; want Invalid naming the name", err)
		}
	})
}
