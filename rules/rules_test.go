package rules

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func hitsEnv(kind string, found ...Found) *Env {
	h := Summarize(found)
	return &Env{Kind: kind, Hits: h, Window: h, Found: found}
}

func TestEvaluateStrictestWinsAndMergesActions(t *testing.T) {
	prog, err := Compile(Policy{Version: 1, Rules: []Rule{
		{ID: "soft", When: `hits.category["soft"] > 0`, Outcome: Review, Labels: []string{"counterfeit"}, Reason: "Soft words {terms}.", Evidence: []string{"soft"},
			Actions: []Action{{Type: ActRestrictListing, Days: 7}}},
		{ID: "hard", When: `hits.category["hard"] > 0`, Outcome: Block, Labels: []string{"counterfeit", "replica"}, Reason: "Replica words {terms}.", Evidence: []string{"hard"},
			Actions: []Action{{Type: ActInterceptPublish}, {Type: ActRestrictListing, Days: 14}}},
		{ID: "shadow", When: `hits.total > 0`, Outcome: Block, Reason: "x", Shadow: true},
		{ID: "comments.only", Kinds: []string{"comment"}, When: `true`, Outcome: Block, Reason: "y"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	res := prog.Evaluate(hitsEnv("listing",
		Found{Term: "高仿", Category: "hard", Lexicon: "l", Severity: 5, Quote: "髙仿"},
		Found{Term: "专柜品质", Category: "soft", Lexicon: "l", Severity: 2, Quote: "专柜品质"}))
	if res.Outcome != Block {
		t.Fatalf("Outcome = %v; want block", res.Outcome)
	}
	if diff := cmp.Diff([]string{"counterfeit", "replica"}, res.Labels); diff != "" {
		t.Errorf("Labels (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{`Replica words "髙仿".`}, res.Reasons); diff != "" {
		t.Errorf("Reasons (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Action{{Type: ActInterceptPublish}, {Type: ActRestrictListing, Days: 14}}, res.Actions); diff != "" {
		t.Errorf("Actions (-want +got):\n%s", diff)
	}
	if len(res.Shadow) != 1 || res.Shadow[0].RuleID != "shadow" {
		t.Errorf("Shadow = %+v; want the shadow rule", res.Shadow)
	}
	if len(res.Fired) != 2 {
		t.Errorf("Fired = %+v; want 2 rules (not the comment-only one)", res.Fired)
	}
	if res := prog.Evaluate(hitsEnv("listing")); res.Outcome != Allow || len(res.Fired) != 0 {
		t.Errorf("Evaluate(no hits) = %+v; want allow", res)
	}
	if res := prog.Evaluate(hitsEnv("comment")); res.Outcome != Block {
		t.Errorf("Evaluate(comment) = %v; want block from the comment-only rule", res.Outcome)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		rule Rule
		want CompileError
	}{
		{"syntax", Rule{ID: "r1", When: "hits.total >", Outcome: Review, Reason: "r"}, CompileError{RuleID: "r1", Line: 1, Column: 12}},
		{"unknown field", Rule{ID: "r2", When: "hits.totl > 0", Outcome: Review, Reason: "r"}, CompileError{RuleID: "r2", Line: 1, Column: 6}},
		{"not bool", Rule{ID: "r3", When: "hits.total", Outcome: Review, Reason: "r"}, CompileError{RuleID: "r3"}},
		{"disabled builtin", Rule{ID: "r4", When: `now() != nil`, Outcome: Review, Reason: "r"}, CompileError{RuleID: "r4", Line: 1}},
		{"dynamic regexp", Rule{ID: "r5", When: `brand matches category`, Outcome: Review, Reason: "r"}, CompileError{RuleID: "r5", Line: 1, Column: 7}},
		{"second line", Rule{ID: "r6", When: "hits.total > 0 &&\n  merchant.nope", Outcome: Review, Reason: "r"}, CompileError{RuleID: "r6", Line: 2}},
		{"bad action", Rule{ID: "r7", When: "true", Outcome: Block, Reason: "r", Actions: []Action{{Type: "explode"}}}, CompileError{RuleID: "r7"}},
		{"no reason", Rule{ID: "r8", When: "true", Outcome: Block}, CompileError{RuleID: "r8"}},
		{"bad id", Rule{ID: "R 9", When: "true"}, CompileError{RuleID: "R 9"}},
		{"too long", Rule{ID: "r10", When: strings.Repeat("1 + ", 2000) + "1 > 0", Outcome: Review, Reason: "r"}, CompileError{RuleID: "r10"}},
		{"too many nodes", Rule{ID: "r11", When: strings.Repeat("1 + ", 600) + "1 > 0", Outcome: Review, Reason: "r"}, CompileError{RuleID: "r11"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(Policy{Rules: []Rule{{ID: "ok", When: "true", Outcome: Allow}, tt.rule}})
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("Compile = %v; want a *CompileError", err)
			}
			if ce.RuleID != tt.want.RuleID || ce.Message == "" {
				t.Errorf("Compile error = %+v; want rule %s with a message", ce, tt.want.RuleID)
			}
			if tt.want.Line != 0 && ce.Line != tt.want.Line {
				t.Errorf("Compile error line = %d; want %d (%v)", ce.Line, tt.want.Line, ce)
			}
			if tt.want.Column != 0 && ce.Column != tt.want.Column {
				t.Errorf("Compile error column = %d; want %d (%v)", ce.Column, tt.want.Column, ce)
			}
		})
	}
	if _, err := Compile(Policy{Rules: []Rule{{ID: "a", When: "true"}, {ID: "a", When: "true"}}}); err == nil {
		t.Error("Compile(duplicate ids) = nil; want an error")
	}
}

func TestEvaluateRuntimeErrorAndBudget(t *testing.T) {
	prog, err := Compile(Policy{Rules: []Rule{
		{ID: "big", When: `len(filter(1..1000000, # > 0)) > 0`, Outcome: Block, Reason: "x"},
		{ID: "signal", When: `signals["graph.ring"] >= 0.5`, Outcome: Review, Reason: "Linked to a ring."},
		{ID: "merchant", When: `"restrict_listing" in merchant.sanctions`, Outcome: Block, Reason: "Restricted."},
	}})
	if err != nil {
		t.Fatal(err)
	}
	res := prog.Evaluate(&Env{Kind: "listing", Signals: map[string]float64{"graph.ring": 0.7}, Merchant: Merchant{Sanctions: []string{"restrict_listing"}}})
	if res.Outcome != Block || len(res.Errors) != 1 || res.Errors[0].RuleID != "big" {
		t.Fatalf("Evaluate = %+v; want block with the memory-hungry rule recorded as an error", res)
	}
	res = prog.Evaluate(&Env{Kind: "listing"})
	if res.Outcome != Allow {
		t.Fatalf("Evaluate(nil signals) = %v; want allow (missing signals read as 0)", res.Outcome)
	}
}

func TestMergeActionsLongestWins(t *testing.T) {
	got := MergeActions([]Action{{Type: ActShieldShop, Days: 7}}, []Action{{Type: ActShieldShop, Days: 21}, {Type: ActFreezePayout, Days: 30}, {Type: ActShieldShop, Days: 14}})
	want := []Action{{Type: ActShieldShop, Days: 21}, {Type: ActFreezePayout, Days: 30}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MergeActions (-want +got):\n%s", diff)
	}
}

func TestRenderReason(t *testing.T) {
	env := &Env{Kind: "listing", Brand: "古驰", Found: []Found{
		{Category: "a", Quote: "高仿"}, {Category: "b", Quote: "原单"}, {Category: "a", Quote: "高仿"}, {Category: "a", Quote: "{brand}"},
	}}
	tests := []struct {
		reason   string
		evidence []string
		want     string
	}{
		{"plain", nil, "plain"},
		{"uses {terms}.", []string{"a"}, `uses "高仿", "{brand}".`},
		{"uses {terms} in a {kind} of {brand}", nil, `uses "高仿", "原单", "{brand}" in a listing of 古驰`},
		{"none {terms}", []string{"z"}, `none ""`},
		{"odd {x} and {", nil, "odd {x} and {"},
	}
	for _, tt := range tests {
		r := &Rule{Reason: tt.reason, Evidence: tt.evidence}
		if got := render(r, env); got != tt.want {
			t.Errorf("render(%q) = %q; want %q", tt.reason, got, tt.want)
		}
	}
}
