package main

import (
	"testing"

	"anxin"
	"anxin/sim"
)

// The demo's reviewer decides appeals on the simulator's truth, never on
// what the engine said: a block is wrong only when a rule fired on an item
// the simulator calls clean, and a counterfeit rule on a segment of a
// counterfeit stream is right (its frames show the product).
func TestGovernanceWrong(t *testing.T) {
	w := &sim.World{
		Listings: []*anxin.Listing{{ID: "lst_clean"}, {ID: "lst_fake"}},
		Content: []*anxin.ContentItem{
			{ID: "seg_cf_words", StreamID: "str_cf"}, {ID: "seg_cf_clean", StreamID: "str_cf"},
			{ID: "seg_ok", StreamID: "str_ok"}, {ID: "cmt_ok"},
		},
		Truth: sim.Truth{
			Listings: map[string]sim.ListingTruth{"lst_clean": {}, "lst_fake": {Violation: sim.ViolationCounterfeit, Term: "高仿"}},
			Content: map[string]sim.ContentTruth{"seg_cf_words": {Violation: sim.ViolationCounterfeit, Term: "高仿"},
				"seg_cf_clean": {}, "seg_ok": {}, "cmt_ok": {}},
			Streams: map[string]string{"str_cf": sim.ViolationCounterfeit, "str_ok": ""},
		},
	}
	rule := func(id string) []any { return []any{map[string]any{"rule_id": id, "outcome": "block"}} }
	for _, c := range []struct {
		name  string
		d     demoDecision
		wrong bool
	}{
		{"clean listing flagged", demoDecision{ID: "lst_clean", Rules: rule("listing.counterfeit.terms")}, true},
		{"counterfeit listing flagged", demoDecision{ID: "lst_fake", Rules: rule("listing.counterfeit.terms")}, false},
		{"blocked only by a restriction", demoDecision{ID: "seg_ok"}, false},
		{"counterfeit words in the segment", demoDecision{ID: "seg_cf_words", Rules: rule("stream.contact.off_platform")}, false},
		{"counterfeit frames of a counterfeit stream", demoDecision{ID: "seg_cf_clean", Rules: rule("stream.counterfeit.images")}, false},
		{"a warning read as contact in a counterfeit stream", demoDecision{ID: "seg_cf_clean", Rules: rule("stream.contact.off_platform")}, true},
		{"a warning in a clean stream", demoDecision{ID: "seg_ok", Rules: rule("stream.contact.off_platform")}, true},
		{"a clean comment", demoDecision{ID: "cmt_ok", Rules: rule("any.contact.weak")}, true},
	} {
		if got := governanceWrong(w, c.d); got != c.wrong {
			t.Errorf("%s: governanceWrong = %v; want %v", c.name, got, c.wrong)
		}
	}
}
