package sqlstore

import (
	"testing"

	"anxin"
	"anxin/governance"
	"anxin/rules"
)

// TestEarlyAnswer checks that an engine answer computed before the group
// commit is kept only for the very merchant view it was computed on, and
// only once (a group that fails runs its checks again, and the first run
// added evidence to the answer).
func TestEarlyAnswer(t *testing.T) {
	m := rules.Merchant{ID: "m1", Known: true, Sanctions: []string{"restrict_listing"}, General: 6, Violations: 2}
	o := governance.Output{Result: rules.Result{Outcome: anxin.OutcomeBlock}}
	for _, c := range []struct {
		name string
		edit func(*rules.Merchant)
	}{
		{"points", func(m *rules.Merchant) { m.General++ }},
		{"serious", func(m *rules.Merchant) { m.Serious = 2 }},
		{"counterfeit", func(m *rules.Merchant) { m.Counterfeit = 1 }},
		{"violations", func(m *rules.Merchant) { m.Violations++ }},
		{"sanction ended", func(m *rules.Merchant) { m.Sanctions = nil }},
		{"sanction added", func(m *rules.Merchant) { m.Sanctions = append(m.Sanctions, "freeze_payout") }},
		{"other merchant", func(m *rules.Merchant) { m.ID = "m2" }},
	} {
		e := early{m: m, o: o, ok: true}
		got := m
		got.Sanctions = append([]string(nil), m.Sanctions...)
		c.edit(&got)
		if _, ok := e.take(got); ok {
			t.Errorf("%s: early answer kept for a changed merchant view", c.name)
		}
	}
	e := early{m: m, o: o, ok: true}
	same := m
	same.Sanctions = append([]string(nil), m.Sanctions...)
	if got, ok := e.take(same); !ok || got.Result.Outcome != anxin.OutcomeBlock {
		t.Fatalf("take(same view) = %v, %v; want the early answer", got.Result.Outcome, ok)
	}
	if _, ok := e.take(same); ok {
		t.Error("early answer taken twice")
	}
}
