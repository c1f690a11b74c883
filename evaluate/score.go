package evaluate

import (
	"slices"
	"time"

	"anxin"
)

// Prediction is the engine's answer for one item: its outcome, the rule
// labels it gave, those labels mapped to evaluation labels, and the rules
// that fired.
type Prediction struct {
	Outcome anxin.Outcome `json:"outcome"`
	Labels  []string      `json:"labels,omitempty"` // evaluation labels (see MapLabels)
	Rules   []string      `json:"rules,omitempty"`
}

// Binary is a two-class confusion table (violation or clean) at one
// threshold, with its rates. A rate whose denominator is zero is 0; the
// counts say which.
type Binary struct {
	TP        int     `json:"tp"` // violations caught
	FN        int     `json:"fn"` // violations missed
	FP        int     `json:"fp"` // clean texts caught
	TN        int     `json:"tn"` // clean texts let through
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	FPR       float64 `json:"fpr"` // false-positive rate: FP / clean texts
}

func (b *Binary) add(violation, caught bool) {
	switch {
	case violation && caught:
		b.TP++
	case violation:
		b.FN++
	case caught:
		b.FP++
	default:
		b.TN++
	}
}

func (b *Binary) rates() {
	b.Precision = ratio(b.TP, b.TP+b.FP)
	b.Recall = ratio(b.TP, b.TP+b.FN)
	b.FPR = ratio(b.FP, b.FP+b.TN)
}

// LabelStats are the figures of one evaluation label.
type LabelStats struct {
	Label string `json:"label"`
	// N is the number of items with this label.
	N int `json:"n"`
	// Blocked and Flagged count this label's items that the engine blocked,
	// and blocked or sent to review (for Clean: false positives).
	Blocked       int     `json:"blocked"`
	Flagged       int     `json:"flagged"`
	RecallBlocked float64 `json:"recall_blocked"`
	RecallFlagged float64 `json:"recall_flagged"`
	// Predicted counts the flagged items the engine gave this label (after
	// mapping), Correct those of them that carry it, CleanPredicted the
	// clean ones. Precision is Correct/Predicted, FPR CleanPredicted over
	// all clean items.
	Predicted      int     `json:"predicted"`
	Correct        int     `json:"correct"`
	CleanPredicted int     `json:"clean_predicted"`
	Precision      float64 `json:"precision"`
	FPR            float64 `json:"fpr"`
}

// KindStats are the overall figures of one kind of text.
type KindStats struct {
	Kind    string `json:"kind"`
	Items   int    `json:"items"`
	Blocked Binary `json:"blocked"`
	Flagged Binary `json:"flagged"`
}

// Example is one confusion example.
type Example struct {
	ID      string        `json:"id"`
	Line    int           `json:"line"`
	Kind    string        `json:"kind"`
	Label   string        `json:"label"`
	Text    string        `json:"text"`
	Outcome anxin.Outcome `json:"outcome"`
	Labels  []string      `json:"labels,omitempty"`
	Rules   []string      `json:"rules,omitempty"`
}

// Summary is the whole evaluation.
type Summary struct {
	Items      int `json:"items"`
	Violations int `json:"violations"`
	Clean      int `json:"clean"`
	// Blocked counts a violation as caught only when it was blocked;
	// Flagged when it was blocked or sent to review.
	Blocked Binary       `json:"blocked"`
	Flagged Binary       `json:"flagged"`
	Labels  []LabelStats `json:"labels"`
	Kinds   []KindStats  `json:"kinds"`
	// Missed are violations the engine allowed; FalsePositives clean texts
	// it blocked or sent to review (blocks first); WrongLabel violations it
	// flagged under none of their label. Each holds at most the Examples
	// asked for.
	Missed         []Example `json:"missed"`
	FalsePositives []Example `json:"false_positives"`
	WrongLabel     []Example `json:"wrong_label"`
	// Engine describes the engine evaluated (policy and lexicon versions).
	Engine string `json:"engine,omitempty"`
}

// Score scores preds (one per item, in order) against items, keeping at most
// examples examples of each kind of error. It panics if the lengths differ.
func Score(items []Item, preds []Prediction, examples int) *Summary {
	if len(items) != len(preds) {
		panic("evaluate.Score: items and predictions differ in length")
	}
	s := &Summary{Items: len(items), Missed: []Example{}, FalsePositives: []Example{}, WrongLabel: []Example{}}
	byLabel := map[string]*LabelStats{}
	stat := func(l string) *LabelStats {
		if byLabel[l] == nil {
			byLabel[l] = &LabelStats{Label: l}
		}
		return byLabel[l]
	}
	byKind := map[string]*KindStats{}
	var fpBlock, fpReview []Example
	for i, it := range items {
		p := preds[i]
		violation := it.Label != Clean
		blocked, flagged := p.Outcome >= anxin.OutcomeBlock, p.Outcome >= anxin.OutcomeReview
		if violation {
			s.Violations++
		} else {
			s.Clean++
		}
		s.Blocked.add(violation, blocked)
		s.Flagged.add(violation, flagged)
		k := byKind[it.Kind]
		if k == nil {
			k = &KindStats{Kind: it.Kind}
			byKind[it.Kind] = k
		}
		k.Items++
		k.Blocked.add(violation, blocked)
		k.Flagged.add(violation, flagged)

		ls := stat(it.Label)
		ls.N++
		if blocked {
			ls.Blocked++
		}
		if flagged {
			ls.Flagged++
			for _, l := range p.Labels {
				ps := stat(l)
				ps.Predicted++
				if l == it.Label {
					ps.Correct++
				}
				if !violation {
					ps.CleanPredicted++
				}
			}
		}
		ex := func() Example {
			return Example{ID: it.ID, Line: it.Line, Kind: it.Kind, Label: it.Label, Text: it.Text, Outcome: p.Outcome, Labels: p.Labels, Rules: p.Rules}
		}
		switch {
		case violation && !flagged && len(s.Missed) < examples:
			s.Missed = append(s.Missed, ex())
		case violation && flagged && !slices.Contains(p.Labels, it.Label) && len(s.WrongLabel) < examples:
			s.WrongLabel = append(s.WrongLabel, ex())
		case !violation && blocked && len(fpBlock) < examples:
			fpBlock = append(fpBlock, ex())
		case !violation && flagged && !blocked && len(fpReview) < examples:
			fpReview = append(fpReview, ex())
		}
	}
	s.FalsePositives = append(s.FalsePositives, fpBlock...)
	s.FalsePositives = append(s.FalsePositives, fpReview...)
	s.FalsePositives = s.FalsePositives[:min(len(s.FalsePositives), max(examples, 0))]
	s.Blocked.rates()
	s.Flagged.rates()
	for _, l := range append([]string{Clean}, Labels...) {
		ls, ok := byLabel[l]
		if !ok {
			continue
		}
		if l != Clean {
			ls.RecallBlocked = ratio(ls.Blocked, ls.N)
			ls.RecallFlagged = ratio(ls.Flagged, ls.N)
			ls.Precision = ratio(ls.Correct, ls.Predicted)
			ls.FPR = ratio(ls.CleanPredicted, s.Clean)
		}
		s.Labels = append(s.Labels, *ls)
	}
	for _, k := range []string{"listing", "comment", "caption", "message"} {
		if ks, ok := byKind[k]; ok {
			ks.Blocked.rates()
			ks.Flagged.rates()
			s.Kinds = append(s.Kinds, *ks)
		}
	}
	return s
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// Stored is an evaluation kept in the database (see sqlstore.DB.StoreEvalResult).
type Stored struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"` // the labelled set's name, e.g. its file name
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	Summary   *Summary  `json:"summary"`
}
