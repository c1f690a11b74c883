package evaluate

import (
	"anxin"
	"anxin/governance"
	"anxin/rules"
)

// Options tune Run.
type Options struct {
	// Examples bounds each list of confusion examples (0: none).
	Examples int
	// LabelMap maps rule labels to evaluation labels (nil: DefaultLabelMap).
	LabelMap map[string]string
}

// Predict checks one item with eng, as a listing title or as content of the
// kind Kinds gives, with no merchant history and no other signals.
func Predict(eng *governance.Engine, it Item, labelMap map[string]string) Prediction {
	var out governance.Output
	if Kinds[it.Kind] == "listing" {
		out = eng.CheckListing(&anxin.ListingCheck{ID: it.ID, Title: it.Text}, rules.Merchant{}, nil)
	} else {
		out = eng.CheckContent(&anxin.ContentItem{ID: it.ID, Kind: Kinds[it.Kind], Text: it.Text}, nil, rules.Merchant{}, nil)
	}
	p := Prediction{Outcome: out.Result.Outcome, Labels: MapLabels(out.Result.Labels, labelMap)}
	for _, f := range out.Result.Fired {
		p.Rules = append(p.Rules, f.RuleID)
	}
	return p
}

// Run checks every item with eng and scores the outcomes. It does no I/O.
func Run(eng *governance.Engine, items []Item, o Options) *Summary {
	preds := make([]Prediction, len(items))
	for i, it := range items {
		preds[i] = Predict(eng, it, o.LabelMap)
	}
	s := Score(items, preds, o.Examples)
	s.Engine = eng.String()
	return s
}
