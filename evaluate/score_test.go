package evaluate

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"anxin"
)

func TestScore(t *testing.T) {
	allow, review, block := anxin.OutcomeAllow, anxin.OutcomeReview, anxin.OutcomeBlock
	items := []Item{
		{ID: "1", Kind: "listing", Label: "counterfeit", Text: "高仿包"},
		{ID: "2", Kind: "listing", Label: "counterfeit", Text: "复刻表"},
		{ID: "3", Kind: "comment", Label: "counterfeit", Text: "精仿"},
		{ID: "4", Kind: "comment", Label: "drugs", Text: "冰du"},
		{ID: "5", Kind: "listing", Label: Clean, Text: "T恤"},
		{ID: "6", Kind: "listing", Label: Clean, Text: "水枪"},
		{ID: "7", Kind: "comment", Label: Clean, Text: "好评"},
		{ID: "8", Kind: "comment", Label: Clean, Text: "加微信支付"},
	}
	preds := []Prediction{
		{Outcome: block, Labels: []string{"counterfeit"}},
		{Outcome: review, Labels: []string{"counterfeit"}},
		{Outcome: allow},
		{Outcome: block, Labels: []string{"weapons"}},
		{Outcome: allow},
		{Outcome: block, Labels: []string{"weapons"}},
		{Outcome: allow},
		{Outcome: review, Labels: []string{"contact_diversion"}},
	}
	s := Score(items, preds, 1)
	// Violations 1-4: blocked 1, 4; flagged 1, 2, 4. Clean 5-8: blocked 6; flagged 6, 8.
	wantBlocked := Binary{TP: 2, FN: 2, FP: 1, TN: 3, Precision: 2.0 / 3, Recall: 0.5, FPR: 0.25}
	wantFlagged := Binary{TP: 3, FN: 1, FP: 2, TN: 2, Precision: 0.6, Recall: 0.75, FPR: 0.5}
	if diff := cmp.Diff(wantBlocked, s.Blocked); diff != "" {
		t.Errorf("Blocked mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantFlagged, s.Flagged); diff != "" {
		t.Errorf("Flagged mismatch (-want +got):\n%s", diff)
	}
	wantLabels := []LabelStats{
		{Label: Clean, N: 4, Blocked: 1, Flagged: 2},
		{Label: "weapons", Predicted: 2, CleanPredicted: 1, FPR: 0.25},
		{Label: "drugs", N: 1, Blocked: 1, Flagged: 1, RecallBlocked: 1, RecallFlagged: 1},
		{Label: "counterfeit", N: 3, Blocked: 1, Flagged: 2, RecallBlocked: 1.0 / 3, RecallFlagged: 2.0 / 3, Predicted: 2, Correct: 2, Precision: 1},
		{Label: "contact_diversion", Predicted: 1, CleanPredicted: 1, FPR: 0.25},
	}
	if diff := cmp.Diff(wantLabels, s.Labels); diff != "" {
		t.Errorf("Labels mismatch (-want +got):\n%s", diff)
	}
	if len(s.Kinds) != 2 || s.Kinds[0].Kind != "listing" || s.Kinds[0].Flagged != (Binary{TP: 2, FP: 1, TN: 1, Precision: 2.0 / 3, Recall: 1, FPR: 0.5}) {
		t.Errorf("Kinds = %+v; want listing first with TP 2, FP 1, TN 1", s.Kinds)
	}
	// One example of each error: the first missed violation, the block
	// before the review among false positives, the wrong-label catch.
	ids := func(es []Example) (out []string) {
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	if got := [][]string{ids(s.Missed), ids(s.FalsePositives), ids(s.WrongLabel)}; !cmp.Equal(got, [][]string{{"3"}, {"6"}, {"4"}}) {
		t.Errorf("examples (missed, false positives, wrong label) = %v; want [[3] [6] [4]]", got)
	}
}

func TestScoreEmptyDenominators(t *testing.T) {
	s := Score([]Item{{ID: "1", Kind: "comment", Label: Clean, Text: "好"}}, []Prediction{{Outcome: anxin.OutcomeAllow}}, 0)
	if s.Flagged != (Binary{TN: 1}) || s.Violations != 0 || s.Clean != 1 {
		t.Errorf("Score(one clean allowed) = %+v; want TN 1 and all rates 0", s.Flagged)
	}
}

func TestMapLabels(t *testing.T) {
	tests := []struct {
		in   []string
		m    map[string]string
		want []string
	}{
		{[]string{"counterfeit", "replica_wording"}, nil, []string{"counterfeit"}},
		{[]string{"prohibited", "firearms", "drugs"}, nil, []string{"drugs", "weapons"}},
		{[]string{"off_platform_contact", "evasion"}, nil, []string{"contact_diversion"}},
		{[]string{"Gambling"}, nil, []string{"gambling"}},
		{[]string{"clean", "prohibited"}, nil, nil},
		{[]string{"mine"}, map[string]string{"mine": "lottery"}, []string{"lottery"}},
	}
	for _, tt := range tests {
		if got := MapLabels(tt.in, tt.m); !cmp.Equal(got, tt.want) {
			t.Errorf("MapLabels(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
