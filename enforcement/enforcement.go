// Package enforcement is the one sanction model as pure functions: which
// sanctions are valid, how a new one fits beside those already in force,
// what a merchant's enforcement state is, what the publish gate and the
// stream check refuse, what an appeal does, and the governance points
// ladder. It does no I/O; sqlstore loads the facts, calls these functions
// and persists what they decide.
//
//	s := &anxin.Sanction{SubjectType: "merchant", SubjectID: "m1", Type: anxin.SanctionRestrictListing,
//		Source: anxin.SourceSampling, OriginType: "sample", OriginID: "smp_1", StartsAt: now, EndsAt: &end}
//	placed, err := enforcement.Admit(active, s, enforcement.Queue)
//	if err != nil { ... } // Invalid or Conflict: store nothing
//	refusals := enforcement.Gate(anxin.StagePublish, append(active, placed), now)
package enforcement

import (
	"fmt"
	"slices"
	"time"

	"anxin"
)

// Types lists the sanction types, from least to most severe for the state.
var Types = []string{
	anxin.SanctionWarning, anxin.SanctionDeductDeposit, anxin.SanctionRestrictStreaming, anxin.SanctionRestrictListing,
	anxin.SanctionShieldShop, anxin.SanctionFreezePayout, anxin.SanctionClearOut,
}

// Sources lists the sanction sources.
var Sources = []string{
	anxin.SourceGovernance, anxin.SourceIP, anxin.SourceSampling, anxin.SourceQuality,
	anxin.SourceDeposit, anxin.SourcePrivacy, anxin.SourceManual,
}

// OneOff reports whether a sanction type is applied once rather than held
// for a period: a deposit deduction happens and is done, so it never
// overlaps another and never makes a state.
func OneOff(typ string) bool { return typ == anxin.SanctionDeductDeposit }

// MaxDays bounds a timed sanction (ten years); longer is open-ended.
const MaxDays = 3650

// Validate checks one sanction before it is stored: a known type, source
// and subject, an id-shaped subject and origin, and a period that ends
// after it starts. It returns an Invalid *anxin.Error naming the field.
func Validate(s *anxin.Sanction) error {
	if !slices.Contains(Types, s.Type) {
		return anxin.Errorf(anxin.Invalid, "type %q is not a sanction type (warning, restrict_listing, shield_shop, freeze_payout, deduct_deposit, clear_out, restrict_streaming).", s.Type)
	}
	if !slices.Contains(Sources, s.Source) {
		return anxin.Errorf(anxin.Invalid, "source %q is not a sanction source (governance, ip, sampling, quality, deposit, privacy, manual).", s.Source)
	}
	switch s.SubjectType {
	case anxin.SubjectMerchant:
	case anxin.SubjectInfluencer:
		if s.Type != anxin.SanctionWarning && s.Type != anxin.SanctionRestrictStreaming && s.Type != anxin.SanctionFreezePayout {
			return anxin.Errorf(anxin.Invalid, "An influencer can be warned, restricted from streaming or have payouts frozen, not %s.", s.Type)
		}
	default:
		return anxin.Errorf(anxin.Invalid, "subject_type %q is not merchant or influencer.", s.SubjectType)
	}
	if err := anxin.ValidateID("subject_id", s.SubjectID); err != nil {
		return err
	}
	if s.OriginType == "" || s.OriginID == "" {
		return anxin.Errorf(anxin.Invalid, "A sanction names the decision, case or record it came from.")
	}
	if s.StartsAt.IsZero() {
		return anxin.Errorf(anxin.Invalid, "starts_at is required.")
	}
	if s.EndsAt != nil {
		if !s.EndsAt.After(s.StartsAt) {
			return anxin.Errorf(anxin.Invalid, "ends_at must be after starts_at.")
		}
		if s.EndsAt.Sub(s.StartsAt) > MaxDays*24*time.Hour {
			return anxin.Errorf(anxin.Invalid, "A timed sanction lasts at most %d days; leave ends_at empty for an open-ended one.", MaxDays)
		}
	}
	if OneOff(s.Type) && s.EndsAt != nil {
		return anxin.Errorf(anxin.Invalid, "deduct_deposit is applied once and has no end.")
	}
	if s.Type == anxin.SanctionWarning && s.EndsAt == nil {
		return anxin.Errorf(anxin.Invalid, "A warning needs an end: it stays on the record for a period.")
	}
	return nil
}

// Mode says what Admit does with a sanction that overlaps an active one of
// the same type, subject and source.
type Mode int

const (
	// Refuse returns Conflict: a person issuing a sanction by hand is told
	// that one is already in force.
	Refuse Mode = iota
	// Queue moves the new sanction to start when the one in force ends, so
	// that sanctions of one source are served one after the other in full
	// (the points ladder reaching a second node within a week of the first
	// extends the restriction instead of failing). When the one in force is
	// open-ended it already covers the new one: Admit returns Conflict
	// (Covered reports it) and the caller leaves the new one out.
	Queue
)

// ErrCovered is the message of the Conflict Admit returns in Queue mode when
// an open-ended sanction already covers the new one.
const ErrCovered = "covered"

// Admit decides how a new sanction s fits beside others (the subject's
// sanctions in force or queued, at s.StartsAt). It validates s (Invalid),
// refuses a replay of the same origin (Conflict), and handles an overlap
// with a sanction of the same type, subject and source as mode says.
// Sanctions of the same type from different sources coexist: each stands on
// its own ground and its own statement, and lifting one leaves the others.
// It returns the sanction to store (a copy, possibly with a later start and
// end); s is not modified.
func Admit(others []*anxin.Sanction, s *anxin.Sanction, mode Mode) (*anxin.Sanction, error) {
	if err := Validate(s); err != nil {
		return nil, err
	}
	out := *s
	for _, o := range others {
		if o.Status != anxin.SanctionActive || o.SubjectID != s.SubjectID || o.SubjectType != s.SubjectType || o.Type != s.Type {
			continue
		}
		if o.Source == s.Source && o.OriginType == s.OriginType && o.OriginID == s.OriginID {
			return nil, anxin.Errorf(anxin.Conflict, "Sanction %s already applies %s for this %s.", o.ID, s.Type, s.OriginType)
		}
	}
	if OneOff(s.Type) {
		return &out, nil
	}
	// Place the new sanction after every same-source sanction of its type
	// that it overlaps; repeat, since moving it may make it overlap the next
	// queued one.
	for moved := true; moved; {
		moved = false
		for _, o := range others {
			if o.Status != anxin.SanctionActive || o.SubjectID != s.SubjectID || o.SubjectType != s.SubjectType || o.Type != s.Type || o.Source != s.Source {
				continue
			}
			if !overlaps(o, &out) {
				continue
			}
			if mode == Refuse {
				until := "with no end"
				if o.EndsAt != nil {
					until = "until " + o.EndsAt.In(anxin.MarketplaceTZ).Format("2006-01-02 15:04")
				}
				return nil, anxin.Errorf(anxin.Conflict, "The %s already has an active %s from %s (%s, %s); lift it before issuing another.",
					s.SubjectType, s.Type, o.Source, o.ID, until)
			}
			if o.EndsAt == nil {
				return nil, &anxin.Error{Kind: anxin.Conflict, Message: fmt.Sprintf("Sanction %s already covers this %s.", o.ID, s.Type), Details: []anxin.ItemError{{ID: o.ID, Message: ErrCovered}}}
			}
			shift := o.EndsAt.Sub(out.StartsAt)
			out.StartsAt = *o.EndsAt
			if out.EndsAt != nil {
				end := out.EndsAt.Add(shift)
				out.EndsAt = &end
			}
			moved = true
		}
	}
	return &out, nil
}

// Covered reports whether err is Admit's "already covered" Conflict.
func Covered(err error) bool {
	e, ok := err.(*anxin.Error)
	return ok && e.Kind == anxin.Conflict && len(e.Details) == 1 && e.Details[0].Message == ErrCovered
}

// overlaps reports whether two periods intersect (nil end: open-ended).
func overlaps(a, b *anxin.Sanction) bool {
	aEndsAfterB := a.EndsAt == nil || a.EndsAt.After(b.StartsAt)
	bEndsAfterA := b.EndsAt == nil || b.EndsAt.After(a.StartsAt)
	return aEndsAfterB && bEndsAfterA
}

// Active returns the sanctions in force at t, in the order given.
func Active(ss []*anxin.Sanction, t time.Time) []*anxin.Sanction {
	var out []*anxin.Sanction
	for _, s := range ss {
		if s.ActiveAt(t) && !OneOff(s.Type) {
			out = append(out, s)
		}
	}
	return out
}

// stateOf maps a sanction type to the state it puts a merchant in.
var stateOf = map[string]string{
	anxin.SanctionWarning:           anxin.StateWarned,
	anxin.SanctionRestrictStreaming: anxin.StateRestricted,
	anxin.SanctionRestrictListing:   anxin.StateRestricted,
	anxin.SanctionShieldShop:        anxin.StateShielded,
	anxin.SanctionFreezePayout:      anxin.StateFrozen,
	anxin.SanctionClearOut:          anxin.StateClearedOut,
}

// States lists the enforcement states from least to most severe.
var States = []string{anxin.StateGoodStanding, anxin.StateWarned, anxin.StateRestricted, anxin.StateShielded, anxin.StateFrozen, anxin.StateClearedOut}

// State is a merchant's enforcement state at t: the most severe state of
// its sanctions in force (cleared_out > frozen > shielded > restricted >
// warned), warned when it has no sanction in force but points this cycle,
// good_standing otherwise. Sanctions not in force at t (queued, expired,
// lifted, reversed) and one-off deductions do not count.
func State(ss []*anxin.Sanction, p anxin.EnforcementPoints, t time.Time) string {
	best := 0
	for _, s := range Active(ss, t) {
		if i := slices.Index(States, stateOf[s.Type]); i > best {
			best = i
		}
	}
	if best == 0 && (p.General > 0 || p.Serious > 0 || p.Counterfeit > 0) {
		best = 1
	}
	return States[best]
}

// Publish-time and stream reason codes.
const (
	ReasonPenaltyRestricted = anxin.ReasonPenaltyRestricted
	ReasonMerchantCleared   = anxin.ReasonMerchantCleared
	ReasonStreamRestricted  = "STREAM_RESTRICTED" // the author may not sell in livestreams
)

// Refusal is one sanction that stops a publish or a stream, with its reason
// code and the user-facing reason that cites its statement.
type Refusal struct {
	Sanction *anxin.Sanction
	Code     string
	Reason   string
}

// Gate returns what the check at stage must refuse given the subject's
// sanctions at t, the strictest first: at publish, a listing by a merchant
// under clear_out (MERCHANT_CLEARED) or restrict_listing
// (PENALTY_RESTRICTED), whatever the source; in a stream, content by an
// author under clear_out or restrict_streaming (STREAM_RESTRICTED). Other
// stages and other types refuse nothing.
func Gate(stage string, ss []*anxin.Sanction, t time.Time) []Refusal {
	var out []Refusal
	for _, s := range Active(ss, t) {
		if stage == anxin.StagePublish && s.SubjectType != anxin.SubjectMerchant {
			continue // listings are a merchant's; an influencer with the same id is another subject
		}
		var code, what string
		switch {
		case s.Type == anxin.SanctionClearOut && (stage == anxin.StagePublish || stage == anxin.StageStream):
			code, what = ReasonMerchantCleared, "was cleared out and may not "
		case s.Type == anxin.SanctionRestrictListing && stage == anxin.StagePublish:
			code, what = ReasonPenaltyRestricted, "is penalised and may not "
		case s.Type == anxin.SanctionRestrictStreaming && stage == anxin.StageStream:
			code, what = ReasonStreamRestricted, "is restricted and may not "
		default:
			continue
		}
		verb := "publish listings"
		if stage == anxin.StageStream {
			verb = "sell in livestreams"
		}
		reason := "The " + subjectWord(s) + " " + what + verb
		if s.EndsAt != nil {
			reason += " until " + s.EndsAt.In(anxin.MarketplaceTZ).Format("2006-01-02 15:04")
		}
		reason += " (" + s.Source + " sanction " + s.ID + "); see the statement of reasons " + s.StatementID + "."
		out = append(out, Refusal{Sanction: s, Code: code, Reason: reason})
	}
	slices.SortStableFunc(out, func(a, b Refusal) int { return codeRank(b.Code) - codeRank(a.Code) })
	return out
}

func codeRank(c string) int {
	if c == ReasonMerchantCleared {
		return 1
	}
	return 0
}

func subjectWord(s *anxin.Sanction) string {
	if s.SubjectType == anxin.SubjectInfluencer {
		return "influencer"
	}
	return "shop"
}

// CanAppeal checks that sanction s may be appealed at t: it is in force or
// queued (Conflict once lifted, reversed, expired or deducted), and the
// appeal window, when it has one, is open.
func CanAppeal(s *anxin.Sanction, t time.Time) error {
	if s.Status != anxin.SanctionActive {
		return anxin.Errorf(anxin.Conflict, "Sanction %s is already %s; there is nothing to appeal.", s.ID, s.Status)
	}
	if s.EndsAt != nil && !t.Before(*s.EndsAt) {
		return anxin.Errorf(anxin.Conflict, "Sanction %s has expired; there is nothing to appeal.", s.ID)
	}
	if OneOff(s.Type) {
		return anxin.Errorf(anxin.Conflict, "Sanction %s was a one-off deduction; appeal its statement %s instead.", s.ID, s.StatementID)
	}
	if s.AppealDeadline != nil && t.After(*s.AppealDeadline) {
		return anxin.Errorf(anxin.Conflict, "The appeal window closed on %s.", s.AppealDeadline.In(anxin.MarketplaceTZ).Format("2006-01-02"))
	}
	return nil
}

// Lift is the effect of ending sanctions early.
type Lift struct {
	IDs    []string // the sanctions to mark lifted, exactly these
	Status string   // lifted or reversed
	Reason string
}

// AppealOutcome decides what an appeal against sanction id does among the
// subject's sanctions ss: overturn lifts exactly that sanction and nothing
// else; uphold changes nothing. NotFound when id is not among ss; Conflict
// when it is no longer in force; Invalid for another resolution.
func AppealOutcome(ss []*anxin.Sanction, id, resolution string, t time.Time) (Lift, error) {
	i := slices.IndexFunc(ss, func(s *anxin.Sanction) bool { return s.ID == id })
	if i < 0 {
		return Lift{}, anxin.Errorf(anxin.NotFound, "Sanction not found.")
	}
	switch resolution {
	case anxin.ResUphold:
		return Lift{}, nil
	case anxin.ResOverturn:
	default:
		return Lift{}, anxin.Errorf(anxin.Invalid, "resolution must be uphold or overturn.")
	}
	s := ss[i]
	if s.Status != anxin.SanctionActive || (s.EndsAt != nil && !t.Before(*s.EndsAt)) {
		return Lift{}, anxin.Errorf(anxin.Conflict, "Sanction %s is no longer in force.", s.ID)
	}
	return Lift{IDs: []string{s.ID}, Status: anxin.SanctionLifted, Reason: "appeal_upheld"}, nil
}
