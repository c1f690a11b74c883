package rules

import "testing"

// FuzzCompile feeds arbitrary expressions to the compiler: it must either
// reject them with a *CompileError or produce a program whose evaluation
// does not panic.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{`hits.category["a"] > 0`, `hits.total >`, `len(filter(1..100, # > 0)) > 0`, `brand matches "^x"`,
		`signals["s"] >= 0.5 || merchant.serious > 12`, `"restrict_listing" in merchant.sanctions`, `((((`, "\x00", `1..1000000000`} {
		f.Add(s)
	}
	env := &Env{Kind: "listing", Hits: Summarize([]Found{{Term: "t", Category: "a", Severity: 3}}), Signals: map[string]float64{"s": 1}}
	env.Window = env.Hits
	f.Fuzz(func(t *testing.T, when string) {
		p, err := Compile(Policy{Rules: []Rule{{ID: "r", When: when, Outcome: Review, Reason: "x"}}})
		if err != nil {
			if _, ok := err.(*CompileError); !ok {
				t.Fatalf("Compile(%q) error %T, want *CompileError", when, err)
			}
			return
		}
		p.Evaluate(env)
	})
}
