package rules

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/expr-lang/expr/parser"
)

func TestRequires(t *testing.T) {
	tests := []struct {
		expr string
		want []string // nil: nothing proven
	}{
		{`hits.category["a"] > 0`, []string{"hits.category[a]"}},
		{`hits.category["a"] + window.category["b"] >= 1 && brand != ""`, []string{"hits.category[a]", "window.category[b]"}},
		{`brand != "" && hits.category["a"] > 2`, []string{"hits.category[a]"}},
		{`hits.category["a"] > 0 || window.category["b"] == 3`, []string{"hits.category[a]", "window.category[b]"}},
		{`hits.category["a"] > 0 || signals["x"] > 0`, []string{"hits.category[a]", "signals[x]"}},
		{`signals["x"] + signals["y"] > 0.5`, []string{"signals[x]", "signals[y]"}},
		{`signals["x"] >= 0.7`, []string{"signals[x]"}},
		{`signals["x"] == 0.5`, []string{"signals[x]"}},
		{`offered.category["a"] + cautioned.max_severity > 0`, []string{"offered.category[a]", "cautioned.max_severity"}},
		{`hits.total > 0`, []string{"hits.total"}},
		{`hits.max_repeat > 3 || signals["s"] > 5`, []string{"hits.max_repeat", "signals[s]"}},
		{`hits.category["a"] == 0`, nil},
		{`hits.category["a"] >= 0`, nil},
		{`signals["x"] >= 0`, nil},
		{`signals["x"] > -1`, nil},
		{`hits.category["a"] > -1`, nil},
		{`!(hits.category["a"] > 0)`, nil},
		{`hits.category[brand] > 0`, nil},
		{`signals[brand] > 0`, nil},
		{`merchant.category["a"] > 0`, nil},
		{`merchant.general > 0`, nil},
		{`hits.total > 0 || brand != ""`, nil},
		{`len(hits.terms) > 0`, nil},
	}
	for _, tt := range tests {
		tree, err := parser.Parse(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		needs, ok := requires(tree.Node)
		var got []string
		for _, n := range needs {
			got = append(got, n.String())
		}
		if ok != (tt.want != nil) || !slices.Equal(got, tt.want) {
			t.Errorf("requires(%s) = %v, %v; want %v", tt.expr, got, ok, tt.want)
		}
	}
}

// TestPrefilterKeepsResults evaluates random environments with and without
// the prefilter: the results must be the same.
func TestPrefilterKeepsResults(t *testing.T) {
	exprs := []string{
		`hits.category["a"] > 0`, `hits.category["a"] + hits.category["b"] >= 2 && hits.max_severity >= 3`,
		`window.category["c"] > 0 || hits.category["a"] > 1`, `hits.category["b"] == 1 && brand != ""`,
		`hits.total > 2`, `signals["s"] > 0.5 || hits.category["c"] > 0`,
		`signals["s"] + signals["t"] > 0`, `signals["t"] == 1`, `signals["s"] >= 0.25 && hits.max_repeat > 1`,
		`offered.category["a"] + offered.category["b"] > 0`, `cautioned.max_severity >= 4`,
		`window.distinct >= 2 || hits.categories > 1`,
	}
	var rs []Rule
	for i, e := range exprs {
		rs = append(rs, Rule{ID: "r" + string(rune('a'+i)), When: e, Outcome: Review, Reason: "x", Labels: []string{e}})
	}
	prog, err := Compile(Policy{Rules: rs})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Compile(Policy{Rules: rs})
	if err != nil {
		t.Fatal(err)
	}
	for i := range plain.rules {
		plain.rules[i].needs = nil
	}
	r := rand.New(rand.NewPCG(3, 4))
	cats := []string{"a", "b", "c", "d"}
	for range 2000 {
		var found []Found
		for range r.IntN(4) {
			found = append(found, Found{Term: cats[r.IntN(4)], Category: cats[r.IntN(4)], Severity: 1 + r.IntN(5)})
		}
		sig := map[string]float64{"s": r.Float64()}
		if r.IntN(3) == 0 {
			sig["s"] = 0
		}
		if r.IntN(2) == 0 {
			sig["t"] = float64(r.IntN(3) - 1) // -1, 0 or 1
		}
		env := &Env{Kind: "listing", Hits: Summarize(found), Signals: sig}
		if r.IntN(2) == 0 {
			env.Offered = Summarize(found[:len(found)/2])
		}
		if r.IntN(2) == 0 {
			env.Cautioned = Summarize(found[len(found)/2:])
		}
		env.Window = Summarize(append(found, Found{Term: "w", Category: cats[r.IntN(4)]}))
		if r.IntN(2) == 0 {
			env.Brand = "b"
		}
		a, b := prog.Evaluate(env), plain.Evaluate(env)
		if a.Outcome != b.Outcome || !slices.Equal(a.Labels, b.Labels) {
			t.Fatalf("prefilter changed the result for %+v: %v vs %v", env, a.Labels, b.Labels)
		}
	}
}
