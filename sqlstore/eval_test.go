package sqlstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"anxin"
	"anxin/anxintest"
	"anxin/evaluate"
	"anxin/report"
	"anxin/sqlstore"
	"anxin/sqlstore/sqltest"
)

func TestEvalResults(t *testing.T) {
	clock := anxintest.NewClock(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	sqltest.Run(t, clock, func(t *testing.T, db *sqlstore.DB) {
		if _, err := db.LatestEvalResult(operator, time.Time{}); anxin.KindOf(err) != anxin.NotFound {
			t.Fatalf("LatestEvalResult(empty) = %v; want NotFound", err)
		}
		items := []evaluate.Item{
			{ID: "1", Kind: "listing", Label: "counterfeit", Text: "高仿包"},
			{ID: "2", Kind: "comment", Label: evaluate.Clean, Text: "好评"},
			{ID: "3", Kind: "comment", Label: evaluate.Clean, Text: "加微信"},
			{ID: "4", Kind: "comment", Label: "drugs", Text: "冰du"},
		}
		s := evaluate.Score(items, []evaluate.Prediction{
			{Outcome: anxin.OutcomeBlock, Labels: []string{"counterfeit"}}, {}, {Outcome: anxin.OutcomeReview}, {},
		}, 5)
		s.Engine = "policy v1"
		for _, tt := range []struct {
			name string
			ctx  context.Context
			set  string
			s    *evaluate.Summary
			want anxin.Kind
		}{
			{"reviewer may not store", as(anxin.RoleReviewer), "x", s, anxin.Forbidden},
			{"no name", operator, " ", s, anxin.Invalid},
			{"no items", operator, "x", &evaluate.Summary{}, anxin.Invalid},
		} {
			if _, err := db.StoreEvalResult(tt.ctx, tt.set, tt.s); anxin.KindOf(err) != tt.want {
				t.Errorf("StoreEvalResult(%s) = %v; want %s", tt.name, err, tt.want)
			}
		}
		first, err := db.StoreEvalResult(operator, "old.jsonl", s)
		if err != nil {
			t.Fatal(err)
		}
		clock.Set(clock.Now().Add(time.Hour))
		second, err := db.StoreEvalResult(operator, "test.jsonl", s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.LatestEvalResult(operator, time.Time{})
		if err != nil || got.ID != second.ID || got.Summary.Flagged.FPR != 0.5 || got.CreatedBy != "k_operator" {
			t.Fatalf("LatestEvalResult = %+v, %v; want %s with FPR 0.5 by k_operator", got, err, second.ID)
		}
		if got, err := db.LatestEvalResult(operator, second.CreatedAt); err != nil || got.ID != first.ID {
			t.Errorf("LatestEvalResult(before the second) = %v, %v; want %s", got, err, first.ID)
		}
		list, err := db.EvalResults(as(anxin.RoleReviewer))
		if err != nil || len(list) != 2 || list[0].ID != second.ID {
			t.Errorf("EvalResults = %d results, %v; want 2, newest first", len(list), err)
		}
		if _, err := db.EvalResult(operator, "eval_nope"); anxin.KindOf(err) != anxin.NotFound {
			t.Errorf("EvalResult(unknown) = %v; want NotFound", err)
		}

		// The report's governance section carries the labelled figures
		// under their own heading.
		r, err := sqlstore.NewReportService(db).Report(operator, anxin.Period{From: clock.Now().Add(-24 * time.Hour), To: clock.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := report.Markdown(&b, r); err != nil {
			t.Fatal(err)
		}
		md := b.String()
		for _, want := range []string{
			report.LabelledQualityHeading + `"test.jsonl", 4 items of which 2 violations, measured 2026-03-02, policy v1)`,
			"| Recall of violations (blocked or sent to review) | 50.0 % |",
			"| Clean texts blocked or sent to review | 50.0 % |",
		} {
			if !strings.Contains(md, want) {
				t.Errorf("report Markdown lacks %q:\n%s", want, md)
			}
		}
		if strings.Contains(md, report.QualityHeading) {
			t.Errorf("report shows the simulator heading without simulator ground truth:\n%s", md)
		}
	})
}
