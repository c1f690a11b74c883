package anxin

import (
	"context"
	"time"
)

// The trained content classifier: versions, their states and the labelled
// examples they learn from (a seed set and reviewers' decisions).

// Actions of the content model. Training and promotion are the operator's;
// reviewers feed the model through their case decisions (ActionReview).
const (
	ActionPromoteModel Action = "model.promote"
)

func init() {
	grant("operator", ActionPromoteModel)
}

// Content model states. A new version is stored in shadow: it scores every
// check and records what it would have done without changing any outcome.
// Promotion makes it active (the previous active version is retired).
const (
	ModelShadow  = "shadow"
	ModelActive  = "active"
	ModelRetired = "retired"
)

// ContentMetrics are a content model's figures on a labelled holdout. A
// prediction flags an item when its label is not clean.
type ContentMetrics struct {
	Examples   int `json:"examples"`
	Violations int `json:"violations"`
	// Precision and Recall of flagging a violation (any category);
	// FalsePositiveRate is the share of clean items flagged; F1 combines
	// precision and recall and is what promotion compares.
	Precision         float64 `json:"precision"`
	Recall            float64 `json:"recall"`
	F1                float64 `json:"f1"`
	FalsePositiveRate float64 `json:"false_positive_rate"`
	// Accuracy is the share of items given exactly their label.
	Accuracy float64                 `json:"accuracy"`
	PerLabel map[string]LabelMetrics `json:"per_label"`
}

// LabelMetrics are one category's figures on a holdout.
type LabelMetrics struct {
	Support   int     `json:"support"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
}

// Beats reports whether a is better than b on the same holdout: a higher
// F1, or the same F1 with a lower false-positive rate.
func (a ContentMetrics) Beats(b ContentMetrics) bool {
	if a.F1 != b.F1 {
		return a.F1 > b.F1
	}
	return a.FalsePositiveRate < b.FalsePositiveRate
}

// ContentModel describes a stored content model version.
type ContentModel struct {
	Version   int      `json:"version"`
	State     string   `json:"state"`
	Labels    []string `json:"labels"`
	Examples  int      `json:"examples"`
	Reviewed  int      `json:"reviewed"` // examples from reviewers' decisions
	Seed      uint64   `json:"seed"`
	Threshold float64  `json:"threshold"`
	// Holdout names the holdout Metrics were measured on ("" when none).
	Holdout    string          `json:"holdout,omitempty"`
	Metrics    *ContentMetrics `json:"metrics,omitempty"`
	TrainedBy  string          `json:"trained_by"`
	CreatedAt  time.Time       `json:"created_at"`
	PromotedAt *time.Time      `json:"promoted_at,omitempty"`
	RetiredAt  *time.Time      `json:"retired_at,omitempty"`
	// ShadowFlags counts checks this version flagged while in shadow that
	// the rules allowed: what it would have sent to review.
	ShadowFlags int `json:"shadow_flags"`
}

// ContentExample is one labelled text the content model learns from.
type ContentExample struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	Text  string `json:"text"`
	Label string `json:"label"`
}

// ContentTraining asks for a new content model version.
type ContentTraining struct {
	Seed uint64 `json:"seed"`
	// Holdout names a stored holdout to measure the new version on;
	// HoldoutExamples, when given, are stored under that name first.
	Holdout         string           `json:"holdout,omitempty"`
	HoldoutExamples []ContentExample `json:"holdout_examples,omitempty"`
	Threshold       float64          `json:"threshold,omitempty"`
}

// ContentPromotion asks to promote a shadow version: it is measured with
// the active version on the holdout (a stored one by name, or Examples
// given inline) and promoted only if it beats it.
type ContentPromotion struct {
	Holdout  string           `json:"holdout,omitempty"`
	Examples []ContentExample `json:"examples,omitempty"`
}

// ContentPromotionResult reports a promotion: both versions' metrics on the
// holdout.
type ContentPromotionResult struct {
	Model     *ContentModel   `json:"model"`
	Holdout   string          `json:"holdout"`
	Candidate ContentMetrics  `json:"candidate"`
	Active    *ContentMetrics `json:"active,omitempty"`
	Retired   int             `json:"retired,omitempty"` // the version it replaced
}

// ContentExampleCounts counts stored examples by source and label.
type ContentExampleCounts struct {
	Seed    map[string]int `json:"seed"`
	Review  map[string]int `json:"review"`
	Holdout map[string]int `json:"holdouts"` // holdout name → examples
}

// ContentModelService stores content model versions and their examples.
//
// AddExamples stores labelled examples of the seed set (Invalid naming the
// first bad one; nothing stored then). Train fits a new version from every
// stored example (seed and review) and stores it in shadow, retiring an
// older shadow version. Promote refuses with Conflict unless the version is
// in shadow and beats the active version on the holdout. Roles: operator
// (train, promote, add); operator, reviewer and auditor read.
type ContentModelService interface {
	AddContentExamples(ctx context.Context, ex []ContentExample) (int, error)
	TrainContentModel(ctx context.Context, t ContentTraining) (*ContentModel, error)
	ContentModels(ctx context.Context) ([]ContentModel, error)
	ContentExampleCounts(ctx context.Context) (*ContentExampleCounts, error)
	PromoteContentModel(ctx context.Context, version int, p ContentPromotion) (*ContentPromotionResult, error)
}
