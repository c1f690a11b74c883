package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"anxin"
	"anxin/sim"
)

func init() { demoSteps = append(demoSteps, demoStep{"governance", governanceDemo, governanceAfter}) }

// demoCheckBatch is how many items the governance demo sends per check
// request (the API takes up to 1,000).
const demoCheckBatch = 500

// demoDecision is the part of a check answer the demo reads.
type demoDecision struct {
	ID          string   `json:"id"`
	DecisionID  string   `json:"decision_id"`
	Outcome     string   `json:"outcome"`
	ReasonCode  string   `json:"reason_code"`
	StatementID string   `json:"statement_id"`
	CaseID      string   `json:"case_id"`
	Rules       []any    `json:"rules"`
	Labels      []string `json:"labels"`
}

// quality counts flags against ground truth. A flag is a decision in which a
// rule fired (review or block); a publish blocked only because the merchant
// is already restricted is not a detection.
type quality struct{ tp, fp, fn, tn int }

func (q *quality) add(flagged, positive bool) {
	switch {
	case flagged && positive:
		q.tp++
	case flagged:
		q.fp++
	case positive:
		q.fn++
	default:
		q.tn++
	}
}

func (q quality) String() string {
	p := float64(q.tp) / float64(max(1, q.tp+q.fp))
	r := float64(q.tp) / float64(max(1, q.tp+q.fn))
	return fmt.Sprintf("precision %.3f recall %.3f (caught %d, missed %d, false flags %d, clean passed %d)", p, r, q.tp, q.fn, q.fp, q.tn)
}

// govRun is what the governance step records for its summary.
type govRun struct {
	lq, silent, cq           quality
	listings, content        int
	decided, appeals         int
	appealsQueued, reviewed  int // appealsQueued: rightly blocked sellers who appealed
	wrongAppeals, overturned int // wrongAppeals: blocks the truth says were wrong
	// unregistered counts the genuine listings of sellers missing from
	// the brand registry: how many were checked, sent to review, blocked
	// by the reviewer for want of an authorisation on file, and reinstated
	// on appeal once the seller showed its letter.
	unregistered struct{ checked, flagged, blocked, reinstated int }
	rng          *rand.Rand // the delays of the appeals the review queue leads to
	senior       string     // the key of the reviewer who decides appeals: never the first decider
}

// governanceDemo checks listings and content through the API as the
// marketplace would at publish time: the catalogue already live before the
// period in the first night, then every hour what was published in it,
// stream segments in stream order. A reviewer works the queue at 10:00 and
// 16:00 each day, deciding as the ground truth says; sellers blocked wrongly
// and a few blocked rightly appeal within a day or two and the reviewer
// decides the appeal on the office calendar.
func governanceDemo(ctx context.Context, env *demoEnv) error {
	w := env.World
	run := &govRun{rng: env.rand("governance-review")}
	env.govRun = run
	reviewer, err := env.key(ctx, anxin.RoleReviewer)
	if err != nil {
		return err
	}
	if run.senior, err = env.key(ctx, anxin.RoleReviewer); err != nil {
		return err
	}
	onboarded := map[string]time.Time{}
	sellers := map[string]bool{} // shops and influencers: the authors who may appeal
	for _, m := range w.Merchants {
		onboarded[m.ID] = m.OnboardedAt
		sellers[m.ID] = true
	}
	for _, in := range w.Influencers {
		sellers[in.ID] = true
	}
	// checkAt is when an item published at t by merchant m is checked:
	// at the end of its hour (the first night for the live catalogue),
	// once the mirror knows the merchant.
	first := w.Period.From.Add(2 * time.Hour)
	checkAt := func(t time.Time, m string) time.Time {
		at := first
		if !t.Before(w.Period.From) {
			at = t.Truncate(time.Hour).Add(time.Hour)
		}
		if s := env.settled(onboarded[m]); at.Before(s) {
			at = s
		}
		return at
	}
	lbatches := map[time.Time][]*anxin.ListingCheck{}
	for _, l := range w.Listings {
		at := checkAt(l.UpdatedAt, l.MerchantID)
		lbatches[at] = append(lbatches[at], &anxin.ListingCheck{ID: l.ID, Title: l.Title, Description: l.Description, Category: l.Category,
			Brand: l.Brand, PriceFen: l.PriceFen, MerchantID: l.MerchantID, ImageHashes: l.ImageHashes})
	}
	r := env.rand("governance")
	for at, ls := range lbatches {
		env.at(at, func(ctx context.Context) error {
			ds, err := demoCheck(ctx, env, "/v1/listings:check", ls)
			if err != nil {
				return err
			}
			run.listings += len(ds)
			for _, d := range ds {
				if d.Outcome == "block" && env.loop != nil {
					// The marketplace does not publish what the check blocks.
					if err := env.loop.Market.RefusePublish(ctx, d.ID, d.DecisionID, d.StatementID); err != nil {
						return err
					}
				}
				tr := w.Truth.Listings[d.ID]
				flagged := len(d.Rules) > 0 && d.Outcome != "allow"
				if tr.Violation != "" && tr.Term == "" {
					run.silent.add(flagged, true) // a silent copy: only brand, price and images tell
					continue
				}
				if tr.Unregistered {
					// No wording either way: only the brand registry,
					// which lacks the seller, tells against it.
					run.unregistered.checked++
					if flagged {
						run.unregistered.flagged++
					}
					continue
				}
				run.lq.add(flagged, tr.Violation != "")
				if d.Outcome == "block" && d.StatementID != "" && d.ReasonCode == anxin.ReasonPolicyViolation && run.wantsAppeal(governanceWrong(w, d)) {
					governanceAppeal(env, d, listingMerchant(w, d.ID), r, appealGenuine)
				}
			}
			return nil
		})
	}
	content := slices.Clone(w.Content)
	// Segments go out in stream order, as a live stream produces them.
	slices.SortStableFunc(content, func(a, b *anxin.ContentItem) int {
		if c := strings.Compare(a.StreamID, b.StreamID); c != 0 {
			return c
		}
		return int(a.Seq - b.Seq)
	})
	cbatches := map[time.Time][]*anxin.ContentItem{}
	authors := map[string]string{}
	for _, c := range content {
		authors[c.ID] = c.AuthorID
		at := checkAt(c.UpdatedAt, "")
		cbatches[at] = append(cbatches[at], c)
	}
	for at, cs := range cbatches {
		env.at(at, func(ctx context.Context) error {
			ds, err := demoCheck(ctx, env, "/v1/content:check", cs)
			if err != nil {
				return err
			}
			run.content += len(ds)
			for _, d := range ds {
				tr := w.Truth.Content[d.ID]
				flagged := len(d.Rules) > 0 && d.Outcome != "allow"
				if tr.Violation != "" && (tr.Term == "" || tr.Split && !flagged) {
					continue // a split term is caught by the segment that completes it
				}
				run.cq.add(flagged, tr.Violation != "")
				// A shop or influencer whose segment or post was blocked
				// appeals as wantsAppeal says; the reviewer decides on the
				// simulator's truth.
				if flagged && d.Outcome == "block" && d.StatementID != "" && sellers[authors[d.ID]] && run.wantsAppeal(governanceWrong(w, d)) {
					governanceAppeal(env, d, authors[d.ID], r, appealGenuine)
				}
			}
			return nil
		})
	}
	env.daily([]time.Duration{10 * time.Hour, 16 * time.Hour}, func(ctx context.Context) error {
		n, err := governanceReview(ctx, env, reviewer)
		run.decided += n
		run.reviewed++
		return err
	})
	return nil
}

// wantsAppeal reports whether the seller of a block appeals it, counting
// the appeal: every seller the simulator's truth says was blocked wrongly
// (the first 20), and the first 5 rightly blocked sellers, who try their
// luck and are upheld.
func (run *govRun) wantsAppeal(wrong bool) bool {
	if wrong {
		run.wrongAppeals++
		return run.wrongAppeals <= 20
	}
	run.appealsQueued++
	return run.appealsQueued <= 5
}

// The texts sellers appeal with.
const (
	appealGenuine = "This item breaks no rule: the product is genuine and the wording is ours."
	appealLetter  = "We are an authorised seller of this brand: the brand's authorisation letter, issued before these listings went up, is attached."
)

// governanceAppeal queues merchant's appeal of block d, made with text
// 2 to 40 hours from now, and the decision of the senior reviewer (never
// the one who decided the case) 2 to 16 office hours after it, the delays
// drawn from r: overturned when the simulator's truth says the listing or
// content broke no rule.
func governanceAppeal(env *demoEnv, d demoDecision, merchant string, r *rand.Rand, text string) {
	w, reviewer := env.World, env.govRun.senior
	t := env.Clock.Now().Add(between(r, 2*time.Hour, 40*time.Hour))
	wait := between(r, 2*time.Hour, 16*time.Hour)
	env.at(t, func(ctx context.Context) error {
		k, err := env.key(ctx, anxin.MerchantRole(merchant))
		if err != nil {
			return err
		}
		var a struct {
			ID string `json:"id"`
		}
		if err := env.post(ctx, k, "/v1/statements/"+d.StatementID+"/appeals", map[string]string{"text": text}, &a); err != nil {
			if anxin.KindOf(err) == anxin.Conflict {
				return nil
			}
			return err
		}
		env.at(officeAfter(env.Clock.Now(), wait), func(ctx context.Context) error {
			res, note := anxin.ResUphold, "demo appeal review: the violation is confirmed"
			if governanceWrong(w, d) {
				res, note = anxin.ResOverturn, "demo appeal review: the item breaks no rule; block reversed"
			}
			if err := env.post(ctx, reviewer, "/v1/appeals/"+a.ID+"/decide", map[string]string{"resolution": res, "note": note}, nil); err != nil {
				return err
			}
			env.govRun.appeals++
			if res == anxin.ResOverturn {
				env.govRun.overturned++
				if lt := w.Truth.Listings[d.ID]; lt.Unregistered {
					env.govRun.unregistered.reinstated++
					return registerSeller(ctx, env, lt.Brand, merchant)
				}
			}
			return nil
		})
		return nil
	})
}

// governanceWrong reports whether the simulator's truth says block d was
// wrong: a rule fired (a block only because the seller is restricted stands
// with the restriction), the listing or content item carries no violation,
// and, for a segment of a stream selling counterfeits, no counterfeit rule
// fired (its frames show the counterfeit product even when its words are
// clean).
func governanceWrong(w *sim.World, d demoDecision) bool {
	if len(d.Rules) == 0 {
		return false
	}
	if lt, ok := w.Truth.Listings[d.ID]; ok {
		return lt.Violation == ""
	}
	if w.Truth.Content[d.ID].Violation != "" {
		return false
	}
	if w.Truth.Streams[contentStream(w, d.ID)] == "" {
		return true
	}
	for _, r := range d.Rules {
		if h, ok := r.(map[string]any); ok && strings.Contains(fmt.Sprint(h["rule_id"]), "counterfeit") {
			return false
		}
	}
	return true
}

func contentStream(w *sim.World, id string) string {
	for _, c := range w.Content {
		if c.ID == id {
			return c.StreamID
		}
	}
	return ""
}

// governanceReview works the open review queue once, deciding as the
// ground truth says, and returns how many cases it decided. The one thing
// the reviewer cannot know is an authorisation the brand registry lacks:
// a genuine listing of such a seller looks like an unauthorised seller
// using the brand's own photos, and is blocked until the seller appeals
// with its letter.
func governanceReview(ctx context.Context, env *demoEnv, reviewer string) (int, error) {
	w := env.World
	decided := 0
	for {
		var q struct {
			Cases []struct {
				ID          string   `json:"id"`
				SubjectType string   `json:"subject_type"`
				SubjectID   string   `json:"subject_id"`
				MerchantID  string   `json:"merchant_id"`
				RuleIDs     []string `json:"rule_ids"`
			} `json:"cases"`
		}
		if err := env.get(ctx, reviewer, "/v1/cases?status=open&limit=200", &q); err != nil {
			return decided, err
		}
		if len(q.Cases) == 0 {
			return decided, nil
		}
		var uphold, overturn []string
		// The cases of unregistered sellers' listings, in queue order.
		var unregistered []struct{ caseID, listing, merchant string }
		for _, c := range q.Cases {
			// The reviewer judges a case as an appeal of it is judged
			// (governanceWrong): a frame of a stream selling counterfeits
			// flagged by a counterfeit rule shows the counterfeit.
			d := demoDecision{ID: c.SubjectID}
			for _, id := range c.RuleIDs {
				d.Rules = append(d.Rules, map[string]any{"rule_id": id})
			}
			switch {
			case c.SubjectType == "listing" && w.Truth.Listings[c.SubjectID].Unregistered:
				uphold = append(uphold, c.ID)
				unregistered = append(unregistered, struct{ caseID, listing, merchant string }{c.ID, c.SubjectID, c.MerchantID})
			case len(d.Rules) > 0 && !governanceWrong(w, d):
				uphold = append(uphold, c.ID)
			default:
				overturn = append(overturn, c.ID)
			}
		}
		for _, b := range []struct {
			action string
			ids    []string
		}{{anxin.ResUphold, uphold}, {anxin.ResOverturn, overturn}} {
			if len(b.ids) == 0 {
				continue
			}
			if err := env.post(ctx, reviewer, "/v1/cases:bulk", map[string]any{"ids": b.ids, "action": b.action, "note": "demo review"}, nil); err != nil {
				return decided, err
			}
			decided += len(b.ids)
		}
		for _, u := range unregistered {
			var c struct {
				StatementID string `json:"statement_id"`
			}
			if err := env.get(ctx, reviewer, "/v1/cases/"+u.caseID, &c); err != nil {
				return decided, err
			}
			run := env.govRun
			run.unregistered.blocked++
			if c.StatementID != "" && run.wantsAppeal(true) {
				d := demoDecision{ID: u.listing, StatementID: c.StatementID, Rules: []any{"listing.counterfeit.signals"}}
				governanceAppeal(env, d, u.merchant, run.rng, appealLetter)
			}
		}
	}
}

// registerSeller adds merchant to the authorised sellers of the brand
// named name in the registry, as the operator does once an appeal has
// shown the brand's letter.
func registerSeller(ctx context.Context, env *demoEnv, name, merchant string) error {
	var list struct {
		Items []anxin.Brand `json:"items"`
	}
	if err := env.get(ctx, env.Operator, "/v1/brands", &list); err != nil {
		return err
	}
	for _, b := range list.Items {
		if b.Name == name && !slices.Contains(b.AuthorisedSellers, merchant) {
			b.AuthorisedSellers = append(b.AuthorisedSellers, merchant)
			return env.post(ctx, env.Operator, "/v1/brands", b, nil)
		}
	}
	return nil
}

func governanceAfter(ctx context.Context, env *demoEnv) error {
	run := env.govRun
	fmt.Fprintf(env.Out, "%-28s %10d checks through the period\n", "listings checked", run.listings)
	fmt.Fprintf(env.Out, "  listings with coded language: %s\n", run.lq)
	if run.silent.tp+run.silent.fn > 0 {
		fmt.Fprintf(env.Out, "  silent copies (no wording to find): %d of %d flagged\n", run.silent.tp, run.silent.tp+run.silent.fn)
	}
	fmt.Fprintf(env.Out, "%-28s %10d checks\n", "content checked", run.content)
	fmt.Fprintf(env.Out, "  content: %s\n", run.cq)
	fmt.Fprintf(env.Out, "%-28s %10d cases in %d review sessions; %d appeals decided, %d overturned (%d blocks the truth says were wrong)\n",
		"review cases decided", run.decided, run.reviewed, run.appeals, run.overturned, run.wrongAppeals)
	u := run.unregistered
	fmt.Fprintf(env.Out, "  authorised sellers missing from the brand registry: %d listings checked, %d sent to review, %d blocked by the reviewer, %d reinstated on appeal\n",
		u.checked, u.flagged, u.blocked, u.reinstated)
	return nil
}

// demoCheck sends items to a check endpoint in batches and returns the
// decisions in order.
func demoCheck[T any](ctx context.Context, env *demoEnv, path string, items []T) ([]demoDecision, error) {
	var out []demoDecision
	for k := 0; k < len(items); k += demoCheckBatch {
		var res struct {
			Items []demoDecision `json:"items"`
		}
		if err := env.post(ctx, env.Platform, path, map[string]any{"items": items[k:min(k+demoCheckBatch, len(items))]}, &res); err != nil {
			return nil, err
		}
		out = append(out, res.Items...)
	}
	return out, nil
}

func listingMerchant(w *sim.World, id string) string {
	for _, l := range w.Listings {
		if l.ID == id {
			return l.MerchantID
		}
	}
	return ""
}
