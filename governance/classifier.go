package governance

import (
	"fmt"
	"strconv"

	"anxin"
	"anxin/classify"
	"anxin/lexicon"
	"anxin/rules"
)

// Classifier is a trained content model the engine may consult
// (*classify.Model is one). Classify scores the normalised texts of one
// item; Explain names the features behind a label, and is called only when
// the engine acts on the prediction. Both must be safe for concurrent use
// and must not retain texts.
type Classifier interface {
	Classify(kind string, texts []lexicon.Text) classify.Prediction
	Explain(kind string, texts []lexicon.Text, label string) []classify.Contribution
}

// ContentModel attaches a classifier to an engine.
type ContentModel struct {
	Classifier Classifier
	Version    int
	// Shadow makes the model record what it would have done without
	// changing any outcome or being visible to rules.
	Shadow bool
}

// ModelRuleID is the rule id under which an active model routes an item to
// review.
const ModelRuleID = "model.content"

// ModelResult is what the content model said about a checked item.
type ModelResult struct {
	Version int     `json:"version"`
	Shadow  bool    `json:"shadow,omitempty"`
	Label   string  `json:"label"`
	Score   float64 `json:"score"`
	// Routed reports that the model sent the item to review (active), or
	// would have (shadow): it flagged the item and nothing else had.
	Routed bool                    `json:"routed"`
	Top    []classify.Contribution `json:"top,omitempty"`
}

// WithModel returns a copy of e that consults m: as its active model, or
// as its shadow model when m.Shadow (an engine may have one of each: a new
// version runs in shadow beside the active one). A nil Classifier removes
// the model of that mode. The copy shares e's compiled lexicons and
// policies.
func (e *Engine) WithModel(m ContentModel) *Engine {
	c := *e
	var p *ContentModel
	if m.Classifier != nil {
		p = &m
	}
	if m.Shadow {
		c.shadowModel = p
	} else {
		c.model = p
	}
	return &c
}

// Models returns the versions of the attached active and shadow models (0
// when none).
func (e *Engine) Models() (active, shadow int) {
	if e.model != nil {
		active = e.model.Version
	}
	if e.shadowModel != nil {
		shadow = e.shadowModel.Version
	}
	return active, shadow
}

// scoreModels runs the models over the item's normalised texts. The active
// model's score is set on env for the rules; a shadow model's is not.
func (e *Engine) scoreModels(env *rules.Env, texts []lexicon.Text) (active, shadow *ModelResult) {
	if len(texts) == 0 {
		return nil, nil
	}
	score := func(m *ContentModel) *ModelResult {
		if m == nil {
			return nil
		}
		p := m.Classifier.Classify(env.Kind, texts)
		return &ModelResult{Version: m.Version, Shadow: m.Shadow, Label: p.Label, Score: p.Score}
	}
	active, shadow = score(e.model), score(e.shadowModel)
	if active != nil {
		env.Model = rules.Model{Active: true, Label: active.Label, Score: active.Score, Version: active.Version}
	}
	return active, shadow
}

// applyModels routes an item the active model flagged and the rules
// allowed to review (never to block), citing the top features as evidence;
// the shadow model only records whether it would have. names are the field
// names of texts.
func (e *Engine) applyModels(out *Output, active, shadow *ModelResult, kind string, texts []lexicon.Text, names []string) {
	// The shadow model is judged against the outcome without the active
	// model's routing: what it would have done in its place.
	if shadow != nil {
		out.ShadowModel = shadow
		shadow.Routed = shadow.Label != classify.Clean && out.Result.Outcome == anxin.OutcomeAllow
	}
	r := active
	if r == nil {
		return
	}
	out.Model = r
	if r.Label == classify.Clean || out.Result.Outcome != anxin.OutcomeAllow {
		return
	}
	r.Routed = true
	out.Result.Outcome = anxin.OutcomeReview
	reason := fmt.Sprintf("The content model scores the text as likely %s (%.2f); a reviewer will check it.", r.Label, r.Score)
	out.Result.Fired = append(out.Result.Fired, rules.Fired{RuleID: ModelRuleID, Outcome: anxin.OutcomeReview,
		Labels: []string{r.Label, "model"}, Reason: reason, Evidence: []string{"model"}})
	out.Result.Labels = append(out.Result.Labels, r.Label, "model")
	out.Result.Reasons = append(out.Result.Reasons, reason)
	r.Top = e.model.Classifier.Explain(kind, texts, r.Label)
	ref := "content_model:v" + strconv.Itoa(r.Version)
	if r.Version == 0 {
		ref = "content_model:file" // a model read from a file, not a stored version
	}
	for _, c := range r.Top {
		if len(out.Evidence) >= MaxEvidence || c.Field < 0 || c.Field >= len(texts) {
			break
		}
		src := texts[c.Field].Source()
		out.Evidence = append(out.Evidence, anxin.Evidence{Kind: "model", Field: names[c.Field], Term: c.Text, Category: r.Label,
			Lexicon: "model", Quote: quote(src, c.Start, c.End), Start: c.Start, End: c.End, Ref: ref, Score: c.Weight})
	}
}
