package enforcement

import (
	"anxin"
	"anxin/rules"
)

// StageActions adapts a policy's actions to the decision's stage: a listing
// that is already live cannot be intercepted, so intercept_publish becomes
// delist after publish; a listing block always carries at least
// intercept_publish (publish) or delist (after publish), and other content
// at least hide_content or, in a stream, remove_from_cart. Actions of the
// same type merge (the longest period wins).
func StageActions(d *anxin.Decision, acts []anxin.EnforcementAction) []anxin.EnforcementAction {
	out := make([]anxin.EnforcementAction, 0, len(acts)+1)
	for _, a := range acts {
		if a.Type == rules.ActInterceptPublish && d.SubjectType == "listing" && d.Stage != anxin.StagePublish {
			a.Type = rules.ActDelist
		}
		out = rules.MergeActions(out, []anxin.EnforcementAction{a})
	}
	if len(out) == 0 {
		switch {
		case d.SubjectType == "listing" && d.Stage == anxin.StagePublish:
			out = append(out, anxin.EnforcementAction{Type: rules.ActInterceptPublish})
		case d.SubjectType == "listing":
			out = append(out, anxin.EnforcementAction{Type: rules.ActDelist})
		case d.Kind == anxin.ContentLivestreamSegment:
			out = append(out, anxin.EnforcementAction{Type: rules.ActRemoveFromCart})
		default:
			out = append(out, anxin.EnforcementAction{Type: rules.ActHideContent})
		}
	}
	return out
}

// TargetOf is the kind of record a decision acts on: listing, livestream or
// content.
func TargetOf(d *anxin.Decision) string {
	switch {
	case d.SubjectType == "listing":
		return "listing"
	case d.Kind == anxin.ContentLivestreamSegment:
		return "livestream"
	}
	return "content"
}

// TargetIDOf is the id of the record a decision acts on: the stream for a
// livestream segment, the subject otherwise.
func TargetIDOf(d *anxin.Decision) string {
	if d.Kind == anxin.ContentLivestreamSegment && d.StreamID != "" {
		return d.StreamID
	}
	return d.SubjectID
}

// Target is an action with the record it applies to. Sanction reports
// whether it is a sanction on a merchant or influencer (stored in the one
// sanction model) rather than an action on a listing, stream or content.
type Target struct {
	anxin.EnforcementAction
	TargetType, TargetID string
}

// Sanction reports whether the target is a merchant or an influencer.
func (t Target) Sanction() bool {
	return t.TargetType == anxin.SubjectMerchant || t.TargetType == anxin.SubjectInfluencer
}

// SanctionType maps a governance action on a merchant or influencer to the
// sanction type it issues: penalise_influencer restricts the influencer's
// streaming, every merchant verb is its own type.
func SanctionType(action string) string {
	if action == rules.ActPenaliseInfluencer {
		return anxin.SanctionRestrictStreaming
	}
	return action
}

// Targets resolves each action's target: listing verbs act on the listing,
// stream verbs on the stream, penalise_influencer on the author, merchant
// verbs on the merchant. Actions whose target is unknown (a merchant verb on
// a check without a merchant) are dropped.
func Targets(d *anxin.Decision, acts []anxin.EnforcementAction, authorID string) []Target {
	var out []Target
	for _, a := range acts {
		t := Target{EnforcementAction: a, TargetType: TargetOf(d), TargetID: TargetIDOf(d)}
		switch a.Type {
		case rules.ActRestrictListing, rules.ActShieldShop, rules.ActFreezePayout, rules.ActDeductDeposit, rules.ActClearOut:
			if d.MerchantID == "" {
				continue
			}
			t.TargetType, t.TargetID = anxin.SubjectMerchant, d.MerchantID
		case rules.ActPenaliseInfluencer:
			if authorID == "" {
				continue
			}
			t.TargetType, t.TargetID = anxin.SubjectInfluencer, authorID
		case rules.ActCutStream, rules.ActRemoveFromCart:
			if d.StreamID == "" {
				continue
			}
			t.TargetType, t.TargetID = "livestream", d.StreamID
		case rules.ActHideContent:
			t.TargetType, t.TargetID = "content", d.SubjectID
		}
		out = append(out, t)
	}
	return out
}

// ListingFacts is what Anxin knows of one listing for its own status: its
// latest decision, whether that decision's review case is still open, and
// the takedowns in force on it (governance actions not reversed, sampling
// interceptions not restored, IP takedowns not reinstated).
type ListingFacts struct {
	DecisionID string
	Outcome    anxin.Outcome
	Stage      string
	CaseOpen   bool
	Actions    []string // active governance actions on the listing: intercept_publish, delist, ban_listing
	TakenDown  bool     // by sampling or an IP notice
}

// ListingStatus is Anxin's own status of a listing, beside the
// marketplace's: delisted while a delist, ban or other takedown is in force;
// blocked while its publish was intercepted and its latest decision is a
// block; under_review while the latest decision awaits a reviewer; allowed
// otherwise (no decision yet included).
func ListingStatus(f ListingFacts) string {
	for _, a := range f.Actions {
		if a == rules.ActDelist || a == rules.ActBanListing {
			return anxin.ListingDelisted
		}
	}
	if f.TakenDown {
		return anxin.ListingDelisted
	}
	switch {
	case f.DecisionID == "":
		return anxin.ListingAllowed
	case f.Outcome == anxin.OutcomeBlock && f.Stage == anxin.StagePublish:
		return anxin.ListingBlocked
	case f.Outcome == anxin.OutcomeBlock:
		return anxin.ListingDelisted
	case f.Outcome == anxin.OutcomeReview && f.CaseOpen:
		return anxin.ListingUnderReview
	}
	return anxin.ListingAllowed
}
